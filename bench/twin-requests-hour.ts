/**
 * Benchmark: one hour of 20,000 individually traced requests (an in-memory trace, Poisson arrivals, Azure-conv
 * sizes) over 32 Llama-3.1-8B replicas on H100 and A100 nodes, telemetry every 30 s, every request in the event
 * log. Prints the speed against real time. Target: ≥ 1,000× real time.
 * Run: npm run build && node dist/bench/twin-requests-hour.js
 */
import {parseTimestamp} from '../src/core/model/duration.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import {Twin} from '../src/core/twin/twin.js'
import {HOUR, REQUESTS, REQUESTS_HOUR_FLEET, requestsHourConfig, requestsHourTrace} from './fixtures/requests-hour.js'

const START = parseTimestamp('2026-11-28T00:00:00Z') as number
const config = requestsHourConfig({
  name: 'requests-hour',
  replicas: {min: 1, max: 16},
  signals: [{name: 'queue', metric: 'vllm:num_requests_waiting', target: 4}],
})

// The trace: 20,000 requests over the hour after a 2-minute warm-up, split between the two models.
const trace = requestsHourTrace(2026, (HOUR - 120) / REQUESTS)
const twin = new Twin({
  config,
  start: START,
  seed: 5,
  trace,
  ...REQUESTS_HOUR_FLEET,
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
