/**
 * The twin's fluid request model (`requests: 'fluid'`): requests as a flow instead of one event each, so a 14-day
 * rate series replays in seconds. Per model and per fluid step dt (default 10 s):
 *
 *   arrivals A = ∫ rate dt                       (exact for step, Poisson and bursty rates; midpoint for diurnal)
 *   capacity S = Σ over ready replicas μmax · dt (μmax: a replica's throughput at its largest batch, below)
 *   the backlog is served first (FIFO cohorts), then the step's arrivals; what does not fit joins the backlog.
 *
 * Per replica, continuous batching at a steady per-replica rate λ (the latency model, ./latency-model.ts): with
 * Ī, Ō the mean prompt and output lengths and κ the mean context a running sequence holds (size-biased by how long
 * it stays: Ī + E[O²]/(2Ō)), a step lasts τ = a + b·X + c·B + d·κ·B with B = λ·Ō·τ running sequences and
 * X = λ·Ī·τ prefill tokens, so
 *
 *   τ = a / (1 − λ·(b·Ī + (c + d·κ)·Ō)),   B = λ·Ō·τ,
 *
 * while B stays under the batch limit Bmax = min(max_num_seqs, KV tokens ÷ (Ī + E[O²]/Ō)) (admission reserves a
 * request's whole context, as ./replica.ts does). At Bmax the replica is saturated and serves
 * μmax = 1 / max(Ō·a/Bmax + Ō·(c + d·κ) + b·Ī, e·(Ī + Ō)): the second term is the compute roof of the step rule
 * (a step is at least e·(X + B)), which below μmax never binds in steady state since e·λ·(Ī + Ō) < 1 there.
 *
 * Latency of a request with I prompt and O output tokens served in a step: it waits `wait` in the backlog (the
 * cohort's age when served), then half a step for the step in progress, then ⌈I ÷ chunk⌉ steps of chunked prefill
 * plus its own prefill work b·I (TTFT), then O − 1 decode steps of τ (end to end).
 *
 * What the approximation leaves out, and where it errs (measured against the per-request twin in
 * test/core/twin/fluid.test.ts): the random clustering of Poisson arrivals (short queues when a replica is busy
 * but not saturated, so TTFT tails are optimistic near saturation), requests aborted by a pod deletion (a fluid
 * replica hands its work to the others), and step-level jitter of the router. Token lengths are represented by
 * stratified quantile points of their distributions (denser in the tail, so p99 is not lost), not by samples.
 */
import {Histogram} from './telemetry.js'
import {stepActivity, type ServingProfile} from './latency-model.js'
import {tokensFrom, type ArrivalSpec, type TokenDistribution} from './load.js'
import type {SloTargets} from './summary.js'

export type RequestModel = 'per-request' | 'fluid'

/** Default fluid step: short against a 180 s cold start and a 30 s loop, long against an engine step. */
export const FLUID_STEP_SECONDS = 10

/**
 * Stratum edges (quantiles) the token distributions are represented by: one point per stratum at its middle
 * quantile, weighted by its width. Denser in the upper tail, so the p99 of latency, driven by the longest outputs,
 * comes from points near it; the strata around 0.5, 0.95 and 0.99 are centred on them, so the nearest-rank p50,
 * p95 and p99 of one cohort land on those quantiles rather than on a stratum's edge.
 */
const STRATA = [0, 0.1, 0.25, 0.4, 0.6, 0.75, 0.9, 0.94, 0.96, 0.98, 0.985, 0.995, 0.999, 1] as const

/** A token distribution as weighted quantile points, plus the moments the operating point needs. */
export interface TokenPoints {
  values: number[]
  weights: number[]
  mean: number
  /** E[X²]. */
  meanSquare: number
}

export function tokenPoints(dist: TokenDistribution): TokenPoints {
  const values: number[] = []
  const weights: number[] = []
  for (let i = 0; i + 1 < STRATA.length; i++) {
    const lo = STRATA[i] as number
    const hi = STRATA[i + 1] as number
    values.push(tokenQuantile(dist, (lo + hi) / 2))
    weights.push(hi - lo)
  }
  let mean = 0
  let meanSquare = 0
  values.forEach((v, i) => {
    mean += v * (weights[i] as number)
    meanSquare += v * v * (weights[i] as number)
  })
  return {values, weights, mean, meanSquare}
}

/** The p-quantile of a token distribution, rounded and clamped as sampleTokens (./load.ts) draws them. */
export function tokenQuantile(dist: TokenDistribution, p: number): number {
  return tokensFrom(
    dist,
    () => p,
    () => inverseNormal(p),
  )
}

/** Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9), p in (0, 1). */
export function inverseNormal(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    )
  }
  if (p > 1 - low) return -inverseNormal(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  )
}

/** The request mix a fluid model serves. */
export interface FluidTokens {
  input: TokenPoints
  output: TokenPoints
}

export function fluidTokens(load: {input: TokenDistribution; output: TokenDistribution}): FluidTokens {
  return {input: tokenPoints(load.input), output: tokenPoints(load.output)}
}

/** One replica's steady state at a per-replica request rate. */
export interface OperatingPoint {
  /** Requests per second the replica serves. */
  rate: number
  /** Seconds per engine step (= time per output token). */
  stepSeconds: number
  /** Running sequences. */
  concurrency: number
  /** True when the rate asked for is at or over μmax: the replica runs at its batch limit. */
  saturated: boolean
  /** Share of time the engine runs a step (1 − P(no sequence), sequences in flight taken as Poisson). */
  busyFraction: number
  /** KV tokens held by the running sequences. */
  kvTokens: number
  /** Prefill tokens per step. */
  prefillTokens: number
  /** Prompt tokens per prefill step at most (max_num_batched_tokens less the decode tokens). */
  chunkTokens: number
}

interface ReplicaShape {
  /** Mean context a running sequence holds (size-biased by its decode time). */
  context: number
  /** Largest batch. */
  maxBatch: number
  /** Throughput at the largest batch, requests/s. */
  capacity: number
}

function shapeOf(profile: ServingProfile, tokens: FluidTokens): ReplicaShape {
  const {b, c, d, a} = profile.coefficients
  const I = tokens.input.mean
  const O = Math.max(1, tokens.output.mean)
  const sizeBiasedOutput = tokens.output.meanSquare / O
  const context = I + sizeBiasedOutput / 2
  const maxBatch = Math.max(1, Math.min(profile.maxNumSeqs, profile.kvCapacityTokens / (I + sizeBiasedOutput)))
  // The compute roof (latency-model.ts's step rule) caps it too: each request's I + O tokens take e apiece.
  const capacity = 1 / Math.max((O * a) / maxBatch + O * (c + d * context) + b * I, profile.coefficients.e * (I + O))
  return {context, maxBatch, capacity}
}

/** μmax: requests per second a replica serves at its largest batch (the fluid model's service capacity). */
export function fluidCapacity(profile: ServingProfile, tokens: FluidTokens): number {
  return shapeOf(profile, tokens).capacity
}

/** A replica's steady state at `rate` requests/s (capped at μmax). */
export function operatingPoint(profile: ServingProfile, tokens: FluidTokens, rate: number): OperatingPoint {
  const {a, b, c, d} = profile.coefficients
  const shape = shapeOf(profile, tokens)
  const I = tokens.input.mean
  const O = Math.max(1, tokens.output.mean)
  const e = c + d * shape.context
  let lambda = Math.max(0, rate)
  let saturated = false
  let tau = a / (1 - lambda * (b * I + e * O))
  let batch = lambda * O * tau
  if (lambda >= shape.capacity * (1 - 1e-9) || !(tau > 0) || batch >= shape.maxBatch) {
    saturated = lambda >= shape.capacity * (1 - 1e-9)
    lambda = Math.min(lambda, shape.capacity)
    batch = shape.maxBatch
    // The fitted step or the compute roof e·(X + B), X = λ·I·τ, whichever is longer.
    const roof = profile.coefficients.e
    tau = Math.max((a + e * batch) / (1 - b * I * lambda), (roof * batch) / (1 - roof * I * lambda))
    batch = Math.min(shape.maxBatch, lambda * O * tau)
  }
  const e2e = 1.5 * tau + b * I + (O - 1) * tau
  return {
    rate: lambda,
    stepSeconds: tau,
    concurrency: batch,
    saturated,
    busyFraction: lambda > 0 ? 1 - Math.exp(-lambda * e2e) : 0,
    kvTokens: batch * shape.context,
    prefillTokens: lambda * I * tau,
    chunkTokens: Math.max(1, profile.maxBatchedTokens - Math.round(batch)),
  }
}

/** What the summary needs to turn a served cohort into latencies: see fluidTtft / the header. */
export interface FluidLatencyParams {
  /** Seconds spent in the backlog. */
  wait: number
  stepSeconds: number
  prefillPerToken: number
  chunkTokens: number
}

export function fluidTtft(p: FluidLatencyParams, input: number): number {
  return p.wait + 0.5 * p.stepSeconds + Math.ceil(input / p.chunkTokens) * p.stepSeconds + p.prefillPerToken * input
}

/**
 * The share of a cohort's requests within the SLO, over the token mix's quantile points (TTFT, end to end, and
 * TPOT: the step time, since every request of a cohort decodes one token per step). A request with one output
 * token ends at its first token.
 */
export function fluidAttainment(p: FluidLatencyParams, tokens: FluidTokens, slo: SloTargets): number {
  let within = 0
  const ttftLimit = slo.ttftSeconds ?? Infinity
  const e2eLimit = slo.e2eSeconds ?? Infinity
  const tpotOk = slo.tpotSeconds === undefined || p.stepSeconds <= slo.tpotSeconds
  tokens.input.values.forEach((input, i) => {
    const ttft = fluidTtft(p, input)
    if (ttft > ttftLimit) return
    let share = 0
    tokens.output.values.forEach((output, j) => {
      if ((tpotOk || output <= 1) && ttft + Math.max(0, output - 1) * p.stepSeconds <= e2eLimit)
        share += tokens.output.weights[j] as number
    })
    within += share * (tokens.input.weights[i] as number)
  })
  return within
}

/**
 * Capacity at SLO: the largest rate one replica serves with `target` (default 99%) of requests within the SLO and
 * no backlog (bisection over the fluid operating point). This is the unit the oracle and `--peak-replicas` count in.
 */
export function capacityAtSlo(profile: ServingProfile, tokens: FluidTokens, slo: SloTargets, target = 0.99): number {
  const max = fluidCapacity(profile, tokens)
  const meets = (rate: number): boolean => {
    const op = operatingPoint(profile, tokens, rate)
    const params = {
      wait: 0,
      stepSeconds: op.stepSeconds,
      prefillPerToken: profile.coefficients.b,
      chunkTokens: op.chunkTokens,
    }
    return fluidAttainment(params, tokens, slo) >= target
  }
  if (!meets(0)) return 0
  let lo = 0
  let hi = max * (1 - 1e-6)
  if (meets(hi)) return hi
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2
    if (meets(mid)) lo = mid
    else hi = mid
  }
  return lo
}

/** Integrates an arrival process's rate over [from, to) (absolute seconds), reading step rates with a cursor. */
export class RateIntegrator {
  private cursor = 0

  constructor(
    private readonly spec: ArrivalSpec,
    private readonly start: number,
  ) {
    if (spec.kind === 'closed')
      throw new RangeError('the fluid request model needs open-loop arrivals (a closed loop of clients has no rate)')
  }

  /** Expected arrivals in [from, to); calls must move forward in time. */
  arrivals(from: number, to: number): number {
    const spec = this.spec
    switch (spec.kind) {
      case 'none':
      case 'closed':
        return 0
      case 'poisson':
        return spec.rate * (to - from)
      case 'diurnal': {
        const mid = (from + to) / 2
        const hour = (((mid / 3600) % 24) + 24) % 24
        const rate = spec.meanRate * (1 + spec.amplitude * Math.cos((2 * Math.PI * (hour - spec.peakHour)) / 24))
        return Math.max(0, rate) * (to - from)
      }
      case 'bursty':
        return this.bursty(spec, from, to)
      case 'step':
        return this.steps(spec.steps, from - this.start, to - this.start)
    }
  }

  private bursty(spec: Extract<ArrivalSpec, {kind: 'bursty'}>, from: number, to: number): number {
    // Base rate everywhere plus the extra in each burst window overlapping [from, to).
    let total = spec.rate * (to - from)
    const first = this.start + (spec.firstAtSeconds ?? 0)
    const extra = spec.burstRate - spec.rate
    const k0 = Math.max(0, Math.floor((from - first) / spec.everySeconds))
    for (let k = k0; ; k++) {
      const b0 = first + k * spec.everySeconds
      if (b0 >= to) break
      const overlap = Math.min(to, b0 + spec.burstSeconds) - Math.max(from, b0)
      if (overlap > 0) total += extra * overlap
    }
    return total
  }

  private steps(steps: Array<{atSeconds: number; rate: number}>, from: number, to: number): number {
    // Steps are taken in the order given (the scenario and the rate-series builder give them in time order).
    while (this.cursor + 1 < steps.length && (steps[this.cursor + 1] as {atSeconds: number}).atSeconds <= from)
      this.cursor++
    let total = 0
    let t = from
    let i = this.cursor
    if (steps.length === 0 || (steps[0] as {atSeconds: number}).atSeconds > t) {
      // Before the first step the rate is 0.
      const first = steps[0]?.atSeconds ?? Infinity
      if (first >= to) return 0
      t = first
      i = 0
    }
    while (t < to) {
      const next = i + 1 < steps.length ? (steps[i + 1] as {atSeconds: number}).atSeconds : Infinity
      const until = Math.min(to, next)
      total += (steps[i] as {rate: number}).rate * (until - t)
      t = until
      i++
    }
    return total
  }
}

/** A group of replicas of one model on the same serving profile: they share the load equally. */
export class FluidGroup {
  readonly capacity: number
  /** Current per-replica readings. */
  waiting = 0
  running = 0
  kvUsage = 0
  /** Cumulative per-replica counters since the group began (a replica reads the change since it joined). */
  busy = 0
  sm = 0
  dram = 0
  promptTokens = 0
  generationTokens = 0
  succeeded = 0
  readonly ttft: Histogram
  readonly itl: Histogram
  readonly e2e: Histogram
  /** Replicas in the current step (counted by the model each step). */
  members = 0

  constructor(
    readonly profile: ServingProfile,
    readonly tokens: FluidTokens,
    buckets: {ttft: readonly number[]; itl: readonly number[]; e2e: readonly number[]},
  ) {
    this.capacity = fluidCapacity(profile, tokens)
    this.ttft = new Histogram(buckets.ttft)
    this.itl = new Histogram(buckets.itl)
    this.e2e = new Histogram(buckets.e2e)
  }
}

/** A served cohort as the event log keeps it (see FluidLog): when, how many, and its latency parameters. */
export interface FluidCohort extends FluidLatencyParams {
  t: number
  requests: number
  /** Requests still in the model's backlog after this step. */
  backlog: number
}

/**
 * One model's fluid state: its arrival process, backlog (FIFO cohorts: arrival time and amount) and totals.
 * Conservation holds exactly: arrived = served + backlog.
 */
export class FluidModel {
  readonly tokens: FluidTokens
  private readonly rate: RateIntegrator
  private cohorts: Array<{t: number; amount: number}> = []
  private head = 0
  arrived = 0
  served = 0

  constructor(load: {arrivals: ArrivalSpec; input: TokenDistribution; output: TokenDistribution}, start: number) {
    this.tokens = fluidTokens(load)
    this.rate = new RateIntegrator(load.arrivals, start)
  }

  get backlog(): number {
    let total = 0
    for (let i = this.head; i < this.cohorts.length; i++) total += (this.cohorts[i] as {amount: number}).amount
    return total
  }

  /**
   * Advances [from, to): arrivals join, the ready groups serve the backlog and then the new arrivals, and each
   * group's per-replica telemetry moves on. Returns the served cohorts (one per backlog cohort touched and group,
   * plus the step's own arrivals), or a single empty cohort carrying the backlog when nothing was served.
   */
  step(from: number, to: number, groups: readonly FluidGroup[]): FluidCohort[] {
    const dt = to - from
    const arrivals = dt > 0 ? this.rate.arrivals(from, to) : 0
    this.arrived += arrivals
    let capacity = 0
    for (const g of groups) capacity += g.capacity * g.members
    const room = capacity * dt
    const served: Array<{amount: number; wait: number}> = []
    let used = 0
    // The backlog first, oldest first; a cohort served part-way through the step waits until then.
    while (this.head < this.cohorts.length && room - used > 1e-12) {
      const c = this.cohorts[this.head] as {t: number; amount: number}
      const take = Math.min(c.amount, room - used)
      const at = from + (used + take / 2) / capacity
      served.push({amount: take, wait: Math.max(0, at - c.t)})
      used += take
      c.amount -= take
      if (c.amount <= 1e-12) this.head++
    }
    if (arrivals > 0) {
      const take = Math.min(arrivals, room - used)
      if (take > 0) {
        // Requests arriving behind a backlog wait for what was ahead of them at the step's start.
        served.push({amount: take, wait: used > 0 ? used / capacity / 2 : 0})
        used += take
      }
      const rest = arrivals - Math.max(0, take)
      if (rest > 1e-12) this.cohorts.push({t: from + dt * (1 - rest / arrivals / 2), amount: rest})
    }
    if (this.head > 64 && this.head * 2 > this.cohorts.length) {
      this.cohorts = this.cohorts.slice(this.head)
      this.head = 0
    }
    this.served += used
    const backlog = this.backlog
    const rate = dt > 0 ? used / dt : 0
    const out: FluidCohort[] = []
    for (const g of groups) {
      if (g.members === 0) continue
      // Join-the-shortest-queue routing loads replicas in proportion to their capacity: the group's share.
      const share = (g.capacity * g.members) / capacity
      const op = operatingPoint(g.profile, this.tokens, (rate * share) / g.members)
      const perReplica = (used * share) / g.members
      this.account(g, op, perReplica, dt, backlog * share)
      for (const s of served) {
        const requests = s.amount * share
        if (requests <= 0) continue
        const params = {
          wait: s.wait,
          stepSeconds: op.stepSeconds,
          prefillPerToken: g.profile.coefficients.b,
          chunkTokens: op.chunkTokens,
        }
        out.push({t: to, requests, backlog, ...params})
        this.observe(g, params, requests / g.members)
      }
    }
    if (out.length === 0)
      out.push({t: to, requests: 0, backlog, wait: 0, stepSeconds: 0, prefillPerToken: 0, chunkTokens: 1})
    return out
  }

  private account(g: FluidGroup, op: OperatingPoint, served: number, dt: number, backlog: number): void {
    const activity = stepActivity(g.profile, op.prefillTokens, op.concurrency, op.kvTokens)
    const busy = op.busyFraction * dt
    g.busy += busy
    g.sm += activity.step > 0 ? (busy * activity.sm) / activity.step : 0
    g.dram += activity.step > 0 ? (busy * activity.dram) / activity.step : 0
    g.promptTokens += served * this.tokens.input.mean
    g.generationTokens += served * this.tokens.output.mean
    g.succeeded += served
    g.running = op.concurrency
    g.waiting = g.members > 0 ? backlog / g.members : 0
    g.kvUsage = Math.min(1, op.kvTokens / g.profile.kvCapacityTokens)
  }

  /** Per-replica histogram observations of a cohort, over the token mix's points (weights × requests). */
  private observe(g: FluidGroup, p: FluidLatencyParams, requests: number): void {
    // TTFT over the prompt points; end to end over the output points at the mean TTFT (telemetry only: the summary
    // evaluates the full grid from the log).
    const {input, output} = this.tokens
    let meanTtft = 0
    input.values.forEach((value, i) => {
      const w = input.weights[i] as number
      const ttft = fluidTtft(p, value)
      meanTtft += w * ttft
      g.ttft.observe(ttft, w * requests)
    })
    output.values.forEach((o, j) =>
      g.e2e.observe(meanTtft + Math.max(0, o - 1) * p.stepSeconds, (output.weights[j] as number) * requests),
    )
    g.itl.observe(p.stepSeconds, requests * Math.max(0, output.mean - 1))
  }
}

/**
 * A ready replica in fluid mode: no requests of its own; it reads its group's per-replica counters since it joined,
 * through the same surface a scrape reads from ./replica.ts.
 */
export class FluidReplica {
  version = 0
  draining = false
  readonly ttft: Histogram
  readonly itl: Histogram
  readonly e2e: Histogram
  private readonly base: {busy: number; sm: number; dram: number; prompt: number; generation: number; ok: number}
  private readonly baseHist: {
    ttft: Float64Array
    itl: Float64Array
    e2e: Float64Array
    sums: number[]
    counts: number[]
  }
  private taken = {busy: 0, sm: 0, dram: 0}

  constructor(
    readonly group: FluidGroup,
    readonly owner: unknown,
  ) {
    this.base = {
      busy: group.busy,
      sm: group.sm,
      dram: group.dram,
      prompt: group.promptTokens,
      generation: group.generationTokens,
      ok: group.succeeded,
    }
    this.baseHist = {
      ttft: group.ttft.counts.slice(),
      itl: group.itl.counts.slice(),
      e2e: group.e2e.counts.slice(),
      sums: [group.ttft.sum, group.itl.sum, group.e2e.sum],
      counts: [group.ttft.count, group.itl.count, group.e2e.count],
    }
    this.ttft = new Histogram(group.ttft.bounds)
    this.itl = new Histogram(group.itl.bounds)
    this.e2e = new Histogram(group.e2e.bounds)
  }

  get profile(): ServingProfile {
    return this.group.profile
  }

  get waitingCount(): number {
    return this.group.waiting
  }

  get runningCount(): number {
    return this.group.running
  }

  /** Fluid requests never pin a replica: a terminating one goes at once and its share moves to the others. */
  get outstanding(): number {
    return 0
  }

  get promptTokens(): number {
    return this.group.promptTokens - this.base.prompt
  }

  get generationTokens(): number {
    return this.group.generationTokens - this.base.generation
  }

  get succeeded(): number {
    return this.group.succeeded - this.base.ok
  }

  kvUsageAt(_now: number): number {
    return this.group.kvUsage
  }

  /** Activity since the last call; also brings the histograms up to date (a scrape calls this first). */
  takeActivity(_now: number): {busy: number; sm: number; dram: number} {
    const g = this.group
    const busy = g.busy - this.base.busy
    const sm = g.sm - this.base.sm
    const dram = g.dram - this.base.dram
    const out = {busy: busy - this.taken.busy, sm: sm - this.taken.sm, dram: dram - this.taken.dram}
    this.taken = {busy, sm, dram}
    this.sync(this.ttft, g.ttft, this.baseHist.ttft, 0)
    this.sync(this.itl, g.itl, this.baseHist.itl, 1)
    this.sync(this.e2e, g.e2e, this.baseHist.e2e, 2)
    return out
  }

  abortAll(_now: number): [] {
    this.version++
    return []
  }

  private sync(own: Histogram, group: Histogram, base: Float64Array, k: number): void {
    for (let i = 0; i < own.counts.length; i++) own.counts[i] = (group.counts[i] as number) - (base[i] as number)
    own.sum = group.sum - (this.baseHist.sums[k] as number)
    own.count = group.count - (this.baseHist.counts[k] as number)
  }
}
