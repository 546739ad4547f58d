/**
 * Benchmark: a 14-day rate series for 3 models (synthetic, made here: diurnal and weekly cycles with per-minute
 * noise, 60 s buckets) replayed with the fluid request model (src/core/twin/fluid.ts). Target (issue 12):
 * ≥ 200,000× real time, 1,209,600 s in ≤ 6 s.
 *
 * Three figures:
 *   1. the fluid twin alone (a fixed fleet at each model's peak): the replay path itself;
 *   2. the closed loop, gpu-scale planning every 30 s (40,320 ticks in 14 days), with the fluid twin;
 *   3. the oracle over the same series.
 * The closed loop's ticks run the planner, whose cost per tick is independent of the request model; the bench
 * runs BENCH_14D_LOOP_DAYS days of it (default 0.5; 0 skips it, for profiling the replay) and reports the speed and
 * the planner's share, from which the 14-day figure follows (ticks cost the same each day).
 * The replay/summary split is in CPU time (the machine is shared: wall time mostly measures the neighbours).
 * Run: npm run build && node dist/bench/trace-rate-14d.js
 */
import {createHash} from 'node:crypto'
import {ClosedLoop, type TickRecord} from '../src/core/loop/index.js'
import {createPrng} from '../src/core/mig/prng.js'
import {computeOracle} from '../src/core/oracle/layer-oracle.js'
import {capacityAtSlo, fluidTokens, operatingPoint} from '../src/core/twin/fluid.js'
import {resolveServingProfile} from '../src/core/twin/latency-model.js'
import {AZURE_CONV_TOKENS} from '../src/core/twin/load.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import {Twin, type TwinModelSpec} from '../src/core/twin/twin.js'
import {COLD_START_SECONDS, cpuTime, fmt, stepArrivals, WORLD_START, worldPolicy} from './fixtures/trace-world.js'

const DAYS = 14
const RUN = DAYS * 86_400
const BUCKET = 60
const SLO = {ttftSeconds: 2, e2eSeconds: 60}
const MODELS = [
  {name: 'chat', meanRps: 120, peakHour: 15},
  {name: 'code', meanRps: 60, peakHour: 11},
  {name: 'batch', meanRps: 40, peakHour: 3},
]

// The series: mean × diurnal × weekend dip × per-minute noise (our own generator, seeded).
const prng = createPrng(14)
const buckets = RUN / BUCKET
const rates = MODELS.map((m) => {
  const rps = new Float64Array(buckets)
  for (let i = 0; i < buckets; i++) {
    const t = i * BUCKET
    const hour = (t / 3600) % 24
    const day = Math.floor(t / 86_400) % 7
    const diurnal = 1 + 0.6 * Math.cos((2 * Math.PI * (hour - m.peakHour)) / 24)
    const weekly = day >= 5 ? 0.7 : 1
    rps[i] = Math.max(0, m.meanRps * diurnal * weekly * (1 + 0.1 * (prng.next() * 2 - 1)))
  }
  return rps
})

const profile = resolveServingProfile({}, 'H100-80GB')
const capacity = capacityAtSlo(profile, fluidTokens(AZURE_CONV_TOKENS), SLO)
const peaks = rates.map((r) => Math.ceil(Math.max(...r) / capacity))
const specs = (replicas: number[]): TwinModelSpec[] =>
  MODELS.map((m, i) => ({
    name: m.name,
    replicas: replicas[i],
    load: {arrivals: stepArrivals(rates[i]!, BUCKET), ...AZURE_CONV_TOKENS},
  }))
const totalPeak = peaks.reduce((a, b) => a + b, 0)

// 1. The fluid twin alone, a fixed fleet at each model's peak.
const fixedConfig = worldPolicy(
  'rate-14d-fixed',
  MODELS.map((m, i) => ({name: m.name, replicas: {min: peaks[i]!, max: peaks[i]!}})),
  {maxNodes: totalPeak},
)
const alone = await cpuTime(() => {
  const twin = new Twin({
    config: fixedConfig,
    models: specs(peaks),
    start: WORLD_START,
    seed: 1,
    initialNodes: {h100: totalPeak},
    requests: 'fluid',
  })
  const replay = process.cpuUsage()
  twin.runUntil(WORLD_START + RUN)
  const summary = process.cpuUsage()
  const result = summarizeLog(twin.logEntries(), {start: WORLD_START, end: WORLD_START + RUN, slo: SLO})
  const done = process.cpuUsage()
  const ms = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user + b.system - a.user - a.system) / 1000
  return {...result, split: {replayMs: ms(replay, summary), summaryMs: ms(summary, done)}}
})

// 3. The oracle over the same series (a fixed fleet needs no cold start: this is the bound a policy is held to).
const oracle = await cpuTime(() =>
  rates.map((rps) =>
    computeOracle({
      demand: rps,
      bucketSeconds: BUCKET,
      capacityPerReplica: capacity,
      coldStartSeconds: COLD_START_SECONDS,
    }),
  ),
)

const aloneSpeed = RUN / alone.cpuSeconds
console.log(`trace-rate-14d: 3 models, 14 days of 60 s rate buckets (${fmt(buckets * 3)} steps), fluid requests`)
console.log(
  `  fluid twin alone   ${fmt(alone.cpuSeconds, 2)} s CPU (wall ${fmt(alone.wallSeconds, 2)} s) → ${fmt(aloneSpeed)}× real time (target ≥ 200,000×); ${fmt(alone.value.requests.total)} requests, attainment ${(alone.value.requests.sloAttainment * 100).toFixed(2)}%, ${fmt(alone.value.gpuHours)} GPU-h at peak`,
)
console.log(
  `                     CPU split: replay ${fmt(alone.value.split.replayMs)} ms, summary from the log ${fmt(alone.value.split.summaryMs)} ms`,
)
console.log(
  `  oracle             ${fmt(oracle.cpuSeconds * 1000, 1)} ms CPU for 3 × ${fmt(buckets)} buckets (${((100 * oracle.cpuSeconds) / alone.cpuSeconds).toFixed(1)}% of the replay, target ≤ 10%); ${fmt(oracle.value.reduce((a, o) => a + o.gpuHours, 0))} GPU-h (capacity at SLO ${capacity.toFixed(2)} req/s per replica)`,
)

// 2. The closed loop with the fluid twin, for LOOP_DAYS days (0 skips it).
const LOOP_DAYS = Number(process.env.BENCH_14D_LOOP_DAYS ?? 0.5)
if (LOOP_DAYS > 0) {
  const loopRun = LOOP_DAYS * 86_400
  // The decision-quality bench's default policy: queue depth plus running requests at 70% of SLO capacity, slow
  // scale-down (a queue-only policy oscillates between 1 and max replicas, which only measures the planner at 144
  // pods).
  const runningTarget = Math.round(operatingPoint(profile, fluidTokens(AZURE_CONV_TOKENS), capacity * 0.7).concurrency)
  const loopConfig = worldPolicy(
    'rate-14d-loop',
    MODELS.map((m) => ({
      name: m.name,
      replicas: {min: 1, max: 48},
      signals: [
        {name: 'queue', metric: 'vllm:num_requests_waiting', target: 4},
        {name: 'running', metric: 'vllm:num_requests_running', target: runningTarget},
      ],
      extra: {behavior: {scaleDown: {policies: [{type: 'Percent', value: 10, period: '60s'}]}}},
    })),
    {maxNodes: 160},
  )
  const start = peaks.map((p) => Math.max(1, Math.round(p / 2)))
  const loop = new ClosedLoop({
    twin: {
      config: loopConfig,
      models: specs(start),
      start: WORLD_START,
      seed: 1,
      initialNodes: {h100: start.reduce((a, b) => a + b, 0)},
      requests: 'fluid',
    },
    config: loopConfig,
    // CPU milliseconds, as the rest of the figures: on a shared machine wall time measures the neighbours.
    stopwatch: () => {
      const {user, system} = process.cpuUsage()
      return (user + system) / 1000
    },
  })
  // BENCH_14D_HASH=1: a hash of every tick's plan and apply results, printed after the run, so a speed change can be
  // shown to leave every decision byte-identical (hashing costs time: compare speeds without it).
  const hash = process.env.BENCH_14D_HASH === '1' ? createHash('sha256') : undefined
  const onTick = hash
    ? (tick: TickRecord) => hash.update(JSON.stringify(tick.plan)).update(JSON.stringify(tick.results))
    : undefined
  const looped = await cpuTime(() => loop.runUntil(WORLD_START + loopRun, onTick))
  const totals = loop.totalsSoFar()
  const timing = totals.timing!
  const loopSummary = summarizeLog(loop.twin.logEntries(), {start: WORLD_START, end: WORLD_START + loopRun, slo: SLO})
  const loopSpeed = loopRun / looped.cpuSeconds
  const perTickMs = (looped.cpuSeconds * 1000) / totals.ticks
  console.log(
    `  closed loop        ${LOOP_DAYS} d, ${fmt(totals.ticks)} ticks in ${fmt(looped.cpuSeconds, 1)} s CPU → ${fmt(loopSpeed)}× real time; ${perTickMs.toFixed(2)} ms per tick, planner ${(timing.plannerMs / totals.ticks).toFixed(2)} ms CPU per plan (${(timing.plannerShare * 100).toFixed(0)}% of ticks)`,
  )
  console.log(
    `                     attainment ${(loopSummary.requests.sloAttainment * 100).toFixed(2)}%, ${fmt(loopSummary.gpuHours)} GPU-h, ${loopSummary.scalingActions.total} actions, ${loopSummary.flaps} flaps`,
  )
  console.log(
    `  14 d closed loop   40,320 ticks × ${perTickMs.toFixed(2)} ms ≈ ${fmt((40_320 * perTickMs) / 1000)} s → ≈ ${fmt(RUN / ((40_320 * perTickMs) / 1000))}× (target 200,000× needs ≤ 0.149 ms per tick; the planner alone takes ${(timing.plannerMs / totals.ticks).toFixed(2)} ms)`,
  )
  if (hash) console.log(`  plans hash         ${hash.digest('hex')} (${fmt(totals.ticks)} ticks)`)
} else {
  console.log('  closed loop        skipped (BENCH_14D_LOOP_DAYS=0)')
}
if (aloneSpeed < 200_000 || oracle.cpuSeconds > 0.1 * alone.cpuSeconds) process.exitCode = 1
