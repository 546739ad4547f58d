/**
 * Layout detection and per-row parsing, one pure function per row. No I/O: src/adapters/trace-file.ts streams
 * lines in, src/core/traces/reader.ts drives these parsers and turns their problems into errors with file and line.
 */
import {splitCsvLine} from './csv.js'
import {TimestampColumn} from './timestamp.js'
import {type TraceFormat} from './types.js'

/** One parsed row, in the source's own clock (seconds) and model naming. */
export type TraceRow =
  | {kind: 'request'; time: number; model: string | undefined; inputTokens: number; outputTokens: number}
  | {kind: 'rate'; time: number; model: string | undefined; rps: number}

/** A row that does not parse: which field, and what was wrong with it. */
export class RowFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message)
    this.name = 'RowFieldError'
  }
}

export interface FormatDetection {
  format: TraceFormat | undefined
  /** Why this layout was chosen, or why none was. */
  reason: string
}

/** Header columns each CSV layout needs (matched case-insensitively, in any order; extra columns are ignored). */
const CSV_LAYOUTS: Array<{format: TraceFormat; required: string[]; optional: string[]}> = [
  // Checked before requests-csv: Azure's header names are distinctive, and a file with both sets is Azure's.
  {format: 'azure-llm', required: ['timestamp', 'contexttokens', 'generatedtokens'], optional: []},
  {format: 'requests-csv', required: ['timestamp', 'input_tokens', 'output_tokens'], optional: ['model']},
  {format: 'alibaba-qps', required: ['timestamp_anon', 'value'], optional: ['request_type', 'container_ip']},
  {format: 'rate-csv', required: ['time', 'requests_per_second'], optional: ['model']},
]

/**
 * Detects the layout from the first non-empty line: a JSON object is Mooncake's layout; a CSV header is matched
 * against each layout's required columns. Headers are required for CSV layouts: a first row of numbers is data,
 * not a header, and cannot say which layout it is.
 */
export function detectTraceFormat(firstLine: string): FormatDetection {
  const line = stripBom(firstLine).trim()
  if (line === '') return {format: undefined, reason: 'the trace is empty'}
  if (line.startsWith('{')) {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      return {format: undefined, reason: 'the first line starts with "{" but is not valid JSON'}
    }
    const keys = value !== null && typeof value === 'object' ? Object.keys(value) : []
    const missing = ['timestamp', 'input_length', 'output_length'].filter((k) => !keys.includes(k))
    if (missing.length === 0)
      return {
        format: 'mooncake-jsonl',
        reason: 'a JSON object with timestamp, input_length and output_length (Mooncake JSON lines)',
      }
    return {
      format: undefined,
      reason: `a JSON line without ${missing.join(', ')} (Mooncake lines have timestamp, input_length, output_length)`,
    }
  }
  const columns = (splitCsvLine(line) ?? []).map((c) => c.trim().toLowerCase())
  for (const layout of CSV_LAYOUTS) {
    if (layout.required.every((c) => columns.includes(c))) {
      return {format: layout.format, reason: `CSV header with ${layout.required.join(', ')}`}
    }
  }
  return {
    format: undefined,
    reason: `unknown header "${line.slice(0, 80)}"; expected one of: ${CSV_LAYOUTS.map((l) => l.required.join(',')).join(' | ')}, or Mooncake JSON lines`,
  }
}

export interface RowParser {
  readonly format: TraceFormat
  /** True when the first line is a header (every CSV layout), false when it is already a row (JSON lines). */
  readonly hasHeader: boolean
  /** Parses one non-empty line. Throws RowFieldError naming the field. */
  parse(line: string): TraceRow
}

/**
 * A parser for `format`. `firstLine` is the file's first non-empty line: for CSV layouts the header that says
 * where each column is. Throws RowFieldError (field `header`) when a required column is missing.
 */
export function createRowParser(format: TraceFormat, firstLine: string): RowParser {
  if (format === 'mooncake-jsonl') return {format, hasHeader: false, parse: parseMooncakeLine}
  const header = (splitCsvLine(stripBom(firstLine).trim()) ?? []).map((c) => c.trim().toLowerCase())
  const layout = CSV_LAYOUTS.find((l) => l.format === format)!
  const missing = layout.required.filter((c) => !header.includes(c))
  if (missing.length > 0) {
    throw new RowFieldError(
      'header',
      `the ${format} layout needs column(s) ${missing.join(', ')}; the header is "${firstLine.trim().slice(0, 80)}"`,
    )
  }
  const at = (name: string): number => header.indexOf(name)
  const width = (...indexes: number[]): number => Math.max(...indexes) + 1
  switch (format) {
    case 'azure-llm': {
      const [ts, input, output] = [at('timestamp'), at('contexttokens'), at('generatedtokens')]
      return csvParser(format, width(ts, input, output), (f) => ({
        kind: 'request',
        time: f.timestamp(ts, 'TIMESTAMP'),
        model: undefined,
        inputTokens: f.tokens(input, 'ContextTokens'),
        outputTokens: f.tokens(output, 'GeneratedTokens'),
      }))
    }
    case 'requests-csv': {
      const [ts, model, input, output] = [at('timestamp'), at('model'), at('input_tokens'), at('output_tokens')]
      return csvParser(format, width(ts, model, input, output), (f) => ({
        kind: 'request',
        time: f.timestamp(ts, 'timestamp'),
        model: model < 0 ? undefined : f.name(model),
        inputTokens: f.tokens(input, 'input_tokens'),
        outputTokens: f.tokens(output, 'output_tokens'),
      }))
    }
    case 'rate-csv': {
      const [ts, model, rps] = [at('time'), at('model'), at('requests_per_second')]
      return csvParser(format, width(ts, model, rps), (f) => ({
        kind: 'rate',
        time: f.timestamp(ts, 'time'),
        model: model < 0 ? undefined : f.name(model),
        rps: f.rate(rps, 'requests_per_second'),
      }))
    }
    case 'alibaba-qps': {
      // One row per container and sampling instant; rows sharing an instant and request type add up
      // (RateSeriesBuilder). The request type is the model key; the container id is not needed.
      const [ts, value, type] = [at('timestamp_anon'), at('value'), at('request_type')]
      return csvParser(format, width(ts, value, type), (f) => ({
        kind: 'rate',
        time: f.timestamp(ts, 'timestamp_anon'),
        model: type < 0 ? undefined : f.name(type),
        rps: f.rate(value, 'value'),
      }))
    }
  }
}

/**
 * The fields of the current CSV row, read in place: a line without quotes is cut at its commas into reused
 * offsets, token counts are read digit by digit, and a model name equal to the previous row's reuses that
 * string. Parsing a million rows then allocates one string per row (the timestamp) instead of five, which took
 * a third of the parse time in garbage collection.
 */
class CsvFields {
  private line = ''
  private split: string[] | undefined
  private readonly cuts: number[] = [0]
  count = 0
  private lastName: string | undefined
  private readonly times = new TimestampColumn()

  /** Returns false when a quoted field is not closed on the line. */
  load(line: string): boolean {
    this.line = line
    if (line.indexOf('"') >= 0) {
      this.split = splitCsvLine(line)
      this.count = this.split?.length ?? 0
      return this.split !== undefined
    }
    this.split = undefined
    let n = 0
    for (let i = line.indexOf(','); i >= 0; i = line.indexOf(',', i + 1)) this.cuts[++n] = i + 1
    this.cuts[n + 1] = line.length + 1
    this.count = n + 1
    return true
  }

  text(i: number): string {
    return this.split ? this.split[i]! : this.line.slice(this.cuts[i], this.cuts[i + 1]! - 1)
  }

  timestamp(i: number, field: string): number {
    const text = this.text(i)
    const t = this.times.parse(text)
    if (t === undefined) throw new RowFieldError(field, `expected seconds or an ISO-8601 date-time, got "${text}"`)
    return t
  }

  tokens(i: number, field: string): number {
    if (!this.split) {
      // Fast path: plain digits, at most 9 (below 2^32). Anything else goes through the checked path.
      const start = this.cuts[i]!
      const end = this.cuts[i + 1]! - 1
      if (end > start && end - start <= 9) {
        let n = 0
        let k = start
        for (; k < end; k++) {
          const d = this.line.charCodeAt(k) - 48
          if (d < 0 || d > 9) break
          n = n * 10 + d
        }
        if (k === end) return n
      }
    }
    return tokenField(this.text(i), field)
  }

  rate(i: number, field: string): number {
    return rateField(this.text(i), field)
  }

  name(i: number): string | undefined {
    const last = this.lastName
    if (!this.split && last !== undefined) {
      const start = this.cuts[i]!
      if (this.cuts[i + 1]! - 1 - start === last.length && this.line.startsWith(last, start)) return last
    }
    const name = modelField(this.text(i))
    this.lastName = name
    return name
  }
}

function csvParser(format: TraceFormat, need: number, read: (fields: CsvFields) => TraceRow): RowParser {
  const fields = new CsvFields()
  return {
    format,
    hasHeader: true,
    parse(line) {
      if (!fields.load(line)) throw new RowFieldError('columns', 'a quoted field is not closed on this line')
      if (fields.count < need)
        throw new RowFieldError('columns', `expected at least ${need} comma-separated fields, got ${fields.count}`)
      return read(fields)
    },
  }
}

function parseMooncakeLine(line: string): TraceRow {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    throw new RowFieldError('json', `not valid JSON (${(error as Error).message})`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new RowFieldError('json', 'expected a JSON object per line')
  const row = value as Record<string, unknown>
  const ms = row.timestamp
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new RowFieldError('timestamp', `expected a number of milliseconds, got ${JSON.stringify(ms)}`)
  return {
    kind: 'request',
    time: ms / 1000,
    model: undefined,
    inputTokens: jsonTokens(row.input_length, 'input_length'),
    outputTokens: jsonTokens(row.output_length, 'output_length'),
  }
}

function jsonTokens(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RowFieldError(field, `expected a non-negative integer, got ${JSON.stringify(value)}`)
  return value
}

function tokenField(text: string, field: string): number {
  const n = Number(text)
  // Number('') and Number(' ') are 0: an empty field must not read as zero tokens.
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff || (n === 0 && text.trim() === ''))
    throw new RowFieldError(field, `expected a non-negative integer, got "${text}"`)
  return n
}

function rateField(text: string, field: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && text.trim() === ''))
    throw new RowFieldError(field, `expected a non-negative number, got "${text}"`)
  return n
}

function modelField(text: string): string | undefined {
  const s = text.trim()
  return s === '' ? undefined : s
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s
}
