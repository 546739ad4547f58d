/**
 * Which in-flight changes the world has finished, judged from a snapshot alone, so a restarted controller (which
 * kept nothing but its stored state) judges exactly as the one before it. Conservative: a change stays in flight
 * while anything of its kind is still moving in the cluster.
 *
 * - `scale-replicas`, `remove-node`: the workload's and the node's own controllers take over once the write is
 *   accepted; one tick later the snapshot shows them (Pending pods, a cordoned node), which is what the planner
 *   reads — finished as soon as a later snapshot exists (as the closed loop does).
 * - `scale-node-group`: finished when no group is still provisioning (every group has as many GPU-allocatable
 *   nodes as its target size). In-flight entries carry no payload, and ids are never parsed, so the group is not
 *   known here: any group still booting keeps every scale-up in flight.
 * - `repartition-gpu`: finished when no node is cordoned or waiting for the MIG manager (`pending`, `rebooting`).
 *
 * In-flight entries never steer the planner (it only carries them forward); they are the journal a person and the
 * next run read. `maxAgeSeconds` bounds them: a change stuck longer than that leaves the state, and the planner
 * decides afresh from what it sees.
 */
import type {ClusterSnapshot} from '../model/snapshot.js'
import type {ControllerState, InFlightChange} from '../model/state.js'

export function settleFromSnapshot(
  state: ControllerState,
  snapshot: ClusterSnapshot,
  maxAgeSeconds: number,
): ControllerState {
  const now = snapshot.capturedAt
  const provisioning = snapshot.nodeGroups.some((group) => {
    const serving = snapshot.nodes.filter((n) => n.group === group.name && n.ready && n.gpusAllocatable).length
    return serving < group.targetSize
  })
  const migMoving = snapshot.nodes.some(
    (n) => n.cordoned || n.migConfigState === 'pending' || n.migConfigState === 'rebooting',
  )
  const finished = (change: InFlightChange): boolean => {
    if (change.status !== 'in-progress') return false
    if (now - change.since >= maxAgeSeconds) return true
    switch (change.action) {
      case 'scale-replicas':
      case 'remove-node':
        return change.since < now
      case 'scale-node-group':
        return change.since < now && !provisioning
      case 'repartition-gpu':
        return change.since < now && !migMoving
    }
  }
  const changes = state.changes.filter((c) => !finished(c))
  return changes.length === state.changes.length ? state : {...state, changes}
}
