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

export type LogEntry = TwinEvent | RequestRecord

/** Requests kept in columns: a day of a fleet is millions of them. */
export class RequestLog {
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
export function* mergeLog(events: readonly TwinEvent[], requests: RequestLog): Generator<LogEntry> {
  let r = 0
  for (const event of events) {
    while (r < requests.length && (requests.done[r] as number) < event.t) yield requests.entry(r++)
    yield event
  }
  while (r < requests.length) yield requests.entry(r++)
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
