/**
 * Capacity at SLO, learned online from the serving replicas' own vLLM telemetry, and the replica count it implies:
 * replicas = ⌈request rate ÷ (capacity per replica at SLO × target share)⌉, the way the field's planners size a
 * fleet (Dynamo's SLA planner: ceil(load ÷ throughput per GPU at SLO); llm-d WVA's token-based analyzer; reference
 * serving-performance-facts.md §1–3). Nothing here reads the twin's latency model: only metrics a real vLLM exports.
 *
 * The model it fits. Continuous batching runs steps of τ = a + w·λτ seconds per replica, where a is the step's fixed
 * cost (weights read once per step) and w the work each request adds per step over its life (its prefill and its
 * decode tokens), λ the replica's request rate: the step law of vLLM's measured step times (BLIS's fit: a + b·X +
 * c·Y, X prefill and Y decode tokens of the step; with X = λ·Ī·τ and Y = λ·Ō·τ both are w·λτ). So per scrape
 * interval and per pod the point (x = λ·τ, y = τ), read from `vllm:request_success_total` and the inter-token
 * latency histogram's `_sum`/`_count`, lies on a line whose intercept is a and slope w, fitted by least squares over
 * the fit window (the load moves minute to minute, which spreads the points).
 *
 * What a replica sustains at SLO is then the lower of:
 * - the batch limit: running sequences B = λ·Ō·τ reach Bmax, the batch that fills the KV cache at today's context
 *   (Σ running ÷ Σ `vllm:kv_cache_usage_perc`): λ = Bmax ÷ (Ō·a + Bmax·w), past which requests queue;
 * - the TPOT limit (`settings.slo.tpot`): τ = a ÷ (1 − λ·w) reaches it at λ = (1 − a ÷ TPOT) ÷ w.
 * Ō (output tokens per request) is `vllm:generation_tokens_total` ÷ `vllm:request_success_total` over the window.
 *
 * When the points cannot carry a line (fewer than MIN_POINTS, too little spread of load, a fit with a negative
 * intercept or slope) there is no capacity: the signal abstains, and the guards (queue, latency, KV cache) decide.
 */
import type {Series} from '../../model/snapshot.js'
import {VLLM} from '../../signals/metric-names.js'
import {seriesForPod, type TelemetryIndex} from '../../signals/telemetry-index.js'
import {computeCounterRateInWindow, firstAtOrAfter, selectWindow} from '../../signals/window.js'

export const ITL_SUM = `${VLLM.interTokenLatency}_sum`
export const ITL_COUNT = `${VLLM.interTokenLatency}_count`

/** The metrics the fit reads, besides the signal's own (`vllm:request_success_total`). */
export const CAPACITY_FIT_METRICS = [VLLM.generationTokens, ITL_SUM, ITL_COUNT, VLLM.running, VLLM.kvCache] as const

/** Fewer points than this (pod × scrape intervals) carry no line. */
export const MIN_POINTS = 6
/**
 * The load must have moved: the step time must span at least this factor over the points (10%), and the line must
 * explain at least MIN_R2 of their variance. On a flat load every line through the cloud fits, and its intercept
 * is noise.
 */
export const MIN_SPREAD = 1.1
export const MIN_R2 = 0.5
/** The request rate (demand) is read over the last minute: two scrapes at vLLM's usual 15–30 s. */
export const DEMAND_WINDOW_SECONDS = 60
/**
 * A backlog is sized to drain within this long once the capacity serves: its requests have waited already, and a
 * minute more keeps their TTFT far from the seconds a cold start would add.
 */
export const BACKLOG_DRAIN_SECONDS = 60

export interface CapacityInput {
  telemetry: TelemetryIndex
  namespace: string
  pods: readonly string[]
  now: number
  /** Seconds of history the line is fitted over. */
  fitWindowSeconds: number
  tpotSeconds?: number
  /**
   * Replicas pending or loading: the queue grows while they start because they do not serve yet, and they are part
   * of the count already, so the growth they will absorb (their capacity) is not asked for again.
   */
  arriving?: number
}

export type CapacityEstimate =
  | {
      status: 'ok'
      /**
       * Requests/s to serve: Σ over serving pods of the completion rate over the last DEMAND_WINDOW_SECONDS, plus the
       * queue's growth (arrivals the replicas did not take: completions alone read a saturated fleet's throughput,
       * not its load), plus the backlog drained within BACKLOG_DRAIN_SECONDS.
       */
      demand: number
      /** Of which the queue's growth and its drain. */
      backlog: number
      /** Requests/s one replica serves at SLO. */
      capacity: number
      limitedBy: 'batch' | 'tpot'
      /** The fitted step law. */
      stepSeconds: number
      workSeconds: number
      outputTokens: number
      maxBatch: number
      points: number
    }
  | {status: 'unfit'; why: string; demand: number | null; points: number}

/**
 * A pod's value of a metric at scrape time t: the sum over its series of the sample stamped exactly t (one binary
 * search each; a scrape stamps every metric of a target alike), NaN when a series has none.
 */
function valueAt(series: readonly Series[], t: number): number {
  let sum = 0
  for (const s of series) {
    const i = firstAtOrAfter(s.samples, t)
    const sample = s.samples[i]
    if (!sample || sample[0] !== t || !Number.isFinite(sample[1])) return NaN
    sum += sample[1]
  }
  return series.length > 0 ? sum : NaN
}

interface Row {
  ok: number
  gen: number
  sum: number
  count: number
}

export interface StepPoint {
  /** λ·τ: requests/s × seconds per step. */
  x: number
  /** τ: seconds per step (mean inter-token latency over the interval). */
  y: number
}

/** The (λτ, τ) points of every pod's scrape intervals in [from, to], and the counters' totals. */
export function collectStepPoints(
  telemetry: TelemetryIndex,
  namespace: string,
  pods: readonly string[],
  from: number,
  to: number,
): {points: StepPoint[]; requests: number; tokens: number; running: number; kv: number} {
  const points: StepPoint[] = []
  let requests = 0
  let tokens = 0
  let running = 0
  let kv = 0
  for (const pod of pods) {
    const ok = seriesForPod(telemetry, VLLM.requestSuccess, namespace, pod)
    const gen = seriesForPod(telemetry, VLLM.generationTokens, namespace, pod)
    const sum = seriesForPod(telemetry, ITL_SUM, namespace, pod)
    const count = seriesForPod(telemetry, ITL_COUNT, namespace, pod)
    const run = seriesForPod(telemetry, VLLM.running, namespace, pod)
    const cache = seriesForPod(telemetry, VLLM.kvCache, namespace, pod)
    // Scrape times: the request counter's (its first series'), within [from, to].
    const times: number[] = []
    const first = ok[0]
    if (first)
      for (let i = firstAtOrAfter(first.samples, from); i < first.samples.length; i++) {
        const t = (first.samples[i] as [number, number])[0]
        if (t > to) break
        times.push(t)
      }
    let prev = times.length > 0 ? row(times[0] as number) : null
    for (let i = 1; i < times.length; i++) {
      const t0 = times[i - 1] as number
      const t1 = times[i] as number
      const next = row(t1)
      const n = next.ok - (prev as Row).ok
      const sumDelta = next.sum - (prev as Row).sum
      const c = next.count - (prev as Row).count
      const g = next.gen - (prev as Row).gen
      prev = next
      // A counter reset (a restart) or a missing scrape: the interval says nothing.
      if (!(n > 0 && c > 0 && sumDelta > 0 && g >= 0)) continue
      const tau = sumDelta / c
      points.push({x: (n / (t1 - t0)) * tau, y: tau})
      requests += n
      tokens += g
    }
    for (const t of times) {
      const r = valueAt(run, t)
      const u = valueAt(cache, t)
      if (Number.isFinite(r) && u > 0) {
        running += r
        kv += u
      }
    }
    function row(t: number): Row {
      return {ok: valueAt(ok, t), gen: valueAt(gen, t), sum: valueAt(sum, t), count: valueAt(count, t)}
    }
  }
  return {points, requests, tokens, running, kv}
}

/** Least squares y = a + w·x; null when the points are too few or too close together. */
export function fitStepLaw(points: readonly StepPoint[]): {a: number; w: number} | {why: string} {
  if (points.length < MIN_POINTS) return {why: `${points.length} intervals with finished requests (need ${MIN_POINTS})`}
  let minY = Infinity
  let maxY = -Infinity
  let sx = 0
  let sy = 0
  for (const p of points) {
    minY = Math.min(minY, p.y)
    maxY = Math.max(maxY, p.y)
    sx += p.x
    sy += p.y
  }
  if (maxY < minY * MIN_SPREAD)
    return {
      why: `the load barely moved (step time from ${round(minY * 1000)} to ${round(maxY * 1000)} ms, need ${Math.round((MIN_SPREAD - 1) * 100)}% apart)`,
    }
  const n = points.length
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (const p of points) {
    sxx += (p.x - mx) * (p.x - mx)
    sxy += (p.x - mx) * (p.y - my)
    syy += (p.y - my) * (p.y - my)
  }
  const w = sxy / sxx
  const a = my - w * mx
  const r2 = (sxy * sxy) / (sxx * syy)
  if (!(r2 >= MIN_R2)) return {why: `step time does not follow the load (R² ${round(r2)} < ${MIN_R2})`}
  if (!(w > 0)) return {why: `step time does not grow with load (slope ${round(w)})`}
  if (!(a > 0)) return {why: `the fitted fixed step cost is not positive (${round(a)} s)`}
  return {a, w}
}

/** The capacity at SLO and the demand, or why there is none. */
export function estimateCapacity(input: CapacityInput): CapacityEstimate {
  const {telemetry, namespace, pods, now} = input
  let demand: number | null = null
  for (const pod of pods) {
    for (const s of seriesForPod(telemetry, VLLM.requestSuccess, namespace, pod)) {
      const rate = computeCounterRateInWindow(s.samples, now - DEMAND_WINDOW_SECONDS, now)
      if (rate !== null) demand = (demand ?? 0) + rate
    }
  }
  // The queue: Σ newest waiting and its growth over the demand window (vllm:num_requests_waiting per pod).
  let waitingNow = 0
  let growth = 0
  for (const pod of pods) {
    for (const s of seriesForPod(telemetry, VLLM.waiting, namespace, pod)) {
      const window = selectWindow(s.samples, now - DEMAND_WINDOW_SECONDS - 1e-9, now)
      const last = window[window.length - 1]
      const first = window[0]
      if (!last || !first) continue
      waitingNow += last[1]
      if (last[0] > first[0]) growth += (last[1] - first[1]) / (last[0] - first[0])
    }
  }
  const fit = collectStepPoints(telemetry, namespace, pods, now - input.fitWindowSeconds, now)
  const points = fit.points.length
  if (demand === null) return {status: 'unfit', why: 'no request rate in the last minute', demand, points}
  const law = fitStepLaw(fit.points)
  if ('why' in law) return {status: 'unfit', why: law.why, demand, points}
  if (fit.kv <= 0 || fit.requests <= 0) return {status: 'unfit', why: 'no KV-cache or token counts', demand, points}
  const outputTokens = Math.max(1, fit.tokens / fit.requests)
  const maxBatch = fit.running / fit.kv
  const {a, w} = law
  const atBatch = maxBatch / (outputTokens * a + maxBatch * w)
  const tpot = input.tpotSeconds
  const atTpot = tpot !== undefined && tpot > a ? (1 - a / tpot) / w : Infinity
  const capacity = Math.min(atBatch, atTpot)
  const backlog = Math.max(0, growth - (input.arriving ?? 0) * capacity) + waitingNow / BACKLOG_DRAIN_SECONDS
  return {
    status: 'ok',
    demand: demand + backlog,
    backlog,
    capacity,
    limitedBy: atTpot < atBatch ? 'tpot' : 'batch',
    stepSeconds: a,
    workSeconds: w,
    outputTokens,
    maxBatch,
    points,
  }
}

function round(n: number): number {
  return Math.round(n * 1e4) / 1e4
}
