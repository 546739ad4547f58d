/**
 * A small Prometheus exposition server for tests: serves whatever series the test sets, as text format 0.0.4, on a
 * free loopback port. Values may be NaN or ±Inf (rendered as Prometheus writes them), and series can be removed to
 * make Prometheus mark them stale.
 */
import {createServer, type Server} from 'node:http'

export interface ExposedSeries {
  metric: string
  labels: Record<string, string>
  value: number
}

export interface ExpositionServer {
  /** `127.0.0.1:PORT`, a scrape target. */
  target: string
  series: ExposedSeries[]
  close(): Promise<void>
}

function render(series: readonly ExposedSeries[]): string {
  const value = (v: number) =>
    Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v)
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
  return series
    .map((s) => {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',')
      return `${s.metric}${labels ? `{${labels}}` : ''} ${value(s.value)}\n`
    })
    .join('')
}

export async function startExposition(series: ExposedSeries[]): Promise<ExpositionServer> {
  const state = {series}
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, {'content-type': 'text/plain; version=0.0.4; charset=utf-8'})
    res.end(render(state.series))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as {port: number}).port
  return {
    target: `127.0.0.1:${port}`,
    get series() {
      return state.series
    },
    set series(next: ExposedSeries[]) {
      state.series = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
