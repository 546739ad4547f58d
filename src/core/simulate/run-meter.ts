/**
 * Measuring one policy's twin run: the twin's summary (src/core/twin/summary.ts) and the log replay
 * (./log-replay.ts) of the same run, made into the report's row (./report.ts).
 *
 * Two ways, one result:
 * - after the run, from its whole event log (`measureRun(name, kind, () => twin.logEntries(), options)`, or an
 *   `--events` file read back): what a scenario run does, whose twin keeps its log;
 * - as the run goes (`RunMeter`): the meter is the twin's request sink (TwinOptions.requestSink), so each request
 *   is counted when it finishes and never kept, then `finish` reads the rest of the log (infra events and fluid
 *   cohorts, which grow with the run's duration and fleet, not with its requests). `simulate --trace` measures
 *   its replays this way, so a replay's memory is bounded by its minutes, models, nodes and pods.
 * Both feed the same summarizer and replayer, and neither's request counts depend on the order requests come in
 * relative to the infra events (a request changes no fleet state), so the two give the same row.
 *
 * Percentiles are exact while no model has more than `exactPercentileRequests` requests arriving in the window
 * (the report's request count)
 * (src/core/twin/quantile-sketch.ts: EXACT_PERCENTILE_REQUESTS), then every latency collection of the run turns
 * into a quantile sketch within 1%, and the row says so (`percentiles: 'approx ±1%'`).
 */
import type {LogEntry, RequestSink} from '../twin/events.js'
import {APPROX_PERCENTILES, EXACT_PERCENTILE_REQUESTS, PercentileBudget} from '../twin/quantile-sketch.js'
import {LogSummarizer, type TwinSummary} from '../twin/summary.js'
import {startReplay, type LogReplay, type LogReplayer, type ReplayOptions, type SimulationSlo} from './log-replay.js'
import {detectBursts, type BurstRecovery} from './recovery.js'
import {
  regretOf,
  type GpuSecondsSplit,
  type PolicyKind,
  type PolicyMetrics,
  type PolicyResult,
  type Quantiles,
} from './report.js'

export interface RunMeasureOptions extends ReplayOptions {
  /** The oracle's GPU-seconds split for the same demand, to measure regret against; absent: no regret. */
  oracle?: GpuSecondsSplit
  /**
   * Requests per model arriving in the window up to which percentiles are exact (default
   * EXACT_PERCENTILE_REQUESTS; tests lower it).
   */
  exactPercentileRequests?: number
}

/**
 * Measures one policy's twin run from its whole log. `log` is called twice (the twin summary, then the replay), so
 * pass a function that reads the log afresh: `() => twin.logEntries()`, or an array from `parseJsonLines`.
 */
export function measureRun(
  name: string,
  kind: Exclude<PolicyKind, 'oracle'>,
  log: () => Iterable<LogEntry>,
  options: RunMeasureOptions,
): PolicyResult {
  return new RunMeter([], options).finish(name, kind, log)
}

/**
 * A twin run measured as it goes: pass it as the twin's `requestSink`, with the twin's model names in the twin's
 * order (TwinOptions.models), and call `finish` once after the run with the rest of the twin's log.
 */
export class RunMeter implements RequestSink {
  private readonly budget: PercentileBudget
  private readonly summarizer: LogSummarizer
  private readonly replayer: LogReplayer

  constructor(
    private readonly models: readonly string[],
    private readonly options: RunMeasureOptions,
  ) {
    this.budget = new PercentileBudget(options.exactPercentileRequests ?? EXACT_PERCENTILE_REQUESTS)
    const {start, end} = options
    this.summarizer = new LogSummarizer(
      {
        start,
        end,
        slo: twinSlo(options.slo),
        sloByModel: Object.fromEntries(Object.entries(options.sloByModel ?? {}).map(([m, s]) => [m, twinSlo(s)])),
      },
      this.budget,
    )
    this.replayer = startReplay(options, this.budget)
  }

  /** One finished request, as the twin hands it over (RequestSink). */
  add(
    done: number,
    model: number,
    arrival: number,
    firstTokenAt: number,
    _input: number,
    output: number,
    ok: boolean,
  ): void {
    const name = this.models[model]
    if (name === undefined) throw new RangeError(`request of model #${model}: the meter knows ${this.models.length}`)
    if (arrival >= this.options.start && arrival < this.options.end) this.budget.count(name)
    // The same arithmetic as the twin's RequestLog and its entries, so both ways give the same numbers.
    const ttft = Number.isNaN(firstTokenAt) ? null : firstTokenAt - arrival
    const e2e = done - arrival
    this.summarizer.addRequest(done, name, ok, ttft, e2e, output)
    this.replayer.addRequest(name, arrival, ok, ttft, e2e, output)
  }

  /**
   * The row: `log` is read twice (summary, then replay) and holds whatever the twin kept: with this meter as its
   * sink, infra events and fluid cohorts only; a whole log (measureRun) has its requests counted here.
   */
  finish(name: string, kind: Exclude<PolicyKind, 'oracle'>, log: () => Iterable<LogEntry>): PolicyResult {
    const {start, end} = this.options
    for (const e of log()) {
      if (e.type === 'request' && e.arrival >= start && e.arrival < end) this.budget.count(e.model)
      this.summarizer.add(e)
    }
    // The budget is shared and already counted every request: the replay only reads it.
    for (const e of log()) this.replayer.add(e)
    const summary = this.summarizer.finish()
    const replay = this.replayer.finish()
    const metrics = metricsOf(summary, replay, this.options.oracle, detectBursts(replay.series))
    return {
      name,
      kind,
      metrics,
      ...(this.budget.approximate ? {percentiles: APPROX_PERCENTILES} : {}),
      series: replay.series,
    }
  }
}

function twinSlo(slo: SimulationSlo | undefined): {ttftSeconds?: number; e2eSeconds?: number} {
  return {
    ...(slo?.ttftSeconds !== undefined ? {ttftSeconds: slo.ttftSeconds} : {}),
    ...(slo?.e2eSeconds !== undefined ? {e2eSeconds: slo.e2eSeconds} : {}),
  }
}

function metricsOf(
  summary: TwinSummary,
  replay: LogReplay,
  oracle: GpuSecondsSplit | undefined,
  recovery: BurstRecovery,
): PolicyMetrics {
  const q = (p: {p50: number; p95: number; p99: number}): Quantiles => ({
    p50: finite(p.p50),
    p95: finite(p.p95),
    p99: finite(p.p99),
  })
  const g = replay.gpuSeconds
  return {
    sloAttainment: replay.requests.attainment,
    // A fluid replay's requests are a flow (rate × time): counted in whole requests, attainment their exact ratio.
    requests: {
      total: Math.round(replay.requests.total),
      withinSlo: Math.round(replay.requests.withinSlo),
      aborted: summary.requests.aborted,
    },
    latencySeconds: q(summary.requests.latency),
    ttftSeconds: q(summary.requests.ttft),
    tpotSeconds: replay.requests.tpot,
    gpuHours: summary.gpuHours,
    gpuHoursSplit: {serving: g.serving / 3600, idleWarm: g.idleWarm / 3600, coldStart: g.coldStart / 3600},
    cost: {total: summary.cost, onDemand: replay.cost.onDemand, spot: replay.cost.spot},
    regret: oracle ? regretOf(g, oracle) : null,
    pendingPodMinutes: summary.pendingPodMinutes,
    strandedPods: replay.strandedPods,
    scalingActions: summary.scalingActions.total,
    flaps: summary.flaps,
    coldStarts: summary.coldStarts,
    recovery,
  }
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null
}
