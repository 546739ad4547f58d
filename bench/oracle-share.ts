/**
 * Benchmark: the oracle's share of a replay (issue 12: ≤ 10%). The oracle (src/core/oracle/layer-oracle.ts) reads
 * the trace's rate series, not the replay, so its cost is bucketing the trace plus the layer decomposition; set
 * beside the replay of the same trace:
 *   1. a 1-hour per-request trace of 20,000 requests (synthetic), bucketed per minute; replayed by the twin with
 *      every request simulated (the cheapest replay: no planner);
 *   2. a 2-day, 3-model rate series at 60 s buckets (synthetic); replayed by the fluid twin.
 * Both shares are against the twin alone, so they are upper bounds for a closed-loop replay, which adds the
 * planner's ticks.
 * Run: npm run build && node dist/bench/oracle-share.js
 */
import {createPrng} from '../src/core/mig/prng.js'
import {computeFleetOracle} from '../src/core/oracle/layer-oracle.js'
import {bucketRequests} from '../src/core/traces/rates.js'
import type {TraceRequest as TraceFileRequest} from '../src/core/traces/types.js'
import {capacityAtSlo, fluidTokens} from '../src/core/twin/fluid.js'
import {resolveServingProfile} from '../src/core/twin/latency-model.js'
import {AZURE_CONV_TOKENS, sampleTokens} from '../src/core/twin/load.js'
import {summarizeLog} from '../src/core/twin/summary.js'
import {Twin} from '../src/core/twin/twin.js'
import {COLD_START_SECONDS, cpuTime, fmt, stepArrivals, WORLD_START, worldPolicy} from './fixtures/trace-world.js'

const SLO = {ttftSeconds: 2, e2eSeconds: 60}
const capacity = capacityAtSlo(resolveServingProfile({}, 'H100-80GB'), fluidTokens(AZURE_CONV_TOKENS), SLO)
const spec = {capacityPerReplica: capacity, coldStartSeconds: COLD_START_SECONDS}
let failed = false

// 1. One hour, 20,000 requests, one model on 8 replicas.
{
  const prng = createPrng(31)
  const trace: TraceFileRequest[] = []
  let t = 60
  while (trace.length < 20_000) {
    t += -Math.log(1 - prng.next()) * (3480 / 20_000)
    trace.push({
      t,
      model: 'chat',
      inputTokens: sampleTokens(AZURE_CONV_TOKENS.input, prng),
      outputTokens: sampleTokens(AZURE_CONV_TOKENS.output, prng),
    })
  }
  const config = worldPolicy('oracle-share-hour', [{name: 'chat', replicas: {min: 8, max: 8}}], {maxNodes: 8})
  const replay = await cpuTime(() => {
    const twin = new Twin({
      config,
      start: WORLD_START,
      seed: 2,
      initialNodes: {h100: 8},
      trace,
      models: [{name: 'chat', replicas: 8, load: {arrivals: {kind: 'none'}, ...AZURE_CONV_TOKENS}}],
    })
    twin.runUntil(WORLD_START + 3600)
    return summarizeLog(twin.logEntries(), {start: WORLD_START, end: WORLD_START + 3600, slo: SLO})
  })
  const oracle = await cpuTime(() => {
    const series = bucketRequests(trace, {bucketSeconds: 60})
    return computeFleetOracle(series, {chat: spec})
  })
  const share = oracle.cpuSeconds / (replay.cpuSeconds + oracle.cpuSeconds)
  console.log(
    `oracle-share, 1 h per-request trace (20,000 requests): oracle ${fmt(oracle.cpuSeconds * 1000, 1)} ms CPU (bucketing included), replay ${fmt(replay.cpuSeconds * 1000)} ms CPU → ${(share * 100).toFixed(2)}% (target ≤ 10%); oracle ${fmt(oracle.value.gpuHours, 2)} GPU-h`,
  )
  if (share > 0.1) failed = true
}

// 2. Two days of a 3-model rate series through the fluid twin.
{
  const prng = createPrng(32)
  const bucket = 60
  const buckets = (2 * 86_400) / bucket
  const models = ['chat', 'code', 'batch']
  const rates = models.map((_, m) => {
    const rps = new Float64Array(buckets)
    for (let i = 0; i < buckets; i++) {
      const hour = ((i * bucket) / 3600) % 24
      rps[i] =
        (40 + 20 * m) * (1 + 0.6 * Math.cos((2 * Math.PI * (hour - 15 + 4 * m)) / 24)) * (0.9 + 0.2 * prng.next())
    }
    return rps
  })
  const peaks = rates.map((r) => Math.ceil(Math.max(...r) / capacity))
  const total = peaks.reduce((a, b) => a + b, 0)
  const config = worldPolicy(
    'oracle-share-2d',
    models.map((name, i) => ({name, replicas: {min: peaks[i]!, max: peaks[i]!}})),
    {maxNodes: total},
  )
  const replay = await cpuTime(() => {
    const twin = new Twin({
      config,
      start: WORLD_START,
      seed: 2,
      initialNodes: {h100: total},
      requests: 'fluid',
      models: models.map((name, i) => ({
        name,
        replicas: peaks[i],
        load: {arrivals: stepArrivals(rates[i]!, bucket), ...AZURE_CONV_TOKENS},
      })),
    })
    twin.runUntil(WORLD_START + buckets * bucket)
    return summarizeLog(twin.logEntries(), {start: WORLD_START, end: WORLD_START + buckets * bucket, slo: SLO})
  })
  const oracle = await cpuTime(() => {
    const series = {
      bucketSeconds: bucket,
      startSeconds: 0,
      buckets,
      models,
      rps: rates,
      inputTokensPerSecond: rates.map((r) => r.map((v) => v * AZURE_CONV_TOKENS.input.mean)),
      outputTokensPerSecond: rates.map((r) => r.map((v) => v * AZURE_CONV_TOKENS.output.mean)),
    }
    return computeFleetOracle(series, Object.fromEntries(models.map((m) => [m, spec])))
  })
  const share = oracle.cpuSeconds / (replay.cpuSeconds + oracle.cpuSeconds)
  console.log(
    `oracle-share, 2-day rate series (3 models, 60 s buckets): oracle ${fmt(oracle.cpuSeconds * 1000, 1)} ms CPU, fluid replay ${fmt(replay.cpuSeconds * 1000)} ms CPU → ${(share * 100).toFixed(2)}% (target ≤ 10%); oracle ${fmt(oracle.value.gpuHours)} GPU-h`,
  )
  if (share > 0.1) failed = true
}
if (failed) process.exitCode = 1
