/**
 * One pass over a twin's event log (src/core/twin/events.ts) that yields what the simulate report needs beyond
 * the twin's own summary: time series sampled at a fixed step for the charts, SLO attainment on TTFT and mean
 * time per output token, GPU-seconds split the way the oracle splits them, cost by capacity type, and stranded
 * pods. It reads the log only (never the Twin object), so a report can be rebuilt from an `--events` file.
 *
 * Sampling: state series (replicas, nodes, GPUs by profile) are read at each step's start, after every event at
 * that instant; rate and latency series are per step, requests bucketed by *arrival* so a late answer is charged
 * to the moment its load came, which is where a chart reader looks for the cause.
 */
import type {CapacityType, PolicyConfig} from '../model/config.js'
import {findGpuModel} from '../mig/catalog.js'
import type {FluidRecord, FluidTokensRecord, LogEntry} from '../twin/events.js'
import {FLUID_STEP_SECONDS, fluidTtft} from '../twin/fluid.js'
import {layoutForMigConfig} from '../twin/mig-manager.js'
import {LatencySamples, PercentileBudget, percentilesOf} from '../twin/quantile-sketch.js'

/** SLO targets of one model; each one absent is not checked. */
export interface SimulationSlo {
  ttftSeconds?: number
  /** Mean time per output token after the first: (e2e − TTFT) ÷ (output tokens − 1), as vLLM's TPOT. */
  tpotSeconds?: number
  e2eSeconds?: number
}

/** What the log does not say about the fleet: GPUs per node and their price class, GPU share per replica. */
export interface FleetShape {
  groups: Record<string, {gpuModel: string; gpus: number; capacityType: CapacityType}>
  /** GPUs one replica of a model holds on a node of this GPU model (a MIG slice holds its compute share). */
  gpusPerReplica: (model: string, gpuModel: string) => number
}

/**
 * A pod pending this long was not served by any scale-up: node cold starts in the configs we model are 3–5
 * minutes, and cluster-autoscaler itself gives a node 15 minutes (max-node-provision-time) before it gives up.
 */
export const STRANDED_AFTER_SECONDS = 600

export interface RunSeries {
  start: number
  stepSeconds: number
  /** Start of each step (epoch seconds). */
  times: number[]
  /** Arrivals per second per model. */
  load: Record<string, number[]>
  /** Ready replicas per model at each step's start. */
  replicas: Record<string, number[]>
  /** Billed nodes per group (launched, not yet deleted) at each step's start. */
  nodes: Record<string, number[]>
  /** Allocatable GPUs by MIG profile (`whole` for a GPU without MIG); a slice counts its memory-slice share. */
  gpusByProfile: Record<string, number[]>
  /** Per step, over requests that arrived in it: p95 TTFT and TPOT (null: no request), and the share within SLO. */
  latency: {
    p95TtftSeconds: Array<number | null>
    p95TpotSeconds: Array<number | null>
    attainment: Array<number | null>
  }
}

export interface LogReplay {
  series: RunSeries
  requests: {
    total: number
    withinSlo: number
    attainment: number
    tpot: {p50: number | null; p95: number | null; p99: number | null}
  }
  /** GPU-seconds split as the oracle splits them (src/core/oracle): serving, idle but warm, cold start. */
  gpuSeconds: {total: number; serving: number; idleWarm: number; coldStart: number}
  cost: {onDemand: number; spot: number}
  strandedPods: number
}

/**
 * A sampling step for a run of this length: the shortest of minute, 5 min, 15 min, hour, … that keeps at most
 * `maxPoints` steps, so a 1-hour replay charts per minute and a 14-day one per 30 minutes and the HTML stays small.
 */
export function stepSecondsFor(durationSeconds: number, maxPoints = 720): number {
  for (const step of [60, 300, 900, 1800, 3600, 10800, 21600, 86400])
    if (durationSeconds / step <= maxPoints) return step
  return Math.ceil(durationSeconds / maxPoints / 86400) * 86400
}

/** The fleet shape of a policy config: groups' GPUs and price class, and each model's GPU share per replica. */
export function fleetShapeOf(config: PolicyConfig): FleetShape {
  const groups: FleetShape['groups'] = {}
  for (const g of config.nodeGroups)
    groups[g.name] = {gpuModel: g.gpu.model, gpus: g.gpu.count, capacityType: g.capacityType}
  const needs = new Map(config.models.map((m) => [m.name, m.gpu]))
  return {
    groups,
    gpusPerReplica: (model, gpuModel) => {
      const need = needs.get(model)
      if (!need) return 1
      if (need.kind === 'whole') return need.count
      const info = findGpuModel(gpuModel)
      if (need.kind === 'mig') {
        const compute = Number(/^(\d+)g\./.exec(need.profile)?.[1] ?? 1)
        return info && info.computeSlices > 0 ? compute / info.computeSlices : 1
      }
      return info ? Math.min(1, need.memoryGiB / (info.memoryMiB / 1024)) : 1
    },
  }
}

/** The window and step of a replay, the fleet it bills, and the SLO (default, and per model). */
export interface ReplayOptions {
  start: number
  end: number
  stepSeconds: number
  shape: FleetShape
  slo?: SimulationSlo
  sloByModel?: Record<string, SimulationSlo>
}

/**
 * Replays a log over [start, end) at `stepSeconds`. `slo` is the default, `sloByModel` overrides per model.
 * Cost and GPU-seconds follow the twin summary's billing (launch to deletion, failed launches free), so
 * `gpuSeconds.total` equals the summary's GPU-hours × 3600.
 */
export function replayLog(entries: Iterable<LogEntry>, options: ReplayOptions): LogReplay {
  const replayer = startReplay(options)
  for (const e of entries) replayer.add(e)
  return replayer.finish()
}

/**
 * replayLog as it goes: `add` every entry of the log in its order, then `finish` once. Requests may instead come
 * through `addRequest` as they finish (src/core/simulate/run-meter.ts), in any order relative to the other
 * entries: a request is bucketed by its arrival and changes no fleet state.
 */
export interface LogReplayer {
  add(entry: LogEntry): void
  /** A finished request (served or aborted): `ttft` null when no token came. */
  addRequest(model: string, arrival: number, ok: boolean, ttft: number | null, e2e: number, outputTokens: number): void
  finish(): LogReplay
  /** Whether the TPOT percentiles come from sketches (some model passed the budget's limit). */
  readonly approximate: boolean
}

/**
 * A replayer over [start, end). Percentiles (TPOT, per-step p95s) are exact while `budget` allows
 * (src/core/twin/quantile-sketch.ts); without a budget of its own it makes one and counts each request entry
 * arriving in the window against it, with one, whoever shares it counts.
 */
export function startReplay(options: ReplayOptions, shared?: PercentileBudget): LogReplayer {
  const budget = shared ?? new PercentileBudget()
  const {start, end, stepSeconds: step, shape} = options
  if (!(step > 0)) throw new RangeError(`stepSeconds must be positive, got ${step}`)
  if (!(end > start)) throw new RangeError(`end must be after start`)
  const n = Math.ceil((end - start) / step)
  const times = Array.from({length: n}, (_, i) => start + i * step)
  const load: Record<string, number[]> = {}
  const replicas: Record<string, number[]> = {}
  const nodes: Record<string, number[]> = {}
  const gpusByProfile: Record<string, number[]> = {}
  const zeros = () => new Array<number>(n).fill(0)
  for (const g of Object.keys(shape.groups)) nodes[g] = zeros()

  // Per-step request buckets by arrival (the run's TPOT percentiles read every step's).
  const stepTtft = new Array<LatencySamples | undefined>(n)
  const stepTpot = new Array<LatencySamples | undefined>(n)
  const stepTotal = new Array<number>(n).fill(0)
  const stepWithin = new Array<number>(n).fill(0)
  let total = 0
  let within = 0

  // Live state.
  const nodeInfo = new Map<
    string,
    {
      group: string
      launched: number
      gpus: number
      gpuModel: string
      allocatable: boolean
      profiles: Record<string, number> | null
    }
  >()
  const liveNodes = new Map<string, number>()
  const readyByModel = new Map<string, number>()
  const pods = new Map<
    string,
    {model: string; created: number; scheduled?: number; share: number; ready: boolean; everReady: boolean}
  >()
  let stranded = 0
  // GPU rates (GPUs in each state) integrated between events.
  let nodeColdGpus = 0
  let allocGpus = 0
  let podColdGpus = 0
  let servingGpus = 0
  let clock = start
  const acc = {serving: 0, idleWarm: 0, coldStart: 0}
  const cost = {onDemand: 0, spot: 0}
  // Hourly price of the billed nodes, per capacity type: changed at launch and deletion, not summed per event.
  const rate = {onDemand: 0, spot: 0}
  const hourly = new Map<string, number>()
  const priceClass = (group: string): 'onDemand' | 'spot' =>
    shape.groups[group]?.capacityType === 'spot' ? 'spot' : 'onDemand'
  const advance = (t: number) => {
    const to = Math.min(Math.max(t, start), end)
    if (to <= clock) return
    const dt = to - clock
    acc.coldStart += (nodeColdGpus + podColdGpus) * dt
    acc.serving += servingGpus * dt
    acc.idleWarm += Math.max(0, allocGpus - podColdGpus - servingGpus) * dt
    cost.onDemand += (rate.onDemand * dt) / 3600
    cost.spot += (rate.spot * dt) / 3600
    clock = to
  }
  let sampled = 0
  const sampleUntil = (t: number) => {
    // Samples every step start strictly before t: all events at that instant have been applied.
    while (sampled < n && (times[sampled] as number) < t) {
      const i = sampled++
      for (const [model, count] of readyByModel) (replicas[model] ??= zeros())[i] = count
      for (const [node] of liveNodes) {
        const info = nodeInfo.get(node)
        if (!info) continue
        const groupSeries = (nodes[info.group] ??= zeros())
        groupSeries[i] = (groupSeries[i] as number) + 1
        if (info.allocatable && info.profiles)
          for (const [p, gpus] of Object.entries(info.profiles))
            (gpusByProfile[p] ??= zeros())[i] = ((gpusByProfile[p] as number[])[i] as number) + gpus
      }
    }
  }
  const profilesOf = (gpuModel: string, gpus: number, config: string | undefined): Record<string, number> => {
    const info = findGpuModel(gpuModel)
    if (!config || !info?.migCapable) return {whole: gpus}
    const out: Record<string, number> = {}
    for (let index = 0; index < gpus; index++) {
      const layout = layoutForMigConfig(config, {index, model: info.name})
      if ('error' in layout || !layout.enabled) out.whole = (out.whole ?? 0) + 1
      else
        for (const inst of layout.instances)
          out[inst.profile] = (out[inst.profile] ?? 0) + inst.size / info.memorySlices
    }
    return out
  }
  // One merged SLO per model, not one per request.
  const sloCache = new Map<string, SimulationSlo>()
  const sloOf = (model: string): SimulationSlo => {
    let slo = sloCache.get(model)
    if (!slo) sloCache.set(model, (slo = {...options.slo, ...options.sloByModel?.[model]}))
    return slo
  }

  // Fluid cohorts (src/core/twin/fluid.ts): weighted latency samples, kept apart so a per-request log's
  // percentiles stay exactly what they were.
  const fluidTokens = new Map<string, FluidTokensRecord>()
  const fluidBacklog = new Map<string, number>()
  const stepFluid = new Array<{ttft: WeightedSamples; tpot: WeightedSamples} | undefined>(n)
  const fluidTpot = weightedSamples()
  const fluidStep = (i: number) => (stepFluid[i] ??= {ttft: weightedSamples(), tpot: weightedSamples()})

  const addRequest = (
    model: string,
    arrival: number,
    served: boolean,
    ttft: number | null,
    e2e: number,
    outputTokens: number,
  ): void => {
    if (arrival < start || arrival >= end) return
    const i = Math.floor((arrival - start) / step)
    const slo = sloOf(model)
    const tpot = ttft !== null && outputTokens > 1 ? (e2e - ttft) / (outputTokens - 1) : 0
    const ok =
      served &&
      (slo.ttftSeconds === undefined || (ttft !== null && ttft <= slo.ttftSeconds)) &&
      (slo.tpotSeconds === undefined || tpot <= slo.tpotSeconds) &&
      (slo.e2eSeconds === undefined || e2e <= slo.e2eSeconds)
    total++
    stepTotal[i] = (stepTotal[i] as number) + 1
    ;(load[model] ??= zeros())[i] = ((load[model] as number[])[i] as number) + 1 / step
    if (ok) {
      within++
      stepWithin[i] = (stepWithin[i] as number) + 1
    }
    if (served && ttft !== null) {
      ;(stepTtft[i] ??= budget.samples()).add(ttft)
      ;(stepTpot[i] ??= budget.samples()).add(tpot)
    }
  }

  const add = (e: LogEntry): void => {
    if (e.type === 'requests.fluid-tokens') {
      fluidTokens.set(e.model, e)
      return
    }
    if (e.type === 'requests.fluid') {
      if (e.t >= start && e.t <= end) fluidBacklog.set(e.model, e.backlog)
      const tokens = fluidTokens.get(e.model)
      // A cohort is charged to when it arrived: its wait before the step it is served in, and half that step.
      const arrival = e.t - e.wait - FLUID_STEP_SECONDS / 2
      if (!(e.requests > 0) || !tokens || arrival < start || arrival >= end) return
      const i = Math.floor((arrival - start) / step)
      const cohort = fluidCohort(e, tokens, sloOf(e.model))
      total += e.requests
      within += cohort.within
      stepTotal[i] = (stepTotal[i] as number) + e.requests
      stepWithin[i] = (stepWithin[i] as number) + cohort.within
      ;(load[e.model] ??= zeros())[i] = ((load[e.model] as number[])[i] as number) + e.requests / step
      const samples = fluidStep(i)
      for (const [ttft, weight] of cohort.ttft) addSample(samples.ttft, ttft, weight)
      for (const [tpot, weight] of cohort.tpot) {
        addSample(samples.tpot, tpot, weight)
        addSample(fluidTpot, tpot, weight)
      }
      return
    }
    if (e.type === 'request') {
      if (!shared && e.arrival >= start && e.arrival < end) budget.count(e.model)
      addRequest(e.model, e.arrival, e.ok, e.ttft, e.e2e, e.outputTokens)
      return
    }
    sampleUntil(e.t)
    advance(e.t)
    switch (e.type) {
      case 'node.launched': {
        const g = shape.groups[e.group]
        nodeInfo.set(e.node, {
          group: e.group,
          launched: e.t,
          gpus: e.gpus,
          gpuModel: g?.gpuModel ?? '',
          allocatable: false,
          profiles: null,
        })
        liveNodes.set(e.node, e.t)
        hourly.set(e.node, e.hourlyCost)
        rate[priceClass(e.group)] += e.hourlyCost
        nodeColdGpus += e.gpus
        break
      }
      case 'node.capacity-error': {
        const info = nodeInfo.get(e.node)
        if (!info) break
        // A launch that failed for capacity is never billed (as the twin summary): take back its cold start and cost.
        const billed = Math.max(0, Math.min(e.t, end) - Math.max(info.launched, start))
        acc.coldStart -= billed * info.gpus
        cost[priceClass(info.group)] -= ((hourly.get(e.node) ?? 0) * billed) / 3600
        rate[priceClass(info.group)] -= hourly.get(e.node) ?? 0
        nodeColdGpus -= info.gpus
        liveNodes.delete(e.node)
        break
      }
      case 'node.gpus-allocatable': {
        const info = nodeInfo.get(e.node)
        if (!info || info.allocatable) break
        info.allocatable = true
        info.profiles ??= profilesOf(info.gpuModel, info.gpus, undefined)
        nodeColdGpus -= info.gpus
        allocGpus += info.gpus
        break
      }
      case 'mig.state': {
        const info = nodeInfo.get(e.node)
        if (info && e.state === 'success') info.profiles = profilesOf(info.gpuModel, info.gpus, e.config)
        break
      }
      case 'node.deleted': {
        const info = nodeInfo.get(e.node)
        if (!info || !liveNodes.has(e.node)) break
        liveNodes.delete(e.node)
        rate[priceClass(info.group)] -= hourly.get(e.node) ?? 0
        if (info.allocatable) allocGpus -= info.gpus
        else nodeColdGpus -= info.gpus
        break
      }
      case 'pod.created':
        pods.set(e.pod, {model: e.model, created: e.t, share: 0, ready: false, everReady: false})
        break
      case 'pod.scheduled': {
        const pod = pods.get(e.pod)
        const info = nodeInfo.get(e.node)
        if (!pod) break
        if (e.t - pod.created >= STRANDED_AFTER_SECONDS) stranded++
        pod.scheduled = e.t
        pod.share = info ? shape.gpusPerReplica(e.model, info.gpuModel) : 1
        podColdGpus += pod.share
        break
      }
      case 'pod.ready': {
        const pod = pods.get(e.pod)
        if (!pod || pod.scheduled === undefined) break
        pod.ready = true
        pod.everReady = true
        podColdGpus -= pod.share
        servingGpus += pod.share
        readyByModel.set(e.model, (readyByModel.get(e.model) ?? 0) + 1)
        break
      }
      case 'pod.terminating': {
        // A terminating replica leaves the router at once (it only drains), so it stops counting as a replica;
        // its GPUs stay held, as serving, until it is deleted.
        const pod = pods.get(e.pod)
        if (pod?.ready) readyByModel.set(e.model, (readyByModel.get(e.model) ?? 1) - 1)
        if (pod) pod.ready = false
        break
      }
      case 'pod.deleted': {
        const pod = pods.get(e.pod)
        if (!pod) break
        if (pod.scheduled === undefined) {
          if (e.t - pod.created >= STRANDED_AFTER_SECONDS) stranded++
        } else if (pod.everReady) {
          servingGpus -= pod.share
        } else {
          podColdGpus -= pod.share
        }
        // A node deletion deletes its pods without a terminating step first.
        if (pod.ready) readyByModel.set(e.model, (readyByModel.get(e.model) ?? 1) - 1)
        pods.delete(e.pod)
        break
      }
      default:
        break
    }
  }

  let finished = false
  const finish = (): LogReplay => {
    if (finished) throw new Error('a log replay finishes once')
    finished = true
    sampleUntil(Infinity)
    advance(end)
    for (const pod of pods.values())
      if (pod.scheduled === undefined && end - pod.created >= STRANDED_AFTER_SECONDS) stranded++

    // Fluid requests still waiting at the window's end were not served in it: they count, and miss (as the summary).
    for (const backlog of fluidBacklog.values()) if (backlog > 0) total += backlog
    const orNull = (v: number) => (Number.isNaN(v) ? null : v)
    const p95 = (samples: LatencySamples | undefined) =>
      samples === undefined || samples.length === 0 ? null : samples.percentiles().p95
    const stepP95 = (samples: LatencySamples | undefined, fluid: WeightedSamples | undefined) =>
      fluid ? orNull(weightedPercentiles(withUnitWeights(samples ? [samples] : [], fluid)).p95) : p95(samples)
    // Every served request's TPOT is in its arrival step's samples: the run's are all of them.
    const allTpot = stepTpot.filter((s): s is LatencySamples => s !== undefined)
    const tpot =
      fluidTpot.values.length > 0 ? weightedPercentiles(withUnitWeights(allTpot, fluidTpot)) : percentilesOf(allTpot)
    return {
      series: {
        start,
        stepSeconds: step,
        times,
        load: sortKeys(load, n),
        replicas: sortKeys(replicas, n),
        nodes: sortKeys(nodes, n),
        gpusByProfile: sortKeys(gpusByProfile, n),
        latency: {
          // Steps are sparse (no samples where no request arrived): read each by index, holes included.
          p95TtftSeconds: Array.from({length: n}, (_, i) => stepP95(stepTtft[i], stepFluid[i]?.ttft)),
          p95TpotSeconds: Array.from({length: n}, (_, i) => stepP95(stepTpot[i], stepFluid[i]?.tpot)),
          attainment: stepTotal.map((t, i) => (t === 0 ? null : (stepWithin[i] as number) / t)),
        },
      },
      requests: {
        total,
        withinSlo: within,
        attainment: total === 0 ? 1 : within / total,
        tpot: {p50: orNull(tpot.p50), p95: orNull(tpot.p95), p99: orNull(tpot.p99)},
      },
      gpuSeconds: {total: acc.serving + acc.idleWarm + acc.coldStart, ...acc},
      cost,
      strandedPods: stranded,
    }
  }
  return {
    add,
    addRequest,
    finish,
    get approximate() {
      return budget.approximate
    },
  }
}

interface WeightedSamples {
  values: number[]
  weights: number[]
}

function weightedSamples(): WeightedSamples {
  return {values: [], weights: []}
}

function addSample(samples: WeightedSamples, value: number, weight: number): void {
  if (!(weight > 0)) return
  samples.values.push(value)
  samples.weights.push(weight)
}

/** Per-request samples (weight 1 each; a sketch's buckets weigh their counts) beside fluid ones. */
function withUnitWeights(parts: readonly LatencySamples[], fluid: WeightedSamples): WeightedSamples {
  const values: number[] = []
  const weights: number[] = []
  for (const part of parts)
    part.forEach((value, weight) => {
      values.push(value)
      weights.push(weight)
    })
  return {values: [...values, ...fluid.values], weights: [...weights, ...fluid.weights]}
}

/** Nearest-rank percentiles of weighted samples: the smallest value whose cumulative weight reaches q. */
function weightedPercentiles(samples: WeightedSamples): {p50: number; p95: number; p99: number} {
  const order = samples.values
    .map((_, i) => i)
    .sort((a, b) => (samples.values[a] as number) - (samples.values[b] as number))
  const total = samples.weights.reduce((a, b) => a + b, 0)
  const at = (q: number): number => {
    if (!(total > 0)) return NaN
    let cumulative = 0
    for (const i of order) {
      cumulative += samples.weights[i] as number
      if (cumulative >= q * total * (1 - 1e-12)) return samples.values[i] as number
    }
    return samples.values[order[order.length - 1] as number] as number
  }
  return {p50: at(0.5), p95: at(0.95), p99: at(0.99)}
}

/**
 * One fluid cohort against the SLO, over its token mix's quantile points (as the twin summary counts it): the
 * requests within TTFT, TPOT (every request of a cohort decodes at the step time) and end to end, and its TTFT and
 * TPOT as weighted samples (weights in requests).
 */
function fluidCohort(
  e: FluidRecord,
  tokens: FluidTokensRecord,
  slo: SimulationSlo,
): {within: number; ttft: Array<[number, number]>; tpot: Array<[number, number]>} {
  const {input, output} = tokens
  const ttftLimit = slo.ttftSeconds ?? Infinity
  const e2eLimit = slo.e2eSeconds ?? Infinity
  const tpotOk = slo.tpotSeconds === undefined || e.stepSeconds <= slo.tpotSeconds
  let within = 0
  const ttft: Array<[number, number]> = []
  for (let i = 0; i < input.values.length; i++) {
    const wi = (input.weights[i] as number) * e.requests
    const first = fluidTtft(e, input.values[i] as number)
    ttft.push([first, wi])
    if (first > ttftLimit) continue
    for (let j = 0; j < output.values.length; j++) {
      const o = output.values[j] as number
      if ((tpotOk || o <= 1) && first + Math.max(0, o - 1) * e.stepSeconds <= e2eLimit)
        within += wi * (output.weights[j] as number)
    }
  }
  // A request with one output token has no time per output token (0, as for a per-request log).
  let single = 0
  for (let j = 0; j < output.values.length; j++)
    if ((output.values[j] as number) <= 1) single += output.weights[j] as number
  const tpot: Array<[number, number]> = [
    [e.stepSeconds, (1 - single) * e.requests],
    [0, single * e.requests],
  ]
  // The points' weights sum to 1 up to rounding: a cohort is never more than all within.
  return {within: Math.min(within, e.requests), ttft, tpot}
}

function sortKeys(record: Record<string, number[]>, n: number): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const key of Object.keys(record).sort()) out[key] = record[key] ?? new Array<number>(n).fill(0)
  return out
}
