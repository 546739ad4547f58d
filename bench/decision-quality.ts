/**
 * Decision-quality benchmark (issue 12; printed as a table, never a test): gpu-scale's shipped defaults against
 * the built-in baselines and the oracle on public traces, each scaled so its busiest minute needs 32 replicas
 * at SLO capacity, with a 180 s cold start (bench/fixtures/trace-world.ts).
 *
 * Traces (read from /work/shared/data/traces, or GPU_SCALE_TRACES; a missing file is skipped with a message; the
 * data is never copied into the repository): Azure LLM 2023 code and conv, Mooncake FAST'25 conversation, and
 * Alibaba GenAI qps.csv (a rate series; BENCH_DQ_GENAI_HOURS of it around its peak, default 4).
 *
 * How it replays: the trace in 10 s buckets becomes the model's piecewise-constant arrivals, served by the fluid
 * request model (src/core/twin/fluid.ts: fast enough for 5 policies × 4 traces; it is optimistic near
 * saturation, see its header and test/core/twin/fluid.test.ts), token lengths a lognormal with the trace's mean
 * and spread (GenAI carries none: Azure-conv medians). Every policy starts warm at what the first minute needs,
 * and the same trace replays through the closed loop with the policy's config as the controller. SLO: TTFT 2 s
 * and TPOT 100 ms (MLPerf Inference's server limits for Llama-3.1-8B).
 *
 * The goals it reports against: attainment ≥ 99.5% (conv, Mooncake, GenAI) and ≥ 99.0% (code); GPU-hours
 * ≤ 1.15× oracle (≤ 1.6× code); ≥ 30% fewer GPU-hours than hpa-gpu-util at equal or better attainment; no
 * baseline better than the default on both attainment and GPU-hours.
 * Run: npm run build && node dist/bench/decision-quality.js. Options (environment): BENCH_DQ_ONLY=azure-conv (one
 * trace), BENCH_DQ_POLICIES=default,hpa-gpu-util (some rows), BENCH_DQ_TIMELINE=default (each tick's decision on
 * stderr), BENCH_DQ_TUNED=1 (the tuned-running row, see policiesFor).
 */
import {existsSync} from 'node:fs'

import {loadTraceFile} from '../src/adapters/trace-file.js'
import {ClosedLoop, type TickRecord} from '../src/core/loop/index.js'
import type {PolicyConfig} from '../src/core/model/config.js'
import {baselineConfig, type RunBaselineName} from '../src/core/simulate/baselines.js'
import {measuredTokens, twinTokens} from '../src/core/simulate/world.js'
import {computeOracle} from '../src/core/oracle/layer-oracle.js'
import {DEFAULT_TOKEN_DISTRIBUTIONS} from '../src/core/traces/types.js'
import {capacityAtSlo, fluidTokens, operatingPoint} from '../src/core/twin/fluid.js'
import {resolveServingProfile} from '../src/core/twin/latency-model.js'
import type {ArrivalSpec} from '../src/core/twin/load.js'
import {summarizeLog, type SloTargets} from '../src/core/twin/summary.js'
import {COLD_START_SECONDS, cpuTime, fmt, stepArrivals, WORLD_START, worldPolicy} from './fixtures/trace-world.js'

const DATA = process.env.GPU_SCALE_TRACES ?? '/work/shared/data/traces'
const SLO: SloTargets = {ttftSeconds: 2, tpotSeconds: 0.1}
const PEAK_REPLICAS = 32
/** The fixed fleet whose attainment says what is reachable (a note per trace): twice the busiest minute's need. */
const CEILING = 64
const BUCKET = 10
/**
 * A lead-in before the trace at its first minute's rate, so every policy's starting replicas are up (weights
 * loaded) and see the load they were sized for when the measured window begins (an idle lead-in would have every
 * policy scale down to its minimum first).
 */
const LEAD = Number(process.env.BENCH_DQ_LEAD ?? 300)
const MODEL = 'llm'
const GENAI_HOURS = Number(process.env.BENCH_DQ_GENAI_HOURS ?? 4)
/** The tuned row's running-requests target: the batch one replica runs at this share of its SLO capacity. */
const TARGET_SHARE = Number(process.env.BENCH_DQ_TARGET_SHARE ?? 0.7)
/** The tuned row's scale-down rate: at most this percent of the replicas per minute. */
const SCALE_DOWN_PERCENT = Number(process.env.BENCH_DQ_DOWN_PERCENT ?? 10)
const ONLY = process.env.BENCH_DQ_ONLY
/** Run only these policies (comma-separated names), e.g. `default,hpa-gpu-util` for a quick comparison. */
const POLICIES = process.env.BENCH_DQ_POLICIES?.split(',')
/**
 * Print every tick of these policies (comma-separated) to stderr: time, demand in replicas at SLO, replicas and
 * nodes, and the replica decision with each signal's proposal; what one reads to see where a policy was late or
 * wasteful.
 */
const TIMELINE = process.env.BENCH_DQ_TIMELINE
let demandNow: (t: number) => number = () => 0

function printTick(trace: string, policy: string, tick: TickRecord, nodes: number): void {
  const t = tick.at - WORLD_START
  const pod = tick.plan.changes.find((c) => c.layer === 'pod')
  const skipped = tick.plan.skipped.find((s) => s.layer === 'pod')
  const nodeChanges = tick.plan.changes
    .filter((c) => c.layer === 'node')
    .map((c) => `${c.action} ${c.from}→${c.to} [${c.reasons.map((r) => r.code).join(',')}]`)
  const signals =
    pod?.layer === 'pod' && pod.signals
      ? pod.signals.proposals.map((p) => `${p.signal.replace('default-', '')}=${p.value}→${p.replicas}`).join(' ')
      : ''
  const why = (pod?.reasons ?? skipped?.reasons ?? [])
    .map((r) =>
      r.code === 'ScaleDownStabilized' ? `${r.code}(${r.evidence?.['desired']}→${r.evidence?.['stabilized']})` : r.code,
    )
    .join(',')
  console.error(
    `${trace} ${policy} t=${t} need=${demandNow(t).toFixed(1)} ${pod?.layer === 'pod' ? `${pod.from}→${pod.to}` : '='} nodes=${nodes} ${why} ${signals} ${nodeChanges.join(' ')}`,
  )
}

interface TraceCase {
  name: string
  path: string
  attainmentGoal: number
  gpuGoal: number
  /** Hours of a long trace around its peak (default: all of it). */
  hours?: number
}

const TRACES: TraceCase[] = [
  {
    name: 'azure-code',
    path: `${DATA}/azure-llm-2023/AzureLLMInferenceTrace_code.csv`,
    attainmentGoal: 0.99,
    gpuGoal: 1.6,
  },
  {
    name: 'azure-conv',
    path: `${DATA}/azure-llm-2023/AzureLLMInferenceTrace_conv.csv`,
    attainmentGoal: 0.995,
    gpuGoal: 1.15,
  },
  {
    name: 'mooncake-conv',
    path: `${DATA}/mooncake-fast25/conversation_trace.jsonl`,
    attainmentGoal: 0.995,
    gpuGoal: 1.15,
  },
  {
    name: 'genai-qps',
    path: `${DATA}/alibaba-genai-gentd26/qps.csv`,
    attainmentGoal: 0.995,
    gpuGoal: 1.15,
    hours: GENAI_HOURS,
  },
]

const BASELINES = ['hpa-gpu-util', 'keda-queue', 'reactive-nodes', 'static-peak'] as const satisfies RunBaselineName[]

/** Each policy to compare: the world's model with this controller. */
export interface PolicyCase {
  name: string
  config: PolicyConfig
}

/**
 * The SLO as a user writes it in `settings.slo`: the shipped defaults read `ttft` (and `p95Latency`, which an
 * interactive service with outputs from 1 to 2,000 tokens has no single value for, so it stays unset) and `tpot`.
 */
const SETTINGS = {slo: {ttft: `${SLO.ttftSeconds}s`, tpot: `${(SLO.tpotSeconds ?? 0.1) * 1000}ms`}}

/**
 * The policies for one trace: gpu-scale's shipped defaults (`signals: default`, src/core/config/default-signals.ts,
 * with the SLO in settings), then each built-in baseline over the same world (src/core/simulate), then the
 * bench-tuned queue+running policy when BENCH_DQ_TUNED=1: it reads the trace's capacity at SLO off-line (the
 * running-requests target a replica sustains at TARGET_SHARE of it), which no user config knows in advance, so it
 * shows what that knowledge is worth and is not a default.
 */
function policiesFor(world: PolicyConfig, runningTarget: number): PolicyCase[] {
  const maxNodes = world.nodeGroups[0]!.max
  const defaultPolicy = worldPolicy('default', [{name: MODEL, replicas: {min: 1, max: 64}, signals: 'default'}], {
    maxNodes,
    settings: SETTINGS,
  })
  const baselines = BASELINES.map((name) => ({
    name,
    config: baselineConfig(name, defaultPolicy, {peakReplicas: {[MODEL]: PEAK_REPLICAS}}),
  }))
  const tuned = worldPolicy(
    'tuned-running',
    [
      {
        name: MODEL,
        replicas: {min: 1, max: 64},
        signals: [
          {name: 'queue', metric: 'vllm:num_requests_waiting', target: 4},
          {name: 'running', metric: 'vllm:num_requests_running', target: Math.max(1, Math.round(runningTarget))},
        ],
        extra: {
          behavior: {
            scaleDown: {
              stabilizationWindow: '300s',
              policies: [{type: 'Percent', value: SCALE_DOWN_PERCENT, period: '60s'}],
            },
          },
        },
      },
    ],
    {maxNodes, settings: SETTINGS},
  )
  return [
    {name: 'default', config: defaultPolicy},
    ...baselines,
    ...(process.env.BENCH_DQ_TUNED === '1' ? [{name: 'tuned-running', config: tuned}] : []),
  ]
}

/** Pods of the starting replicas serve 60 s after the start (30 s image pull, 30 s weights); traffic starts then. */
const WARM_AT = 90

/** The trace's arrivals from LEAD, after a lead-in at `rate` from WARM_AT. */
function withLeadIn(scaled: Float64Array, rate: number): ArrivalSpec {
  const spec = stepArrivals(scaled, BUCKET, LEAD)
  return spec.kind === 'step' ? {kind: 'step', steps: [{atSeconds: WARM_AT, rate}, ...spec.steps]} : spec
}

interface Row {
  trace: string
  policy: string
  attainment: number
  gpuHours: number
  ratio: number
  flaps: number
  actions: number
  cpuSeconds: number
  /** Mean node-group target size and workload replicas over the measured window, sampled at each tick. */
  nodesAvg: number
  replicasAvg: number
}

const rows: Row[] = []
const notes: string[] = []
const profile = resolveServingProfile({}, 'H100-80GB')

for (const tc of TRACES) {
  if (ONLY !== undefined && tc.name !== ONLY) continue
  if (!existsSync(tc.path)) {
    console.log(`decision-quality: ${tc.name}: skipped, ${tc.path} is missing`)
    continue
  }
  // The rate series and, for a per-request trace, its token-length moments: the requests themselves are not kept.
  const loaded = await loadTraceFile({path: tc.path, model: MODEL, bucketSeconds: BUCKET}, {table: false})
  const m = loaded.series.models.indexOf(MODEL)
  let rps = Float64Array.from(loaded.series.rps[m]!)
  // Token lengths: the trace's own (as `simulate --trace --requests fluid` measures them), else (a rate layout)
  // the Azure-conv default.
  const tokens = measuredTokens(loaded.tokens?.[MODEL], {
    input: twinTokens(DEFAULT_TOKEN_DISTRIBUTIONS.input),
    output: twinTokens(DEFAULT_TOKEN_DISTRIBUTIONS.output),
  })
  // Per-minute demand (what the oracle and the peak scaling read).
  const perMinute = (series: Float64Array): Float64Array => {
    const k = 60 / BUCKET
    const out = new Float64Array(Math.ceil(series.length / k))
    for (let i = 0; i < series.length; i++) out[Math.floor(i / k)]! += series[i]! / k
    return out
  }
  if (tc.hours !== undefined) {
    // A window of `hours` centred on the busiest minute.
    const minutes = perMinute(rps)
    let peakAt = 0
    minutes.forEach((v, i) => (v > minutes[peakAt]! ? (peakAt = i) : undefined))
    const span = Math.round((tc.hours * 3600) / BUCKET)
    const from = Math.max(0, Math.min(rps.length - span, Math.round((peakAt * 60) / BUCKET - span / 2)))
    rps = rps.slice(from, from + span)
  }
  const fluid = fluidTokens(tokens)
  const capacity = capacityAtSlo(profile, fluid, SLO)
  const minutes = perMinute(rps)
  const peak = Math.max(...minutes)
  const scale = (PEAK_REPLICAS * capacity) / peak
  const scaled = rps.map((v) => v * scale)
  const demand = minutes.map((v) => v * scale)
  const duration = rps.length * BUCKET
  const startReplicas = Math.max(1, Math.ceil(demand[0]! / capacity - 1e-9))
  const oracle = computeOracle({
    demand,
    bucketSeconds: 60,
    startSeconds: LEAD,
    capacityPerReplica: capacity,
    coldStartSeconds: COLD_START_SECONDS,
    initialReplicas: startReplicas,
  })
  demandNow = (t) => (demand[Math.floor((t - LEAD) / 60)] ?? demand[0]!) / capacity
  const runningTarget = operatingPoint(profile, fluid, capacity * TARGET_SHARE).concurrency
  const world = worldPolicy('world', [{name: MODEL, replicas: {min: 1, max: 64}}], {maxNodes: 80})
  notes.push(
    `${tc.name}: ${fmt(duration / 3600, 2)} h, rate ×${scale.toFixed(2)}, capacity at SLO ${capacity.toFixed(2)} req/s per replica (tokens in ${fmt(tokens.input.mean)} / out ${fmt(tokens.output.mean)}), oracle ${fmt(oracle.gpuHours, 2)} GPU-h with ${oracle.coldStarts} cold starts; tuned-running targets ${Math.round(runningTarget)} running per replica`,
  )
  rows.push({
    trace: tc.name,
    policy: 'oracle',
    attainment: 1,
    gpuHours: oracle.gpuHours,
    ratio: 1,
    flaps: 0,
    actions: oracle.coldStarts,
    cpuSeconds: 0,
    nodesAvg: NaN,
    replicasAvg: NaN,
  })
  /** The trace replayed through the closed loop with `config` as the controller, from `replicas` warm replicas. */
  const loopFor = (config: PolicyConfig, replicas: number): ClosedLoop =>
    new ClosedLoop({
      twin: {
        config: world,
        models: [{name: MODEL, replicas, load: {arrivals: withLeadIn(scaled, demand[0]!), ...tokens}}],
        start: WORLD_START,
        seed: 1,
        initialNodes: {h100: replicas},
        requests: 'fluid',
      },
      config,
    })
  // What is reachable at all in this world, so the goals read against it: the attainment of a fleet of CEILING
  // replicas (twice the busiest minute's need) warm all along, and the oracle counted over the replay's own 10 s
  // steps (the goals use the reference's 60 s oracle, which averages away bursts shorter than a minute that a 2 s
  // TTFT cannot queue through).
  if (POLICIES === undefined) {
    const fixed = baselineConfig('static-peak', world, {peakReplicas: {[MODEL]: CEILING}})
    const still = loopFor(fixed, CEILING)
    await still.runUntil(WORLD_START + LEAD + duration)
    const ceiling = summarizeLog(still.twin.logEntries(), {
      start: WORLD_START + LEAD,
      end: WORLD_START + LEAD + duration,
      slo: SLO,
    }).requests.sloAttainment
    const fine = computeOracle({
      demand: scaled,
      bucketSeconds: BUCKET,
      startSeconds: LEAD,
      capacityPerReplica: capacity,
      coldStartSeconds: COLD_START_SECONDS,
      initialReplicas: startReplicas,
    })
    notes.push(
      `${tc.name}: reachable: ${CEILING} replicas warm all along reach ${(ceiling * 100).toFixed(2)}% attainment; the oracle over ${BUCKET} s steps needs ${fmt(fine.gpuHours, 2)} GPU-h (${(fine.gpuHours / oracle.gpuHours).toFixed(2)}× the 60 s oracle) and ${fine.peakReplicas} replicas at its peak`,
    )
  }
  for (const policy of policiesFor(world, runningTarget)) {
    if (POLICIES !== undefined && !POLICIES.includes(policy.name)) continue
    const loop = loopFor(policy.config, startReplicas)
    const timeline = TIMELINE !== undefined && TIMELINE.split(',').includes(policy.name)
    // How far nodes sit above replicas: both sampled at each tick of the measured window.
    const sampled = {ticks: 0, nodes: 0, replicas: 0}
    const run = await cpuTime(() =>
      loop.runUntil(WORLD_START + LEAD + duration, (tick) => {
        const nodes = loop.twin.groupTargetSize('h100') ?? 0
        if (tick.at >= WORLD_START + LEAD) {
          sampled.ticks++
          sampled.nodes += nodes
          sampled.replicas += loop.twin.workloadReplicas(MODEL) ?? 0
        }
        if (timeline) printTick(tc.name, policy.name, tick, nodes)
      }),
    )
    const summary = summarizeLog(loop.twin.logEntries(), {
      start: WORLD_START + LEAD,
      end: WORLD_START + LEAD + duration,
      slo: SLO,
    })
    rows.push({
      trace: tc.name,
      policy: policy.name,
      attainment: summary.requests.sloAttainment,
      gpuHours: summary.gpuHours,
      ratio: summary.gpuHours / oracle.gpuHours,
      flaps: summary.flaps,
      actions: summary.scalingActions.total,
      cpuSeconds: run.cpuSeconds,
      nodesAvg: sampled.nodes / Math.max(1, sampled.ticks),
      replicasAvg: sampled.replicas / Math.max(1, sampled.ticks),
    })
  }
}

// The table, then the goals per trace.
const pad = (s: string, n: number): string => s.padEnd(n)
const lpad = (s: string, n: number): string => s.padStart(n)
console.log(
  'decision-quality: default policy vs baselines vs oracle (fluid twin, peak = 32 replicas at SLO, 180 s cold start)',
)
console.log(
  `  default: the shipped defaults (signals: default) with settings.slo ttft ${SETTINGS.slo.ttft}, tpot ${SETTINGS.slo.tpot}`,
)
if (process.env.BENCH_DQ_TUNED === '1')
  console.log(
    `  tuned-running: queue 4 + running requests at ${TARGET_SHARE * 100}% of the trace's SLO capacity per replica (known off-line), scale-down ≤ ${SCALE_DOWN_PERCENT}%/min`,
  )
for (const n of notes) console.log(`  ${n}`)
console.log(
  `  ${pad('trace', 15)}${pad('policy', 16)}${lpad('attainment', 11)}${lpad('GPU-h', 9)}${lpad('÷ oracle', 10)}${lpad('flaps', 7)}${lpad('actions', 9)}${lpad('nodes/replicas', 16)}${lpad('CPU s', 8)}`,
)
for (const r of rows)
  console.log(
    `  ${pad(r.trace, 15)}${pad(r.policy, 16)}${lpad((r.attainment * 100).toFixed(2) + '%', 11)}${lpad(r.gpuHours.toFixed(2), 9)}${lpad(r.ratio.toFixed(2) + '×', 10)}${lpad(String(r.flaps), 7)}${lpad(String(r.actions), 9)}${lpad(Number.isNaN(r.nodesAvg) ? '' : `${r.nodesAvg.toFixed(1)}/${r.replicasAvg.toFixed(1)}`, 16)}${lpad(r.cpuSeconds.toFixed(1), 8)}`,
  )
console.log('  goals:')
for (const tc of TRACES) {
  const of = rows.filter((r) => r.trace === tc.name)
  const d = of.find((r) => r.policy === 'default')
  if (!d) continue
  const checks: string[] = []
  checks.push(
    `attainment ${(d.attainment * 100).toFixed(2)}% ${d.attainment >= tc.attainmentGoal ? '≥' : '<'} ${(tc.attainmentGoal * 100).toFixed(1)}% ${d.attainment >= tc.attainmentGoal ? 'met' : 'NOT met'}`,
  )
  checks.push(
    `GPU-h ${d.ratio.toFixed(2)}× oracle ${d.ratio <= tc.gpuGoal ? '≤' : '>'} ${tc.gpuGoal}× ${d.ratio <= tc.gpuGoal ? 'met' : 'NOT met'}`,
  )
  const hpa = of.find((r) => r.policy === 'hpa-gpu-util')
  if (hpa) {
    const saving = 1 - d.gpuHours / hpa.gpuHours
    const ok = saving >= 0.3 && d.attainment >= hpa.attainment
    checks.push(
      `vs hpa-gpu-util ${(saving * 100).toFixed(0)}% fewer GPU-h at ${d.attainment >= hpa.attainment ? 'equal or better' : 'WORSE'} attainment ${ok ? 'met' : 'NOT met'}`,
    )
  } else checks.push('vs hpa-gpu-util: not run')
  const dominating = of.filter(
    (r) =>
      (BASELINES as readonly string[]).includes(r.policy) && r.attainment >= d.attainment && r.gpuHours <= d.gpuHours,
  )
  checks.push(
    dominating.length === 0
      ? 'no baseline better on both: met'
      : `beaten on both by ${dominating.map((r) => r.policy).join(', ')}: NOT met`,
  )
  console.log(`  ${pad(tc.name, 15)}${checks.join('; ')}`)
}
