/**
 * The oracle: the fewest GPU-hours that meet a known demand at SLO while paying every cold start, the lower
 * bound `simulate` measures policies against (issue 12, item 2).
 *
 * Method (reference serving-performance-facts.md §3, from data-center right-sizing theory: Lin et al.
 * INFOCOM'11, Albers–Quedenfeld arXiv 1807.05112, Lu–Chen arXiv 1112.0442). Replicas are identical, cost GPU
 * time while booting, serving or idle, and a start costs the cold start c (GPU-seconds spent before serving).
 * Demand in bucket i needs r_i = ceil(demand_i / capacity at SLO) ready replicas. The optimum then decomposes into
 * layers k = 1..max r: layer k is needed exactly in the buckets where r_i ≥ k, and is scheduled on its own (the
 * reference's decomposition; for identical replicas with linear running cost and a fixed start cost it is the
 * known offline optimum, and test/core/oracle checks it against generated feasible schedules). Per layer the choice at each gap between
 * two needed runs is ski rental with known future: keep the replica warm through a gap g when g ≤ c (cost g),
 * else stop it and start it again c before it is needed (cost c). Each layer also pays c for its first start,
 * unless it is among `initialReplicas`, which are warm at the start. After its last run a layer stops at once.
 *
 * Capacity is counted at SLO (what one replica serves within its TTFT/TPOT targets), never at a utilization
 * target, or the bound would be padded (§3). Demand is constant within a bucket, so "meets demand at every
 * instant" holds at bucket resolution. Cost O(buckets + layer changes), plus sorting the interval ends.
 */
import {type DemandUnit, demandOf, type RateSeries} from '../traces/rates.js'

export interface OracleInput {
  /** Demand per bucket, in the unit of `capacityPerReplica` per second (requests/s or tokens/s). */
  demand: ArrayLike<number>
  bucketSeconds: number
  /** Time of bucket 0's start (default 0). */
  startSeconds?: number
  /** What one replica serves within the SLO, per second. */
  capacityPerReplica: number
  /** Seconds from start to serving (node, image, weights); paid in full by every start. */
  coldStartSeconds: number
  /** GPUs one replica holds (default 1): GPU-hours = replica-hours × this. */
  gpusPerReplica?: number
  /** Replicas already warm at `startSeconds` (default 0): they pay no first cold start. */
  initialReplicas?: number
}

/** One replica's life: billed from `start` to `stop`, serving from `readyAt` (start + cold start, or start if warm). */
export interface ReplicaInterval {
  start: number
  readyAt: number
  stop: number
}

export interface OracleResult {
  /** Ready replicas each bucket needs: ceil(demand ÷ capacity). */
  required: Uint32Array
  /** Every replica's life, in order of start. */
  intervals: ReplicaInterval[]
  /** Billed replicas (booting, serving or kept warm) as a step function: `replicas` from `t` to the next step. */
  steps: Array<{t: number; replicas: number}>
  peakReplicas: number
  coldStarts: number
  /** GPU-seconds, split as issue 12's regret is: serving needed capacity, kept warm through gaps, cold starts. */
  gpuSeconds: {total: number; serving: number; idleWarm: number; coldStart: number}
  gpuHours: number
}

/** Ready replicas a demand needs at SLO capacity. The epsilon keeps 3.0000000001 replicas (float error) at 3. */
export function replicasNeeded(demand: number, capacityPerReplica: number): number {
  return demand > 0 ? Math.ceil(demand / capacityPerReplica - 1e-9) : 0
}

export function computeOracle(input: OracleInput): OracleResult {
  const {demand, bucketSeconds: b, capacityPerReplica, coldStartSeconds: c} = input
  if (!(b > 0)) throw new RangeError(`bucketSeconds must be positive, got ${b}`)
  if (!(capacityPerReplica > 0)) throw new RangeError(`capacityPerReplica must be positive, got ${capacityPerReplica}`)
  if (!(c >= 0)) throw new RangeError(`coldStartSeconds must be ≥ 0, got ${c}`)
  const start = input.startSeconds ?? 0
  const gpus = input.gpusPerReplica ?? 1
  const n = demand.length
  const required = new Uint32Array(n)
  let peak = 0
  for (let i = 0; i < n; i++) {
    const r = replicasNeeded(demand[i]!, capacityPerReplica)
    required[i] = r
    if (r > peak) peak = r
  }

  // Per layer: the open interval's start and ready time, and since when it has been idle (NaN: serving or never on).
  const openStart = new Float64Array(peak).fill(NaN)
  const openReady = new Float64Array(peak).fill(NaN)
  const idleSince = new Float64Array(peak).fill(NaN)
  const warm = Math.min(input.initialReplicas ?? 0, peak)
  for (let k = 0; k < warm; k++) [openStart[k], openReady[k], idleSince[k]] = [start, start, start]
  const intervals: ReplicaInterval[] = []
  let coldStarts = 0
  let idleWarm = 0
  let servingReplicaSeconds = 0
  let level = 0
  for (let i = 0; i < n; i++) {
    const t = start + i * b
    const r = required[i]!
    for (let k = level; k < r; k++) {
      const idle = idleSince[k]!
      if (!Number.isNaN(idle) && t - idle <= c + 1e-9) {
        idleWarm += t - idle // the gap is no longer than a cold start: keeping it warm is cheaper
      } else {
        if (!Number.isNaN(idle)) intervals.push({start: openStart[k]!, readyAt: openReady[k]!, stop: idle})
        openStart[k] = t - c
        openReady[k] = t
        coldStarts++
      }
      idleSince[k] = NaN
    }
    for (let k = r; k < level; k++) idleSince[k] = t
    level = r
    servingReplicaSeconds += r * b
  }
  const end = start + n * b
  for (let k = 0; k < level; k++) idleSince[k] = end
  for (let k = 0; k < peak; k++) {
    // After its last run a layer stops at once: nothing later needs it.
    if (!Number.isNaN(openStart[k]!) && idleSince[k]! > openStart[k]!)
      intervals.push({start: openStart[k]!, readyAt: openReady[k]!, stop: idleSince[k]!})
  }
  intervals.sort((x, y) => x.start - y.start || x.stop - y.stop)

  const coldStart = coldStarts * c
  const total = servingReplicaSeconds + idleWarm + coldStart
  return {
    required,
    intervals,
    steps: stepsOf(intervals),
    peakReplicas: peak,
    coldStarts,
    gpuSeconds: {
      total: total * gpus,
      serving: servingReplicaSeconds * gpus,
      idleWarm: idleWarm * gpus,
      coldStart: coldStart * gpus,
    },
    gpuHours: (total * gpus) / 3600,
  }
}

/** Billed replicas over time from replica intervals: one step per instant where the count changes. */
export function stepsOf(intervals: readonly ReplicaInterval[]): Array<{t: number; replicas: number}> {
  const events: Array<[number, number]> = []
  for (const iv of intervals) {
    if (iv.stop <= iv.start) continue
    events.push([iv.start, 1], [iv.stop, -1])
  }
  events.sort((x, y) => x[0] - y[0])
  const steps: Array<{t: number; replicas: number}> = []
  let count = 0
  for (let i = 0; i < events.length;) {
    const t = events[i]![0]
    while (i < events.length && events[i]![0] === t) count += events[i++]![1]
    if (steps.length === 0 || steps[steps.length - 1]!.replicas !== count) steps.push({t, replicas: count})
  }
  return steps
}

export interface ModelOracleSpec {
  capacityPerReplica: number
  coldStartSeconds: number
  gpusPerReplica?: number
  initialReplicas?: number
  /** Unit of demand and capacity (default requests/s). */
  unit?: DemandUnit
}

/**
 * The oracle for every model of a rate series. Models are independent here: replicas are per model, and GPU
 * placement on nodes is not part of this bound (a bin-packing bound on nodes would be a separate, looser one).
 */
export function computeFleetOracle(
  series: RateSeries,
  specs: Record<string, ModelOracleSpec>,
): {models: Record<string, OracleResult>; gpuHours: number; coldStarts: number} {
  const models: Record<string, OracleResult> = {}
  let gpuHours = 0
  let coldStarts = 0
  for (const model of series.models) {
    const spec = specs[model]
    if (!spec) throw new RangeError(`no capacity given for model ${model}`)
    const result = computeOracle({
      demand: demandOf(series, model, spec.unit),
      bucketSeconds: series.bucketSeconds,
      startSeconds: series.startSeconds,
      capacityPerReplica: spec.capacityPerReplica,
      coldStartSeconds: spec.coldStartSeconds,
      gpusPerReplica: spec.gpusPerReplica,
      initialReplicas: spec.initialReplicas,
    })
    models[model] = result
    gpuHours += result.gpuHours
    coldStarts += result.coldStarts
  }
  return {models, gpuHours, coldStarts}
}
