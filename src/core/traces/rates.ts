/**
 * Per-model rate series: requests per second (and tokens per second) in fixed buckets. This is what a long
 * replay and the oracle consume: a 14-day trace at 1-minute buckets is 20,160 numbers per model, whatever the
 * request count. Built from per-request traces (counting) or from rate layouts (integrating their steps).
 */
import type {Prng} from '../mig/prng.js'
import {createPrng} from '../mig/prng.js'
import {
  DEFAULT_TOKEN_DISTRIBUTIONS,
  type LengthDistribution,
  meanLength,
  type RateSample,
  type TokenDistributions,
  type TraceRequest,
} from './types.js'

export interface RateSeries {
  bucketSeconds: number
  /** Time of bucket 0's start on the replay clock. */
  startSeconds: number
  buckets: number
  models: string[]
  /** Per model (same order as `models`), per bucket: mean requests per second over the bucket. */
  rps: Float64Array[]
  /** Per model, per bucket: prompt and generated tokens per second (from the rows, or rate × mean length). */
  inputTokensPerSecond: Float64Array[]
  outputTokensPerSecond: Float64Array[]
}

export interface RateSeriesOptions {
  /** Bucket width in seconds (default 60: the resolution of the reference's oracle sketch, §3). */
  bucketSeconds?: number
  /**
   * Time of bucket 0 (default 0, where the reader puts a trace's first row). `first-bucket`: the bucket holding the
   * first item, for traces kept on their own clock (`timeOrigin: 'source'`, Unix seconds), whose buckets would
   * otherwise start in 1970.
   */
  startSeconds?: number | 'first-bucket'
  /** Token lengths assumed for rate samples, which carry none (default DEFAULT_TOKEN_DISTRIBUTIONS). */
  tokens?: TokenDistributions
  /**
   * A rate step lasts until the next distinct time, but at most this long (default: no limit); after that the
   * model's rate is 0 until the next step. Alibaba's qps.csv samples every ~57 s and writes no row for an idle
   * instant, so a missing sample means no traffic: read it with 60 here.
   */
  maxStepSeconds?: number
}

/** Sums the series into buckets; requests and rate samples must come in time order (the reader's output is). */
export class RateSeriesBuilder {
  readonly bucketSeconds: number
  private startSeconds: number
  private startPending: boolean
  private readonly models: string[] = []
  private readonly index = new Map<string, number>()
  private counts: Float64Array[] = []
  private input: Float64Array[] = []
  private output: Float64Array[] = []
  private capacity = 1024
  private lastBucket = -1
  private readonly meanInput: number
  private readonly meanOutput: number
  private readonly maxStep: number
  private stepTime: number | undefined
  private step = new Map<number, number>()
  private lastStepLength: number | undefined
  /** Requests or samples before `startSeconds` (dropped). */
  beforeStart = 0

  constructor(options: RateSeriesOptions = {}) {
    this.bucketSeconds = options.bucketSeconds ?? 60
    if (!(this.bucketSeconds > 0)) throw new RangeError(`bucketSeconds must be positive, got ${this.bucketSeconds}`)
    this.startPending = options.startSeconds === 'first-bucket'
    this.startSeconds = typeof options.startSeconds === 'number' ? options.startSeconds : 0
    const tokens = options.tokens ?? DEFAULT_TOKEN_DISTRIBUTIONS
    this.meanInput = meanLength(tokens.input)
    this.meanOutput = meanLength(tokens.output)
    this.maxStep = options.maxStepSeconds ?? Infinity
  }

  addRequest(r: TraceRequest): void {
    this.anchor(r.t)
    const b = Math.floor((r.t - this.startSeconds) / this.bucketSeconds)
    if (b < 0) {
      this.beforeStart++
      return
    }
    const m = this.modelIndex(r.model)
    this.ensure(b)
    this.counts[m]![b]! += 1
    this.input[m]![b]! += r.inputTokens
    this.output[m]![b]! += r.outputTokens
  }

  addRate(s: RateSample): void {
    this.anchor(s.t)
    if (this.stepTime !== undefined && s.t > this.stepTime) {
      this.lastStepLength = s.t - this.stepTime
      this.closeStep(this.stepTime, s.t)
    }
    if (this.stepTime === undefined || s.t > this.stepTime) this.stepTime = s.t
    const m = this.modelIndex(s.model)
    // Rows sharing an instant and model add up: qps.csv has one row per container.
    this.step.set(m, (this.step.get(m) ?? 0) + s.rps)
  }

  /** The series; buckets run to the last one with traffic, or to `endSeconds` when given. */
  build(endSeconds?: number): RateSeries {
    if (this.stepTime !== undefined) {
      // The last step has no successor: it lasts as long as the one before it (one bucket if it is the only one).
      this.closeStep(this.stepTime, this.stepTime + (this.lastStepLength ?? this.bucketSeconds))
      this.stepTime = undefined
    }
    const buckets =
      endSeconds === undefined
        ? this.lastBucket + 1
        : Math.max(0, Math.ceil((endSeconds - this.startSeconds) / this.bucketSeconds - 1e-9))
    if (buckets > 0) this.ensure(buckets - 1)
    const per = (arrays: Float64Array[]): Float64Array[] =>
      arrays.map((a) => {
        const out = new Float64Array(buckets)
        for (let i = 0; i < buckets; i++) out[i] = a[i]! / this.bucketSeconds
        return out
      })
    return {
      bucketSeconds: this.bucketSeconds,
      startSeconds: this.startSeconds,
      buckets,
      models: [...this.models],
      rps: per(this.counts),
      inputTokensPerSecond: per(this.input),
      outputTokensPerSecond: per(this.output),
    }
  }

  private anchor(t: number): void {
    if (!this.startPending) return
    this.startPending = false
    this.startSeconds = Math.floor(t / this.bucketSeconds) * this.bucketSeconds
  }

  private closeStep(from: number, next: number): void {
    const to = Math.min(next, from + this.maxStep)
    for (const [m, rps] of this.step) this.integrate(m, rps, from, to)
    this.step = new Map()
  }

  /** Adds a constant rate over [from, to) to the buckets it overlaps, in proportion to the overlap. */
  private integrate(m: number, rps: number, from: number, to: number): void {
    const b = this.bucketSeconds
    let a = Math.max(from, this.startSeconds)
    if (to <= a) {
      if (from < this.startSeconds) this.beforeStart++
      return
    }
    while (a < to) {
      const i = Math.floor((a - this.startSeconds) / b + 1e-12)
      const bucketEnd = this.startSeconds + (i + 1) * b
      const until = Math.min(to, bucketEnd)
      const requests = rps * (until - a)
      if (requests > 0) {
        this.ensure(i)
        this.counts[m]![i]! += requests
        this.input[m]![i]! += requests * this.meanInput
        this.output[m]![i]! += requests * this.meanOutput
      }
      a = until
    }
  }

  private modelIndex(model: string): number {
    let m = this.index.get(model)
    if (m === undefined) {
      m = this.models.length
      this.models.push(model)
      this.index.set(model, m)
      this.counts.push(new Float64Array(this.capacity))
      this.input.push(new Float64Array(this.capacity))
      this.output.push(new Float64Array(this.capacity))
    }
    return m
  }

  private ensure(bucket: number): void {
    // Ten million buckets is 19 years of minutes: a larger index means a clock the series was not anchored to.
    if (bucket >= 1e7)
      throw new RangeError(
        `bucket ${bucket} of ${this.bucketSeconds} s is beyond ten million; times on their own clock need startSeconds: 'first-bucket'`,
      )
    if (bucket > this.lastBucket) this.lastBucket = bucket
    if (bucket < this.capacity) return
    let capacity = this.capacity
    while (bucket >= capacity) capacity *= 2
    const grow = (a: Float64Array): Float64Array => {
      const g = new Float64Array(capacity)
      g.set(a)
      return g
    }
    this.counts = this.counts.map(grow)
    this.input = this.input.map(grow)
    this.output = this.output.map(grow)
    this.capacity = capacity
  }
}

/** The rate series of a list of time-ordered requests. */
export function bucketRequests(requests: Iterable<TraceRequest>, options: RateSeriesOptions = {}): RateSeries {
  const builder = new RateSeriesBuilder(options)
  for (const r of requests) builder.addRequest(r)
  return builder.build()
}

/** Series of several traces (already mapped to models) added up; they must share bucket width and start. */
export function mergeRateSeries(series: RateSeries[]): RateSeries {
  if (series.length === 0) throw new RangeError('no series to merge')
  const [first] = series as [RateSeries]
  for (const s of series) {
    if (s.bucketSeconds !== first.bucketSeconds || s.startSeconds !== first.startSeconds)
      throw new RangeError('series to merge must share bucketSeconds and startSeconds')
  }
  const buckets = Math.max(...series.map((s) => s.buckets))
  const models = [...new Set(series.flatMap((s) => s.models))]
  const zero = (): Float64Array[] => models.map(() => new Float64Array(buckets))
  const out: RateSeries = {
    bucketSeconds: first.bucketSeconds,
    startSeconds: first.startSeconds,
    buckets,
    models,
    rps: zero(),
    inputTokensPerSecond: zero(),
    outputTokensPerSecond: zero(),
  }
  for (const s of series) {
    s.models.forEach((model, i) => {
      const m = models.indexOf(model)
      for (const key of ['rps', 'inputTokensPerSecond', 'outputTokensPerSecond'] as const) {
        const to = out[key][m]!
        const from = s[key][i]!
        for (let b = 0; b < from.length; b++) to[b]! += from[b]!
      }
    })
  }
  return out
}

/** Demand of one model per bucket, in requests/s or tokens/s (prompt + generated tokens × their weights). */
export function demandOf(series: RateSeries, model: string, unit: DemandUnit = {kind: 'requests'}): Float64Array {
  const m = series.models.indexOf(model)
  if (m < 0) throw new RangeError(`model ${model} is not in the series (${series.models.join(', ')})`)
  if (unit.kind === 'requests') return series.rps[m]!
  const [wi, wo] = [unit.inputWeight ?? 1, unit.outputWeight ?? 1]
  const input = series.inputTokensPerSecond[m]!
  const output = series.outputTokensPerSecond[m]!
  return input.map((v, i) => wi * v + wo * output[i]!)
}

/**
 * The unit demand and SLO capacity share. Token capacity weighs prompt and generated tokens separately because a
 * prefill token costs a fraction of a decode step (reference §5: 17 µs per prefill token against ~6 ms per step).
 */
export type DemandUnit = {kind: 'requests'} | {kind: 'tokens'; inputWeight?: number; outputWeight?: number}

/** The largest bucket demand of any model: what `peakReplicas` scales against. */
export function peakDemand(
  series: RateSeries,
  unit: DemandUnit = {kind: 'requests'},
): {model: string | undefined; bucket: number; demand: number} {
  let best = {model: undefined as string | undefined, bucket: -1, demand: 0}
  for (const model of series.models) {
    const d = demandOf(series, model, unit)
    for (let i = 0; i < d.length; i++) if (d[i]! > best.demand) best = {model, bucket: i, demand: d[i]!}
  }
  return best
}

export interface ExpandOptions {
  seed: number
  tokens?: TokenDistributions
}

/**
 * Requests drawn from a rate series (for rate layouts, whose rows are rates): a Poisson process per model at each
 * bucket's rate, token lengths from `tokens`. Lazy and in time order, so a 14-day series expands as it replays.
 */
export function* expandRateSeries(series: RateSeries, options: ExpandOptions): Generator<TraceRequest> {
  const prng = createPrng(options.seed)
  const tokens = options.tokens ?? DEFAULT_TOKEN_DISTRIBUTIONS
  const pending: TraceRequest[] = []
  for (let b = 0; b < series.buckets; b++) {
    const t0 = series.startSeconds + b * series.bucketSeconds
    for (let m = 0; m < series.models.length; m++) {
      const rate = series.rps[m]![b]!
      if (!(rate > 0)) continue
      let t = t0 + exponential(prng, rate)
      while (t < t0 + series.bucketSeconds) {
        pending.push({
          t,
          model: series.models[m]!,
          inputTokens: sampleLength(tokens.input, prng),
          outputTokens: sampleLength(tokens.output, prng),
        })
        t += exponential(prng, rate)
      }
    }
    pending.sort((a, c) => a.t - c.t)
    yield* pending
    pending.length = 0
  }
}

/** An exponential gap with this rate (inverse transform; 1 − u keeps the log finite). */
export function exponential(prng: Prng, rate: number): number {
  return -Math.log(1 - prng.next()) / rate
}

/** One token length from a distribution, as a whole number ≥ 1 (≥ 0 for `fixed`). */
export function sampleLength(d: LengthDistribution, prng: Prng): number {
  switch (d.kind) {
    case 'fixed':
      return Math.round(d.value)
    case 'uniform':
      return Math.round(d.min + prng.next() * (d.max - d.min))
    case 'lognormal': {
      // Box–Muller: one standard normal from two uniforms.
      const z = Math.sqrt(-2 * Math.log(1 - prng.next())) * Math.cos(2 * Math.PI * prng.next())
      const v = Math.round(d.median * Math.exp(d.sigma * z))
      return Math.min(Math.max(v, 1), d.max ?? Number.MAX_SAFE_INTEGER)
    }
  }
}
