/**
 * The run summary, computed from the event log alone (./events.ts), so a summary can be recomputed from the
 * `--events` file by anyone:
 * - SLO attainment: the share of requests that were served with TTFT and end-to-end latency within their
 *   targets (an aborted request misses);
 * - p50/p95/p99 of end-to-end latency and TTFT over served requests (nearest rank), exact while no model has
 *   more than EXACT_PERCENTILE_REQUESTS requests, then from a quantile sketch within 1% (./quantile-sketch.ts);
 * - fluid cohorts (`requests.fluid`, ./fluid.ts) count with their (fractional) size: their latencies are evaluated
 *   over the model's token points, and quantiles then come from a histogram of 0.5%-wide log bins (so they are
 *   within 0.5% of the fluid model's own); the backlog left at the window's end counts as requests that missed;
 * - GPU-hours and cost: every node from launch to deletion (or the end of the window), clipped to the window —
 *   clouds bill an instance from launch, cold start included; a launch that failed for capacity costs nothing;
 * - pending-pod minutes: from creation until scheduled (or deleted unscheduled);
 * - cold starts: nodes that became allocatable after launch, pods that became ready;
 * - scaling actions and flaps: a flap is a change of direction on the same target (workload or node group)
 *   within 10 minutes of its previous change (kubeai#67's 0→1→0 is two flaps).
 */
import type {FluidTokensRecord, LogEntry} from './events.js'
import {fluidTtft} from './fluid.js'
import {LatencySamples, nearestRank, PercentileBudget, percentilesOf} from './quantile-sketch.js'

export interface SloTargets {
  ttftSeconds?: number
  e2eSeconds?: number
  /** Mean time per output token after the first, (e2e − TTFT) ÷ (output tokens − 1), as vLLM's TPOT. */
  tpotSeconds?: number
}

export interface Percentiles {
  p50: number
  p95: number
  p99: number
}

export interface RequestStats {
  total: number
  served: number
  aborted: number
  withinSlo: number
  sloAttainment: number
  ttft: Percentiles
  latency: Percentiles
}

export interface TwinSummary {
  start: number
  end: number
  requests: RequestStats
  perModel: Record<string, RequestStats>
  gpuHours: number
  cost: number
  pendingPodMinutes: number
  coldStarts: {nodes: number; pods: number}
  scalingActions: {workloads: number; nodeGroups: number; nodeRemovals: number; migChanges: number; total: number}
  flaps: number
  spotInterruptions: number
  capacityErrors: number
  migFailures: number
}

export const FLAP_WINDOW_SECONDS = 600

export interface SummaryOptions {
  start: number
  end: number
  slo?: SloTargets
  sloByModel?: Record<string, SloTargets>
}

export function summarizeLog(entries: Iterable<LogEntry>, options: SummaryOptions): TwinSummary {
  const summarizer = new LogSummarizer(options)
  for (const e of entries) summarizer.add(e)
  return summarizer.finish()
}

/**
 * summarizeLog as it goes: `add` every entry of the log, in its order, then `finish`. Requests may instead come
 * through `addRequest` as they finish (src/core/simulate/run-meter.ts measures a replay that way, keeping no
 * request), in any order relative to the other entries: a request's counts depend on nothing else in the log.
 *
 * Percentiles are exact while `budget` allows (./quantile-sketch.ts). Without a budget of its own the summarizer
 * makes one and counts each request entry of its window against it; with one, whoever shares it counts.
 */
export class LogSummarizer {
  private readonly start: number
  private readonly end: number
  private readonly budget: PercentileBudget
  private readonly countsRequests: boolean
  private readonly all: Collector
  private readonly perModel = new Map<string, Collector>()
  private readonly nodes = new Map<string, {launched: number; gpus: number; hourlyCost: number; ended?: number}>()
  private readonly podCreated = new Map<string, number>()
  private pendingSeconds = 0
  private readonly coldStarts = {nodes: 0, pods: 0}
  private readonly actions = {workloads: 0, nodeGroups: 0, nodeRemovals: 0, migChanges: 0, total: 0}
  private readonly lastChange = new Map<string, {t: number; dir: number}>()
  private flaps = 0
  private spotInterruptions = 0
  private capacityErrors = 0
  private migFailures = 0
  private readonly fluidTokens = new Map<string, FluidTokensRecord>()
  private readonly fluidBacklog = new Map<string, number>()
  // One merged SLO per model, not one per request (a fleet-day summary reads about a million of them).
  private readonly sloByModel = new Map<string, SloTargets>()

  constructor(
    private readonly options: SummaryOptions,
    budget?: PercentileBudget,
  ) {
    this.start = options.start
    this.end = options.end
    this.budget = budget ?? new PercentileBudget()
    this.countsRequests = budget === undefined
    // Every request is in a model's collector too: the fleet's percentiles are read over those, not kept twice.
    this.all = new Collector(this.budget, false)
  }

  /** Whether the percentiles come from sketches (some model passed the budget's limit). */
  get approximate(): boolean {
    return this.budget.approximate
  }

  /** A finished request (served or aborted): `t` is when it ended, `ttft` null when no token came. */
  addRequest(t: number, model: string, ok: boolean, ttft: number | null, e2e: number, outputTokens: number): void {
    if (t < this.start || t > this.end) return
    const slo = this.sloOf(model)
    const within =
      ok &&
      (slo.ttftSeconds === undefined || (ttft !== null && ttft <= slo.ttftSeconds)) &&
      (slo.e2eSeconds === undefined || e2e <= slo.e2eSeconds) &&
      (slo.tpotSeconds === undefined ||
        outputTokens <= 1 ||
        (ttft !== null && (e2e - ttft) / (outputTokens - 1) <= slo.tpotSeconds))
    this.all.add(ok, within, ttft, e2e)
    this.collector(model).add(ok, within, ttft, e2e)
  }

  add(e: LogEntry): void {
    const {start, end} = this
    switch (e.type) {
      case 'request':
        if (this.countsRequests && e.t >= start && e.t <= end) this.budget.count(e.model)
        this.addRequest(e.t, e.model, e.ok, e.ttft, e.e2e, e.outputTokens)
        break
      case 'requests.fluid-tokens':
        this.fluidTokens.set(e.model, e)
        break
      case 'requests.fluid': {
        if (e.t < start || e.t > end) break
        this.fluidBacklog.set(e.model, e.backlog)
        if (!(e.requests > 0)) break
        const tokens = this.fluidTokens.get(e.model)
        if (!tokens) break
        const slo = this.sloOf(e.model)
        const all = this.all
        const c = this.collector(e.model)
        const {input, output} = tokens
        const ttftLimit = slo.ttftSeconds ?? Infinity
        const e2eLimit = slo.e2eSeconds ?? Infinity
        // A cohort's requests decode at one step per token: TPOT is the step time for all of them.
        const tpotOk = slo.tpotSeconds === undefined || e.stepSeconds <= slo.tpotSeconds
        // Attainment over the whole grid of prompt × output points; the end-to-end histogram over the output
        // points at the cohort's mean TTFT (TTFT spreads over tens of milliseconds across prompt lengths, end to
        // end over seconds across output lengths), which keeps a 14-day summary to a second.
        let within = 0
        let meanTtft = 0
        for (let i = 0; i < input.values.length; i++) {
          const wi = input.weights[i] as number
          const ttft = fluidTtft(e, input.values[i] as number)
          meanTtft += wi * ttft
          const ttftBin = binOf(ttft)
          all.ttftBins[ttftBin]! += wi * e.requests
          c.ttftBins[ttftBin]! += wi * e.requests
          if (ttft > ttftLimit) continue
          for (let j = 0; j < output.values.length; j++) {
            const o = output.values[j] as number
            if ((tpotOk || o <= 1) && ttft + Math.max(0, o - 1) * e.stepSeconds <= e2eLimit)
              within += wi * (output.weights[j] as number) * e.requests
          }
        }
        for (let j = 0; j < output.values.length; j++) {
          const w = (output.weights[j] as number) * e.requests
          const bin = binOf(meanTtft + Math.max(0, (output.values[j] as number) - 1) * e.stepSeconds)
          all.e2eBins[bin]! += w
          c.e2eBins[bin]! += w
        }
        all.addServedWeight(e.requests, within)
        c.addServedWeight(e.requests, within)
        break
      }
      case 'node.launched':
        this.nodes.set(e.node, {launched: e.t, gpus: e.gpus, hourlyCost: e.hourlyCost})
        break
      case 'node.capacity-error': {
        this.nodes.delete(e.node)
        this.capacityErrors++
        break
      }
      case 'node.deleted': {
        const n = this.nodes.get(e.node)
        if (n) n.ended = e.t
        break
      }
      case 'node.gpus-allocatable': {
        const n = this.nodes.get(e.node)
        if (n && e.t > n.launched && e.t >= start && e.t <= end) this.coldStarts.nodes++
        break
      }
      case 'node.interruption-notice':
        if (e.t >= start && e.t <= end) this.spotInterruptions++
        break
      case 'node.remove-requested':
        if (e.t >= start && e.t <= end) {
          this.actions.nodeRemovals++
          this.change(`group/${e.group}`, e.t, -1)
        }
        break
      case 'group.scaled':
        if (e.t >= start && e.t <= end) {
          this.actions.nodeGroups++
          this.change(`group/${e.group}`, e.t, Math.sign(e.to - e.from))
        }
        break
      case 'workload.scaled':
        if (e.t >= start && e.t <= end) {
          this.actions.workloads++
          this.change(`workload/${e.model}`, e.t, Math.sign(e.to - e.from))
        }
        break
      case 'mig.config-set':
        if (e.t >= start && e.t <= end) this.actions.migChanges++
        break
      case 'mig.state':
        if (e.state === 'failed' && e.t >= start && e.t <= end) this.migFailures++
        break
      case 'pod.created':
        this.podCreated.set(e.pod, e.t)
        break
      case 'pod.scheduled':
      case 'pod.deleted': {
        const created = this.podCreated.get(e.pod)
        if (created !== undefined) {
          this.pendingSeconds += overlap(created, e.t, start, end)
          this.podCreated.delete(e.pod)
        }
        break
      }
      case 'pod.ready':
        if (e.t >= start && e.t <= end) this.coldStarts.pods++
        break
      default:
        break
    }
  }

  finish(): TwinSummary {
    const {start, end, all, perModel, actions} = this
    for (const created of this.podCreated.values()) this.pendingSeconds += overlap(created, end, start, end)
    this.podCreated.clear()
    // Fluid requests still waiting at the window's end were not served in it: they count, and miss.
    for (const [model, backlog] of this.fluidBacklog) {
      if (!(backlog > 0)) continue
      all.addUnserved(backlog)
      this.collector(model).addUnserved(backlog)
    }
    this.fluidBacklog.clear()
    let gpuSeconds = 0
    let cost = 0
    for (const n of this.nodes.values()) {
      const seconds = overlap(n.launched, n.ended ?? end, start, end)
      gpuSeconds += seconds * n.gpus
      cost += (seconds / 3600) * n.hourlyCost
    }
    actions.total = actions.workloads + actions.nodeGroups + actions.nodeRemovals + actions.migChanges
    const models = [...perModel.values()]
    return {
      start,
      end,
      requests: all.stats(
        models.map((c) => c.ttft),
        models.map((c) => c.e2e),
      ),
      perModel: Object.fromEntries(
        [...perModel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([m, c]) => [m, c.stats([c.ttft], [c.e2e])]),
      ),
      gpuHours: gpuSeconds / 3600,
      cost,
      pendingPodMinutes: this.pendingSeconds / 60,
      coldStarts: {...this.coldStarts},
      scalingActions: {...actions},
      flaps: this.flaps,
      spotInterruptions: this.spotInterruptions,
      capacityErrors: this.capacityErrors,
      migFailures: this.migFailures,
    }
  }

  private collector(model: string): Collector {
    let c = this.perModel.get(model)
    if (!c) this.perModel.set(model, (c = new Collector(this.budget, true)))
    return c
  }

  private sloOf(model: string): SloTargets {
    let slo = this.sloByModel.get(model)
    if (!slo) this.sloByModel.set(model, (slo = {...this.options.slo, ...this.options.sloByModel?.[model]}))
    return slo
  }

  private change(target: string, t: number, dir: number): void {
    if (dir === 0) return
    const last = this.lastChange.get(target)
    if (last && last.dir !== dir && t - last.t <= FLAP_WINDOW_SECONDS) this.flaps++
    this.lastChange.set(target, {t, dir})
  }
}

function overlap(from: number, to: number, start: number, end: number): number {
  return Math.max(0, Math.min(to, end) - Math.max(from, start))
}

/** Log-spaced bins for weighted (fluid) latencies: 0.5% wide, from 0.1 ms to 10⁶ s (the last bin holds the rest). */
const BIN_RATIO = Math.log(1.005)
const BIN_FLOOR = 1e-4
const BINS = 2 + Math.ceil(Math.log(1e6 / BIN_FLOOR) / BIN_RATIO)
const INV_RATIO = 1 / BIN_RATIO
const binOf = (v: number): number =>
  v <= BIN_FLOOR ? 0 : Math.min(BINS - 1, 1 + Math.floor(Math.log(v / BIN_FLOOR) * INV_RATIO))
const valueOfBin = (b: number): number => (b === 0 ? BIN_FLOOR : BIN_FLOOR * Math.exp((b - 0.5) * BIN_RATIO))

class Collector {
  /** Latencies of served requests (none kept when `keep` is false: the fleet's collector reads its models'). */
  readonly ttft: LatencySamples
  readonly e2e: LatencySamples
  private binned?: {ttft: Float64Array; e2e: Float64Array}
  total = 0
  served = 0
  within = 0

  constructor(
    budget: PercentileBudget,
    private readonly keep: boolean,
  ) {
    this.ttft = keep ? budget.samples() : new LatencySamples()
    this.e2e = keep ? budget.samples() : new LatencySamples()
  }

  get ttftBins(): Float64Array {
    return (this.binned ??= {ttft: new Float64Array(BINS), e2e: new Float64Array(BINS)}).ttft
  }

  get e2eBins(): Float64Array {
    return (this.binned ??= {ttft: new Float64Array(BINS), e2e: new Float64Array(BINS)}).e2e
  }

  /** A fluid cohort's size and the part of it within SLO (its latencies go to the bins directly). */
  addServedWeight(requests: number, within: number): void {
    this.total += requests
    this.served += requests
    this.within += within
  }

  addUnserved(count: number): void {
    this.total += count
  }

  add(ok: boolean, within: boolean, ttft: number | null, e2e: number): void {
    this.total++
    if (within) this.within++
    if (!ok) return
    this.served++
    if (!this.keep) return
    if (ttft !== null) this.ttft.add(ttft)
    this.e2e.add(e2e)
  }

  /** The counts, with percentiles over the given latencies (this collector's, or its models' for the fleet). */
  stats(ttft: readonly LatencySamples[], e2e: readonly LatencySamples[]): RequestStats {
    return {
      total: this.total,
      served: this.served,
      aborted: this.total - this.served,
      withinSlo: this.within,
      sloAttainment: this.total === 0 ? 1 : this.within / this.total,
      ttft: this.binned ? weightedPercentiles(this.binned.ttft, ttft) : percentilesOf(ttft),
      latency: this.binned ? weightedPercentiles(this.binned.e2e, e2e) : percentilesOf(e2e),
    }
  }
}

/** Percentiles of binned weights plus exact values (each weight 1, binned too), nearest rank on the bins. */
function weightedPercentiles(bins: Float64Array, exact: readonly LatencySamples[]): Percentiles {
  const all = bins.slice()
  for (const samples of exact) samples.forEach((v, weight) => (all[binOf(v)]! += weight))
  let total = 0
  for (const w of all) total += w
  if (!(total > 0)) return {p50: NaN, p95: NaN, p99: NaN}
  const at = (q: number): number => {
    let acc = 0
    let last = 0
    for (let b = 0; b < all.length; b++) {
      const w = all[b] as number
      if (w === 0) continue
      last = b
      acc += w
      if (acc >= q * total * (1 - 1e-12)) return valueOfBin(b)
    }
    return valueOfBin(last)
  }
  return {p50: at(0.5), p95: at(0.95), p99: at(0.99)}
}

/** Exact nearest-rank p50/p95/p99 (the ⌈q·n⌉-th smallest value); NaN when there is none. */
export function percentiles(values: ArrayLike<number>): Percentiles {
  if (values.length === 0) return {p50: NaN, p95: NaN, p99: NaN}
  return nearestRank(Float64Array.from(values).sort())
}
