/**
 * The world a trace replays in, built from a policy config (`simulate -c FILE --trace FILE` without a scenario):
 * the config's node groups with their cold starts and prices, its models with a serving profile inferred from
 * their weights, and the trace as the only load. Every policy compared in one run replays in this same world;
 * only the controller's config changes (and where each policy starts: at its own minimum replicas, warm).
 *
 * Also here, because the oracle and `--peak-replicas` need it and the twin defines it: what one replica serves
 * within the SLO (`capacityAtSlo`), from the twin's own step-time model (src/core/twin/latency-model.ts).
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import {parseTimestamp} from '../model/duration.js'
import {compareModels} from '../planner/demand.js'
import {replicasPerNode} from '../policy/nodes/scale-up.js'
import {estimateColdStart, estimateWeightLoadSeconds} from '../scheduling/cold-start.js'
import {checkGroupFit} from '../scheduling/eligibility.js'
import {profilesOfGroup} from '../scheduling/mig-configs.js'
import {lengthStats, type TokenMoments} from '../traces/moments.js'
import {meanLength, type LengthDistribution, type TokenDistributions} from '../traces/types.js'
import {resolveServingProfile, type ServingProfile, type ServingSpec} from '../twin/latency-model.js'
import type {ArrivalSpec, TokenDistribution, TraceRequest} from '../twin/load.js'
import type {TwinModelSpec, TwinOptions} from '../twin/twin.js'
import type {SimulationSlo} from './log-replay.js'

/** Where the replay clock starts when no scenario says (any fixed instant: the trace's own clock is relative). */
export const REPLAY_START = parseTimestamp('2026-11-28T00:00:00Z') as number

/**
 * The SLO used when the config sets none: MLPerf Inference's server-scenario limits for Llama-3.1-8B (TTFT 2 s,
 * TPOT 100 ms; mlcommons.org inference datacenter rules, v5.1). Without any target every served request would
 * count as within SLO and attainment could not tell policies apart.
 */
export const DEFAULT_REPLAY_SLO: Required<Pick<SimulationSlo, 'ttftSeconds' | 'tpotSeconds'>> = {
  ttftSeconds: 2,
  tpotSeconds: 0.1,
}

/**
 * Lognormal spread (σ) of every node cold-start part in a trace replay: cloud launches vary (the seed-production
 * scenario uses the same ±10%), and it is what makes `--seeds` meaningful for a per-request trace, whose
 * arrivals are fixed. Its mean is exp(σ²/2) = 1.005 × the configured parts, so the oracle's cold start stays fair.
 */
export const TRACE_COLD_START_SPREAD = 0.1

/**
 * A replay runs this long before the trace's first instant, so every policy's starting replicas have loaded
 * their weights and its signals have a few minutes of the traffic the trace starts with (warm, as a production
 * fleet is when a recorded hour begins): the slowest weight load and image pull, plus three minutes (the default
 * signal window), in whole minutes so chart steps line up with the trace's.
 */
export function leadInSecondsFor(config: PolicyConfig): number {
  const load = Math.max(0, ...config.models.map(estimateWeightLoadSeconds))
  const pull = Math.max(0, ...config.nodeGroups.map((g) => g.coldStart.imagePullSeconds))
  return Math.ceil((load + pull + 180) / 60) * 60
}

/**
 * The per-request SLO a replay measures attainment against: the config's TTFT and TPOT targets, each defaulting
 * to DEFAULT_REPLAY_SLO's when the config sets none (`defaulted` names those, so the command can say so).
 * `slo.p95Latency` is a percentile target for the whole workload, not a per-request one: it is left out (a long
 * answer may take longer than the p95 and still be served well), and the report shows the percentiles.
 */
export function replaySloOf(config: PolicyConfig): {slo: SimulationSlo; defaulted: Array<'ttft' | 'tpot'>} {
  const {ttftSeconds, tpotSeconds} = config.settings.slo
  const defaulted: Array<'ttft' | 'tpot'> = []
  if (ttftSeconds === undefined) defaulted.push('ttft')
  if (tpotSeconds === undefined) defaulted.push('tpot')
  return {
    slo: {
      ttftSeconds: ttftSeconds ?? DEFAULT_REPLAY_SLO.ttftSeconds,
      tpotSeconds: tpotSeconds ?? DEFAULT_REPLAY_SLO.tpotSeconds,
    },
    defaulted,
  }
}

/** The first group, in config order, that can host a replica of the model (none: the model can never run). */
export function homeGroupOf(config: PolicyConfig, model: ModelConfig): NodeGroupConfig | undefined {
  return config.nodeGroups.find(
    (g) => replicasPerNode(model, g) > 0 && checkGroupFit(model, g, profilesOfGroup(g)).eligible,
  )
}

/**
 * The serving spec of a config model (a config names weights, not an architecture): parameters from the weights
 * at 2 bytes each (bf16), and KV bytes per token scaled from Llama-3.1-8B's 128 KiB by √(parameters ÷ 8.03 B) —
 * an inference that gives Llama-3.1-70B 380 KiB against its real 320 KiB, erring towards fewer KV tokens.
 */
export function servingSpecOf(model: ModelConfig): ServingSpec {
  if (!(model.weights.sizeGiB > 0)) return {}
  const paramsB = (model.weights.sizeGiB * 2 ** 30) / 2 / 1e9
  return {
    paramsB,
    weightsGiB: model.weights.sizeGiB,
    kvBytesPerToken: Math.round(131072 * Math.sqrt(paramsB / 8.03)),
  }
}

/** The serving profile of one replica of `model` on `group`'s GPUs (whole GPUs, or its MIG slice). */
export function servingProfileOf(
  model: ModelConfig,
  group: NodeGroupConfig,
  spec: ServingSpec = servingSpecOf(model),
): ServingProfile {
  return resolveServingProfile(
    spec,
    group.gpu.model,
    model.gpu.kind === 'mig'
      ? {migProfile: model.gpu.profile}
      : {gpus: model.gpu.kind === 'whole' ? model.gpu.count : 1},
  )
}

/**
 * Requests per second one replica serves with its requests' time per output token within `tpotSeconds`, at
 * steady state with `inputTokens` / `outputTokens` per request on average. With B sequences running, a step
 * decodes B tokens, prefills the prompts arriving meanwhile (B × input ÷ output tokens per step) and reads their
 * KV (B × (input + output ÷ 2) tokens), so step time is linear in B; B is the largest batch whose mean step stays
 * within SLO_STEP_SHARE of the target, bounded by max_num_seqs and the KV cache; throughput is B ÷ (output
 * tokens × step). A100-80GB with Llama-3.1-8B at 1,682 / 213 tokens: about 6 req/s with the mean step at 50 ms
 * (the reference's 6–9, §5), so about 4 req/s for a 50 ms target.
 *
 * This is capacity *at SLO* (reference §3): what the oracle counts, never a utilization target.
 */
export function capacityAtSlo(
  profile: ServingProfile,
  tokens: {input: number; output: number},
  tpotSeconds: number,
): number {
  const k = profile.coefficients
  const input = Math.max(1, tokens.input)
  const output = Math.max(1, tokens.output)
  const perSequence = (k.b * input) / output + k.c + k.d * (input + output / 2)
  // The compute roof (latency-model.ts's step rule) also bounds the batch: each sequence brings 1 + input ÷ output
  // tokens to every step.
  const target = SLO_STEP_SHARE * tpotSeconds
  const byTarget = Math.min((target - k.a) / perSequence, target / (k.e * (1 + input / output)))
  const byKv = profile.kvCapacityTokens / (input + output)
  // A target below one sequence's step cannot be met at any batch: one sequence at a time is the best there is.
  const batch = Math.max(1, Math.min(byTarget, profile.maxNumSeqs, byKv))
  // stepSeconds(k, batch·input/output, batch, batch·(input + output/2)), written out so the fitted part keeps its
  // arithmetic (bit-identical figures wherever the roof does not bind).
  const step = Math.max(k.a + perSequence * batch, k.e * (1 + input / output) * batch)
  return batch / (output * step)
}

/**
 * The share of the TPOT target a replica's mean step may take. A request's TPOT is the mean of the steps it
 * decodes in, and steps vary with the prompts prefilled beside them and with arrivals bunching up, so a fleet
 * sized at mean step = target misses it often. Measured on the twin (20 minutes of the Azure conversation trace,
 * a fleet fixed at what the peak needs by this capacity): 0.8 → 96.5% of requests within TTFT and TPOT,
 * 0.65 → 98.6%, 0.6 → 99.2%. Capacity at SLO means nearly every request meets it, so 0.6.
 */
export const SLO_STEP_SHARE = 0.6

/** A trace's token-length distribution in the twin's terms (mean and coefficient of variation). */
export function twinTokens(d: LengthDistribution): TokenDistribution {
  switch (d.kind) {
    case 'fixed':
      return {mean: d.value, distribution: 'fixed'}
    case 'uniform': {
      const mean = (d.min + d.max) / 2
      return {mean, distribution: 'lognormal', cv: (d.max - d.min) / Math.sqrt(12) / mean, min: d.min, max: d.max}
    }
    case 'lognormal':
      return {
        mean: meanLength(d),
        distribution: 'lognormal',
        cv: Math.sqrt(Math.exp(d.sigma * d.sigma) - 1),
        ...(d.max !== undefined ? {max: d.max} : {}),
      }
  }
}

/**
 * How a replay simulates requests (`simulate --trace --requests`): `sampled`, one by one (a per-request trace's own
 * requests, a rate trace's drawn as a seeded Poisson process), or `fluid`, as a flow per model and fluid step
 * (src/core/twin/fluid.ts; a per-request trace is replayed as its rate series).
 */
export type ReplayRequestModel = 'sampled' | 'fluid'

/**
 * A per-request trace's token lengths in the twin's terms, for the fluid model: lognormal with the trace's own mean
 * and coefficient of variation per model (the fluid model needs a distribution, not the rows). A model with no
 * requests gets `fallback`.
 */
export function measuredTokens(
  moments: TokenMoments | undefined,
  fallback: {input: TokenDistribution; output: TokenDistribution},
): {input: TokenDistribution; output: TokenDistribution} {
  if (!moments || !(moments.requests > 0)) return fallback
  const of = (m: TokenMoments['input']): TokenDistribution => {
    const {mean, cv} = lengthStats(m, moments.requests)
    return mean > 0 ? {mean, distribution: 'lognormal', cv, min: 1} : {mean: 1, distribution: 'fixed'}
  }
  return {input: of(moments.input), output: of(moments.output)}
}

/**
 * Nodes each group starts with so that every model's starting replicas have a home: per model (in the planner's
 * priority order), nodes of its home group for its replicas, rounded up per model. Within each group's max.
 */
export function initialNodesFor(world: PolicyConfig, replicas: Record<string, number>): Record<string, number> {
  const nodes: Record<string, number> = {}
  for (const g of world.nodeGroups) nodes[g.name] = g.min
  const used: Record<string, number> = {}
  for (const model of [...world.models].sort(compareModels)) {
    const group = homeGroupOf(world, model)
    const count = replicas[model.name] ?? model.replicas.min
    if (!group || count <= 0) continue
    used[group.name] = (used[group.name] ?? 0) + Math.ceil(count / replicasPerNode(model, group))
  }
  for (const g of world.nodeGroups) nodes[g.name] = Math.min(g.max, Math.max(g.min, used[g.name] ?? 0))
  return nodes
}

/** The lead-in's load of one model: the rate the trace starts with, and its requests' mean token lengths. */
export interface WarmUp {
  rps: number
  tokens: {input: number; output: number}
}

export interface ReplayWorldInput {
  /** The world: groups, models, serving. */
  world: PolicyConfig
  /** Replicas each model starts with (the policy's minimum); the nodes they need start ready. */
  replicas: Record<string, number>
  start: number
  seed: number
  /** Seconds before the trace's first instant (see leadInSecondsFor). */
  leadInSeconds: number
  /** Per-request traces: every request, `t` seconds from the trace's start. */
  requests?: readonly TraceRequest[]
  /**
   * Rate traces, and per-request traces replayed as their rates (fluid): per model, requests per second in buckets
   * from the trace's start; token lengths from `tokens`, or per model from `tokensByModel` (a per-request trace's
   * measured lengths, see measuredTokens).
   */
  rates?: {
    bucketSeconds: number
    rps: Record<string, ArrayLike<number>>
    tokens: TokenDistributions
    tokensByModel?: Record<string, {input: TokenDistribution; output: TokenDistribution}>
  }
  /** How the twin simulates requests: one by one (`sampled`, the default) or as a flow (`fluid`: rates only). */
  requestModel?: ReplayRequestModel
  /** Load during the lead-in, per model: the trace's first-minute rate and its mean token lengths. */
  warmUp?: Record<string, WarmUp>
  /** Serving specs by model (a scenario's); others come from servingSpecOf. */
  serving?: Record<string, ServingSpec>
  coldStartSigma?: number
}

/** Twin options for one policy's replay (the caller adds the scheduling seam via the closed loop). */
export function buildReplayWorld(input: ReplayWorldInput): TwinOptions {
  const {world, leadInSeconds: lead} = input
  const models: TwinModelSpec[] = world.models.map((model) => {
    const warmUp = input.warmUp?.[model.name]
    return {
      name: model.name,
      replicas: input.replicas[model.name] ?? model.replicas.min,
      serving: input.serving?.[model.name] ?? servingSpecOf(model),
      load: replayLoad(model.name, lead, input.rates, warmUp),
    }
  })
  return {
    config: world,
    models,
    start: input.start,
    seed: input.seed,
    initialNodes: initialNodesFor(world, input.replicas),
    trace: (input.requests ?? []).map((r) => ({...r, t: r.t + lead})),
    coldStartSigma: input.coldStartSigma ?? TRACE_COLD_START_SPREAD,
    scrapeIntervalSeconds: 30,
    telemetryRetentionSeconds: 3 * 3600,
    ...(input.requestModel === 'fluid' ? {requests: 'fluid' as const} : {}),
  }
}

/**
 * One model's generated load in a replay: during the lead-in, Poisson arrivals at the trace's first-minute rate
 * (`warmUp`) so the controller's signals describe the traffic the trace starts with; then, for a rate trace, its
 * rates. A per-request trace's own requests come through the twin's trace, not from here.
 */
export function replayLoad(
  model: string,
  lead: number,
  rates: ReplayWorldInput['rates'],
  warmUp: WarmUp | undefined,
): TwinModelSpec['load'] {
  const rps = rates?.rps[model]
  const steps: Array<{atSeconds: number; rate: number}> = []
  if (warmUp && warmUp.rps > 0) steps.push({atSeconds: 0, rate: warmUp.rps})
  if (rps) {
    const trace = stepArrivals(rps, rates!.bucketSeconds, lead)
    if (trace.kind === 'step') steps.push(...trace.steps)
  } else if (steps.length > 0) steps.push({atSeconds: lead, rate: 0})
  const measured = rates?.tokensByModel?.[model]
  const tokens = measured
    ? {input: measured.input, output: measured.output}
    : rates
      ? {input: twinTokens(rates.tokens.input), output: twinTokens(rates.tokens.output)}
      : {
          input: {mean: warmUp?.tokens.input ?? 1, distribution: 'lognormal' as const, cv: 1},
          output: {mean: warmUp?.tokens.output ?? 1, distribution: 'lognormal' as const, cv: 1},
        }
  return {arrivals: steps.length > 0 ? {kind: 'step', steps} : {kind: 'none'}, ...tokens}
}

/** A rate series as the twin's piecewise-constant arrivals, runs of equal rate merged; 0 after the last bucket. */
export function stepArrivals(rps: ArrayLike<number>, bucketSeconds: number, offsetSeconds: number): ArrivalSpec {
  const steps: Array<{atSeconds: number; rate: number}> = []
  for (let i = 0; i < rps.length; i++) {
    const rate = rps[i] as number
    if (steps.length === 0 || (steps[steps.length - 1] as {rate: number}).rate !== rate)
      steps.push({atSeconds: offsetSeconds + i * bucketSeconds, rate})
  }
  steps.push({atSeconds: offsetSeconds + rps.length * bucketSeconds, rate: 0})
  return {kind: 'step', steps}
}

/** Seconds from asking for a node until a replica of `model` on it serves (what the oracle pays per start). */
export function replicaColdStartSeconds(model: ModelConfig, group: NodeGroupConfig): number {
  return estimateColdStart(group, model).totalSeconds
}
