/**
 * State in and out of one tick. In: the persisted state (`snapshot.state`) is merged into the snapshot's own
 * history (workload recommendations and scale events, group lastScaleUpAt), so the recommenders read one history
 * whatever its source; a state of another format version is ignored, never guessed at. Out: the next state, what
 * HPA's controller and Cluster Autoscaler keep between loops, pruned to the windows that can still matter.
 */
import type {ModelConfig, PolicyConfig} from '../model/config.js'
import {workloadKey} from '../model/keys.js'
import type {Change} from '../model/plan.js'
import type {ClusterSnapshot, NodeGroupState, WorkloadState} from '../model/snapshot.js'
import {
  CONTROLLER_STATE_FORMAT_VERSION,
  type ControllerState,
  emptyControllerState,
  type InFlightChange,
  type ModelControllerState,
  type NodeGroupControllerState,
} from '../model/state.js'
import type {GroupHealth} from '../policy/nodes/backoff.js'

/** The snapshot with the persisted state's history merged in (the snapshot is not modified). */
export function withControllerState(snapshot: ClusterSnapshot): ClusterSnapshot {
  const state = snapshot.state
  if (!state || state.formatVersion !== CONTROLLER_STATE_FORMAT_VERSION) return snapshot
  const workloads = snapshot.workloads.map((w): WorkloadState => {
    const remembered = state.models[workloadKey(w)]
    if (!remembered) return w
    return {
      ...w,
      recommendations: mergeByTime(w.recommendations, remembered.recommendations, (r) => `${r.at}/${r.replicas}`),
      scaleEvents: mergeByTime(w.scaleEvents, remembered.scaleEvents, (e) => `${e.at}/${e.from}/${e.to}`),
    }
  })
  const nodeGroups = snapshot.nodeGroups.map((g): NodeGroupState => {
    const remembered = state.nodeGroups[g.name]
    const lastScaleUpAt = latest(g.lastScaleUpAt, remembered?.lastScaleUpAt)
    const lastScaleDownAt = latest(g.lastScaleDownAt, remembered?.lastScaleDownAt)
    return {
      ...g,
      ...(lastScaleUpAt !== undefined ? {lastScaleUpAt} : {}),
      ...(lastScaleDownAt !== undefined ? {lastScaleDownAt} : {}),
    }
  })
  return {...snapshot, workloads, nodeGroups}
}

export interface TickOutcome {
  /** Per model with a replica decision: its raw recommendation this tick, and the replica change planned. */
  decisions: Array<{model: ModelConfig; workload: WorkloadState; recommendation?: {at: number; replicas: number}}>
  changes: readonly Change[]
  health: ReadonlyMap<string, GroupHealth>
}

/** The state to persist after this tick. */
export function nextControllerState(
  config: PolicyConfig,
  snapshot: ClusterSnapshot,
  outcome: TickOutcome,
): ControllerState {
  const now = snapshot.capturedAt
  const state = emptyControllerState(now)
  const planned = outcome.changes.filter((c) => c.status === 'planned')
  const replicaChanges = new Map<string, {from: number; to: number}>()
  for (const c of planned)
    if (c.action === 'scale-replicas')
      replicaChanges.set(workloadKey(c.payload.workload), {from: c.payload.from, to: c.payload.to})
  for (const {model, workload, recommendation} of outcome.decisions) {
    const key = workloadKey(workload)
    const {recommendationSeconds, eventSeconds} = historyWindows(model)
    const change = replicaChanges.get(key)
    const recommendations = [...workload.recommendations, ...(recommendation ? [recommendation] : [])].filter(
      (r) => r.at > now - recommendationSeconds,
    )
    // The event is recorded when the plan asks for it: the tick applies its plan, as HPA's sync sets the scale.
    const scaleEvents = [
      ...workload.scaleEvents,
      ...(change ? [{at: now, from: change.from, to: change.to}] : []),
    ].filter((e) => e.at > now - eventSeconds)
    const entry: ModelControllerState = {
      recommendations: dedupe(recommendations, (r) => `${r.at}/${r.replicas}`),
      scaleEvents: dedupe(scaleEvents, (e) => `${e.at}/${e.from}/${e.to}`),
    }
    if (entry.recommendations.length > 0 || entry.scaleEvents.length > 0) state.models[key] = entry
  }
  const scaledUp = new Set(planned.flatMap((c) => (c.action === 'scale-node-group' ? [c.payload.group] : [])))
  const scaledDown = new Set(planned.flatMap((c) => (c.action === 'remove-node' ? [c.payload.group] : [])))
  for (const group of config.nodeGroups) {
    const observed = snapshot.nodeGroups.find((g) => g.name === group.name)
    const health = outcome.health.get(group.name)
    const lastScaleUpAt = scaledUp.has(group.name) ? now : observed?.lastScaleUpAt
    const lastScaleDownAt = scaledDown.has(group.name) ? now : observed?.lastScaleDownAt
    const entry: NodeGroupControllerState = {
      ...(lastScaleUpAt !== undefined ? {lastScaleUpAt} : {}),
      ...(lastScaleDownAt !== undefined ? {lastScaleDownAt} : {}),
      ...(health && !health.available && health.until !== undefined
        ? {backoff: {until: health.until, consecutiveFailures: health.consecutiveFailures}}
        : {}),
    }
    if (Object.keys(entry).length > 0) state.nodeGroups[group.name] = entry
  }
  const ids = new Set(planned.map((c) => c.id))
  // Changes the actuator reported as still running stay tracked; this tick's planned changes start as pending.
  const carried = (snapshot.state?.changes ?? []).filter((c) => c.status === 'in-progress' && !ids.has(c.id))
  const fresh: InFlightChange[] = planned.map((c) => ({id: c.id, action: c.action, since: now, status: 'pending'}))
  state.changes = [...carried, ...fresh]
  return state
}

/** How far back history can still change a decision: the longest stabilization window, rate period or cooldown. */
function historyWindows(model: ModelConfig): {recommendationSeconds: number; eventSeconds: number} {
  const {scaleUp, scaleDown} = model.behavior
  const recommendationSeconds = Math.max(scaleUp.stabilizationWindowSeconds, scaleDown.stabilizationWindowSeconds, 0)
  const eventSeconds = Math.max(
    ...scaleUp.policies.map((p) => p.periodSeconds),
    ...scaleDown.policies.map((p) => p.periodSeconds),
    scaleUp.cooldownSeconds,
    scaleDown.cooldownSeconds,
    0,
  )
  return {recommendationSeconds, eventSeconds}
}

function mergeByTime<T extends {at: number}>(a: readonly T[], b: readonly T[], key: (item: T) => string): T[] {
  const merged = dedupe([...a, ...b], key)
  // Sorting a list already in time order changes nothing (the sort is stable): skip it, as every tick can.
  return ascends(merged, false) ? merged : merged.sort((x, y) => x.at - y.at)
}

/**
 * The first of each item with the same key. History kept by this module is in strictly ascending time, and
 * items at distinct instants never share a key (the key starts with the instant): such a list is kept whole
 * without building a key per item, which every tick did for every model.
 */
function dedupe<T extends {at: number}>(items: readonly T[], key: (item: T) => string): T[] {
  if (ascends(items, true)) return [...items]
  const seen = new Set<string>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.max(a, b)
}

/** Whether the items' instants ascend (strictly: no two at one instant); false with a NaN instant. */
function ascends(items: ReadonlyArray<{at: number}>, strictly: boolean): boolean {
  for (let i = 1; i < items.length; i++) {
    const before = (items[i - 1] as {at: number}).at
    const at = (items[i] as {at: number}).at
    if (!(strictly ? before < at : before <= at)) return false
  }
  return true
}
