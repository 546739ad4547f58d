/**
 * JSON-lines logs: one JSON object per line, `{"ts": RFC 3339 with milliseconds, "level", "event", ...fields}`,
 * on a stream (stderr for `apply --watch`, so stdout stays the command's output). Fields are flat, so
 * `jq 'select(.event == "decision")'` and log pipelines (Loki, Cloud Logging) index them without unnesting;
 * a field named like one of the three keys is dropped rather than overwriting it.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export type JsonLog = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void

export function createJsonLog(stream: {write(text: string): unknown}, now: () => number = () => Date.now()): JsonLog {
  return (level, event, fields = {}) => {
    const line: Record<string, unknown> = {ts: new Date(now()).toISOString(), level, event}
    for (const [key, value] of Object.entries(fields)) if (!(key in line)) line[key] = value
    stream.write(JSON.stringify(line, jsonSafe) + '\n')
  }
}

/** NaN and ±Infinity are not JSON: written as the strings Prometheus uses, so a line always parses. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'
  if (value instanceof Error) return value.message
  return value
}
