/**
 * Benchmark: the closed loop — gpu-scale planning the twin every 30 s and executing each plan through
 * src/core/apply — on a 10-model inference fleet for 24 simulated hours (the fleet of twin-fleet-day.ts, with
 * queue-scaled models, whole-GPU and MIG-sliced replicas). Prints the speed against real time and the planner's
 * share of the loop's time (the rest is the twin: requests, telemetry, snapshots, the executor).
 * Run: npm run build && node dist/bench/closed-loop-fleet-day.js
 */
import {parseConfig} from '../src/core/config/load.js'
import {ClosedLoop} from '../src/core/loop/index.js'
import {parseTimestamp} from '../src/core/model/duration.js'
import {AZURE_CONV_TOKENS} from '../src/core/twin/load.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import type {TwinModelSpec} from '../src/core/twin/twin.js'

const START = parseTimestamp('2026-11-28T00:00:00Z') as number
const HOURS = Number(process.env.BENCH_LOOP_HOURS ?? 24)
const RUN = HOURS * 3600
const toleration = [{key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule'}]
const taints = [{key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule'}]

const models: Array<{
  name: string
  pool: string
  gpu: Record<string, unknown>
  replicas: number
  rate: number
  paramsB: number
}> = [
  {name: 'chat-8b-a', pool: 'h100', gpu: {count: 1}, replicas: 3, rate: 12, paramsB: 8},
  {name: 'chat-8b-b', pool: 'h100', gpu: {count: 1}, replicas: 2, rate: 8, paramsB: 8},
  {name: 'code-8b', pool: 'h100', gpu: {count: 1}, replicas: 2, rate: 6, paramsB: 8},
  {name: 'chat-70b', pool: 'h100x4', gpu: {count: 4}, replicas: 2, rate: 3, paramsB: 70},
  {name: 'rag-8b', pool: 'a100', gpu: {count: 1}, replicas: 2, rate: 4, paramsB: 8},
  {name: 'summarize-8b', pool: 'a100', gpu: {count: 1}, replicas: 2, rate: 3, paramsB: 8},
  {name: 'small-3b-a', pool: 'mig', gpu: {migProfile: '3g.40gb'}, replicas: 2, rate: 2, paramsB: 3},
  {name: 'small-3b-b', pool: 'mig', gpu: {migProfile: '3g.40gb'}, replicas: 2, rate: 2, paramsB: 3},
  {name: 'tiny-1b-a', pool: 'mig', gpu: {migProfile: '2g.20gb'}, replicas: 2, rate: 2, paramsB: 1},
  {name: 'tiny-1b-b', pool: 'mig', gpu: {migProfile: '2g.20gb'}, replicas: 1, rate: 1, paramsB: 1},
]

const raw = {
  apiVersion: 'gpu-scale.dev/v1alpha1',
  kind: 'ScalingPolicy',
  metadata: {name: 'loop-fleet-day'},
  settings: {loopInterval: '30s'},
  nodeGroups: [
    {name: 'h100', gpu: {model: 'H100-80GB', count: 1}, max: 10, taints, labels: {pool: 'h100'}, hourlyCost: 4.02},
    {name: 'h100x4', gpu: {model: 'H100-80GB', count: 4}, max: 4, taints, labels: {pool: 'h100x4'}, hourlyCost: 16.08},
    {name: 'a100', gpu: {model: 'A100-80GB', count: 1}, max: 8, taints, labels: {pool: 'a100'}, hourlyCost: 2.21},
    {
      name: 'mig',
      gpu: {model: 'A100-80GB', count: 2},
      max: 4,
      taints,
      labels: {pool: 'mig'},
      hourlyCost: 4.42,
      migConfigs: ['all-balanced', 'all-3g.40gb'],
    },
  ],
  models: models.map((m) => ({
    name: m.name,
    workload: {kind: 'Deployment', namespace: 'llm', name: m.name},
    replicas: {min: 1, max: 8},
    gpu: m.gpu,
    weights: {sizeGiB: m.paramsB * 1.87, loadGiBps: 2},
    tolerations: toleration,
    nodeSelector: {pool: m.pool},
    signals: [{name: 'queue', metric: 'vllm:num_requests_waiting', target: 4}],
  })),
}
const {config, problems} = parseConfig(JSON.stringify(raw), '<bench>')
if (!config) throw new Error(problems.map((p) => p.message).join('; '))

const specs: TwinModelSpec[] = models.map((m) => ({
  name: m.name,
  replicas: m.replicas,
  serving: {paramsB: m.paramsB},
  load: {arrivals: {kind: 'diurnal', meanRate: m.rate / 4, amplitude: 0.6, peakHour: 15}, ...AZURE_CONV_TOKENS},
}))
const loop = new ClosedLoop({
  twin: {config, models: specs, start: START, seed: 11, initialNodes: {h100: 7, h100x4: 2, a100: 4, mig: 3}},
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
