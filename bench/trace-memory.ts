/**
 * Benchmark: memory of a large per-request trace replay (issue 12: "a 1 GB trace never sits in memory"). Writes a
 * per-request CSV of N rows (our own generator: Poisson arrivals at a steady rate, Azure-conv-like
 * token lengths) into os.tmpdir(), replays it through the service path (`simulateTrace`: pass 1 to the rate series,
 * pass 2 streaming the requests, each policy's run measured as it goes) with two policies (the config's and the
 * hpa-gpu-util baseline), deletes the file, and prints per size: rows per second of CPU time, the peak RSS
 * (`process.resourceUsage().maxRSS`, the high-water mark of the process) and the most memory live during the replay
 * (V8 heap plus typed-array stores after a full collection, sampled every 10% of it).
 * Each size runs in its own process, so each peak is its own. Not a test: no target, the figures are reported.
 *
 *   npm run build && node dist/bench/trace-memory.js                      1M rows (what `npm run bench` runs)
 *   TRACE_MEMORY_ROWS=1000000,5000000 node dist/bench/trace-memory.js     the bound: RSS at 1M ≈ RSS at 5M
 *   TRACE_MEMORY_HEAP_MB=160 ...                                          the same under --max-old-space-size=160
 *
 * Peak RSS is what V8 chose to grow the heap to, not what the replay needs alive: on a machine with room, V8
 * collects lazily. The max-live column is what the replay holds; a heap cap makes V8 collect early, so the peak RSS
 * under it comes close to that (typed arrays are outside the cap).
 */
import {spawnSync} from 'node:child_process'
import {createWriteStream} from 'node:fs'
import {mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {createPrng} from '../src/core/mig/prng.js'
import {simulateTrace} from '../src/services/simulate-trace.js'
import {cpuTime, fmt} from './fixtures/trace-world.js'

/** Rows of each size to replay, comma-separated. */
const SIZES = (process.env.TRACE_MEMORY_ROWS ?? '1000000').split(',').map(Number)
const HEAP_MB = process.env.TRACE_MEMORY_HEAP_MB
/** Set in a child process: the one size it replays. */
const CHILD_ROWS = process.env.TRACE_MEMORY_CHILD
/** Requests per second on average: about 8 replicas of an 8B model on H100s at SLO capacity. */
const RATE = 60

const CONFIG = `apiVersion: gpu-scale.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: trace-memory}
settings:
  loopInterval: 30s
  slo: {ttft: 2s, tpot: 100ms}
nodeGroups:
  - name: h100
    gpu: {model: H100-80GB, count: 1}
    min: 0
    max: 64
    taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
    labels: {pool: h100}
    hourlyCost: 4.02
    coldStart: {provisioning: 90s, driverInit: 30s, imagePull: 30s}
models:
  - name: llama-8b
    workload: {kind: Deployment, namespace: llm, name: llama-8b}
    replicas: {min: 2, max: 48}
    gpu: {count: 1}
    weights: {sizeGiB: 15, loadGiBps: 0.5}
    tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
    nodeSelector: {pool: h100}
    signals: [{name: queue, metric: "vllm:num_requests_waiting", target: 4}]
`

/**
 * Writes `rows` requests: Poisson at a steady RATE, lognormal-ish token lengths. Steady, so that a larger size is
 * more requests on the same fleet (a daily swing would also grow the fleet, and with it the twin's telemetry, which
 * follows pods, not requests): the sizes then differ in requests and duration only.
 */
async function writeTrace(path: string, rows: number): Promise<void> {
  const prng = createPrng(12)
  const out = createWriteStream(path)
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await write('timestamp,model,input_tokens,output_tokens\n')
  let t = 0
  let chunk = ''
  for (let i = 0; i < rows; i++) {
    t += -Math.log(1 - prng.next()) / RATE
    const z = Math.sqrt(-2 * Math.log(1 - prng.next())) * Math.cos(2 * Math.PI * prng.next())
    const input = Math.max(1, Math.min(16384, Math.round(1020 * Math.exp(0.8 * z))))
    const output = Math.max(1, Math.min(4096, Math.round(129 * Math.exp(0.8 * -z))))
    chunk += `${t.toFixed(3)},llama-8b,${input},${output}\n`
    if (chunk.length > 1 << 16) {
      await write(chunk)
      chunk = ''
    }
  }
  await write(chunk)
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
}

function liveMiB(): number {
  const m = process.memoryUsage()
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20
}

/** What one size's child process reports (one JSON line on stdout). */
interface SizeResult {
  rows: number
  mib: number
  hours: number
  cpuSeconds: number
  wallSeconds: number
  peakRssMiB: number
  rssBeforeMiB: number
  liveMiB: number
  policies: Array<{name: string; requests: number; attainment: number; gpuHours: number; percentiles: string}>
}

async function replaySize(rows: number): Promise<SizeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gpu-scale-trace-memory-'))
  try {
    const trace = join(dir, 'requests.csv')
    const config = join(dir, 'policy.yaml')
    await writeFile(config, CONFIG)
    await writeTrace(trace, rows)
    const bytes = (await stat(trace)).size
    const rssBefore = process.resourceUsage().maxRSS / 1024
    // The live set, sampled every 10% of the replay after a full collection (the bench runs with --expose-gc):
    // V8's heap plus typed-array stores, which live outside it and outside --max-old-space-size.
    const gc = (globalThis as {gc?: () => void}).gc
    let live = 0
    let shown = -1
    const sample = (done: number) => {
      const at = Math.floor(done * 10)
      if (at === shown || !gc) return
      shown = at
      gc()
      live = Math.max(live, liveMiB())
    }
    const run = await cpuTime(() =>
      simulateTrace({config, traces: [trace], baselines: ['hpa-gpu-util'], onProgress: sample}),
    )
    const peak = process.resourceUsage().maxRSS / 1024
    const report = run.value.report
    return {
      rows,
      mib: bytes / 2 ** 20,
      hours: (report.window.end - report.window.start) / 3600,
      cpuSeconds: run.cpuSeconds,
      wallSeconds: run.wallSeconds,
      peakRssMiB: peak,
      rssBeforeMiB: rssBefore,
      liveMiB: live,
      policies: report.policies.map((p) => ({
        name: p.name,
        requests: p.metrics.requests.total,
        attainment: p.metrics.sloAttainment,
        gpuHours: p.metrics.gpuHours,
        percentiles: p.percentiles ?? 'exact',
      })),
    }
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

if (CHILD_ROWS !== undefined) {
  console.log(JSON.stringify(await replaySize(Number(CHILD_ROWS))))
} else {
  const self = fileURLToPath(import.meta.url)
  const flags = ['--expose-gc', ...(HEAP_MB ? [`--max-old-space-size=${HEAP_MB}`] : [])]
  console.log(
    `trace-memory: per-request CSV replayed by simulate --trace with 2 policies${HEAP_MB ? `, heap capped at ${HEAP_MB} MB` : ''}`,
  )
  console.log(
    '  rows         file      trace    CPU s   rows/CPU-s  peak RSS   max live  percentiles  policies (requests, attainment, GPU-h)',
  )
  for (const rows of SIZES) {
    const child = spawnSync(process.execPath, [...flags, self], {
      env: {...process.env, TRACE_MEMORY_CHILD: String(rows)},
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    })
    const line = child.stdout.trim().split('\n').pop() ?? ''
    if (child.status !== 0 || !line.startsWith('{')) {
      const why = child.stderr.includes('heap out of memory') ? 'out of memory' : `exit ${child.status}`
      console.log(`  ${fmt(rows).padEnd(11)}  failed: ${why}${HEAP_MB ? ` (heap cap ${HEAP_MB} MB)` : ''}`)
      continue
    }
    const r = JSON.parse(line) as SizeResult
    console.log(
      `  ${fmt(r.rows).padEnd(11)}  ${`${fmt(r.mib)} MiB`.padStart(8)}  ${`${fmt(r.hours, 1)} h`.padStart(6)}  ${fmt(r.cpuSeconds, 1).padStart(7)}  ${fmt(r.rows / r.cpuSeconds).padStart(11)}  ${`${fmt(r.peakRssMiB)} MiB`.padStart(8)}  ${`${fmt(r.liveMiB)} MiB`.padStart(9)}  ${(r.policies[0]?.percentiles ?? '').padEnd(11)}  ${r.policies.map((p) => `${p.name} ${fmt(p.requests)}, ${(p.attainment * 100).toFixed(2)}%, ${fmt(p.gpuHours, 1)}`).join('; ')}`,
    )
  }
  console.log(
    '  (rows/CPU-s over both policies; peak RSS: the process high-water mark; max live: heap and typed arrays after a full GC, sampled every 10% of the replay)',
  )
}
