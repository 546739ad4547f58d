/**
 * The twin's event log: everything that happened, in time order, as plain data. It serializes one JSON object
 * per line (`--events FILE`), and the run summary (./summary.ts) is computed from it alone, so anyone can
 * recompute a summary from the file. Times are epoch seconds (fractions allowed).
 */

export type TwinEvent =
  | {t: number; type: 'node.launched'; node: string; group: string; gpus: number; hourlyCost: number}
  | {t: number; type: 'node.capacity-error'; node: string; group: string}
  | {t: number; type: 'node.registered'; node: string; group: string}
  | {t: number; type: 'node.gpus-allocatable'; node: string; group: string}
  | {t: number; type: 'node.interruption-notice'; node: string; group: string; terminatesAt: number}
  | {t: number; type: 'node.remove-requested'; node: string; group: string}
  | {t: number; type: 'node.deleted'; node: string; group: string; reason: 'removed' | 'spot-reclaimed' | 'cancelled'}
  | {t: number; type: 'group.scaled'; group: string; from: number; to: number}
  | {t: number; type: 'mig.config-set'; node: string; config: string}
  | {
      t: number
      type: 'mig.state'
      node: string
      config: string
      state: 'pending' | 'success' | 'failed'
      reason?: string
    }
  | {t: number; type: 'workload.scaled'; model: string; from: number; to: number}
  | {t: number; type: 'pod.created'; pod: string; model: string}
  | {t: number; type: 'pod.scheduled'; pod: string; model: string; node: string}
  | {t: number; type: 'pod.loading'; pod: string; model: string; node: string; seconds: number}
  | {t: number; type: 'pod.ready'; pod: string; model: string; node: string}
  | {t: number; type: 'pod.terminating'; pod: string; model: string; reason: string; graceSeconds: number}
  | {t: number; type: 'pod.deleted'; pod: string; model: string; aborted: number}
  | {t: number; type: 'pod.eviction-blocked'; pod: string; model: string; pdb: string}

/** One finished request (served or aborted), logged at its end. */
export interface RequestRecord {
  t: number
  type: 'request'
  model: string
  arrival: number
  /** Seconds to the first token; null when it never came. */
  ttft: number | null
  e2e: number
  inputTokens: number
  outputTokens: number
  ok: boolean
}

/**
 * Fluid request model (./fluid.ts): requests served as a flow. `requests.fluid-tokens` (once per model, at the
 * start) gives the token mix as weighted quantile points; each `requests.fluid` entry is a cohort served in the
 * fluid step ending at `t` (fractional `requests`), with what the summary needs to compute its latencies, and the
 * model's backlog after that step.
 */
export interface FluidTokensRecord {
  t: number
  type: 'requests.fluid-tokens'
  model: string
  input: {values: number[]; weights: number[]}
  output: {values: number[]; weights: number[]}
}

export interface FluidRecord {
  t: number
  type: 'requests.fluid'
  model: string
  requests: number
  wait: number
  stepSeconds: number
  prefillPerToken: number
  chunkTokens: number
  backlog: number
}

export type LogEntry = TwinEvent | RequestRecord | FluidTokensRecord | FluidRecord

/** Fluid cohorts kept in columns (a 14-day replay has hundreds of thousands). */
export class FluidLog {
  readonly header: FluidTokensRecord[] = []
  readonly t: number[] = []
  readonly model: number[] = []
  readonly requests: number[] = []
  readonly wait: number[] = []
  readonly stepSeconds: number[] = []
  readonly prefillPerToken: number[] = []
  readonly chunkTokens: number[] = []
  readonly backlog: number[] = []

  constructor(readonly models: readonly string[]) {}

  add(model: number, c: Omit<FluidRecord, 'type' | 'model'>): void {
    this.t.push(c.t)
    this.model.push(model)
    this.requests.push(c.requests)
    this.wait.push(c.wait)
    this.stepSeconds.push(c.stepSeconds)
    this.prefillPerToken.push(c.prefillPerToken)
    this.chunkTokens.push(c.chunkTokens)
    this.backlog.push(c.backlog)
  }

  get length(): number {
    return this.t.length
  }

  entry(i: number): FluidRecord {
    return {
      t: this.t[i] as number,
      type: 'requests.fluid',
      model: this.models[this.model[i] as number] as string,
      requests: this.requests[i] as number,
      wait: this.wait[i] as number,
      stepSeconds: this.stepSeconds[i] as number,
      prefillPerToken: this.prefillPerToken[i] as number,
      chunkTokens: this.chunkTokens[i] as number,
      backlog: this.backlog[i] as number,
    }
  }
}

/**
 * Where the twin hands each finished request (served or aborted), at the moment it finishes: its own RequestLog by
 * default (the log keeps it; `Twin.logEntries()` reads it), or a meter that measures the run as it goes and keeps
 * no request (src/core/simulate/run-meter.ts, what a long trace replay uses). `firstTokenAt` is NaN when no token
 * came; `model` indexes the twin's models (TwinOptions.models).
 */
export interface RequestSink {
  add(
    done: number,
    model: number,
    arrival: number,
    firstTokenAt: number,
    input: number,
    output: number,
    ok: boolean,
  ): void
}

/** Requests kept in columns: a day of a fleet is millions of them. */
export class RequestLog implements RequestSink {
  readonly done: number[] = []
  readonly arrival: number[] = []
  readonly ttft: number[] = []
  readonly input: number[] = []
  readonly output: number[] = []
  readonly model: number[] = []
  readonly ok: boolean[] = []

  constructor(readonly models: readonly string[]) {}

  add(
    done: number,
    model: number,
    arrival: number,
    firstTokenAt: number,
    input: number,
    output: number,
    ok: boolean,
  ): void {
    this.done.push(done)
    this.arrival.push(arrival)
    this.ttft.push(Number.isNaN(firstTokenAt) ? NaN : firstTokenAt - arrival)
    this.input.push(input)
    this.output.push(output)
    this.model.push(model)
    this.ok.push(ok)
  }

  get length(): number {
    return this.done.length
  }

  entry(i: number): RequestRecord {
    const ttft = this.ttft[i] as number
    return {
      t: this.done[i] as number,
      type: 'request',
      model: this.models[this.model[i] as number] as string,
      arrival: this.arrival[i] as number,
      ttft: Number.isNaN(ttft) ? null : ttft,
      e2e: (this.done[i] as number) - (this.arrival[i] as number),
      inputTokens: this.input[i] as number,
      outputTokens: this.output[i] as number,
      ok: this.ok[i] as boolean,
    }
  }
}

/** Infra events and requests merged in time order (infra first at equal times: they happened first). */
export function* mergeLog(events: readonly TwinEvent[], requests: RequestLog, fluid?: FluidLog): Generator<LogEntry> {
  if (fluid) yield* fluid.header
  let r = 0
  let f = 0
  const nf = fluid?.length ?? 0
  const flush = function* (until: number): Generator<LogEntry> {
    for (;;) {
      const tr = r < requests.length ? (requests.done[r] as number) : Infinity
      const tf = f < nf ? ((fluid as FluidLog).t[f] as number) : Infinity
      if (tr >= until && tf >= until) return
      if (tr <= tf) yield requests.entry(r++)
      else yield (fluid as FluidLog).entry(f++)
    }
  }
  for (const event of events) {
    yield* flush(event.t)
    yield event
  }
  yield* flush(Infinity)
}

export function toJsonLines(entries: Iterable<LogEntry>): string {
  let text = ''
  for (const entry of entries) text += JSON.stringify(entry) + '\n'
  return text
}

export function parseJsonLines(text: string): LogEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogEntry)
}
