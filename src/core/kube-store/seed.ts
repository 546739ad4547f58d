/**
 * A cluster snapshot (and the policy config that names its node groups and models) as Kubernetes objects: the
 * fleet `gpu-scale sim serve` starts with.
 *
 * - Nodes carry what GPU Feature Discovery and the device plugin publish (facts §6): `nvidia.com/gpu.*` labels,
 *   `nvidia.com/mig.config` and `.state`, and per MIG strategy the extended resources: `nvidia.com/gpu` for whole
 *   GPUs; with `mixed`, `nvidia.com/mig-<profile>` per instance (and `nvidia.com/mig-<profile>.count` labels);
 *   with `single`, each instance counts as one `nvidia.com/gpu`. A node whose GPUs are still initializing has
 *   the capacity but 0 allocatable, as before the device plugin registers. The twin's own labels:
 *   `gpu-scale.dev/node-group` and `gpu-scale.dev/capacity-type`.
 * - Each workload is a Deployment → ReplicaSet → the snapshot's pods (names kept, so a live snapshot of the twin
 *   names the same pods), with the model's nodeSelector, tolerations, GPU limits and an emptyDir `/dev/shm` as
 *   vLLM deployments use (so drain needs `--delete-emptydir-data`, as on a real fleet).
 * - A PodDisruptionBudget per workload (the snapshot's, else `maxUnavailable: 1`).
 * - A device-plugin DaemonSet with one pod per GPU node (so drain needs `--ignore-daemonsets`).
 * - One Cluster API MachineDeployment per node group with Cluster Autoscaler's min/max and scale-from-zero
 *   capacity annotations (facts §5).
 *
 * Times are shifted so that the snapshot's capture instant is `now`: ages read as they did at capture.
 */
import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot, NodeState} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'
import type {KubeApi} from './api.js'
import {podIp, templateHash} from './builtin-twin.js'
import {formatTime} from './store.js'
import type {KubeObject} from './types.js'

export const TWIN_CLUSTER_NAME = 'gpu-twin'
export const MACHINE_NAMESPACE = 'default'
export const DEVICE_PLUGIN_NAMESPACE = 'gpu-operator'
export const DEVICE_PLUGIN = 'nvidia-device-plugin-daemonset'

export const CAPI_ANNOTATIONS = {
  minSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size',
  maxSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size',
  capacity: 'capacity.cluster-autoscaler.kubernetes.io/',
} as const

/** GFD's `gpu.family` and compute capability per model (NVIDIA's CUDA GPUs table). */
function architectureOf(model: string): {family: string; major: number; minor: number} {
  if (/^(H100|H200)/.test(model)) return {family: 'hopper', major: 9, minor: 0}
  if (/^(L4|L40)/.test(model)) return {family: 'ada-lovelace', major: 8, minor: 9}
  if (/^A10G/.test(model)) return {family: 'ampere', major: 8, minor: 6}
  if (/^T4/.test(model)) return {family: 'turing', major: 7, minor: 5}
  return {family: 'ampere', major: 8, minor: 0}
}

/** Extended resources a node advertises under the snapshot's MIG strategy. */
export function gpuResourcesOf(node: NodeState, strategy: ClusterSnapshot['migStrategy']): Record<string, number> {
  const out: Record<string, number> = {}
  const add = (name: string, n: number) => (out[name] = (out[name] ?? 0) + n)
  for (const gpu of node.gpus) {
    if (!gpu.mig.enabled || strategy === 'none') add('nvidia.com/gpu', 1)
    else
      for (const instance of gpu.mig.instances)
        add(strategy === 'mixed' ? `nvidia.com/mig-${instance.profile}` : 'nvidia.com/gpu', 1)
  }
  return out
}

/** A node as GFD, the device plugin and the kubelet publish it (exported for the twin binding, which re-renders it). */
export function nodeObject(
  node: NodeState,
  index: number,
  snapshot: ClusterSnapshot,
  shift: (t: number) => string,
): KubeObject {
  const first = node.gpus[0]
  const info = first ? findGpuModel(first.model) : undefined
  const arch = architectureOf(first?.model ?? '')
  const gpuResources = gpuResourcesOf(node, snapshot.migStrategy)
  const quantities = (gpus: Record<string, number>) => ({
    cpu: String(Math.max(8, 16 * node.gpus.length)),
    memory: `${Math.max(64, 128 * node.gpus.length)}Gi`,
    'ephemeral-storage': '500Gi',
    pods: '110',
    ...Object.fromEntries(Object.entries(gpus).map(([k, v]) => [k, String(v)])),
  })
  const migCounts: Record<string, string> = {}
  if (snapshot.migStrategy === 'mixed') {
    for (const [resource, count] of Object.entries(gpuResources))
      if (resource.startsWith('nvidia.com/mig-')) migCounts[`${resource}.count`] = String(count)
  }
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...node.labels,
    'gpu-scale.dev/node-group': node.group,
    'gpu-scale.dev/capacity-type': node.capacityType,
    'cluster-api/accelerator': 'nvidia.com/gpu',
    'nvidia.com/gpu.present': 'true',
    'nvidia.com/gpu.count': String(node.gpus.length),
    'nvidia.com/gpu.memory': String(first?.memoryMiB ?? 0),
    'nvidia.com/gpu.family': arch.family,
    'nvidia.com/gpu.compute.major': String(arch.major),
    'nvidia.com/gpu.compute.minor': String(arch.minor),
    'nvidia.com/gpu.replicas': '1',
    'nvidia.com/gpu.sharing-strategy': 'none',
    'nvidia.com/gpu.mode': 'compute',
    'nvidia.com/mig.capable': String(info?.migCapable ?? false),
    'nvidia.com/mig.strategy': snapshot.migStrategy,
    'nvidia.com/cuda.driver-version.major': '550',
    'nvidia.com/cuda.driver-version.minor': '54',
    'nvidia.com/cuda.driver-version.revision': '15',
    'nvidia.com/cuda.driver-version.full': '550.54.15',
    'nvidia.com/gfd.timestamp': String(snapshot.capturedAt),
    ...migCounts,
    ...(node.migConfig !== undefined ? {'nvidia.com/mig.config': node.migConfig} : {}),
    ...(node.migConfigState !== undefined ? {'nvidia.com/mig.config.state': node.migConfigState} : {}),
  }
  const zeroGpus = Object.fromEntries(Object.keys(gpuResources).map((k) => [k, 0]))
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels,
      creationTimestamp: shift(node.createdAt),
      annotations: {'gpu-scale.dev/gpu-uuids': node.gpus.map((g) => g.uuid ?? '').join(',')},
    },
    spec: {
      ...(node.taints.length > 0
        ? {
            taints: node.taints.map((t) => ({
              key: t.key,
              ...(t.value !== undefined ? {value: t.value} : {}),
              effect: t.effect,
            })),
          }
        : {}),
      ...(node.cordoned ? {unschedulable: true} : {}),
      providerID: `twin://${TWIN_CLUSTER_NAME}/${node.name}`,
    },
    status: {
      capacity: quantities(gpuResources),
      allocatable: quantities(node.gpusAllocatable ? gpuResources : zeroGpus),
      conditions: [
        {type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory'},
        {type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure'},
        {type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID'},
        {
          type: 'Ready',
          status: node.ready ? 'True' : 'False',
          reason: node.ready ? 'KubeletReady' : 'KubeletNotReady',
          message: node.ready ? 'kubelet is posting ready status' : 'node is starting',
        },
      ].map((c) => ({...c, lastHeartbeatTime: shift(snapshot.capturedAt), lastTransitionTime: shift(node.createdAt)})),
      addresses: [
        {type: 'InternalIP', address: `10.0.${Math.floor(index / 250)}.${(index % 250) + 10}`},
        {type: 'Hostname', address: node.name},
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        containerRuntimeVersion: 'containerd://1.7.24',
        osImage: 'Ubuntu 22.04.5 LTS',
        kernelVersion: '5.15.0-1071-gcp',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  }
}

/** Writes the fleet into the API through the twin's writer. Returns nothing: read it back from the store. */
export function seedCluster(api: KubeApi, input: {config: PolicyConfig; snapshot: ClusterSnapshot; now: number}): void {
  const {config, snapshot} = input
  const shift = (t: number) => formatTime((t - snapshot.capturedAt) * 1000 + input.now)
  const namespaces = new Set([
    'default',
    'kube-system',
    'kube-public',
    'kube-node-lease',
    DEVICE_PLUGIN_NAMESPACE,
    MACHINE_NAMESPACE,
  ])
  for (const w of snapshot.workloads) namespaces.add(w.namespace)
  for (const p of snapshot.pods) namespaces.add(p.namespace)
  for (const name of [...namespaces].sort()) {
    api.upsertObject({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: {'kubernetes.io/metadata.name': name},
        creationTimestamp: shift(snapshot.capturedAt - 86_400),
      },
      spec: {finalizers: ['kubernetes']},
      status: {phase: 'Active'},
    })
  }

  snapshot.nodes.forEach((node, i) => api.upsertObject(nodeObject(node, i, snapshot, shift)))

  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  for (const state of snapshot.nodeGroups) {
    const group = groups.get(state.name)
    const capacity: Record<string, string> = group
      ? {
          'gpu-type': 'nvidia.com/gpu',
          'gpu-count': String(group.gpu.count),
          cpu: String(Math.max(8, 16 * group.gpu.count)),
          memory: `${Math.max(64, 128 * group.gpu.count)}G`,
          maxPods: '110',
          labels: Object.entries({
            ...group.labels,
            'gpu-scale.dev/node-group': group.name,
            'gpu-scale.dev/capacity-type': group.capacityType,
          })
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
          ...(group.taints.length > 0
            ? {taints: group.taints.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).join(',')}
            : {}),
        }
      : {}
    const selector = {
      'cluster.x-k8s.io/cluster-name': TWIN_CLUSTER_NAME,
      'cluster.x-k8s.io/deployment-name': state.name,
    }
    api.upsertObject({
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'MachineDeployment',
      metadata: {
        name: state.name,
        namespace: MACHINE_NAMESPACE,
        labels: {'cluster.x-k8s.io/cluster-name': TWIN_CLUSTER_NAME},
        annotations: {
          ...(group
            ? {[CAPI_ANNOTATIONS.minSize]: String(group.min), [CAPI_ANNOTATIONS.maxSize]: String(group.max)}
            : {}),
          ...Object.fromEntries(Object.entries(capacity).map(([k, v]) => [CAPI_ANNOTATIONS.capacity + k, v])),
        },
        creationTimestamp: shift(snapshot.capturedAt - 86_400),
      },
      spec: {
        clusterName: TWIN_CLUSTER_NAME,
        replicas: state.targetSize,
        selector: {matchLabels: selector},
        template: {
          metadata: {labels: selector},
          spec: {
            clusterName: TWIN_CLUSTER_NAME,
            version: 'v1.32.0',
            bootstrap: {dataSecretName: `${state.name}-bootstrap`},
            infrastructureRef: {
              apiGroup: 'infrastructure.cluster.x-k8s.io',
              kind: 'TwinMachineTemplate',
              name: state.name,
            },
          },
        },
      },
      status: {
        selector: Object.entries(selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        replicas: state.targetSize,
        readyReplicas: snapshot.nodes.filter((n) => n.group === state.name && n.ready).length,
      },
    })
  }

  // The device plugin's DaemonSet and its pod on every GPU node.
  const gpuNodes = snapshot.nodes.filter((n) => n.gpus.length > 0)
  let seeded = 0
  const dsLabels = {app: DEVICE_PLUGIN}
  const ds = api.upsertObject({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: DEVICE_PLUGIN,
      namespace: DEVICE_PLUGIN_NAMESPACE,
      labels: dsLabels,
      creationTimestamp: shift(snapshot.capturedAt - 86_400),
    },
    spec: {
      selector: {matchLabels: dsLabels},
      template: {
        metadata: {labels: dsLabels},
        spec: {
          nodeSelector: {'nvidia.com/gpu.present': 'true'},
          tolerations: [{operator: 'Exists'}],
          containers: [{name: 'nvidia-device-plugin', image: 'nvcr.io/nvidia/k8s-device-plugin:v0.17.0'}],
        },
      },
    },
    status: {
      currentNumberScheduled: gpuNodes.length,
      desiredNumberScheduled: gpuNodes.length,
      numberReady: gpuNodes.length,
      numberAvailable: gpuNodes.length,
      updatedNumberScheduled: gpuNodes.length,
      numberMisscheduled: 0,
      observedGeneration: 1,
    },
  })
  for (const node of gpuNodes) {
    api.upsertObject(
      runningPod({
        name: `${DEVICE_PLUGIN}-${templateHash(node.name).slice(-5)}`,
        namespace: DEVICE_PLUGIN_NAMESPACE,
        labels: dsLabels,
        owner: {apiVersion: 'apps/v1', kind: 'DaemonSet', name: DEVICE_PLUGIN, uid: ds.metadata.uid ?? ''},
        spec: {...ds.spec.template.spec, nodeName: node.name},
        created: shift(node.createdAt),
        ip: podIp(1000 + ++seeded),
      }),
    )
  }

  const models = new Map(config.models.map((m) => [`${m.workload.namespace}/${m.workload.name}`, m]))
  for (const workload of snapshot.workloads) {
    if (workload.kind !== 'Deployment') continue
    const model = models.get(`${workload.namespace}/${workload.name}`)
    const firstPod = snapshot.pods.find((p) => p.namespace === workload.namespace && p.workload?.name === workload.name)
    const request = firstPod?.gpuRequest
    const labels = {app: workload.name, 'app.kubernetes.io/name': workload.name}
    const podSpec = {
      containers: [
        {
          name: 'server',
          image: 'vllm/vllm-openai:v0.12.0',
          ports: [{name: 'http', containerPort: 8000}],
          resources: request
            ? {
                limits: {[request.resource]: String(request.count)},
                requests: {[request.resource]: String(request.count)},
              }
            : {},
          volumeMounts: [{name: 'dshm', mountPath: '/dev/shm'}],
        },
      ],
      volumes: [{name: 'dshm', emptyDir: {medium: 'Memory'}}],
      ...(model && Object.keys(model.nodeSelector).length > 0 ? {nodeSelector: model.nodeSelector} : {}),
      ...(model && model.tolerations.length > 0 ? {tolerations: model.tolerations} : {}),
      terminationGracePeriodSeconds: model?.terminationGraceSeconds ?? 30,
    }
    const created = shift(snapshot.capturedAt - 86_400)
    const deployment = api.upsertObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: workload.name,
        namespace: workload.namespace,
        labels,
        creationTimestamp: created,
        annotations: {'deployment.kubernetes.io/revision': '1'},
      },
      spec: {
        replicas: workload.specReplicas,
        selector: {matchLabels: {app: workload.name}},
        template: {metadata: {labels}, spec: podSpec},
        strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}},
      },
      status: {},
    })
    const hash = templateHash(workload.name)
    const rsLabels = {...labels, 'pod-template-hash': hash}
    const rs = api.upsertObject({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${workload.name}-${hash}`,
        namespace: workload.namespace,
        labels: rsLabels,
        creationTimestamp: created,
        annotations: {'deployment.kubernetes.io/desired-replicas': String(workload.specReplicas)},
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: workload.name,
            uid: deployment.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: workload.specReplicas,
        selector: {matchLabels: {app: workload.name, 'pod-template-hash': hash}},
        template: {metadata: {labels: rsLabels}, spec: podSpec},
      },
      status: {replicas: 0},
    })
    for (const pod of snapshot.pods.filter(
      (p) => p.namespace === workload.namespace && p.workload?.name === workload.name,
    )) {
      const object = runningPod({
        name: pod.name,
        namespace: pod.namespace,
        labels: rsLabels,
        owner: {apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid ?? ''},
        spec: {...podSpec, ...(pod.node ? {nodeName: pod.node} : {})},
        created: shift(pod.createdAt),
        ip: podIp(1000 + ++seeded),
      })
      if (!pod.node || pod.phase === 'Pending') object.status = {phase: 'Pending'}
      else if (!pod.ready)
        object.status.conditions = object.status.conditions.map((c: {type: string}) =>
          c.type === 'Ready' || c.type === 'ContainersReady' ? {...c, status: 'False'} : c,
        )
      api.upsertObject(object)
    }
    const pdb = snapshot.pdbs.find(
      (b) => b.namespace === workload.namespace && b.workload === `Deployment/${workload.name}`,
    )
    api.upsertObject({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {name: pdb?.name ?? `${workload.name}-pdb`, namespace: workload.namespace, creationTimestamp: created},
      spec: {maxUnavailable: pdb?.maxUnavailable ?? 1, selector: {matchLabels: {app: workload.name}}},
    })
  }
}

export function runningPod(p: {
  name: string
  namespace: string
  labels: Record<string, string>
  owner: {apiVersion: string; kind: string; name: string; uid: string}
  spec: KubeObject['spec']
  created: string
  ip: string
}): KubeObject {
  const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
    type,
    status: 'True',
    lastTransitionTime: p.created,
  }))
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      creationTimestamp: p.created,
      ownerReferences: [{...p.owner, controller: true, blockOwnerDeletion: true}],
    },
    spec: p.spec,
    status: {
      phase: 'Running',
      startTime: p.created,
      conditions,
      podIP: p.ip,
      containerStatuses: (p.spec.containers ?? []).map((c: {name: string; image?: string}) => ({
        name: c.name,
        image: c.image ?? '',
        ready: true,
        started: true,
        restartCount: 0,
        state: {running: {startedAt: p.created}},
      })),
    },
  }
}
