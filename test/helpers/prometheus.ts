/**
 * A real Prometheus for the tests: Debian's 2.42 package unpacked into the cache by scripts/install-prometheus.sh
 * (run once by the global setup), started on a free loopback port with its TSDB in a temp dir, ready by polling
 * `/-/ready`, and stopped by PID. The first sample lands ~5–6 s after start (the discovery manager batches target
 * updates every 5 s, facts §8): callers poll queries, never sleep.
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {waitFor} from './twin.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Installs (or finds) the cached Prometheus; returns the binary's path. */
export function ensurePrometheus(): string {
  return execFileSync('sh', [join(root, 'scripts', 'install-prometheus.sh')], {encoding: 'utf8'}).trim()
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as {port: number}).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface RunningPrometheus {
  url: string
  /** An instant query's vector (at `time`, epoch seconds, when given), values as Prometheus returns them (strings). */
  query(promql: string, time?: number): Promise<Array<{metric: Record<string, string>; value: [number, string]}>>
  stop(): Promise<void>
}

/**
 * `targets` are host:port pairs scraped at /metrics, or `{fileSd}`: a file_sd targets file (re-read every second,
 * facts §8), as `sim serve` writes one for its exporters. `honorLabels`: keep the exporter's own `pod`/`namespace`
 * labels instead of renaming them `exported_*` when they clash with target labels (facts §8), as a dcgm-exporter
 * scrape config does. `history`: OpenMetrics text (samples with timestamps) backfilled into the TSDB before start,
 * for reads of the past (`promtool tsdb create-blocks-from openmetrics`).
 */
export async function startPrometheus(
  targets: string[] | {fileSd: string},
  options: {honorLabels?: boolean; history?: string} = {},
): Promise<RunningPrometheus> {
  const binary = ensurePrometheus()
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  if (options.history !== undefined) {
    // Backfilled with promtool (the package's own), as an operator imports old data: blocks in the TSDB before start.
    const input = join(dir, 'history.om')
    writeFileSync(input, options.history)
    execFileSync(
      join(dirname(binary), 'promtool'),
      ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'data')],
      {
        stdio: 'pipe',
      },
    )
  }
  const discovery = Array.isArray(targets)
    ? {static_configs: [{targets}]}
    : {file_sd_configs: [{files: [targets.fileSd], refresh_interval: '1s'}]}
  writeFileSync(
    config,
    JSON.stringify({
      global: {scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s'},
      scrape_configs: [{job_name: 'twin', ...(options.honorLabels ? {honor_labels: true} : {}), ...discovery}],
    }),
  )
  const port = await freePort()
  const child = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Backfilled history is days old: keep it (a 1 h retention would delete it at the first compaction).
      `--storage.tsdb.retention.time=${options.history !== undefined ? '3650d' : '1h'}`,
      '--log.level=warn',
    ],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    await waitFor(
      `Prometheus ready (${stderr})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`)
        return fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )
      },
      20_000,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url,
    query: async (promql, time) => {
      const response = await fetch(
        `${url}/api/v1/query?query=${encodeURIComponent(promql)}${time === undefined ? '' : `&time=${time}`}`,
      )
      const body = (await response.json()) as {
        status: string
        data: {result: Array<{metric: Record<string, string>; value: [number, string]}>}
        error?: string
      }
      if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`)
      return body.data.result
    },
    stop,
  }
}
