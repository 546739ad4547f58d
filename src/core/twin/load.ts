/**
 * Where requests come from: open-loop arrival processes (Poisson, bursty, diurnal, step), a closed loop of N
 * clients (how NIM's and vLLM's benchmarks measure latency against concurrency), or an in-memory trace. Each
 * model draws from its own seeded stream, so adding a model to a scenario never changes another model's requests.
 * Time is absolute (epoch seconds); rates are requests per second.
 */
import type {Prng} from '../mig/prng.js'

/** A request size distribution in tokens. `lognormal` with cv 1 is a fair stand-in for chat traces' long tails. */
export interface TokenDistribution {
  mean: number
  distribution?: 'fixed' | 'exponential' | 'lognormal'
  /** Coefficient of variation (lognormal only). */
  cv?: number
  min?: number
  max?: number
}

export interface TraceRequest {
  /** Seconds from the start of the run. */
  t: number
  model: string
  inputTokens: number
  outputTokens: number
}

export type ArrivalSpec =
  | {kind: 'poisson'; rate: number}
  /** `rate` outside bursts, `burstRate` for `burstSeconds` every `everySeconds` (first burst at `firstAtSeconds`). */
  | {
      kind: 'bursty'
      rate: number
      burstRate: number
      everySeconds: number
      burstSeconds: number
      firstAtSeconds?: number
    }
  /** Mean rate × (1 + amplitude·cos(2π(hourOfDay − peakHour)/24)), hour of day in UTC. */
  | {kind: 'diurnal'; meanRate: number; amplitude: number; peakHour: number}
  /** Piecewise constant: each step's rate holds from `atSeconds` (from the start) until the next step. */
  | {kind: 'step'; steps: Array<{atSeconds: number; rate: number}>}
  | {kind: 'closed'; concurrency: number}
  | {kind: 'none'}

export interface ModelLoad {
  arrivals: ArrivalSpec
  input: TokenDistribution
  output: TokenDistribution
}

/** Azure LLM inference 2023 conversation trace means (1,155 in / 211 out), as the reference quotes them. */
export const AZURE_CONV_TOKENS = {
  input: {mean: 1155, distribution: 'lognormal', cv: 1} as TokenDistribution,
  output: {mean: 211, distribution: 'lognormal', cv: 1} as TokenDistribution,
}

export function sampleTokens(dist: TokenDistribution, prng: Prng): number {
  return tokensFrom(
    dist,
    () => prng.next(),
    () => standardNormal(prng),
  )
}

/**
 * A token count of the distribution, from a uniform draw in [0, 1) (taken only by `exponential`) or a standard
 * normal one (only by `lognormal`), rounded and clamped to [min, max]. One rule for the random sample above and
 * the fluid twin's quantiles (tokenQuantile in ./fluid.ts), so both see the same distribution.
 */
export function tokensFrom(dist: TokenDistribution, uniform: () => number, normal: () => number): number {
  let value: number
  switch (dist.distribution ?? 'fixed') {
    case 'fixed':
      value = dist.mean
      break
    case 'exponential':
      value = -Math.log(1 - uniform()) * dist.mean
      break
    case 'lognormal': {
      const cv = dist.cv ?? 1
      const sigma2 = Math.log(1 + cv * cv)
      const mu = Math.log(dist.mean) - sigma2 / 2
      value = Math.exp(mu + Math.sqrt(sigma2) * normal())
      break
    }
  }
  return Math.max(dist.min ?? 1, Math.min(dist.max ?? Infinity, Math.round(value)))
}

export function standardNormal(prng: Prng): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - prng.next()
  const v = prng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** The arrival rate at absolute time t (requests/s), for open-loop processes. */
export function rateAt(spec: ArrivalSpec, t: number, start: number): number {
  switch (spec.kind) {
    case 'poisson':
      return spec.rate
    case 'bursty': {
      const since = t - start - (spec.firstAtSeconds ?? 0)
      if (since < 0) return spec.rate
      return since % spec.everySeconds < spec.burstSeconds ? spec.burstRate : spec.rate
    }
    case 'diurnal': {
      const hour = (((t / 3600) % 24) + 24) % 24
      return Math.max(0, spec.meanRate * (1 + spec.amplitude * Math.cos((2 * Math.PI * (hour - spec.peakHour)) / 24)))
    }
    case 'step': {
      let rate = 0
      for (const step of spec.steps) if (t - start >= step.atSeconds) rate = step.rate
      return rate
    }
    case 'closed':
    case 'none':
      return 0
  }
}

function maxRate(spec: ArrivalSpec): number {
  switch (spec.kind) {
    case 'poisson':
      return spec.rate
    case 'bursty':
      return Math.max(spec.rate, spec.burstRate)
    case 'diurnal':
      return spec.meanRate * (1 + Math.abs(spec.amplitude))
    case 'step':
      return Math.max(0, ...spec.steps.map((s) => s.rate))
    case 'closed':
    case 'none':
      return 0
  }
}

/** Absolute time after which the rate stays 0 for good (a step process ending at rate 0), else Infinity. */
function quietAfter(spec: ArrivalSpec, start: number): number {
  if (spec.kind !== 'step' || spec.steps.length === 0) return Infinity
  const last = spec.steps.reduce((a, b) => (b.atSeconds >= a.atSeconds ? b : a))
  return last.rate > 0 ? Infinity : start + last.atSeconds
}

/**
 * The next open-loop arrival after `t`, or Infinity: exponential gaps at the process's peak rate, each kept with
 * probability rate(t)/peak (Lewis–Shedler thinning: exact for any bounded rate function).
 */
export function nextArrival(spec: ArrivalSpec, t: number, start: number, end: number, prng: Prng): number {
  const peak = maxRate(spec)
  if (!(peak > 0)) return Infinity
  // A step process whose last step is 0 has no arrival after it: without this bound, thinning would draw
  // candidates forever when the caller's end is Infinity (the twin's is).
  const stop = Math.min(end, quietAfter(spec, start))
  let time = t
  for (;;) {
    time += -Math.log(1 - prng.next()) / peak
    if (time >= stop) return Infinity
    const rate = rateAt(spec, time, start)
    if (rate >= peak || prng.next() * peak < rate) return time
  }
}
