/**
 * Synthetic traces of our own, seeded and reproducible (the project ships no data it did not make): Poisson,
 * bursty and diurnal arrivals per model, and writers for every supported layout so examples, tests and benchmarks
 * can exercise each parser on files we generated.
 *
 * Arrivals are a non-homogeneous Poisson process per model, drawn by thinning (Lewis–Shedler): candidates at the
 * peak rate, each kept with probability rate(t) ÷ peak. Randomness comes from src/core/mig/prng.ts, one stream
 * per model for arrivals and one for burst timing, so adding a model does not change the others' traffic.
 */
import {createPrng, type Prng} from '../mig/prng.js'
import {exponential, sampleLength} from './rates.js'
import {DEFAULT_TOKEN_DISTRIBUTIONS, type TokenDistributions, type TraceFormat, type TraceRequest} from './types.js'

export type SyntheticPattern = 'poisson' | 'bursty' | 'diurnal'

export interface SyntheticModel {
  name: string
  /** Long-run mean requests per second. */
  meanRps: number
  tokens?: TokenDistributions
}

export interface SyntheticTraceSpec {
  seed: number
  pattern: SyntheticPattern
  durationSeconds: number
  models: SyntheticModel[]
  /**
   * `bursty`: bursts at `factor` × the base rate (default 4, the swing the Azure code trace shows within minutes,
   * data README §1.1), lasting on average `meanBurstSeconds` (120), every `meanGapSeconds` (600) on average; the
   * base rate is set so the long-run mean stays `meanRps`.
   */
  burst?: {factor?: number; meanBurstSeconds?: number; meanGapSeconds?: number}
  /** `diurnal`: rate = mean × (1 + amplitude × cos(2π (t − peakAt) / period)); defaults 0.6, 14:00, one day. */
  diurnal?: {amplitude?: number; periodSeconds?: number; peakAtSeconds?: number}
  /** Token lengths for every model without its own (default DEFAULT_TOKEN_DISTRIBUTIONS). */
  tokens?: TokenDistributions
}

interface RateFunction {
  /** Rate at t; t must not decrease between calls (bursts advance lazily). */
  at(t: number): number
  peak: number
}

/** The arrival rate of one model of a spec over time. */
export function syntheticRateFunction(spec: SyntheticTraceSpec, modelIndex: number): RateFunction {
  const mean = spec.models[modelIndex]!.meanRps
  switch (spec.pattern) {
    case 'poisson':
      return {at: () => mean, peak: mean}
    case 'diurnal': {
      const amplitude = spec.diurnal?.amplitude ?? 0.6
      if (!(amplitude >= 0 && amplitude <= 1))
        throw new RangeError(`diurnal amplitude must be in [0, 1], got ${amplitude}`)
      const period = spec.diurnal?.periodSeconds ?? 86_400
      const peakAt = spec.diurnal?.peakAtSeconds ?? 14 * 3600
      return {
        at: (t) => mean * (1 + amplitude * Math.cos((2 * Math.PI * (t - peakAt)) / period)),
        peak: mean * (1 + amplitude),
      }
    }
    case 'bursty': {
      const factor = spec.burst?.factor ?? 4
      const burstLength = spec.burst?.meanBurstSeconds ?? 120
      const gapLength = spec.burst?.meanGapSeconds ?? 600
      const share = burstLength / (burstLength + gapLength)
      const base = mean / (1 - share + factor * share)
      const prng = createPrng(streamSeed(spec.seed, modelIndex, 2))
      let inBurst = false
      let phaseEnd = exponential(prng, 1 / gapLength)
      return {
        at(t) {
          while (t >= phaseEnd) {
            inBurst = !inBurst
            phaseEnd += exponential(prng, 1 / (inBurst ? burstLength : gapLength))
          }
          return inBurst ? base * factor : base
        },
        peak: base * factor,
      }
    }
  }
}

/** The requests of a spec, in time order, over [0, durationSeconds). Lazy: a long trace is never held. */
export function* generateSyntheticRequests(spec: SyntheticTraceSpec): Generator<TraceRequest> {
  const streams = spec.models.map((model, i) => {
    if (!(model.meanRps > 0)) throw new RangeError(`model ${model.name}: meanRps must be positive`)
    return {
      model,
      rate: syntheticRateFunction(spec, i),
      prng: createPrng(streamSeed(spec.seed, i, 1)),
      tokens: model.tokens ?? spec.tokens ?? DEFAULT_TOKEN_DISTRIBUTIONS,
      next: 0,
    }
  })
  const advance = (s: (typeof streams)[number], from: number): number => {
    let t = from
    for (;;) {
      t += exponential(s.prng, s.rate.peak)
      if (t >= spec.durationSeconds) return Infinity
      if (s.prng.next() * s.rate.peak < s.rate.at(t)) return t
    }
  }
  for (const s of streams) s.next = advance(s, 0)
  for (;;) {
    let best: (typeof streams)[number] | undefined
    for (const s of streams) if (s.next < (best?.next ?? Infinity)) best = s
    if (!best) return
    yield {
      t: best.next,
      model: best.model.name,
      inputTokens: sampleLength(best.tokens.input, best.prng),
      outputTokens: sampleLength(best.tokens.output, best.prng),
    }
    best.next = advance(best, best.next)
  }
}

function streamSeed(seed: number, model: number, purpose: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 31) + Math.imul(model + 1, 0x85ebca6b) + purpose * 0x27d4eb2f) >>> 0
}

export interface LayoutWriteOptions {
  /** Wall-clock time of t = 0 for layouts with absolute times (azure-llm, alibaba-qps, ISO requests-csv). */
  startEpochSeconds?: number
  /** Bucket width for rate layouts (default 60; alibaba-qps: 57, its sampling period). */
  bucketSeconds?: number
  /** requests-csv: write ISO-8601 times instead of seconds. */
  isoTimestamps?: boolean
  /** alibaba-qps: how many (made-up) containers share the traffic (default 4), and the seed for their ids. */
  containers?: number
  seed?: number
}

/** 2023-11-14T22:13:20Z: an arbitrary fixed origin, so generated files are byte-for-byte reproducible. */
const DEFAULT_EPOCH = 1_700_000_000

/**
 * The lines (header first, no line breaks) of `requests` written in a layout. Layouts without a model column
 * (azure-llm, mooncake-jsonl) carry every request unlabeled: generate one model per file for them.
 */
export function* formatTraceLines(
  format: TraceFormat,
  requests: Iterable<TraceRequest>,
  options: LayoutWriteOptions = {},
): Generator<string> {
  const epoch = options.startEpochSeconds ?? DEFAULT_EPOCH
  switch (format) {
    case 'requests-csv':
      yield 'timestamp,model,input_tokens,output_tokens'
      for (const r of requests)
        yield `${options.isoTimestamps ? isoTime(epoch + r.t) : r.t.toFixed(3)},${r.model},${r.inputTokens},${r.outputTokens}`
      return
    case 'azure-llm':
      yield 'TIMESTAMP,ContextTokens,GeneratedTokens'
      for (const r of requests) yield `${azureTime(epoch + r.t)},${r.inputTokens},${r.outputTokens}`
      return
    case 'mooncake-jsonl': {
      // hash_ids name 512-token prompt blocks; ours share no prefix (each block id is new).
      let block = 0
      for (const r of requests) {
        const ids = Array.from({length: Math.ceil(r.inputTokens / 512)}, () => block++)
        yield `{"timestamp": ${Math.round(r.t * 1000)}, "input_length": ${r.inputTokens}, "output_length": ${r.outputTokens}, "hash_ids": [${ids.join(', ')}]}`
      }
      return
    }
    case 'rate-csv': {
      yield 'time,model,requests_per_second'
      const b = options.bucketSeconds ?? 60
      for (const {start, counts} of bucketCounts(requests, b)) {
        for (const [model, n] of counts) yield `${start},${model},${formatRate(n / b)}`
      }
      return
    }
    case 'alibaba-qps': {
      yield 'timestamp_anon,value,container_ip,request_type'
      const b = options.bucketSeconds ?? 57
      const prng = createPrng(options.seed ?? 0)
      const ids = Array.from({length: options.containers ?? 4}, () => hexId(prng))
      for (const {start, counts} of bucketCounts(requests, b)) {
        for (const [model, n] of counts) {
          // Each request goes to one container; a container with none writes no row, as upstream's does not.
          const per = new Map<string, number>()
          for (let i = 0; i < n; i++) {
            const id = prng.pick(ids)
            per.set(id, (per.get(id) ?? 0) + 1)
          }
          for (const [id, k] of [...per].sort())
            yield `${(epoch + start).toFixed(1)},${formatRate(k / b)},${id},${model}`
        }
      }
      return
    }
  }
}

/** Per bucket from 0 to the last request: requests per model (every model seen so far, zeros included). */
function* bucketCounts(
  requests: Iterable<TraceRequest>,
  b: number,
): Generator<{start: number; counts: Map<string, number>}> {
  let counts = new Map<string, number>()
  let bucket = 0
  for (const r of requests) {
    const i = Math.floor(r.t / b)
    while (i > bucket) {
      yield {start: bucket * b, counts}
      counts = new Map([...counts.keys()].map((m) => [m, 0]))
      bucket++
    }
    counts.set(r.model, (counts.get(r.model) ?? 0) + 1)
  }
  if (counts.size > 0) yield {start: bucket * b, counts}
}

function formatRate(rps: number): string {
  return Number(rps.toFixed(6)).toString()
}

function hexId(prng: Prng): string {
  let s = ''
  for (let i = 0; i < 32; i++) s += '0123456789abcdef'[prng.int(16)]
  return s
}

function isoTime(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString()
}

/** Azure's layout: `2023-11-16 18:17:03.9799600`, UTC, 100 ns resolution. */
function azureTime(seconds: number): string {
  let whole = Math.floor(seconds)
  let ticks = Math.round((seconds - whole) * 1e7)
  if (ticks >= 1e7) [whole, ticks] = [whole + 1, ticks - 1e7]
  const iso = new Date(whole * 1000).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(ticks).padStart(7, '0')}`
}
