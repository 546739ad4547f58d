/**
 * What each pod of a workload is worth as capacity right now. A GPU replica takes minutes to pull, load its weights
 * and pass its health check; a pod in that state has no meaningful utilization, so reading its zeros as idle
 * capacity would scale down exactly when capacity is arriving (the KEDA/KServe failure mode in domain facts §2.5).
 *
 * - ignored: deleting, Failed or Succeeded (as HPA's groupPods ignores them);
 * - serving: Running and Ready: the only pods whose telemetry is read;
 * - arriving: Pending, or Running but not Ready within `healthCheckGraceSeconds` of starting: capacity arriving;
 * - unhealthy: Running, not Ready, past its grace: neither serving nor arriving (a diagnostic).
 *
 * Arriving pods are already part of `spec.replicas`, so they are counted once (never added on top of it).
 */
import type {PodState} from '../../model/snapshot.js'

export interface PodRoles {
  serving: PodState[]
  arriving: PodState[]
  unhealthy: PodState[]
  ignored: PodState[]
}

export function assignPodRoles(pods: readonly PodState[], now: number, healthCheckGraceSeconds: number): PodRoles {
  const roles: PodRoles = {serving: [], arriving: [], unhealthy: [], ignored: []}
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed' || pod.phase === 'Succeeded') roles.ignored.push(pod)
    else if (pod.phase === 'Pending') roles.arriving.push(pod)
    else if (pod.ready) roles.serving.push(pod)
    else if (now - (pod.startedAt ?? pod.createdAt) < healthCheckGraceSeconds) roles.arriving.push(pod)
    else roles.unhealthy.push(pod)
  }
  return roles
}
