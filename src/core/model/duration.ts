/**
 * Durations as users write them (`30s`, `3m`, `1h`, `1h30m`, `500ms`, or a bare number of seconds), converted to
 * seconds. Every duration in config, flags and snapshots goes through here so they all read the same way.
 */
const UNIT_SECONDS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86400}
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/

/**
 * The longest duration any setting accepts: 30 days. Nothing gpu-scale waits for (a window, a grace period, a cold
 * start) is longer, and the bound keeps every sum and timestamp built from durations finite and representable.
 */
export const MAX_DURATION_SECONDS = 30 * 86400

/**
 * Returns the duration in seconds, or undefined when the text is not a duration. A duration whose digits do not
 * fit a finite number (`1` followed by 400 zeros) is not a duration either; bounds are the caller's (schema) job.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text)
    return Number.isFinite(seconds) ? seconds : undefined
  }
  if (!WHOLE.test(text)) return undefined
  let total = 0
  for (const match of text.matchAll(PART)) total += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number)
  return Number.isFinite(total) ? Math.round(total * 1000) / 1000 : undefined
}

/** Formats seconds the way users write them: 45s, 3m, 3m20s, 1h5m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds)
  const sign = seconds < 0 ? '-' : ''
  let rest = Math.round(Math.abs(seconds))
  if (rest === 0) return '0s'
  const h = Math.floor(rest / 3600)
  rest -= h * 3600
  const m = Math.floor(rest / 60)
  const s = rest - m * 60
  return sign + (h ? `${h}h` : '') + (m ? `${m}m` : '') + (s ? `${s}s` : '')
}

/** RFC 3339 in UTC, second precision: the one timestamp format of plans and snapshots. */
export function formatTimestamp(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds) * 1000).toISOString().replace('.000Z', 'Z')
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an RFC 3339 timestamp to epoch seconds, any offset normalized to UTC; undefined when it is not one. Strict
 * where `Date.parse` is lenient: an impossible date (month 13, February 30, hour 24, second 60) is rejected rather
 * than rolled over into the next day. Leap seconds are rejected too: Kubernetes and Prometheus never emit them.
 */
export function parseTimestamp(text: string): number | undefined {
  return typeof text === 'string' && describeTimestampProblem(text) === undefined ? timestampSeconds(text) : undefined
}

/** Why a text is not a valid RFC 3339 timestamp, in words for an error message; undefined when it is one. */
export function describeTimestampProblem(text: string): string | undefined {
  if (/^\d{12,}(\.\d+)?$/.test(text.trim()))
    return 'this looks like a count of milliseconds since 1970; write an RFC 3339 time such as 2026-11-28T12:00:00Z'
  const m = TIMESTAMP.exec(text)
  if (!m)
    return 'expected an RFC 3339 time such as 2026-11-28T12:00:00Z (date, "T", time, and "Z" or an offset like +02:00)'
  const [year, month, day, hour, minute, second] = dateTimeFields(m)
  if (month < 1 || month > 12) return `month ${month} does not exist`
  const days = daysInMonth(year, month)
  if (day < 1 || day > days)
    return `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')} (it has ${days} days)`
  if (hour > 23) return `hour ${hour} does not exist (00–23)`
  if (minute > 59) return `minute ${minute} does not exist (00–59)`
  if (second > 59) return `second ${second} does not exist (00–59; leap seconds are not accepted)`
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10])
    const offsetMinutes = Number(m[11])
    if (offsetHours > 23 || offsetMinutes > 59) return `offset ${m[9]}${m[10]}:${m[11]} does not exist`
  }
  return undefined
}

function timestampSeconds(text: string): number {
  const m = TIMESTAMP.exec(text) as RegExpExecArray
  const [year, month, day, hour, minute, second] = dateTimeFields(m)
  const fraction = m[7] === undefined ? 0 : Number(m[7])
  const sign = m[9] === '-' ? -1 : 1
  const offsetSeconds = m[9] === undefined ? 0 : sign * (Number(m[10]) * 3600 + Number(m[11]) * 60)
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second))
  date.setUTCFullYear(year)
  return date.getTime() / 1000 + fraction - offsetSeconds
}

/** Year, month, day, hour, minute and second of a TIMESTAMP match, as numbers. */
function dateTimeFields(m: RegExpExecArray): [number, number, number, number, number, number] {
  return m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}
