/**
 * Benchmark: memory of a large per-request trace replay (issue 12: "a 1 GB trace never sits in memory"). Writes a
 * per-request CSV of TRACE_MEMORY_ROWS rows (default 1,000,000, which keeps `npm run bench` short; 5,000,000 shows the growth better; our own generator: Poisson arrivals at a steady
 * rate with a daily swing, Azure-conv-like token lengths) into os.tmpdir(), replays it through the service path
 * (`simulateTrace`: pass 1 to the rate series, pass 2 streaming the requests) with two policies (the config's and
 * the hpa-gpu-util baseline), deletes the file, and prints rows per second of CPU time and the peak RSS
 * (`process.resourceUsage().maxRSS`, the high-water mark over the whole process). Not a test: no target, the figure
 * is reported. Run: npm run build && node dist/bench/trace-memory.js
 *
 * Peak RSS is what V8 chose to grow the heap to, not what the replay needs alive: on a machine with room, V8
 * collects lazily. To see the live bound, cap the heap: `node --max-old-space-size=350 dist/bench/trace-memory.js`
 * with TRACE_MEMORY_ROWS=1000000 completes (the replay holds one policy's per-request results, not the trace).
 */
import {createWriteStream} from 'node:fs'
import {mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createPrng} from '../src/core/mig/prng.js'
import {simulateTrace} from '../src/services/simulate-trace.js'
import {cpuTime, fmt} from './fixtures/trace-world.js'

const ROWS = Number(process.env.TRACE_MEMORY_ROWS ?? 1_000_000)
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

/** Writes `rows` requests: Poisson at RATE × (1 + 0.5 sin(2πt/day)), lognormal-ish token lengths. */
async function writeTrace(path: string, rows: number): Promise<void> {
  const prng = createPrng(12)
  const out = createWriteStream(path)
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await write('timestamp,model,input_tokens,output_tokens\n')
  let t = 0
  let chunk = ''
  for (let i = 0; i < rows; i++) {
    const rate = RATE * (1 + 0.5 * Math.sin((2 * Math.PI * t) / 86400))
    t += -Math.log(1 - prng.next()) / rate
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

const dir = await mkdtemp(join(tmpdir(), 'gpu-scale-trace-memory-'))
try {
  const trace = join(dir, 'requests.csv')
  const config = join(dir, 'policy.yaml')
  await writeFile(config, CONFIG)
  await writeTrace(trace, ROWS)
  const bytes = (await stat(trace)).size
  const rssBefore = process.resourceUsage().maxRSS / 1024
  const run = await cpuTime(() => simulateTrace({config, traces: [trace], baselines: ['hpa-gpu-util']}))
  const peak = process.resourceUsage().maxRSS / 1024
  const policies = run.value.report.policies
  const hours = (run.value.report.window.end - run.value.report.window.start) / 3600
  console.log(
    `trace-memory: ${fmt(ROWS)} per-request rows (${fmt(bytes / 2 ** 20)} MiB, ${fmt(hours, 1)} h), 2 policies`,
  )
  for (const p of policies)
    console.log(
      `  ${p.name.padEnd(16)} ${fmt(p.metrics.requests.total)} requests, attainment ${(p.metrics.sloAttainment * 100).toFixed(2)}%, ${fmt(p.metrics.gpuHours, 1)} GPU-h`,
    )
  console.log(`  time              ${fmt(run.cpuSeconds, 1)} s CPU (wall ${fmt(run.wallSeconds, 1)} s)`)
  console.log(`  rows/s            ${fmt(ROWS / run.cpuSeconds)} rows per CPU second (both policies)`)
  console.log(`  peak RSS          ${fmt(peak)} MiB (${fmt(rssBefore)} MiB before the replay)`)
} finally {
  await rm(dir, {recursive: true, force: true})
}
