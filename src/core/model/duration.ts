/**
 * Durations as users write them (`30s`, `3m`, `1h`, `1h30m`, `500ms`, or a bare number of seconds), converted to
 * seconds. Every duration in config, flags and snapshots goes through here so they all read the same way.
 */
const UNIT_SECONDS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86400}
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/

/** Returns the duration in seconds, or undefined when the text is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  if (!WHOLE.test(text)) return undefined
  let total = 0
  for (const match of text.matchAll(PART)) total += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number)
  return Math.round(total * 1000) / 1000
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

/** Parses an RFC 3339 timestamp to epoch seconds; undefined when it is not one. */
export function parseTimestamp(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms / 1000
}
