/**
 * Executes a Plan's typed changes through the write ports, one change at a time, and says what happened to each.
 * Pure (no I/O of its own): the ports do the writing, so the same executor drives the twin in `simulate`, the
 * recording fakes in tests, and the live cluster in `apply` later.
 *
 * Per change, checked in this order (cheapest first, and each one's why):
 *   1. `blocked` in the plan: never executed; it shows what would be needed, not something to do.
 *   2. every id in `dependsOn` must have been applied in this run: a replica change that counts on a node the
 *      provider refused would only create Pending pods (skipped, naming the dependency and its status).
 *   3. preconditions, read right before acting (Karpenter's "re-validate before acting"): a field that moved
 *      since the plan was made refuses this one change (`precondition-failed`, with the value found) and the
 *      rest of the plan goes on — staleness is per change, never a hash of the inputs.
 *   4. the write: replica and MIG changes through the ClusterWriter (which re-checks the preconditions itself in
 *      the same step, closing the window between read and write), node groups through the NodeGroupWriter
 *      (grow by a delta, shrink only by naming the node).
 *
 * Order: the plan's order (capacity first, then replicas up, down, nodes down: see plan-cluster.ts's PHASE), except
 * that a change never runs before a change it depends on — a dependency listed later is executed first (a stable
 * topological order). Reasons are never read here: the executor acts on `action` and `payload` only.
 */
import type {Change, Precondition} from '../model/plan.js'
import type {ClusterWriter, NodeGroupFailure, NodeGroupWriter} from '../ports.js'

/** The value at `path` of a resource now (undefined: no such resource or field). */
export type FieldReader = (resource: Precondition['resource'], path: string) => unknown | Promise<unknown>

export interface ApplyPorts {
  /** Replica and MIG changes (the change carries its own preconditions; the writer checks them again). */
  cluster: ClusterWriter<Change>
  nodeGroups: NodeGroupWriter
  /** Reads the current value of a precondition's field. */
  read: FieldReader
}

export type SkipReason =
  | 'blocked'
  | 'dependency-not-applied'
  | 'dependency-missing'
  | 'dependency-cycle'
  /** An earlier run applied it (the journal says so): not repeated, and it satisfies its dependents. */
  | 'done-earlier'
  /** The caller refused it before acting (no consent for a destructive step, another autoscaler owns it). */
  | 'refused'

/**
 * What a caller that resumes and journals (`apply`) adds; `simulate`'s loop passes none of it.
 * - `done`: ids an earlier run finished: reported `skipped: done-earlier`, never re-run, and counted as applied
 *   for their dependents (a crash must not strand what depended on finished work).
 * - `started`: ids an earlier run began (a MIG change that cordoned and relabelled the node): their preconditions
 *   were checked before the first step and now read the run's own writes, so they are not checked again; the
 *   writer resumes at the step it reached.
 * - `refuse`: a reason to refuse a change before acting, or undefined.
 * - `onResult`: awaited after each change, before the next one starts (the journal is written here).
 */
export interface ApplyOptions {
  done?: ReadonlySet<string>
  started?: ReadonlySet<string>
  refuse?: (change: Change) => string | undefined
  onResult?: (status: ChangeStatus, change: Change) => Promise<void> | void
}

/** What happened to one change: exactly one entry per change of the plan, in execution order. */
export type ChangeStatus =
  | {changeId: string; action: Change['action']; status: 'applied'}
  /** A precondition no longer holds: nothing was written for this change. */
  | {
      changeId: string
      action: Change['action']
      status: 'precondition-failed'
      precondition: Precondition
      actual: unknown
    }
  /** The port refused or failed. `failure` is the node-group writer's kind of failure, when it was one. */
  | {
      changeId: string
      action: Change['action']
      status: 'failed'
      message: string
      retryable: boolean
      failure?: NodeGroupFailure
    }
  | {
      changeId: string
      action: Change['action']
      status: 'skipped'
      reason: SkipReason
      message: string
      dependency?: string
    }

export interface ApplyResult {
  results: ChangeStatus[]
  counts: Record<ChangeStatus['status'], number>
}

/** Node-group failures worth retrying on the next tick: a conflict or a transient capacity shortage. */
const RETRYABLE_GROUP_FAILURES: ReadonlySet<NodeGroupFailure> = new Set(['capacity', 'conflict'])

export async function applyPlan(
  plan: {changes: readonly Change[]},
  ports: ApplyPorts,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const results: ChangeStatus[] = []
  const statusById = new Map<string, ChangeStatus>()
  const record = (status: ChangeStatus) => {
    results.push(status)
    statusById.set(status.changeId, status)
  }
  for (const item of executionOrder(plan.changes)) {
    if ('cycle' in item) {
      record({
        changeId: item.change.id,
        action: item.change.action,
        status: 'skipped',
        reason: 'dependency-cycle',
        message: `${item.change.id} depends on itself through ${item.cycle}`,
        dependency: item.cycle,
      })
      continue
    }
    const status = await applyOne(item.change, plan.changes, statusById, ports, options)
    record(status)
    await options.onResult?.(status, item.change)
  }
  const counts = {applied: 0, 'precondition-failed': 0, failed: 0, skipped: 0}
  for (const r of results) counts[r.status]++
  return {results, counts}
}

async function applyOne(
  change: Change,
  all: readonly Change[],
  done: ReadonlyMap<string, ChangeStatus>,
  ports: ApplyPorts,
  options: ApplyOptions,
): Promise<ChangeStatus> {
  const base = {changeId: change.id, action: change.action}
  if (change.status === 'blocked')
    return {...base, status: 'skipped', reason: 'blocked', message: 'blocked in the plan: shown, never executed'}
  if (options.done?.has(change.id))
    return {...base, status: 'skipped', reason: 'done-earlier', message: 'applied by an earlier run (journal)'}
  for (const dependency of change.dependsOn) {
    const outcome = done.get(dependency)
    if (outcome?.status === 'applied' || (outcome?.status === 'skipped' && outcome.reason === 'done-earlier')) continue
    if (!all.some((c) => c.id === dependency))
      return {
        ...base,
        status: 'skipped',
        reason: 'dependency-missing',
        message: `depends on ${dependency}, which is not in the plan`,
        dependency,
      }
    const what = outcome ? outcome.status : 'not run'
    return {
      ...base,
      status: 'skipped',
      reason: 'dependency-not-applied',
      message: `depends on ${dependency}, which was ${what}`,
      dependency,
    }
  }
  const refusal = options.refuse?.(change)
  if (refusal !== undefined) return {...base, status: 'skipped', reason: 'refused', message: refusal}
  for (const precondition of options.started?.has(change.id) ? [] : change.preconditions) {
    const actual = await ports.read(precondition.resource, precondition.path)
    if (!sameValue(actual, precondition.equals)) return {...base, status: 'precondition-failed', precondition, actual}
  }
  switch (change.action) {
    case 'scale-replicas':
    case 'repartition-gpu': {
      const result = await ports.cluster.apply(change)
      if (result.status === 'applied') return {...base, status: 'applied'}
      if (result.status === 'precondition-failed')
        return {...base, status: 'precondition-failed', precondition: result.precondition, actual: result.actual}
      return {...base, status: 'failed', message: result.message, retryable: result.retryable}
    }
    case 'scale-node-group':
      return groupOutcome(base, await ports.nodeGroups.increaseSize(change.payload.group, change.payload.delta))
    case 'remove-node':
      return groupOutcome(base, await ports.nodeGroups.removeNode(change.payload.group, change.payload.node))
  }
}

function groupOutcome(
  base: {changeId: string; action: Change['action']},
  result: Awaited<ReturnType<NodeGroupWriter['increaseSize']>>,
): ChangeStatus {
  if (result.status === 'done') return {...base, status: 'applied'}
  return {
    ...base,
    status: 'failed',
    message: result.message,
    retryable: RETRYABLE_GROUP_FAILURES.has(result.failure),
    failure: result.failure,
  }
}

/**
 * The plan's order, with each change moved after the changes it depends on (depth first, stable). A change on a
 * dependency cycle is reported, never executed: no order can satisfy it.
 */
function executionOrder(changes: readonly Change[]): Array<{change: Change} | {change: Change; cycle: string}> {
  const byId = new Map(changes.map((c) => [c.id, c]))
  const order: Array<{change: Change} | {change: Change; cycle: string}> = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (change: Change): string | undefined => {
    const seen = state.get(change.id)
    if (seen === 'done') return undefined
    if (seen === 'visiting') return change.id
    state.set(change.id, 'visiting')
    let cycle: string | undefined
    for (const dependency of change.dependsOn) {
      const next = byId.get(dependency)
      if (next) cycle ??= visit(next)
    }
    state.set(change.id, 'done')
    order.push(cycle === undefined ? {change} : {change, cycle})
    // The cycle closes here: changes that merely depend on it are skipped for their dependency, not as cycles.
    return cycle === change.id ? undefined : cycle
  }
  for (const change of changes) visit(change)
  return order
}

/** Precondition values are JSON scalars; a missing field matches `null` (the plan's "absent"). */
function sameValue(actual: unknown, expected: Precondition['equals']): boolean {
  if (expected === null) return actual === null || actual === undefined
  return actual === expected
}
