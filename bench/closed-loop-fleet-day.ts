/**
 * Benchmark: the closed loop — gpu-scale planning the twin every 30 s and executing each plan through
 * src/core/apply — on a 10-model inference fleet for 24 simulated hours (the fleet of twin-fleet-day.ts, with
 * queue-scaled models, whole-GPU and MIG-sliced replicas). Prints the speed against real time and the planner's
 * share of the loop's time (the rest is the twin: requests, telemetry, snapshots, the executor).
 * Run: npm run build && node dist/bench/closed-loop-fleet-day.js
 */
import {ClosedLoop} from '../src/core/loop/index.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import {FLEET_INITIAL_NODES, FLEET_SPECS, FLEET_START, fleetPolicy} from './fixtures/fleet-day.js'

const START = FLEET_START
const HOURS = Number(process.env.BENCH_LOOP_HOURS ?? 24)
const RUN = HOURS * 3600
const config = fleetPolicy('loop-fleet-day', {loopInterval: '30s'})
const specs = FLEET_SPECS
const loop = new ClosedLoop({
  twin: {config, models: specs, start: START, seed: 11, initialNodes: FLEET_INITIAL_NODES},
  config,
  stopwatch: () => performance.now(),
})
const started = performance.now()
const cpuStarted = process.cpuUsage()
await loop.runUntil(START + RUN)
const wallSeconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuStarted)
const cpuSeconds = (cpu.user + cpu.system) / 1e6
const totals = loop.totalsSoFar()
const summary = summarizeLog(loop.twin.logEntries(), {
  start: START,
  end: START + RUN,
  slo: {ttftSeconds: 2, e2eSeconds: 30},
})
const timing = totals.timing as NonNullable<typeof totals.timing>
// CPU time, as twin-fleet-day: the 2-core machines are shared, so wall time mostly measures the neighbours.
console.log(`closed-loop-fleet-day: 10 models, ${HOURS} h, gpu-scale planning every 30 s in the loop`)
console.log(
  `  loop ticks        ${totals.ticks}; applied ${JSON.stringify(totals.applied)}; blocked changes ${totals.blockedChanges.length}`,
)
console.log(
  `  requests          ${summary.requests.total}, SLO attainment ${(summary.requests.sloAttainment * 100).toFixed(1)}%, GPU-hours ${summary.gpuHours.toFixed(1)}, cost ${summary.cost.toFixed(2)}`,
)
console.log(`  wall time         ${wallSeconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s: the machine is shared)`)
console.log(
  `  speed             ${Math.round(RUN / cpuSeconds).toLocaleString('en-US')}× real time on CPU time, ${Math.round(RUN / wallSeconds).toLocaleString('en-US')}× on wall time`,
)
console.log(
  `  planner share     ${(timing.plannerShare * 100).toFixed(1)}% of the loop's ticks (${(timing.plannerMs / totals.ticks).toFixed(2)} ms per plan); ticks are ${((timing.loopMs / 1000 / wallSeconds) * 100).toFixed(1)}% of the run`,
)
