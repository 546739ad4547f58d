/**
 * Benchmark: one hour of 20,000 individually traced requests (an in-memory trace, Poisson arrivals, Azure-conv
 * sizes) over 32 Llama-3.1-8B replicas on H100 and A100 nodes, telemetry every 30 s, every request in the event
 * log. Prints the speed against real time. Target: ≥ 1,000× real time.
 * Run: npm run build && node dist/bench/twin-requests-hour.js
 */
import {parseConfig} from '../src/core/config/load.js'
import {createPrng} from '../src/core/mig/prng.js'
import {parseTimestamp} from '../src/core/model/duration.js'
import {AZURE_CONV_TOKENS, sampleTokens, type TraceRequest} from '../src/core/twin/load.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import {Twin} from '../src/core/twin/twin.js'

const START = parseTimestamp('2026-11-28T00:00:00Z') as number
const HOUR = 3600
const REQUESTS = 20_000
const toleration = [{key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule'}]
const taints = [{key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule'}]
const raw = {
  apiVersion: 'gpu-scale.dev/v1alpha1',
  kind: 'ScalingPolicy',
  metadata: {name: 'requests-hour'},
  nodeGroups: [
    {name: 'h100', gpu: {model: 'H100-80GB', count: 8}, max: 4, taints, labels: {pool: 'h100'}, hourlyCost: 32.16},
    {name: 'a100', gpu: {model: 'A100-80GB', count: 8}, max: 4, taints, labels: {pool: 'a100'}, hourlyCost: 17.68},
  ],
  models: ['chat-h100', 'chat-a100'].map((name) => ({
    name,
    workload: {kind: 'Deployment', namespace: 'llm', name},
    replicas: {min: 1, max: 16},
    gpu: {count: 1},
    weights: {sizeGiB: 15, loadGiBps: 2},
    tolerations: toleration,
    nodeSelector: {pool: name.slice(5)},
    signals: [{name: 'queue', metric: 'vllm:num_requests_waiting', target: 4}],
  })),
}
const {config, problems} = parseConfig(JSON.stringify(raw), '<bench>')
if (!config) throw new Error(problems.map((p) => p.message).join('; '))

// The trace: 20,000 requests over the hour after a 2-minute warm-up, split between the two models.
const prng = createPrng(2026)
const trace: TraceRequest[] = []
let t = 120
for (let i = 0; i < REQUESTS; i++) {
  t += -Math.log(1 - prng.next()) * ((HOUR - 120) / REQUESTS)
  trace.push({
    t,
    model: i % 2 === 0 ? 'chat-h100' : 'chat-a100',
    inputTokens: sampleTokens(AZURE_CONV_TOKENS.input, prng),
    outputTokens: sampleTokens(AZURE_CONV_TOKENS.output, prng),
  })
}
const twin = new Twin({
  config,
  start: START,
  seed: 5,
  trace,
  initialNodes: {h100: 2, a100: 2},
  models: [
    {name: 'chat-h100', replicas: 16, load: {arrivals: {kind: 'none'}, ...AZURE_CONV_TOKENS}},
    {name: 'chat-a100', replicas: 16, load: {arrivals: {kind: 'none'}, ...AZURE_CONV_TOKENS}},
  ],
})
const started = performance.now()
const cpuStarted = process.cpuUsage()
twin.runUntil(START + HOUR)
const wallSeconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuStarted)
const cpuSeconds = (cpu.user + cpu.system) / 1e6
const summary = summarizeLog(twin.logEntries(), {
  start: START,
  end: START + HOUR,
  slo: {ttftSeconds: 1, e2eSeconds: 20},
})
// CPU time, not wall time: these 2-core machines are shared by several engineers (both are printed).
const speed = HOUR / cpuSeconds
console.log(`twin-requests-hour: ${REQUESTS.toLocaleString('en-US')} traced requests, 32 replicas, 1 h`)
console.log(
  `  served            ${summary.requests.served} of ${summary.requests.total}, SLO attainment ${(summary.requests.sloAttainment * 100).toFixed(1)}%`,
)
console.log(`  TTFT p50/p99      ${summary.requests.ttft.p50.toFixed(3)} s / ${summary.requests.ttft.p99.toFixed(3)} s`)
console.log(`  wall time         ${wallSeconds.toFixed(3)} s (CPU ${cpuSeconds.toFixed(3)} s)`)
console.log(
  `  speed             ${Math.round(speed).toLocaleString('en-US')}× real time on CPU time, ${Math.round(HOUR / wallSeconds).toLocaleString('en-US')}× on wall time (target ≥ 1,000×)`,
)
if (speed < 1000) process.exitCode = 1
