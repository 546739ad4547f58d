/**
 * A per-request trace in columns: typed arrays for time, model index and token counts (18 bytes a request
 * instead of a ~100-byte object), so a replay walks memory in order and a million requests cost 18 MB.
 */
import type {TraceRequest} from './types.js'

export interface TraceTable {
  readonly length: number
  /** Model names; `model[i]` indexes this list. */
  readonly models: readonly string[]
  /** Arrival time in seconds on the replay clock, non-decreasing. */
  readonly t: Float64Array
  readonly model: Uint16Array
  readonly inputTokens: Uint32Array
  readonly outputTokens: Uint32Array
}

/** Appends requests in time order; `build()` trims the arrays to length. */
export class TraceTableBuilder {
  private readonly models: string[] = []
  private readonly index = new Map<string, number>()
  private t = new Float64Array(4096)
  private model = new Uint16Array(4096)
  private input = new Uint32Array(4096)
  private output = new Uint32Array(4096)
  private n = 0

  get length(): number {
    return this.n
  }

  add(r: TraceRequest): void {
    if (this.n === this.t.length) this.grow()
    if (this.n > 0 && r.t < this.t[this.n - 1]!)
      throw new RangeError(`requests must be added in time order (${r.t} after ${this.t[this.n - 1]})`)
    let m = this.index.get(r.model)
    if (m === undefined) {
      m = this.models.length
      // Uint16 model indexes: a fleet has tens of models, not 65,536.
      if (m > 0xffff) throw new RangeError('more than 65,536 models in one trace')
      this.models.push(r.model)
      this.index.set(r.model, m)
    }
    this.t[this.n] = r.t
    this.model[this.n] = m
    this.input[this.n] = r.inputTokens
    this.output[this.n] = r.outputTokens
    this.n++
  }

  build(): TraceTable {
    return {
      length: this.n,
      models: [...this.models],
      t: this.t.slice(0, this.n),
      model: this.model.slice(0, this.n),
      inputTokens: this.input.slice(0, this.n),
      outputTokens: this.output.slice(0, this.n),
    }
  }

  private grow(): void {
    const size = this.t.length * 2
    const grow = <T extends Float64Array | Uint16Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const g = make(size)
      g.set(a)
      return g
    }
    this.t = grow(this.t, (n) => new Float64Array(n))
    this.model = grow(this.model, (n) => new Uint16Array(n))
    this.input = grow(this.input, (n) => new Uint32Array(n))
    this.output = grow(this.output, (n) => new Uint32Array(n))
  }
}

export function tableFromRequests(requests: Iterable<TraceRequest>): TraceTable {
  const builder = new TraceTableBuilder()
  for (const r of requests) builder.add(r)
  return builder.build()
}

/** Request `i` as the twin consumes it. */
export function requestAt(table: TraceTable, i: number): TraceRequest {
  return {
    t: table.t[i]!,
    model: table.models[table.model[i]!]!,
    inputTokens: table.inputTokens[i]!,
    outputTokens: table.outputTokens[i]!,
  }
}

/** The requests in time order. */
export function* iterateRequests(table: TraceTable): Generator<TraceRequest> {
  for (let i = 0; i < table.length; i++) yield requestAt(table, i)
}

/**
 * Several traces on one clock (each already mapped to its models): a k-way merge by time, stable, so requests
 * at equal times keep the order of `tables` and then of their rows.
 */
export function mergeTraceTables(tables: TraceTable[]): TraceTable {
  const builder = new TraceTableBuilder()
  const pos = tables.map(() => 0)
  for (;;) {
    let best = -1
    for (let k = 0; k < tables.length; k++) {
      const table = tables[k]!
      if (pos[k]! < table.length && (best < 0 || table.t[pos[k]!]! < tables[best]!.t[pos[best]!]!)) best = k
    }
    if (best < 0) return builder.build()
    builder.add(requestAt(tables[best]!, pos[best]!))
    pos[best]!++
  }
}
