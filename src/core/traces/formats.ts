/**
 * Layout detection and per-row parsing, one pure function per row. No I/O: src/adapters/trace-file.ts streams
 * lines in, src/core/traces/reader.ts drives these parsers and turns their problems into errors with file and line.
 */
import {splitCsvLine} from './csv.js'
import {parseTimestampSeconds} from './timestamp.js'
import {type TraceFormat} from './types.js'

/** One parsed row, in the source's own clock (seconds) and model naming. */
export type TraceRow =
  | {kind: 'request'; time: number; model: string | undefined; inputTokens: number; outputTokens: number}
  | {kind: 'rate'; time: number; model: string | undefined; rps: number}

/** A row that does not parse: which field, and what was wrong with it. */
export class RowFieldError extends Error {
  constructor(readonly field: string, message: string) {
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
    if (missing.length === 0) return {format: 'mooncake-jsonl', reason: 'a JSON object with timestamp, input_length and output_length (Mooncake JSON lines)'}
    return {format: undefined, reason: `a JSON line without ${missing.join(', ')} (Mooncake lines have timestamp, input_length, output_length)`}
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
    throw new RowFieldError('header', `the ${format} layout needs column(s) ${missing.join(', ')}; the header is "${firstLine.trim().slice(0, 80)}"`)
  }
  const at = (name: string): number => header.indexOf(name)
  const width = (...indexes: number[]): number => Math.max(...indexes) + 1
  switch (format) {
    case 'azure-llm': {
      const [ts, input, output] = [at('timestamp'), at('contexttokens'), at('generatedtokens')]
      const need = width(ts, input, output)
      return csvParser(format, need, (f) => ({kind: 'request', time: timestampField(f[ts]!, 'TIMESTAMP'), model: undefined, inputTokens: tokenField(f[input]!, 'ContextTokens'), outputTokens: tokenField(f[output]!, 'GeneratedTokens')}))
    }
    case 'requests-csv': {
      const [ts, model, input, output] = [at('timestamp'), at('model'), at('input_tokens'), at('output_tokens')]
      const need = width(ts, model, input, output)
      return csvParser(format, need, (f) => ({kind: 'request', time: timestampField(f[ts]!, 'timestamp'), model: model < 0 ? undefined : modelField(f[model]!, 'model'), inputTokens: tokenField(f[input]!, 'input_tokens'), outputTokens: tokenField(f[output]!, 'output_tokens')}))
    }
    case 'rate-csv': {
      const [ts, model, rps] = [at('time'), at('model'), at('requests_per_second')]
      const need = width(ts, model, rps)
      return csvParser(format, need, (f) => ({kind: 'rate', time: timestampField(f[ts]!, 'time'), model: model < 0 ? undefined : modelField(f[model]!, 'model'), rps: rateField(f[rps]!, 'requests_per_second')}))
    }
    case 'alibaba-qps': {
      // One row per container and sampling instant; rows sharing an instant and request type add up
      // (RateSeriesBuilder). The request type is the model key; the container id is not needed.
      const [ts, value, type] = [at('timestamp_anon'), at('value'), at('request_type')]
      const need = width(ts, value, type)
      return csvParser(format, need, (f) => ({kind: 'rate', time: timestampField(f[ts]!, 'timestamp_anon'), model: type < 0 ? undefined : modelField(f[type]!, 'request_type'), rps: rateField(f[value]!, 'value')}))
    }
  }
}

function csvParser(format: TraceFormat, need: number, read: (fields: string[]) => TraceRow): RowParser {
  return {
    format,
    hasHeader: true,
    parse(line) {
      const fields = splitCsvLine(line)
      if (!fields) throw new RowFieldError('columns', 'a quoted field is not closed on this line')
      if (fields.length < need) throw new RowFieldError('columns', `expected at least ${need} comma-separated fields, got ${fields.length}`)
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
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RowFieldError('json', 'expected a JSON object per line')
  const row = value as Record<string, unknown>
  const ms = row.timestamp
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new RowFieldError('timestamp', `expected a number of milliseconds, got ${JSON.stringify(ms)}`)
  return {kind: 'request', time: ms / 1000, model: undefined, inputTokens: jsonTokens(row.input_length, 'input_length'), outputTokens: jsonTokens(row.output_length, 'output_length')}
}

function jsonTokens(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RowFieldError(field, `expected a non-negative integer, got ${JSON.stringify(value)}`)
  return value
}

function timestampField(text: string, field: string): number {
  const t = parseTimestampSeconds(text)
  if (t === undefined) throw new RowFieldError(field, `expected seconds or an ISO-8601 date-time, got "${text}"`)
  return t
}

function tokenField(text: string, field: string): number {
  const n = Number(text)
  // Number('') and Number(' ') are 0: an empty field must not read as zero tokens.
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff || (n === 0 && text.trim() === '')) throw new RowFieldError(field, `expected a non-negative integer, got "${text}"`)
  return n
}

function rateField(text: string, field: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && text.trim() === '')) throw new RowFieldError(field, `expected a non-negative number, got "${text}"`)
  return n
}

function modelField(text: string, _field: string): string | undefined {
  const s = text.trim()
  return s === '' ? undefined : s
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s
}
