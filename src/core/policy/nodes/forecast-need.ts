/**
 * What the node layer reads from a demand forecast: the replicas it needs at the horizon, bounded by the replicas the
 * pod layer runs now grown as the forecast grows. Warming (predictive.ts) and scale-down's forecast check
 * (scale-down.ts, condition 8) both ask this.
 *
 * Why bounded. The forecast sizes each signal as ⌈Σ value ÷ target⌉, the pod layer's AverageValue arithmetic
 * without the rest of the pod layer: its windows, its tolerance, its reading of a backlog at the batch a replica
 * runs (QueueAtBatchCapacity), its rate limits. Where the two disagree about the level now, the pod layer has already
 * decided how many replicas the load now needs, and a node layer that warmed for the level bought nodes for replicas
 * the pod layer would not ask for. On the Alibaba GenAI trace (bench/decision-quality.ts) a queue backlog of 452
 * requests read as 91 replicas while 15 replicas drained it: warming went from 15 to 64 nodes in 90 s at a demand of
 * 7.5 replicas. The node layer's own question is what changes within a cold start.
 *
 * Per signal the need is the smaller of two readings of the same projection:
 *   - level: ⌈projected ÷ target⌉, the signal's own sizing (what a rise from an idle level needs: a queue that grows
 *     from 0 has no level to scale, and replicas with slack below target absorb part of a rise);
 *   - proportional: ⌈replicas × projected ÷ now⌉, the pod layer's count grown by the signal's relative rise (a count
 *     the pod layer holds at 0.66 KV use per replica grows like the KV use, not to ΔKV ÷ 0.3 more).
 * Each alone over-reads one case (the level where the pod layer does not follow it, the proportional reading a rise
 * from near zero or replicas with slack); the smaller is right in both, and where the pod layer runs at the signal's
 * target the two agree. The largest need over signals wins, as the largest proposal does in the pod layer.
 */
import type {ModelConfig} from '../../model/config.js'
import type {DemandForecast} from './forecast.js'

export interface ForecastNeed {
  /** Replicas needed at the horizon, never below `replicas`, within the model's max. */
  replicas: number
  /** Replicas the forecast adds to the pod layer's count (0 when flat or falling). */
  growth: number
  /** The signal whose need won, or null when none needs more than `replicas`. */
  decidedBy: string | null
}

/**
 * The forecast's need given `replicas` (the model's replicas after this plan's pod-layer change).
 *
 * `padRising` is scale-down's hysteresis against warming. Warming adds a node when the forecast crosses a whole
 * replica; a rising forecast just under that line crosses it on the next tick or two, so removing the node it would
 * use only to warm one again 30 s later is a flap (issue 12: in the first half day of bench/trace-rate-14d's loop,
 * 6 of the 14 node flaps were a removal warmed back within 90 s; with this and the forecast check, 1). While a
 * signal's forecast rises, scale-down counts its projection with the model's scale-up tolerance on top (the band
 * the pod layer allows above target before it adds a replica, 10% by default); a flat or falling forecast counts as
 * it is, so a steady fleet keeps no spare node.
 */
export function readForecastNeed(
  model: ModelConfig,
  forecast: DemandForecast,
  replicas: number,
  options: {padRising?: boolean} = {},
): ForecastNeed {
  const tolerance = options.padRising ? model.behavior.scaleUp.tolerance : 0
  let needed = replicas
  let decidedBy: string | null = null
  for (const s of forecast.signals) {
    if (!(s.target > 0)) continue
    const projected = s.slopePerMinute > 0 ? s.projected * (1 + tolerance) : s.projected
    const level = Math.ceil(projected / s.target - 1e-9)
    const proportional = s.now > 0 ? Math.ceil((replicas * projected) / s.now - 1e-9) : Infinity
    const own = Math.min(level, proportional)
    if (own > needed) {
      needed = own
      decidedBy = s.signal
    }
  }
  needed = Math.max(replicas, Math.min(model.replicas.max, needed))
  return {replicas: needed, growth: needed - replicas, decidedBy: needed > replicas ? decidedBy : null}
}
