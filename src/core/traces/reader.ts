/**
 * The incremental, pure trace reader: feed it lines (the adapter streams them from a file), take normalized
 * requests or rate samples out. Nothing is kept but the reorder buffer, so a trace of any size streams through.
 *
 * Per line, in this order:
 * 1. detect the layout from the first non-empty line (or use `traceFormat`), and read the header;
 * 2. parse the row; a malformed row throws TraceRowError with file, line and field, or is skipped and counted
 *    with `skipBadRows`;
 * 3. order: rows must not go back in time by more than `reorderWindowSeconds` (default 0: a row earlier than a
 *    previous row is an error). Within the window rows are buffered and released sorted (stable for equal times),
 *    so a log written by several workers slightly out of step still replays in order, in bounded memory;
 * 4. rebase: `t` = source time − the first row's time (`timeOrigin: 'first-row'`, the default) or the source
 *    time itself (`'source'`);
 * 5. cut: keep rows with `window.startSeconds ≤ t < window.endSeconds`, then rebase to the window start, so a
 *    cut replays from 0; then add `timeShiftSeconds`;
 * 6. name the model: `model` assigns every row to one model; otherwise the row's model column (`model`,
 *    Alibaba's `request_type`), renamed through `modelMap`; a layout or row without one is `default`;
 * 7. scale the rate by `rateScale` (requests: see RequestScaler; rates: multiplied).
 */
import {UserError} from '../errors.js'
import {createRowParser, detectTraceFormat, RowFieldError, type RowParser, type TraceRow} from './formats.js'
import {RequestScaler} from './scale.js'
import {type RateSample, type TraceFormat, type TraceKind, traceKindOf, type TraceRequest} from './types.js'

/** The model name of rows that have none and no `model` option. */
export const DEFAULT_TRACE_MODEL = 'default'

export interface TraceReadOptions {
  /** Name used in errors (the path as the user gave it). */
  file?: string
  /** Skip detection and read this layout. */
  traceFormat?: TraceFormat
  /** Assign every row to this model. */
  model?: string
  /** Rename the trace's own model keys (model column, Alibaba request_type) to config model names. */
  modelMap?: Record<string, string>
  /** Multiply the request rate (default 1). */
  rateScale?: number
  /** Seconds added to every time after the window cut (default 0). */
  timeShiftSeconds?: number
  /** Keep rows in [startSeconds, endSeconds) of the rebased trace. */
  window?: {startSeconds?: number; endSeconds?: number}
  /** Skip and count malformed rows instead of failing on the first. */
  skipBadRows?: boolean
  /** How far back in time a row may go and still be sorted into place (default 0). */
  reorderWindowSeconds?: number
  /** `first-row` (default): times start at 0; `source`: keep the file's clock (for example Unix seconds). */
  timeOrigin?: 'first-row' | 'source'
}

/** A malformed row: file, line and field in `location`, and the message says the same. */
export class TraceRowError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}:${line}: ${field}: ${detail}`, {
      location: {file, line, path: field},
      hint: 'fix the row, or pass skipBadRows (--skip-bad-rows) to skip and count malformed rows',
    })
    this.name = 'TraceRowError'
  }
}

export interface TraceReadStats {
  format: TraceFormat | undefined
  kind: TraceKind | undefined
  /** Lines seen, header and blank lines included. */
  lines: number
  /** Rows parsed (good ones). */
  rows: number
  /** Rows skipped as malformed (skipBadRows), with the first few errors. */
  badRows: number
  badRowExamples: string[]
  /** Rows that arrived earlier than a previous row and were sorted into place. */
  reordered: number
  /** Rows outside the window. */
  outsideWindow: number
  /** Source time of the first row (the origin with `timeOrigin: 'first-row'`). */
  originSeconds: number | undefined
  /** Requests or rate samples emitted (after scaling). */
  emitted: number
}

const MAX_EXAMPLES = 5

interface Buffered {
  row: TraceRow
  line: number
}

export class TraceLineReader {
  readonly file: string
  private parser: RowParser | undefined
  private readonly heap: Buffered[] = []
  private maxTime = -Infinity
  private maxTimeLine = 0
  private readonly window: number
  private readonly modelNames = new Map<string | undefined, string>()
  private readonly requests: TraceRequest[] = []
  private readonly rates: RateSample[] = []
  private readonly scaler: RequestScaler
  private readonly scale: number
  private ended = false
  readonly stats: TraceReadStats = {
    format: undefined,
    kind: undefined,
    lines: 0,
    rows: 0,
    badRows: 0,
    badRowExamples: [],
    reordered: 0,
    outsideWindow: 0,
    originSeconds: undefined,
    emitted: 0,
  }

  constructor(private readonly options: TraceReadOptions = {}) {
    this.file = options.file ?? '<trace>'
    this.window = options.reorderWindowSeconds ?? 0
    if (!(this.window >= 0)) throw new UserError(`reorderWindowSeconds must be ≥ 0, got ${this.window}`)
    this.scale = options.rateScale ?? 1
    if (!(this.scale > 0) || !Number.isFinite(this.scale))
      throw new UserError(`rateScale must be a positive number, got ${this.scale}`)
    this.scaler = new RequestScaler(this.scale, (r) => {
      this.requests.push(r)
      this.stats.emitted++
    })
  }

  /** True once every later row would fall after the window's end: the caller may stop reading. */
  get pastWindow(): boolean {
    const end = this.options.window?.endSeconds
    if (end === undefined || this.stats.originSeconds === undefined) return false
    const origin = this.options.timeOrigin === 'source' ? 0 : this.stats.originSeconds
    return this.maxTime - this.window - origin >= end
  }

  /** Feeds one line (without its line break). Lines are numbered from 1 in the order they are pushed. */
  pushLine(line: string): void {
    const lineNo = ++this.stats.lines
    if (line.length === 0 || (line.length < 3 && line.trim() === '')) return
    if (!this.parser) {
      this.parser = this.openParser(line, lineNo)
      if (this.parser.hasHeader) return
    }
    let row: TraceRow
    try {
      row = this.parser.parse(line.endsWith('\r') ? line.slice(0, -1) : line)
    } catch (error) {
      if (error instanceof RowFieldError) return this.bad(lineNo, error.field, error.message)
      throw error
    }
    this.order(row, lineNo)
  }

  /** Flushes the reorder buffer and the scaler. Call once, after the last line. */
  end(): void {
    if (this.ended) return
    this.ended = true
    if (!this.parser) {
      if (this.options.traceFormat) return
      throw new UserError(`${this.file}: the trace is empty`, {location: {file: this.file}})
    }
    while (this.heap.length > 0) this.release(popMin(this.heap))
    this.scaler.end()
  }

  /** Requests emitted since the last call (per-request layouts). */
  takeRequests(): TraceRequest[] {
    return this.requests.splice(0, this.requests.length)
  }

  /** Rate samples emitted since the last call (rate layouts). */
  takeRates(): RateSample[] {
    return this.rates.splice(0, this.rates.length)
  }

  private openParser(line: string, lineNo: number): RowParser {
    let format = this.options.traceFormat
    if (!format) {
      const detection = detectTraceFormat(line)
      if (!detection.format)
        throw new UserError(`${this.file}:${lineNo}: cannot tell the trace layout: ${detection.reason}`, {
          location: {file: this.file, line: lineNo},
          hint: 'set the layout with traceFormat (--trace-format)',
        })
      format = detection.format
    }
    try {
      const parser = createRowParser(format, line)
      this.stats.format = format
      this.stats.kind = traceKindOf(format)
      return parser
    } catch (error) {
      if (error instanceof RowFieldError) throw new TraceRowError(this.file, lineNo, error.field, error.message)
      throw error
    }
  }

  private bad(line: number, field: string, detail: string): void {
    const error = new TraceRowError(this.file, line, field, detail)
    if (!this.options.skipBadRows) throw error
    this.stats.badRows++
    if (this.stats.badRowExamples.length < MAX_EXAMPLES) this.stats.badRowExamples.push(error.message)
  }

  private order(row: TraceRow, line: number): void {
    if (row.time < this.maxTime - this.window) {
      const behind = this.maxTime - row.time
      return this.bad(
        line,
        row.kind === 'rate' ? 'time' : 'timestamp',
        `${fmt(behind)} s earlier than line ${this.maxTimeLine}; rows may go back in time by at most ${fmt(this.window)} s (reorderWindowSeconds)`,
      )
    }
    this.stats.rows++
    if (this.window === 0) {
      if (row.time > this.maxTime) [this.maxTime, this.maxTimeLine] = [row.time, line]
      this.release({row, line})
      return
    }
    if (row.time < this.maxTime) this.stats.reordered++
    else [this.maxTime, this.maxTimeLine] = [row.time, line]
    pushHeap(this.heap, {row, line})
    const releaseBefore = this.maxTime - this.window
    while (this.heap.length > 0 && this.heap[0]!.row.time <= releaseBefore) this.release(popMin(this.heap))
  }

  private release({row}: Buffered): void {
    if (this.stats.originSeconds === undefined) this.stats.originSeconds = row.time
    const origin = this.options.timeOrigin === 'source' ? 0 : this.stats.originSeconds
    let t = row.time - origin
    const w = this.options.window
    if (w) {
      if ((w.startSeconds !== undefined && t < w.startSeconds) || (w.endSeconds !== undefined && t >= w.endSeconds)) {
        this.stats.outsideWindow++
        return
      }
      t -= w.startSeconds ?? 0
    }
    t += this.options.timeShiftSeconds ?? 0
    const model = this.modelName(row.model)
    if (row.kind === 'request') {
      this.scaler.push({t, model, inputTokens: row.inputTokens, outputTokens: row.outputTokens})
    } else {
      this.rates.push({t, model, rps: row.rps * this.scale})
      this.stats.emitted++
    }
  }

  private modelName(key: string | undefined): string {
    let name = this.modelNames.get(key)
    if (name === undefined) {
      name = this.options.model ?? (key === undefined ? DEFAULT_TRACE_MODEL : (this.options.modelMap?.[key] ?? key))
      this.modelNames.set(key, name)
    }
    return name
  }
}

/** Reads a whole trace held in a string (tests, small inputs). */
export function readTraceText(
  text: string,
  options: TraceReadOptions = {},
): {requests: TraceRequest[]; rates: RateSample[]; stats: TraceReadStats} {
  const reader = new TraceLineReader(options)
  const requests: TraceRequest[] = []
  const rates: RateSample[] = []
  for (const line of text.split('\n')) {
    reader.pushLine(line)
    requests.push(...reader.takeRequests())
    rates.push(...reader.takeRates())
  }
  reader.end()
  requests.push(...reader.takeRequests())
  rates.push(...reader.takeRates())
  return {requests, rates, stats: reader.stats}
}

function fmt(n: number): string {
  return Number(n.toFixed(3)).toString()
}

// A binary min-heap on (time, line): equal times leave in file order, so reordering is stable.
function less(a: Buffered, b: Buffered): boolean {
  return a.row.time < b.row.time || (a.row.time === b.row.time && a.line < b.line)
}

function pushHeap(heap: Buffered[], item: Buffered): void {
  heap.push(item)
  let i = heap.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (!less(heap[i]!, heap[parent]!)) break
    ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
    i = parent
  }
}

function popMin(heap: Buffered[]): Buffered {
  const top = heap[0]!
  const last = heap.pop()!
  if (heap.length > 0) {
    heap[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r
      if (m === i) break
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
  }
  return top
}
