/**
 * The one key for a workload, wherever models, pods, workloads and controller state are joined: `namespace/Kind/name`.
 * One function, so two maps built in two files can never disagree on the spelling.
 */
export function workloadKey(ref: {kind: string; namespace: string; name: string}): string {
  return `${ref.namespace}/${ref.kind}/${ref.name}`
}

/** The key of a pod's owning workload; a bare pod is its own workload (`namespace/Pod/name`). */
export function podWorkloadKey(pod: {
  namespace: string
  name: string
  workload?: {kind: string; name: string}
}): string {
  return pod.workload
    ? workloadKey({kind: pod.workload.kind, namespace: pod.namespace, name: pod.workload.name})
    : workloadKey({kind: 'Pod', namespace: pod.namespace, name: pod.name})
}
