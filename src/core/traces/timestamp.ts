/**
 * Timestamps in trace files: plain seconds (`1662859176.0`, `12.5`) or ISO-8601 date-times. Azure's trace writes
 * `2023-11-16 18:17:03.9799600` (a space instead of `T`, seven fractional digits, no zone); a time without a zone
 * is read as UTC, which keeps the spacing between rows exact (rows are rebased to the first one anyway).
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/** Seconds since the Unix epoch (ISO) or the number as written (seconds). Undefined when it is neither. */
export function parseTimestampSeconds(text: string): number | undefined {
  const s = text.trim()
  if (s === '') return undefined
  const c = s.charCodeAt(0)
  // A number first: the common case, and `Number` is far cheaper than the regex.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    const n = Number(s)
    if (Number.isFinite(n)) return n
  }
  const m = ISO.exec(s)
  if (!m) return undefined
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number]
  const second = m[6] === undefined ? 0 : Number(m[6])
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined
  let seconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000
  if (m[7]) seconds += Number('0' + m[7])
  const zone = m[8]
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    const offset = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || '0') * 60
    seconds -= sign * offset
  }
  return seconds
}
