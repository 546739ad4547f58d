/**
 * The controller loop of `apply --watch`: pure, and driven only through the ports (src/core/ports.ts), so the same
 * code runs against a live cluster, the in-process twin (`--sim`) and the fakes of the tests.
 *
 * Each tick, in this order (and why):
 *   1. acquire or renew the Lease: only the holder acts, so two replicas never execute the same plan. A follower
 *      reads nothing and plans nothing; it only keeps asking.
 *   2. load the controller state from the StateStore, with its version: the history of the last tick (another
 *      replica's, after a failover), so a restart or a failover neither forgets stabilization nor flaps.
 *   3. read a snapshot through the ClusterReader, and settle the stored in-flight changes against it (the world
 *      has finished some of them).
 *   4. planCluster: the same function `plan` runs.
 *   5. applyPlan through the apply ports, each write guarded: the lease is renewed right before every write (a
 *      lost lease stops the next write at once, not at the next tick) and, after an abort, no write starts.
 *   6. if the Lease is still ours, save `plan.state` with the tick's journal (applied changes `in-progress`, changes not started because of a
 *      shutdown `pending`, refused or failed ones dropped so the next tick decides them afresh) by compare-and-swap
 *      on the version read in step 2. A conflict means another writer: the state is re-read, never overwritten.
 *   7. sleep the interval on the Clock.
 *
 * Errors (a 429 or 500 from the API, Prometheus down, a lease call that failed) never end the loop: the tick is
 * abandoned (after saving what it applied) and the loop sleeps an exponential backoff instead of the interval —
 * initial, ×factor per consecutive failure, capped — reset by the first tick that succeeds.
 *
 * On abort (SIGTERM): the write in flight finishes, no other write starts, the journal is saved, the Lease is
 * released, and `runController` resolves with what the run did. Decisions and outcomes are emitted as structured
 * events (`ControllerEvent`) for logs, metrics and views; the loop never formats text.
 */
import {applyPlan, type ApplyOptions, type ApplyPorts, type ChangeStatus} from '../apply/index.js'
import type {PolicyConfig} from '../model/config.js'
import type {Change, Plan} from '../model/plan.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import type {ControllerState, InFlightChange} from '../model/state.js'
import {planCluster} from '../planner/plan-cluster.js'
import type {Clock, ClusterReader, Lease, LeaseStatus, StateStore} from '../ports.js'
import {settleFromSnapshot} from './settle.js'

export interface ControllerPorts {
  clock: Clock
  lease: Lease
  state: StateStore<ControllerState>
  reader: ClusterReader
  /** The write ports, or a function building them for a tick's plan (an actuator that needs the plan's changes). */
  apply: ApplyPorts | ((plan: Plan) => ApplyPorts)
  /**
   * The executor's options for a tick's plan: changes to refuse (no consent, another autoscaler owns the workload),
   * changes a crashed run left mid-way (`started`), a hook per result (the apply journal). None by default.
   */
  applyOptions?: (plan: Plan) => Promise<ApplyOptions>
  /**
   * Drops the stored in-flight changes the world has finished, judged against this tick's snapshot (a node group
   * whose nodes all serve, a MIG change the manager reported on). By default judged from the snapshot alone
   * (./settle.ts), so a restarted replica judges as the one before it.
   */
  settle?: (state: ControllerState, snapshot: ClusterSnapshot) => ControllerState
}

export interface BackoffPolicy {
  initialSeconds: number
  factor: number
  maxSeconds: number
}

/**
 * 5 s, 10 s, 20 s, ... capped at 5 min: client-go's default backoff manager starts at the same order (its
 * ExponentialBackoff for leader election retries every 2 s; workqueue's rate limiter starts at 5 ms and caps at
 * 1000 s). A controller that acts on GPU capacity gains nothing from retrying faster than a few seconds.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = {initialSeconds: 5, factor: 2, maxSeconds: 300}

export interface ControllerOptions {
  config: PolicyConfig
  /** This replica's name in the Lease (`holderIdentity`). */
  identity: string
  intervalSeconds: number
  /**
   * How long a taken Lease stays ours without renewal. The default, twice the interval plus 15 s, outlives one
   * tick's sleep with room for a slow tick; a replica that died is replaced after at most that long.
   */
  leaseDurationSeconds?: number
  backoff?: BackoffPolicy
  /** Stops the loop (SIGTERM): the write in flight finishes, the journal is saved, the Lease released. */
  signal: AbortSignal
  /** Stops the loop once the clock reaches this instant (`--for`); never by default. */
  until?: number
  emit?: (event: ControllerEvent) => void
  /** Wall-clock milliseconds, for the loop latency (virtual clocks do not move during a tick). */
  stopwatch?: () => number
  /** An in-progress change older than this leaves the state (default 10 intervals): see ./settle.ts. */
  inFlightTtlSeconds?: number
  /** The planner; planCluster unless a test substitutes one. */
  plan?: (input: {config: PolicyConfig; snapshot: ClusterSnapshot}) => Plan
}

/** Where a tick failed, for the error event and the errors metric. */
export type TickPhase = 'lease' | 'state-load' | 'snapshot' | 'plan' | 'apply' | 'state-save'

/** One change the planner decided, as the loop reports it (and `apply --watch` shows it, see ./watch-result.ts). */
export interface DecidedChange {
  changeId: string
  action: Change['action']
  target: string
  from: number | string
  to: number | string
  /** `blocked` changes are shown, never executed. */
  status: Change['status']
  /** The change's first reason: what decided it. */
  reason: {code: string; message: string} | null
}

/** Everything the loop tells the world. `at` is the clock's epoch seconds. */
export type ControllerEvent =
  | {event: 'lease.acquired'; at: number; identity: string; expiresAt: number}
  | {event: 'lease.following'; at: number; identity: string; holder: string; expiresAt: number}
  /** The lease went to another holder (or could not be renewed) while this replica led. */
  | {event: 'lease.lost'; at: number; identity: string; holder: string | null; during: 'tick' | 'apply'}
  | {event: 'lease.released'; at: number; identity: string}
  | {event: 'tick.started'; at: number; tick: number}
  | ({event: 'decision'; at: number; tick: number} & DecidedChange)
  | {
      event: 'outcome'
      at: number
      tick: number
      changeId: string
      action: Change['action']
      status: ChangeStatus['status'] | 'not-started'
      message?: string
    }
  | {event: 'state.saved'; at: number; tick: number; version: string; inFlight: number}
  /** Another writer saved since this tick loaded: nothing was overwritten; the stored state was re-read. */
  | {event: 'state.conflict'; at: number; tick: number; expectedVersion: string | null; storedVersion: string | null}
  | {
      event: 'tick.finished'
      at: number
      tick: number
      leader: boolean
      changes: number
      blocked: number
      applied: number
      failed: number
      /** Seconds the tick took (wall time when a stopwatch was given, else the clock's). */
      latencySeconds: number
      plannedAt: number | null
    }
  | {
      event: 'error'
      at: number
      tick: number
      phase: TickPhase
      message: string
      /** Consecutive failed ticks, this one included. */
      attempt: number
      retryInSeconds: number
    }
  | {event: 'stopped'; at: number; reason: 'aborted' | 'until'; ticks: number}

export interface ControllerRun {
  ticks: number
  /** Ticks this replica led (planned and acted). */
  ledTicks: number
  errors: number
  /** Per-change outcomes over the run. */
  outcomes: Record<ChangeStatus['status'] | 'not-started', number>
  /** Changes applied per action. */
  applied: Record<Change['action'], number>
  stateConflicts: number
  /** Why the loop ended. */
  stoppedBy: 'aborted' | 'until'
  /** Whether this replica held the Lease when it stopped (and so released it). */
  releasedLease: boolean
}

/** The delay after the n-th consecutive failure (n ≥ 1). */
export function backoffSeconds(policy: BackoffPolicy, attempt: number): number {
  const raw = policy.initialSeconds * policy.factor ** Math.max(0, attempt - 1)
  return Math.min(policy.maxSeconds, raw)
}

/** A failure the loop backs off from, carrying the phase it happened in. */
class TickError extends Error {
  constructor(
    readonly phase: TickPhase,
    override readonly cause: unknown,
  ) {
    super(messageOf(cause))
  }
}

export async function runController(ports: ControllerPorts, options: ControllerOptions): Promise<ControllerRun> {
  const {clock} = ports
  const interval = options.intervalSeconds
  const leaseSeconds = options.leaseDurationSeconds ?? 2 * interval + 15
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const ttl = options.inFlightTtlSeconds ?? 10 * interval
  const emit = options.emit ?? (() => undefined)
  const signal = options.signal
  const plan = options.plan ?? planCluster
  const run: ControllerRun = {
    ticks: 0,
    ledTicks: 0,
    errors: 0,
    outcomes: {applied: 0, 'precondition-failed': 0, failed: 0, skipped: 0, 'not-started': 0},
    applied: {'scale-replicas': 0, 'scale-node-group': 0, 'remove-node': 0, 'repartition-gpu': 0},
    stateConflicts: 0,
    stoppedBy: 'aborted',
    releasedLease: false,
  }
  let leading = false
  let consecutiveErrors = 0

  let followed: string | undefined
  /** Renews (or takes) the Lease; emits only when leadership or the holder followed changes. */
  const checkLease = async (during: 'tick' | 'apply'): Promise<LeaseStatus> => {
    const status = await ports.lease.tryAcquireOrRenew(options.identity, leaseSeconds)
    const at = clock.now()
    if (status.held && !leading)
      emit({event: 'lease.acquired', at, identity: options.identity, expiresAt: status.expiresAt})
    if (!status.held) {
      if (leading) emit({event: 'lease.lost', at, identity: options.identity, holder: status.holder, during})
      if (followed !== status.holder)
        emit({
          event: 'lease.following',
          at,
          identity: options.identity,
          holder: status.holder,
          expiresAt: status.expiresAt,
        })
    }
    followed = status.held ? undefined : status.holder
    leading = status.held
    return status
  }

  const tick = async (n: number): Promise<void> => {
    const at = clock.now()
    const started = options.stopwatch?.()
    emit({event: 'tick.started', at, tick: n})
    const finish = (fields: {leader: boolean; changes?: number; blocked?: number; results?: TickResults}) => {
      const end = clock.now()
      const latency =
        options.stopwatch && started !== undefined ? (options.stopwatch() - started) / 1000 : Math.max(0, end - at)
      emit({
        event: 'tick.finished',
        at: end,
        tick: n,
        leader: fields.leader,
        changes: fields.changes ?? 0,
        blocked: fields.blocked ?? 0,
        applied: fields.results?.applied ?? 0,
        failed: fields.results?.failed ?? 0,
        latencySeconds: latency,
        plannedAt: fields.leader ? at : null,
      })
    }

    const lease = await guard('lease', () => checkLease('tick'))
    if (!lease.held) return finish({leader: false})
    run.ledTicks++

    const loaded = await guard('state-load', () => ports.state.load())
    const snapshot = await guard('snapshot', () => ports.reader.snapshot())
    if (signal.aborted) return finish({leader: true})
    const stored = loaded?.state
    if (stored) snapshot.state = settleInFlight(stored, snapshot, ports.settle, ttl)
    const tickPlan = await guard('plan', async () => plan({config: options.config, snapshot}))
    for (const change of tickPlan.changes) emit(decisionEvent(change, snapshot.capturedAt, n))

    const applyPorts = typeof ports.apply === 'function' ? ports.apply(tickPlan) : ports.apply
    const guarded = guardPorts(applyPorts, tickPlan.changes, {
      signal,
      renew: async () => (await checkLease('apply')).held,
    })
    let results: ChangeStatus[]
    try {
      const executorOptions = ports.applyOptions ? await ports.applyOptions(tickPlan) : {}
      results = (await applyPlan(tickPlan, guarded.ports, executorOptions)).results
    } catch (error) {
      // A port threw mid-plan: save what was applied before it, then back off.
      await saveJournal(n, tickPlan, guarded.outcomes(), loaded?.version)
      throw new TickError('apply', error)
    }
    const notStarted = guarded.notStarted
    const counted = countOutcomes(results, notStarted)
    for (const r of results) {
      const status: JournalStatus = notStarted.has(r.changeId) ? 'not-started' : r.status
      run.outcomes[status]++
      if (status === 'applied') run.applied[r.action]++
      emit({
        event: 'outcome',
        at: clock.now(),
        tick: n,
        changeId: r.changeId,
        action: r.action,
        status,
        ...outcomeMessage(r, notStarted.has(r.changeId)),
      })
    }
    await saveJournal(n, tickPlan, outcomeMap(results, notStarted), loaded?.version)
    finish({leader: true, changes: tickPlan.summary.changes, blocked: tickPlan.summary.blocked, results: counted})
  }

  /** Saves the plan's state with this tick's journal, by compare-and-swap; a conflict is re-read, never forced. */
  const saveJournal = async (
    n: number,
    tickPlan: Plan,
    outcomes: ReadonlyMap<string, JournalStatus>,
    expectedVersion: string | undefined,
  ): Promise<void> => {
    const next = journal(tickPlan.state, outcomes)
    // Saving is acting too: a replica that lost the Lease during a slow tick leaves the state to the new leader
    // (the compare-and-swap would refuse it anyway when the new leader saved first; this also covers the case
    // where it has not yet).
    if (!(await guard('lease', () => checkLease('apply'))).held) return
    const saved = await guard('state-save', () => ports.state.save(next, expectedVersion))
    if (saved.saved) {
      emit({event: 'state.saved', at: clock.now(), tick: n, version: saved.version, inFlight: next.changes.length})
      return
    }
    run.stateConflicts++
    const current = await guard('state-load', () => ports.state.load())
    emit({
      event: 'state.conflict',
      at: clock.now(),
      tick: n,
      expectedVersion: expectedVersion ?? null,
      storedVersion: current?.version ?? null,
    })
  }

  for (;;) {
    if (signal.aborted) break
    if (options.until !== undefined && clock.now() >= options.until) {
      run.stoppedBy = 'until'
      break
    }
    const n = ++run.ticks
    let delay = interval
    try {
      await tick(n)
      consecutiveErrors = 0
    } catch (error) {
      const failure = error instanceof TickError ? error : new TickError('plan', error)
      consecutiveErrors++
      run.errors++
      delay = Math.max(backoffSeconds(backoff, consecutiveErrors), retryAfterOf(failure.cause) ?? 0)
      emit({
        event: 'error',
        at: clock.now(),
        tick: n,
        phase: failure.phase,
        message: failure.message,
        attempt: consecutiveErrors,
        retryInSeconds: delay,
      })
    }
    if (signal.aborted) break
    if (options.until !== undefined) delay = Math.min(delay, Math.max(0, options.until - clock.now()))
    try {
      await clock.sleep(delay, signal)
    } catch {
      if (signal.aborted) break
    }
  }

  if (leading) {
    try {
      await ports.lease.release(options.identity)
      run.releasedLease = true
      emit({event: 'lease.released', at: clock.now(), identity: options.identity})
    } catch (error) {
      // The lease then expires by itself after its duration; say so, do not fail the shutdown.
      run.errors++
      emit({
        event: 'error',
        at: clock.now(),
        tick: run.ticks,
        phase: 'lease',
        message: `releasing the lease failed (it expires by itself): ${messageOf(error)}`,
        attempt: 1,
        retryInSeconds: 0,
      })
    }
  }
  emit({event: 'stopped', at: clock.now(), reason: run.stoppedBy, ticks: run.ticks})
  return run
}

async function guard<T>(phase: TickPhase, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    throw error instanceof TickError ? error : new TickError(phase, error)
  }
}

type JournalStatus = ChangeStatus['status'] | 'not-started'

interface TickResults {
  applied: number
  failed: number
}

function countOutcomes(results: readonly ChangeStatus[], notStarted: ReadonlySet<string>): TickResults {
  let applied = 0
  let failed = 0
  for (const r of results) {
    if (r.status === 'applied') applied++
    else if (r.status === 'failed' && !notStarted.has(r.changeId)) failed++
  }
  return {applied, failed}
}

function outcomeMap(results: readonly ChangeStatus[], notStarted: ReadonlySet<string>): Map<string, JournalStatus> {
  return new Map(results.map((r) => [r.changeId, notStarted.has(r.changeId) ? 'not-started' : r.status]))
}

function outcomeMessage(r: ChangeStatus, notStarted: boolean): {message?: string} {
  if (notStarted) return {message: 'not started: the loop is stopping'}
  switch (r.status) {
    case 'applied':
      return {}
    case 'precondition-failed':
      return {
        message: `${r.precondition.resource.kind} ${r.precondition.resource.name} ${r.precondition.path} is ${JSON.stringify(r.actual ?? null)}, the plan expected ${JSON.stringify(r.precondition.equals)}`,
      }
    case 'failed':
    case 'skipped':
      return {message: r.message}
  }
}

/**
 * The state to save after a tick: the plan's next state, with each of this tick's changes marked by what happened
 * to it. Applied → `in-progress` (the world takes time to follow). Not started because the loop is stopping →
 * stays `pending`: the journal shows it was planned and never begun, and the next run plans it again from what it
 * then sees (the planner carries only `in-progress` changes forward). Refused, failed or skipped → dropped, decided
 * afresh next tick. Changes of earlier ticks are kept as they were.
 */
export function journal(state: ControllerState, outcomes: ReadonlyMap<string, JournalStatus>): ControllerState {
  const changes: InFlightChange[] = []
  for (const change of state.changes) {
    const status = outcomes.get(change.id)
    if (status === undefined) changes.push(change)
    else if (status === 'applied') changes.push({...change, status: 'in-progress'})
    else if (status === 'not-started') changes.push({...change, status: 'pending'})
  }
  return {...state, changes}
}

/** The stored state with finished in-flight changes dropped (by `settle`, else judged from the snapshot). */
function settleInFlight(
  state: ControllerState,
  snapshot: ClusterSnapshot,
  settle: ControllerPorts['settle'],
  ttlSeconds: number,
): ControllerState {
  return settle ? settle(state, snapshot) : settleFromSnapshot(state, snapshot, ttlSeconds)
}

/**
 * The apply ports with two guards in front of every write: after an abort nothing new starts (the change is
 * answered `failed`, retryable, and recorded as not started), and the Lease is renewed first, so a replica that
 * lost it stops writing at once. Every write's outcome is recorded by change id, so a tick that fails half-way
 * still saves what it applied. The node-group port knows no change ids: its calls are matched to the plan's
 * changes by their typed payloads (group and delta; group and node), never by ids or messages.
 */
function guardPorts(
  ports: ApplyPorts,
  changes: readonly Change[],
  guards: {signal: AbortSignal; renew: () => Promise<boolean>},
): {ports: ApplyPorts; notStarted: Set<string>; outcomes: () => Map<string, JournalStatus>} {
  const notStarted = new Set<string>()
  const outcomes = new Map<string, JournalStatus>()
  let lost = false
  const before = async (changeId: string): Promise<string | undefined> => {
    if (guards.signal.aborted) {
      notStarted.add(changeId)
      outcomes.set(changeId, 'not-started')
      return 'not started: the loop is stopping'
    }
    if (lost || !(await guards.renew())) {
      lost = true
      return 'the Lease is held by another replica: this one no longer acts'
    }
    return undefined
  }
  const changeOf = (match: (c: Change) => boolean, fallback: string): string =>
    changes.find((c) => !outcomes.has(c.id) && match(c))?.id ?? fallback
  type GroupResult = Awaited<ReturnType<ApplyPorts['nodeGroups']['increaseSize']>>
  const groupWrite = async (changeId: string, write: () => Promise<GroupResult>): Promise<GroupResult> => {
    const refused = await before(changeId)
    if (refused) return {status: 'failed', failure: 'conflict', message: refused}
    const result = await write()
    outcomes.set(changeId, result.status === 'done' ? 'applied' : 'failed')
    return result
  }
  return {
    notStarted,
    outcomes: () => outcomes,
    ports: {
      read: ports.read,
      cluster: {
        apply: async (change) => {
          const refused = await before(change.id)
          if (refused) return {changeId: change.id, status: 'failed', message: refused, retryable: true}
          const result = await ports.cluster.apply(change)
          outcomes.set(change.id, result.status === 'applied' ? 'applied' : 'failed')
          return result
        },
      },
      nodeGroups: {
        increaseSize: (group, delta) =>
          groupWrite(
            changeOf(
              (c) => c.action === 'scale-node-group' && c.payload.group === group && c.payload.delta === delta,
              `scale-node-group:${group}`,
            ),
            () => ports.nodeGroups.increaseSize(group, delta),
          ),
        removeNode: (group, node) =>
          groupWrite(
            changeOf(
              (c) => c.action === 'remove-node' && c.payload.group === group && c.payload.node === node,
              `remove-node:${group}/${node}`,
            ),
            () => ports.nodeGroups.removeNode(group, node),
          ),
      },
    },
  }
}

function decisionEvent(change: Change, at: number, tick: number): ControllerEvent {
  const top = change.reasons[0]
  const target = change.target.namespace ? `${change.target.namespace}/${change.target.name}` : change.target.name
  return {
    event: 'decision',
    at,
    tick,
    changeId: change.id,
    action: change.action,
    target,
    from: change.from,
    to: change.to,
    status: change.status,
    reason: top ? {code: top.code, message: top.message} : null,
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
}

/** A `Retry-After` the failing adapter passed on (seconds), honoured as a floor of the backoff. */
function retryAfterOf(error: unknown): number | undefined {
  const value = (error as {retryAfterSeconds?: unknown} | undefined)?.retryAfterSeconds
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined
}
