/**
 * Benchmark: a 1-hour per-request trace of 20,000 requests (synthetic, made here: Poisson with a 4× burst for
 * 5 minutes, Azure-conv sizes) replayed through the closed loop — the twin serving every request on 32 replicas
 * (two models on H100 and A100 pools, 16 each at the start, min 16) with gpu-scale planning every 30 s. Target
 * (issue 12): ≥ 1,000× real time. Prints the planner's share: the rest is the twin and the executor.
 * Run: npm run build && node dist/bench/trace-requests-hour.js
 */
import {ClosedLoop} from '../src/core/loop/index.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import {HOUR, REQUESTS, REQUESTS_HOUR_FLEET, requestsHourConfig, requestsHourTrace} from './fixtures/requests-hour.js'
import {cpuTime, fmt, WORLD_START} from './fixtures/trace-world.js'

const config = requestsHourConfig({
  name: 'trace-requests-hour',
  settings: {loopInterval: '30s'},
  replicas: {min: 16, max: 24},
  signals: [
    {name: 'queue', metric: 'vllm:num_requests_waiting', target: 4},
    {name: 'running', metric: 'vllm:num_requests_running', target: 64},
  ],
})

// The trace: 20,000 requests over the hour after a 2-minute warm-up; a 4× burst from 30 to 35 minutes.
const trace = requestsHourTrace(2027, (HOUR - 120 + 3 * 300) / REQUESTS, (t) => (t >= 1800 && t < 2100 ? 4 : 1))
const end = Math.max(HOUR, trace[trace.length - 1]!.t + 60)

const loop = new ClosedLoop({
  twin: {
    config,
    start: WORLD_START,
    seed: 5,
    trace,
    ...REQUESTS_HOUR_FLEET,
  },
  config,
  stopwatch: () => performance.now(),
})
const run = await cpuTime(() => loop.runUntil(WORLD_START + end))
const totals = loop.totalsSoFar()
const timing = totals.timing!
const summary = summarizeLog(loop.twin.logEntries(), {
  start: WORLD_START,
  end: WORLD_START + end,
  slo: {ttftSeconds: 1, e2eSeconds: 20},
})
const speed = end / run.cpuSeconds
console.log(`trace-requests-hour: ${fmt(REQUESTS)} traced requests, 32 replicas, closed loop every 30 s, ${fmt(end)} s`)
console.log(
  `  served            ${fmt(summary.requests.served)} of ${fmt(summary.requests.total)}, attainment ${(summary.requests.sloAttainment * 100).toFixed(2)}%, ${fmt(summary.gpuHours, 1)} GPU-h, ${summary.scalingActions.total} actions`,
)
console.log(
  `  ticks             ${totals.ticks}, planner ${(timing.plannerMs / totals.ticks).toFixed(2)} ms per plan (${(timing.plannerShare * 100).toFixed(0)}% of tick time)`,
)
console.log(`  time              ${fmt(run.cpuSeconds, 2)} s CPU (wall ${fmt(run.wallSeconds, 2)} s)`)
console.log(
  `  speed             ${fmt(speed)}× real time on CPU time, ${fmt(end / run.wallSeconds)}× on wall time (target ≥ 1,000×)`,
)
if (speed < 1000) process.exitCode = 1
