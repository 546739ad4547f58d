/**
 * A real Prometheus (Debian 2.42) scrapes `sim serve`'s exporters through the file_sd targets file, at --speed 60
 * (a twin scrape every 0.5 s of wall time, so every Prometheus scrape sees a new value). Each PromQL answer is
 * compared with what the twin served to Prometheus's own scrapes (the server keeps them), and the served values
 * with the twin's telemetry. Queries are evaluated at an explicit time halfway between two scrapes of the target,
 * so which samples a window holds is never a race ("within the scrape grid").
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, test} from 'vitest'

import {startSimServe, type SimServeHandle} from '../../src/services/sim-serve.js'
import {startPrometheus, type RunningPrometheus} from '../helpers/prometheus.js'
import {waitFor} from '../helpers/twin.js'

let serve: SimServeHandle
let prometheus: RunningPrometheus
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-serve-prom-'))
  serve = await startSimServe({port: 0, speed: 60, kubeconfigOut: join(dir, 'twin.kubeconfig')})
  // Every initial pod is ready within ~4 simulated minutes (llama-70b: 60 s pull + 140 GiB at 1.5 GiB/s).
  await waitFor(
    'the initial pods ready',
    () => serve.bound.targets().filter((t) => t.job === 'vllm').length === 10,
    15_000,
  )
  await serve.flushTargets()
  prometheus = await startPrometheus({fileSd: serve.info.metricsTargets})
  await waitFor('every target up', async () => (await prometheus.query('count(up == 1)'))[0]?.value[1] === '22', 20_000)
})

afterAll(async () => {
  await prometheus?.stop()
  await serve?.close()
  rmSync(dir, {recursive: true, force: true})
})

/** Values of one series in each scrape of a target served so far: [served at (ms), value]. */
function served(target: string, series: RegExp): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const s of serve.server.scrapes) {
    if (s.target !== target) continue
    const match = s.body.match(series)
    if (match) out.push([s.at, Number(match[1])])
  }
  return out
}

/** An evaluation time halfway between the last two scrapes of a target, once it has been scraped `n` times. */
async function quietMoment(target: string, n: number): Promise<number> {
  await waitFor(
    `${n} scrapes of ${target}`,
    () => serve.server.scrapes.filter((s) => s.target === target).length >= n,
    20_000,
  )
  const times = serve.server.scrapes.filter((s) => s.target === target).map((s) => s.at)
  return ((times.at(-1) as number) + (times.at(-2) as number)) / 2000
}

/** histogram_quantile as Prometheus computes it (promql/quantile.go bucketQuantile) on cumulative buckets. */
function bucketQuantile(q: number, buckets: Array<[number, number]>): number {
  const total = (buckets.at(-1) as [number, number])[1]
  const rank = q * total
  const i = buckets.findIndex(([, count]) => count >= rank)
  if (i === buckets.length - 1) return (buckets[buckets.length - 2] as [number, number])[0]
  if (i === 0 && buckets[0]![0] <= 0) return buckets[0]![0]
  const [upper, count] = buckets[i] as [number, number]
  const [lower, below] = i === 0 ? [0, 0] : (buckets[i - 1] as [number, number])
  return lower + (upper - lower) * ((rank - below) / (count - below))
}

test('avg_over_time(DCGM_FI_DEV_GPU_UTIL[3m]) is the mean of what the twin served in the window', async () => {
  // The whole GPU whose utilization moves most (a saturated one reads 100 throughout, proving little).
  const samplesOf = (host: string) =>
    serve.bound.twin
      .snapshot({historySeconds: 3600})
      .telemetry.filter(
        (s) => s.metric === 'DCGM_FI_DEV_GPU_UTIL' && s.labels.Hostname === host && s.labels.gpu === '0',
      )
      .flatMap((s) => s.samples.map(([, v]) => v))
  const hosts = serve.bound.binding.snapshot.nodes.map((n) => n.name)
  const host = hosts.sort(
    (a, b) => new Set(samplesOf(b)).size - new Set(samplesOf(a)).size || a.localeCompare(b),
  )[0] as string
  const target = `node/${host}`
  const at = await quietMoment(target, 6)
  const series = new RegExp(`^DCGM_FI_DEV_GPU_UTIL\\{gpu="0",[^}]*Hostname="${host}"[^}]*\\} (\\S+)$`, 'm')
  const values = served(target, series)
    .filter(([t]) => t / 1000 < at)
    .map(([, v]) => v)
  const result = await prometheus.query(`avg_over_time(DCGM_FI_DEV_GPU_UTIL{Hostname="${host}",gpu="0"}[3m])`, at)
  expect(result).toHaveLength(1)
  expect(Number(result[0]?.value[1])).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9)
  // The values served are the twin's own samples of that GPU (DCGM percent, 0–100).
  const twin = new Set(samplesOf(host))
  for (const v of values) expect(twin.has(v)).toBe(true)
  expect(new Set(values).size).toBeGreaterThan(1)
})

test("histogram_quantile over vLLM's TTFT buckets matches the twin's histogram", async () => {
  const target = 'pod/llm/llama-8b-00001'
  const at = await quietMoment(target, 3)
  const last = serve.server.scrapes.filter((s) => s.target === target && s.at / 1000 < at).at(-1)?.body ?? ''
  const buckets: Array<[number, number]> = [
    ...last.matchAll(/^vllm:time_to_first_token_seconds_bucket\{[^}]*le="([^"]+)"\} (\S+)$/gm),
  ].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])])
  expect(buckets).toHaveLength(23)
  expect(buckets.at(-1)?.[1]).toBeGreaterThan(0)
  const result = await prometheus.query(
    'histogram_quantile(0.9, vllm:time_to_first_token_seconds_bucket{pod="llama-8b-00001"})',
    at,
  )
  expect(result).toHaveLength(1)
  expect(result[0]?.metric).toMatchObject({
    model_name: 'llama-8b',
    namespace: 'llm',
    pod: 'llama-8b-00001',
    job: 'vllm',
  })
  expect(Number(result[0]?.value[1])).toBeCloseTo(bucketQuantile(0.9, buckets), 9)
})

test("vllm:num_requests_waiting is each pod's last served value", async () => {
  const target = 'pod/llm/embed-bge-00001'
  const at = await quietMoment(target, 3)
  const result = await prometheus.query('vllm:num_requests_waiting{pod="embed-bge-00001"}', at)
  const values = served(target, /^vllm:num_requests_waiting\{[^}]*\} (\S+)$/m).filter(([t]) => t / 1000 < at)
  expect(result).toHaveLength(1)
  expect(result[0]?.value[1]).toBe(String(values.at(-1)?.[1]))
  // Every pod's series is there, labelled by its target (vLLM itself knows only model_name and engine).
  const all = await prometheus.query('vllm:num_requests_waiting', at)
  expect(all.map((r) => r.metric.pod).sort()).toEqual(
    serve.bound
      .targets()
      .filter((t) => t.job === 'vllm')
      .map((t) => t.labels.pod)
      .sort(),
  )
})
