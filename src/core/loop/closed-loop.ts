/**
 * The closed loop: gpu-scale's controller driving the digital twin, as `apply --watch` will drive a cluster.
 *
 * Every `settings.loopInterval` of virtual time, one tick:
 *   1. the actuator moves its multi-step work on (MIG drains finished → label set; manager done → uncordon);
 *   2. the controller state is brought up to date: changes the actuator still works on stay `in-progress`,
 *      finished ones leave it (the planner carries only `in-progress` changes forward);
 *   3. the twin's snapshot, carrying that state, is planned by `planCluster` — the same function `plan` runs;
 *   4. the plan is executed through src/core/apply over the twin's ports (TwinActuator), which obey the
 *      cluster's delays: a scale-up serves after provisioning, init and weight load; a MIG change after drain and
 *      reconfiguration;
 *   5. `plan.state`, with each applied change marked `in-progress` and each refused or failed one dropped (the next
 *      plan decides again from what it sees), becomes the state of the next tick.
 *
 * The twin schedules with the kernel's predicates (./kernel-scheduler.ts), so a pod the planner placed is a pod the
 * twin binds. Pure: time is virtual; wall time for the planner's share comes from an injected stopwatch.
 */
import {applyPlan, type ChangeStatus} from '../apply/index.js'
import type {PolicyConfig} from '../model/config.js'
import type {Change, Plan} from '../model/plan.js'
import type {ControllerState, InFlightChange} from '../model/state.js'
import {planCluster} from '../planner/plan-cluster.js'
import {SEASONAL_HISTORY, TREND_WINDOW_SECONDS} from '../policy/nodes/forecast.js'
import {EVIDENCE_WHY, requiredTelemetry} from '../planner/required-telemetry.js'
import {isHistogramMetric} from '../signals/metric-names.js'
import {Twin, type TwinOptions} from '../twin/index.js'
import type {WindowSelect} from '../twin/telemetry.js'
import {scheduleWithKernel} from './kernel-scheduler.js'
import {TwinActuator} from './twin-actuator.js'

export interface LoopOptions {
  /** The world: the scenario's twin options (its own policy describes the cluster's groups and models). */
  twin: TwinOptions
  /** The controller's policy: the scenario's own, or the user's `-c` file. */
  config: PolicyConfig
  /** Wall-clock milliseconds (performance.now in a bench), to measure the planner's share; none in tests. */
  stopwatch?: () => number
  /**
   * `required` (default): each tick's snapshot carries only the metrics the planner reads for this policy
   * (requiredTelemetry), histograms only over their own window. `full`: every series over the whole history, as
   * `plan --sim` shows it (the reference a test holds the short snapshot to: the plans must be the same).
   */
  snapshotTelemetry?: 'required' | 'full'
}

/** What one tick did. */
export interface TickRecord {
  at: number
  /** The tick's plan (not retained by the loop: a caller that wants history keeps it). */
  plan: Plan
  changes: number
  blocked: number
  results: ChangeStatus[]
  /** Ids of this tick's blocked changes (shown in the plan, never executed). */
  blockedIds: string[]
}

export interface LoopTotals {
  ticks: number
  /** Per-change outcomes over the run. */
  outcomes: Record<ChangeStatus['status'], number>
  /** Applied changes per action. */
  applied: Record<Change['action'], number>
  /** Distinct blocked change ids, and how many ticks had at least one. */
  blockedChanges: string[]
  blockedTicks: number
  /** MIG operations and how they ended. */
  mig: {succeeded: number; failed: number; inProgress: number}
  /** Wall time, when a stopwatch was given. */
  timing?: {loopMs: number; plannerMs: number; plannerShare: number}
}

export class ClosedLoop {
  readonly twin: Twin
  readonly actuator: TwinActuator
  readonly interval: number
  private state: ControllerState | undefined
  private nextTickAt: number
  private readonly historySeconds: number
  private readonly telemetrySelect: WindowSelect | undefined
  /** How far back a tick's snapshot carries scale events (`required` snapshots only; `full` carries them all). */
  private readonly scaleEventSeconds: number | undefined
  private readonly forecastMetrics: ReadonlySet<string>
  private readonly totals = {
    ticks: 0,
    outcomes: {applied: 0, 'precondition-failed': 0, failed: 0, skipped: 0},
    applied: {'scale-replicas': 0, 'scale-node-group': 0, 'remove-node': 0, 'repartition-gpu': 0},
    blocked: new Set<string>(),
    blockedTicks: 0,
    loopMs: 0,
    plannerMs: 0,
  }
  private lastPlan: Plan | undefined
  /** The group of each scale-up change id, read from the typed payload (ids are never parsed). */
  private readonly groupOfChange = new Map<string, string>()

  constructor(private readonly options: LoopOptions) {
    this.forecastMetrics = listForecastMetrics(options.config)
    const forecastMetrics = this.forecastMetrics
    this.interval = options.config.settings.loopIntervalSeconds
    this.historySeconds = loopHistorySeconds(options.config, this.interval)
    this.twin = new Twin({
      ...options.twin,
      schedule: scheduleWithKernel,
      ...(forecastMetrics.size > 0
        ? {
            longHistory: {
              keep: (metric: string) => forecastMetrics.has(metric),
              bucketSeconds: LONG_BUCKET_SECONDS,
              retentionSeconds: LONG_RETENTION_SECONDS,
            },
          }
        : {}),
    })
    this.actuator = new TwinActuator(this.twin, options.twin.config)
    this.nextTickAt = this.twin.now
    this.telemetrySelect =
      options.snapshotTelemetry === 'full'
        ? undefined
        : selectRequiredTelemetry(options.config, this.historySeconds, this.interval)
    this.scaleEventSeconds =
      options.snapshotTelemetry === 'full'
        ? undefined
        : scaleEventHorizonSeconds(options.config, this.historySeconds, this.interval)
  }

  /** The controller state the next tick will plan with. */
  get controllerState(): ControllerState | undefined {
    return this.state
  }

  /** The plan of the last tick (what `plan --sim --scenario --at` shows the moment after). */
  get lastTickPlan(): Plan | undefined {
    return this.lastPlan
  }

  /** Runs ticks and the twin up to virtual time `t`; `onTick` sees every tick (progress displays, invariants). */
  async runUntil(t: number, onTick?: (tick: TickRecord) => void): Promise<void> {
    while (this.nextTickAt <= t) {
      this.twin.runUntil(this.nextTickAt)
      const record = await this.tick()
      onTick?.(record)
      this.nextTickAt += this.interval
    }
    this.twin.runUntil(t)
  }

  /** One planning tick at the twin's current time. */
  async tick(): Promise<TickRecord> {
    const watch = this.options.stopwatch
    const started = watch?.()
    this.actuator.progress()
    const now = this.twin.now
    const snapshot = this.twin.snapshot({
      historySeconds: this.historySeconds,
      ...(this.telemetrySelect ? {telemetrySelect: this.telemetrySelect} : {}),
      ...(this.scaleEventSeconds !== undefined ? {scaleEventsAfter: now - this.scaleEventSeconds} : {}),
      // Yesterday around now, for the daily forecast (it reads the samples nearest to now − 24 h, to the start of
      // its trend window − 24 h and to now + lead − 24 h, each within 5 minutes).
      ...(this.forecastMetrics.size > 0
        ? {
            longRange: {
              from: now - SEASONAL_HISTORY.fromSecondsAgo,
              to: now - SEASONAL_HISTORY.toSecondsAgo,
            },
          }
        : {}),
    })
    const state = this.state && refreshInFlight(this.state, this.actuator, this.twin, this.groupOfChange)
    if (state) snapshot.state = state
    const planStarted = watch?.()
    const plan = planCluster({config: this.options.config, snapshot})
    if (watch && planStarted !== undefined) this.totals.plannerMs += watch() - planStarted
    const {results} = await applyPlan(plan, {
      cluster: this.actuator,
      nodeGroups: this.actuator,
      read: this.actuator.read,
    })
    this.state = markInFlight(plan.state, results)
    for (const change of plan.changes)
      if (change.action === 'scale-node-group') this.groupOfChange.set(change.id, change.payload.group)
    this.lastPlan = plan
    const blockedIds = plan.changes.filter((c) => c.status === 'blocked').map((c) => c.id)
    const t = this.totals
    t.ticks++
    for (const r of results) {
      t.outcomes[r.status]++
      if (r.status === 'applied') t.applied[r.action]++
    }
    for (const id of blockedIds) t.blocked.add(id)
    if (blockedIds.length > 0) t.blockedTicks++
    if (watch && started !== undefined) t.loopMs += watch() - started
    return {
      at: snapshot.capturedAt,
      plan,
      changes: plan.summary.changes,
      blocked: plan.summary.blocked,
      results,
      blockedIds,
    }
  }

  totalsSoFar(): LoopTotals {
    const t = this.totals
    const ops = this.actuator.operations()
    return {
      ticks: t.ticks,
      outcomes: {...t.outcomes},
      applied: {...t.applied},
      blockedChanges: [...t.blocked].sort(),
      blockedTicks: t.blockedTicks,
      mig: {
        succeeded: ops.filter((o) => o.phase === 'succeeded').length,
        failed: ops.filter((o) => o.phase === 'failed').length,
        inProgress: ops.filter((o) => o.phase === 'draining' || o.phase === 'reconfiguring').length,
      },
      ...(this.options.stopwatch
        ? {timing: {loopMs: t.loopMs, plannerMs: t.plannerMs, plannerShare: t.loopMs > 0 ? t.plannerMs / t.loopMs : 0}}
        : {}),
    }
  }
}

/**
 * How much telemetry history a tick's snapshot carries: every signal window, the scale-down's unneeded time, and the
 * forecast's trend window (30 min) — the planner reads nothing older, and copying a longer window is most of a
 * tick's non-planner time. (The forecast's day-ago seasonal term reads a downsampled long history instead, see
 * LONG_BUCKET_SECONDS.) Shared with the controller loop over the twin (./sim-world.ts).
 */
export function loopHistorySeconds(config: PolicyConfig, intervalSeconds: number): number {
  const {scaleDown} = config.settings
  return (
    Math.max(
      requiredTelemetry(config).lookbackSeconds,
      scaleDown.unneededSeconds,
      scaleDown.delayAfterAddSeconds,
      TREND_WINDOW_SECONDS,
    ) +
    2 * intervalSeconds
  )
}

/**
 * How far back a tick's snapshot carries each workload's scale events. The twin keeps every event of the run (a
 * 14-day replay has thousands per model), and the planner reads only recent ones: the replica count at a sample's
 * instant undoes the events after it (samples are no older than the telemetry history), the cooldown looks at the
 * last event, rate policies sum the events of their period, and the next state keeps the events of the longest
 * period or cooldown. An event older than all of those changes no decision, and merging the state's events with a
 * shorter list gives the same list less its old part (both are in time order), so the plans stay the same; the
 * snapshot-telemetry test holds the loop to the plans made with every event.
 */
export function scaleEventHorizonSeconds(
  config: PolicyConfig,
  historySeconds: number,
  intervalSeconds: number,
): number {
  let eventSeconds = 0
  for (const model of config.models) {
    const {scaleUp, scaleDown} = model.behavior
    for (const policy of [...scaleUp.policies, ...scaleDown.policies])
      eventSeconds = Math.max(eventSeconds, policy.periodSeconds)
    eventSeconds = Math.max(eventSeconds, scaleUp.cooldownSeconds, scaleDown.cooldownSeconds)
  }
  return Math.max(historySeconds, eventSeconds + 2 * intervalSeconds)
}

/**
 * The daily forecast in the loop (src/core/policy/nodes/forecast.ts) compares each pod's signal with the same time
 * yesterday. The twin keeps raw telemetry for hours, so for the metrics the forecast reads (AverageValue signals
 * without a quantile) it also keeps 5-minute means for 8 days, and each tick's snapshot carries the ones around
 * now − 24 h (SEASONAL_HISTORY: its range and why 5 minutes).
 */
const LONG_BUCKET_SECONDS = SEASONAL_HISTORY.stepSeconds
const LONG_RETENTION_SECONDS = 8 * 24 * 3600

function listForecastMetrics(config: PolicyConfig): Set<string> {
  const metrics = new Set<string>()
  for (const model of config.models)
    for (const signal of model.signals)
      if (signal.targetType === 'AverageValue' && signal.quantile === undefined) metrics.add(signal.metric)
  return metrics
}

/**
 * The telemetry a tick's snapshot carries: only metrics the planner reads for this policy (requiredTelemetry; the
 * twin also records inter-token latency, token counters, `_sum`/`_count` that no rule reads). Histogram buckets
 * are read only as rates over their window, and metrics only the bottleneck evidence reads (SM and DRAM activity,
 * framebuffer, PCIe, running requests, KV cache) only over the evidence window, so they keep that window (plus two
 * loop intervals of margin; the newest sample always stays, so staleness reads the same); every other metric keeps
 * the whole history, because some rules read all of it (node scale-down finds the last busy GPU sample, the
 * forecast fits its trend). Histograms are most of the twin's series and samples, so this is most
 * of what a tick used to copy, sanitize and index. The closed-loop test plans both snapshots every tick and
 * requires the same plan.
 */
function selectRequiredTelemetry(config: PolicyConfig, historySeconds: number, interval: number): WindowSelect {
  const lookback = new Map<string, number>()
  for (const need of requiredTelemetry(config).metrics) {
    const windowed = isHistogramMetric(need.metric) || need.why.every((why) => why === EVIDENCE_WHY)
    const seconds = windowed ? need.windowSeconds + 2 * interval : historySeconds
    lookback.set(need.metric, Math.max(lookback.get(need.metric) ?? 0, seconds))
  }
  return (metric) => lookback.get(metric)
}

/**
 * The state after executing a plan: an applied change is `in-progress` (the world takes time to follow); a refused,
 * failed or skipped one is dropped, so the next tick plans it afresh from what it then sees.
 */
export function markInFlight(state: ControllerState, results: readonly ChangeStatus[]): ControllerState {
  const outcome = new Map(results.map((r) => [r.changeId, r.status]))
  const changes: InFlightChange[] = []
  for (const change of state.changes) {
    const status = outcome.get(change.id)
    if (status === undefined) changes.push(change)
    else if (status === 'applied') changes.push({...change, status: 'in-progress'})
  }
  return {...state, changes}
}

/**
 * Changes still `in-progress` that the world has finished leave the state: a node group whose nodes all serve,
 * a workload whose pods are all ready, a MIG operation the manager reported on, a node that is gone.
 */
function refreshInFlight(
  state: ControllerState,
  actuator: TwinActuator,
  twin: Twin,
  groups: ReadonlyMap<string, string>,
): ControllerState {
  const changes = state.changes.filter((c) => c.status !== 'in-progress' || !isFinished(c, actuator, twin, groups))
  return changes.length === state.changes.length ? state : {...state, changes}
}

function isFinished(
  change: InFlightChange,
  actuator: TwinActuator,
  twin: Twin,
  groups: ReadonlyMap<string, string>,
): boolean {
  switch (change.action) {
    case 'repartition-gpu': {
      const op = actuator.operations().find((o) => o.changeId === change.id)
      return op === undefined || op.phase === 'succeeded' || op.phase === 'failed'
    }
    case 'scale-node-group': {
      const group = groups.get(change.id)
      if (group === undefined) return true
      const serving = twin.nodeNames(group).filter((name) => twin.nodeState(name)?.gpusAllocatable === true).length
      return serving >= (twin.groupTargetSize(group) ?? 0)
    }
    case 'scale-replicas':
    case 'remove-node':
      // Replica pods and node drains are the twin's own controllers' work once accepted: one tick later the
      // snapshot shows them (Pending pods, a cordoned node), which is what the planner reads.
      return change.since < twin.now
  }
}
