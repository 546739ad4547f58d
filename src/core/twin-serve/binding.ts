/**
 * The discrete-event twin (src/core/twin) bound to the Kubernetes API (src/core/kube-store) through the seam
 * (../kube-store/seam.ts). Pure: the caller advances the twin's virtual clock (`sim serve`'s wall-clock driver,
 * or a test) and calls `sync()`.
 *
 * Client writes → twin verbs:
 * - Deployment (or its ReplicaSet) replicas → `scaleWorkload`;
 * - MachineDeployment replicas → `scaleNodeGroup` by the delta; a scale-down first cancels nodes still
 *   provisioning (cluster-autoscaler's DecreaseTargetSize), then removes the registered nodes marked
 *   `cluster.x-k8s.io/delete-machine` first, then the newest by name, as Cluster API deletes Machines (newest
 *   first is CAPI's `Newest` deletion policy);
 * - node label `nvidia.com/mig.config` → `setMigConfig` (the MIG manager, facts §6); `spec.unschedulable` →
 *   `setCordoned`;
 * - an eviction the apiserver allowed, or a pod DELETE → the pod terminates with its grace period (the
 *   apiserver already checked the PodDisruptionBudget, so the twin does not check again).
 *
 * Twin state → objects (`sync`): nodes appear once registered (after provisioning), with GPU capacity, 0
 * allocatable until the device plugin is up, GFD labels and `nvidia.com/mig.config.state`; pods go Pending →
 * Running → Ready and carry `deletionTimestamp` while terminating; ReplicaSet, Deployment and MachineDeployment
 * statuses follow. Labels, annotations and taints clients add to nodes are kept. Objects are re-rendered only
 * when the twin's state of them changed, so watches see real changes only.
 */
import type {KubeApi} from '../kube-store/api.js'
import {podIp, replicaSetOwner, rollUpWorkloadStatus, templateHash} from '../kube-store/builtin-twin.js'
import type {ScalableKind, TwinSeam} from '../kube-store/seam.js'
import {DEVICE_PLUGIN, DEVICE_PLUGIN_NAMESPACE, MACHINE_NAMESPACE, nodeObject, runningPod} from '../kube-store/seed.js'
import {formatTime} from '../kube-store/store.js'
import type {KubeObject} from '../kube-store/types.js'
import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot, NodeState, PodState} from '../model/snapshot.js'
import type {ActionResult, Twin} from '../twin/index.js'

const MIG_CONFIG = 'nvidia.com/mig.config'
const NODE_GROUP_LABEL = 'gpu-scale.dev/node-group'
const DELETE_MACHINE = 'cluster.x-k8s.io/delete-machine'

/** A twin verb the binding called, with the twin's answer (kept for tests and the control endpoint). */
export interface BindingAction {
  at: number
  verb: string
  target: string
  result: ActionResult
}

export class TwinBinding implements TwinSeam {
  private readonly modelOf = new Map<string, string>()
  private readonly nodeIndex = new Map<string, number>()
  private readonly rendered = new Map<string, string>()
  private readonly deletingSince = new Map<string, string>()
  private podCounter = 0
  private readonly podIps = new Map<string, string>()
  /** The last verbs called, newest last (bounded). */
  readonly actions: BindingAction[] = []
  private snap: ClusterSnapshot

  constructor(
    private readonly twin: Twin,
    private readonly api: KubeApi,
    config: PolicyConfig,
  ) {
    for (const m of config.models) this.modelOf.set(`${m.workload.namespace}/${m.workload.name}`, m.name)
    this.snap = twin.snapshot({telemetry: false})
  }

  /** The cluster as the twin has it after the last sync (no telemetry). */
  get snapshot(): ClusterSnapshot {
    return this.snap
  }

  onScale(kind: ScalableKind, namespace: string, name: string, replicas: number): void {
    if (kind === 'MachineDeployment') this.scaleGroup(name, replicas)
    else {
      let workload = name
      if (kind === 'ReplicaSet')
        workload =
          this.api
            .getObject('ReplicaSet', namespace, name)
            ?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name ?? name
      const model = this.modelOf.get(`${namespace}/${workload}`)
      if (model) this.act('scaleWorkload', `${namespace}/${workload}`, this.twin.scaleWorkload(model, replicas))
    }
    this.sync()
  }

  onNodePatch(name: string, node: KubeObject, previous: KubeObject): void {
    const config = node.metadata.labels?.[MIG_CONFIG]
    if (config !== undefined && config !== previous.metadata.labels?.[MIG_CONFIG])
      this.act('setMigConfig', name, this.twin.setMigConfig(name, config))
    const cordoned = Boolean(node.spec?.unschedulable)
    if (cordoned !== Boolean(previous.spec?.unschedulable))
      this.act('setCordoned', name, this.twin.setCordoned(name, cordoned))
    this.sync()
  }

  onEvict(namespace: string, name: string, pod: KubeObject): void {
    const ownedByTwin = pod.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet')
    if (ownedByTwin) {
      const result = this.twin.deletePodGracefully(`${namespace}/${name}`)
      this.act('deletePod', `${namespace}/${name}`, result)
      // A pod the twin does not know (created by a client) just goes.
      if (!result.ok) this.api.removeObject('Pod', namespace, name)
    } else {
      // DaemonSet pods come back with the next sync, as the DaemonSet controller recreates them.
      this.api.removeObject('Pod', namespace, name)
    }
    this.sync()
  }

  /** Writes the twin's current state into the store; cheap when little changed. */
  sync(): void {
    const snap = this.twin.snapshot({telemetry: false})
    this.snap = snap
    const shift = (t: number) => formatTime(t * 1000)
    this.syncNodes(snap, shift)
    this.syncPods(snap, shift)
    this.syncWorkloads(snap)
    this.syncMachineDeployments(snap)
  }

  private act(verb: string, target: string, result: ActionResult): void {
    this.actions.push({at: this.twin.now, verb, target, result})
    if (this.actions.length > 1000) this.actions.splice(0, this.actions.length - 1000)
  }

  private scaleGroup(group: string, replicas: number): void {
    const state = this.snap.nodeGroups.find((g) => g.name === group)
    if (!state) return
    let delta = replicas - state.targetSize
    if (delta > 0) {
      this.act('scaleNodeGroup', group, this.twin.scaleNodeGroup(group, delta))
      return
    }
    if (delta === 0) return
    const registered = this.snap.nodes.filter((n) => n.group === group)
    const provisioning = Math.max(0, state.targetSize - registered.filter((n) => !n.cordoned).length)
    const cancel = Math.min(-delta, provisioning)
    if (cancel > 0) {
      const result = this.twin.scaleNodeGroup(group, -cancel)
      this.act('scaleNodeGroup', group, result)
      if (result.ok) delta += cancel
    }
    // A Machine marked `cluster.x-k8s.io/delete-machine` goes first whatever the deletion policy (Cluster API's
    // MachineSet controller); the twin has no Machine objects, so the mark is read from the node.
    const marked = (name: string) =>
      this.api.getObject('Node', undefined, name)?.metadata.annotations?.[DELETE_MACHINE] !== undefined ? 0 : 1
    const newestFirst = [...registered].sort(
      (a, b) => marked(a.name) - marked(b.name) || b.createdAt - a.createdAt || b.name.localeCompare(a.name),
    )
    for (const node of newestFirst) {
      if (delta >= 0) break
      const result = this.twin.removeNode(node.name)
      this.act('removeNode', node.name, result)
      if (result.ok) delta++
    }
  }

  private syncNodes(snap: ClusterSnapshot, shift: (t: number) => string): void {
    const live = new Set<string>()
    for (const state of snap.nodes) {
      live.add(state.name)
      const fingerprint = JSON.stringify(state)
      const key = `Node/${state.name}`
      if (this.rendered.get(key) === fingerprint) continue
      let index = this.nodeIndex.get(state.name)
      if (index === undefined) this.nodeIndex.set(state.name, (index = this.nodeIndex.size))
      const object = nodeObject(state, index, snap, shift)
      const existing = this.api.getObject('Node', undefined, state.name)
      if (existing) {
        object.metadata = {
          ...existing.metadata,
          labels: {...existing.metadata.labels, ...object.metadata.labels},
          annotations: {...existing.metadata.annotations, ...object.metadata.annotations},
        }
        const {unschedulable: _u, ...spec} = existing.spec ?? {}
        object.spec = {...spec, ...(state.cordoned ? {unschedulable: true} : {})}
      }
      this.api.upsertObject(object)
      this.rendered.set(key, fingerprint)
      if (state.gpus.length > 0) this.ensureDevicePluginPod(state, shift)
    }
    for (const node of this.api.listObjects('Node')) {
      if (node.metadata.labels?.[NODE_GROUP_LABEL] === undefined || live.has(node.metadata.name)) continue
      this.api.removeObject('Node', undefined, node.metadata.name)
      this.rendered.delete(`Node/${node.metadata.name}`)
      for (const pod of this.api.listObjects('Pod', DEVICE_PLUGIN_NAMESPACE)) {
        if (pod.spec?.nodeName === node.metadata.name)
          this.api.removeObject('Pod', DEVICE_PLUGIN_NAMESPACE, pod.metadata.name)
      }
    }
  }

  private ensureDevicePluginPod(node: NodeState, shift: (t: number) => string): void {
    const name = `${DEVICE_PLUGIN}-${templateHash(node.name).slice(-5)}`
    if (this.api.getObject('Pod', DEVICE_PLUGIN_NAMESPACE, name)) return
    const ds = this.api.getObject('DaemonSet', DEVICE_PLUGIN_NAMESPACE, DEVICE_PLUGIN)
    if (!ds) return
    this.api.upsertObject(
      runningPod({
        name,
        namespace: DEVICE_PLUGIN_NAMESPACE,
        labels: ds.spec.selector.matchLabels,
        owner: {apiVersion: 'apps/v1', kind: 'DaemonSet', name: DEVICE_PLUGIN, uid: ds.metadata.uid ?? ''},
        spec: {...ds.spec.template.spec, nodeName: node.name},
        created: shift(node.createdAt),
        ip: podIp(5000 + (this.nodeIndex.get(node.name) ?? 0)),
      }),
    )
  }

  private syncPods(snap: ClusterSnapshot, shift: (t: number) => string): void {
    const live = new Set<string>()
    const replicaSets = new Set<string>()
    for (const workload of snap.workloads)
      replicaSets.add(`${workload.namespace}/${workload.name}-${templateHash(workload.name)}`)
    for (const state of snap.pods) {
      const key = `${state.namespace}/${state.name}`
      live.add(key)
      if (state.deleting && !this.deletingSince.has(key)) this.deletingSince.set(key, shift(snap.capturedAt))
      const fingerprint = JSON.stringify(state)
      if (this.rendered.get(`Pod/${key}`) === fingerprint) continue
      const workload = state.workload?.name ?? ''
      const rs = this.api.getObject('ReplicaSet', state.namespace, `${workload}-${templateHash(workload)}`)
      if (!rs) continue
      this.api.upsertObject(this.podObject(state, rs, shift))
      this.rendered.set(`Pod/${key}`, fingerprint)
    }
    for (const pod of this.api.listObjects('Pod')) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`
      const owner = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'ReplicaSet')
      if (!owner || !replicaSets.has(`${pod.metadata.namespace}/${owner.name}`) || live.has(key)) continue
      this.api.removeObject('Pod', pod.metadata.namespace, pod.metadata.name)
      this.rendered.delete(`Pod/${key}`)
      this.deletingSince.delete(key)
      this.podIps.delete(key)
    }
  }

  private podObject(state: PodState, rs: KubeObject, shift: (t: number) => string): KubeObject {
    const key = `${state.namespace}/${state.name}`
    const template = rs.spec?.template ?? {}
    const created = shift(state.createdAt)
    const scheduled = state.node !== undefined
    const running = state.phase === 'Running'
    let ip = this.podIps.get(key)
    if (running && !ip) this.podIps.set(key, (ip = podIp(++this.podCounter)))
    const condition = (type: string, ok: boolean, at: number | undefined, extra: object = {}) => ({
      type,
      status: ok ? 'True' : 'False',
      lastTransitionTime: shift(at ?? state.createdAt),
      ...extra,
    })
    const ready = state.ready && !state.deleting
    const containers = (template.spec?.containers ?? []) as Array<{name: string; image?: string}>
    const deletion = state.deleting ? this.deletingSince.get(key) : undefined
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: state.name,
        namespace: state.namespace,
        labels: {...(template.metadata?.labels ?? {})},
        creationTimestamp: created,
        ownerReferences: [replicaSetOwner(rs)],
        ...(deletion
          ? {
              deletionTimestamp: deletion,
              deletionGracePeriodSeconds: template.spec?.terminationGracePeriodSeconds ?? 30,
            }
          : {}),
      },
      spec: {...structuredClone(template.spec ?? {containers: []}), ...(scheduled ? {nodeName: state.node} : {})},
      status: {
        phase: running ? 'Running' : 'Pending',
        ...(running ? {startTime: shift(state.startedAt ?? state.createdAt), podIP: ip, podIPs: [{ip}]} : {}),
        conditions: scheduled
          ? [
              condition('PodScheduled', true, state.createdAt),
              condition('Initialized', running, state.startedAt),
              condition('ContainersReady', ready, state.readyAt ?? state.startedAt),
              condition('Ready', ready, state.readyAt ?? state.startedAt),
            ]
          : [
              condition('PodScheduled', false, state.createdAt, {
                reason: 'Unschedulable',
                message: 'no node has the GPUs this pod requests free',
              }),
            ],
        ...(scheduled
          ? {
              containerStatuses: containers.map((c) => ({
                name: c.name,
                image: c.image ?? '',
                ready,
                started: running,
                restartCount: 0,
                state: running
                  ? {running: {startedAt: shift(state.startedAt ?? state.createdAt)}}
                  : {waiting: {reason: 'ContainerCreating'}},
              })),
            }
          : {}),
      },
    }
  }

  private syncWorkloads(snap: ClusterSnapshot): void {
    for (const w of snap.workloads) {
      const rsName = `${w.name}-${templateHash(w.name)}`
      const pods = snap.pods.filter((p) => p.namespace === w.namespace && p.workload?.name === w.name && !p.deleting)
      const ready = pods.filter((p) => p.ready).length
      const fingerprint = JSON.stringify([w.specReplicas, pods.length, ready])
      if (this.rendered.get(`Workload/${w.namespace}/${w.name}`) === fingerprint) continue
      const rs = this.api.getObject('ReplicaSet', w.namespace, rsName)
      if (rs && rs.spec?.replicas !== w.specReplicas) {
        this.api.upsertObject({
          ...rs,
          metadata: {
            ...rs.metadata,
            annotations: {
              ...rs.metadata.annotations,
              'deployment.kubernetes.io/desired-replicas': String(w.specReplicas),
            },
          },
          spec: {...rs.spec, replicas: w.specReplicas},
        })
      }
      rollUpWorkloadStatus(this.api, w.namespace, rs, w.name, pods.length, ready)
      this.rendered.set(`Workload/${w.namespace}/${w.name}`, fingerprint)
    }
  }

  /** v1beta2 status: replicas = the group's target size, ready/available = nodes whose GPUs are allocatable. */
  private syncMachineDeployments(snap: ClusterSnapshot): void {
    for (const group of snap.nodeGroups) {
      const nodes = snap.nodes.filter((n) => n.group === group.name)
      const ready = nodes.filter((n) => n.ready && n.gpusAllocatable).length
      const fingerprint = JSON.stringify([group.targetSize, nodes.length, ready])
      if (this.rendered.get(`MachineDeployment/${group.name}`) === fingerprint) continue
      const md = this.api.getObject('MachineDeployment', MACHINE_NAMESPACE, group.name)
      if (!md) continue
      this.api.setStatus('MachineDeployment', MACHINE_NAMESPACE, group.name, {
        ...(md.status ?? {}),
        observedGeneration: md.metadata.generation ?? 1,
        replicas: group.targetSize,
        readyReplicas: ready,
        availableReplicas: ready,
        upToDateReplicas: group.targetSize,
        phase: group.targetSize > ready ? 'ScalingUp' : group.targetSize < nodes.length ? 'ScalingDown' : 'Running',
      })
      this.rendered.set(`MachineDeployment/${group.name}`, fingerprint)
    }
  }
}
