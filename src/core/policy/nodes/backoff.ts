/**
 * Node-group health: may the planner ask this group for nodes now? Two memories of failure, as the two
 * autoscalers keep them:
 *
 * - Cluster Autoscaler's node-group backoff: a node not ready within `maxNodeProvisionSeconds` (CA
 *   `--max-node-provision-time`, 15 min) or a quota/timeout failure backs the group off for 5 min
 *   (`--initial-node-group-backoff-duration`), doubling per consecutive failure up to 30 min
 *   (`--max-node-group-backoff-duration`); a group with no failure for 3 h starts over
 *   (`--node-group-backoff-reset-timeout`).
 * - Karpenter's insufficient-capacity (ICE) cache: a spot capacity error marks the offering unavailable for 3 min,
 *   and provisioning falls back to other capacity (on-demand) at once.
 *
 * Failures come from `NodeGroupState.failures` plus the snapshot's own evidence: a registered node still without
 * allocatable GPUs past the limit is a timeout even if nothing recorded it.
 */
import type {NodeGroupConfig} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import type {NodeGroupState, NodeState} from '../../model/snapshot.js'

export const INITIAL_BACKOFF_SECONDS = 300
export const MAX_BACKOFF_SECONDS = 1800
export const BACKOFF_RESET_SECONDS = 3 * 3600
export const SPOT_CAPACITY_COOLDOWN_SECONDS = 180

export type FailureReason = NodeGroupState['failures'][number]['reason']

export interface GroupHealth {
  group: string
  /** False while backed off or while spot capacity is known to be short. */
  available: boolean
  /** Why the group is unavailable, or notes (timed-out nodes) when it is available. */
  reasons: Reason[]
  /** When the group may be asked again (epoch seconds), when unavailable. */
  until?: number
  /** Registered nodes that missed `maxNodeProvisionSeconds`. */
  timedOutNodes: string[]
  /** Failures in the current run (what the backoff doubles on); 0 when none count. */
  consecutiveFailures: number
}

/** Backoff after `consecutive` failures: 5 min, 10, 20, then 30 min cap. */
export function computeBackoffSeconds(consecutive: number): number {
  if (consecutive <= 0) return 0
  return Math.min(MAX_BACKOFF_SECONDS, INITIAL_BACKOFF_SECONDS * 2 ** (consecutive - 1))
}

export function assessGroupHealth(
  group: NodeGroupConfig,
  state: NodeGroupState | undefined,
  nodes: readonly NodeState[],
  now: number,
): GroupHealth {
  const timedOutNodes = nodes
    .filter(
      (n) =>
        n.group === group.name && (!n.ready || !n.gpusAllocatable) && now - n.createdAt > group.maxNodeProvisionSeconds,
    )
    .map((n) => n.name)
    .sort()
  const failures = [
    ...(state?.failures ?? []),
    ...nodes
      .filter((n) => timedOutNodes.includes(n.name))
      .map((n) => ({at: n.createdAt + group.maxNodeProvisionSeconds, reason: 'timeout' as const})),
  ]
    .filter((f) => f.at <= now)
    .sort((a, b) => a.at - b.at)
  const reasons: Reason[] = []
  if (timedOutNodes.length > 0) {
    reasons.push({
      code: 'NodeProvisionTimeout',
      message: `${timedOutNodes.length} ${group.name} node(s) not ready after ${group.maxNodeProvisionSeconds}s (${timedOutNodes.join(', ')}): not counted as capacity`,
      evidence: {
        group: group.name,
        nodes: timedOutNodes.join(','),
        maxNodeProvisionSeconds: group.maxNodeProvisionSeconds,
      },
    })
  }
  // Karpenter's ICE cache applies to spot capacity errors only; those do not escalate CA's backoff, because the
  // fallback (on-demand) is a different offering, not a broken group.
  const lastCapacity = [...failures].reverse().find((f) => f.reason === 'capacity')
  if (group.capacityType === 'spot' && lastCapacity && now - lastCapacity.at < SPOT_CAPACITY_COOLDOWN_SECONDS) {
    const until = lastCapacity.at + SPOT_CAPACITY_COOLDOWN_SECONDS
    reasons.push({
      code: 'SpotCapacityUnavailable',
      message: `${group.name} reported insufficient spot capacity ${now - lastCapacity.at}s ago; not asked again for ${until - now}s (3 min capacity cache), other groups are tried instead`,
      evidence: {
        group: group.name,
        failedAt: lastCapacity.at,
        retryInSeconds: until - now,
        cooldownSeconds: SPOT_CAPACITY_COOLDOWN_SECONDS,
      },
    })
    return {group: group.name, available: false, reasons, until, timedOutNodes, consecutiveFailures: 0}
  }
  const escalating = failures.filter((f) => !(group.capacityType === 'spot' && f.reason === 'capacity'))
  // Consecutive failures: the run since the last quiet gap of 3 h (CA resets the backoff after that).
  let consecutive = 0
  let previous: number | undefined
  for (const failure of escalating) {
    consecutive = previous !== undefined && failure.at - previous > BACKOFF_RESET_SECONDS ? 1 : consecutive + 1
    previous = failure.at
  }
  if (previous === undefined || now - previous > BACKOFF_RESET_SECONDS)
    return {group: group.name, available: true, reasons, timedOutNodes, consecutiveFailures: 0}
  const backoff = computeBackoffSeconds(consecutive)
  const until = previous + backoff
  if (now >= until)
    return {group: group.name, available: true, reasons, timedOutNodes, consecutiveFailures: consecutive}
  const last = escalating[escalating.length - 1]
  reasons.push({
    code: 'GroupBackedOff',
    message: `${group.name} is backed off for ${until - now}s more after ${consecutive} consecutive failure(s) (last: ${last?.reason ?? 'timeout'}); backoff ${backoff}s (5 min doubling to 30 min)`,
    evidence: {
      group: group.name,
      consecutiveFailures: consecutive,
      backoffSeconds: backoff,
      retryInSeconds: until - now,
      lastFailure: last?.reason ?? null,
    },
  })
  return {group: group.name, available: false, reasons, until, timedOutNodes, consecutiveFailures: consecutive}
}

/** Health of every configured group, by name. */
export function assessFleetHealth(
  groups: readonly NodeGroupConfig[],
  states: readonly NodeGroupState[],
  nodes: readonly NodeState[],
  now: number,
): Map<string, GroupHealth> {
  const byName = new Map(states.map((s) => [s.name, s]))
  const byGroup = new Map<string, NodeState[]>()
  for (const node of nodes) {
    const list = byGroup.get(node.group)
    if (list) list.push(node)
    else byGroup.set(node.group, [node])
  }
  return new Map(groups.map((g) => [g.name, assessGroupHealth(g, byName.get(g.name), byGroup.get(g.name) ?? [], now)]))
}
