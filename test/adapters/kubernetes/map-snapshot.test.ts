/** Live Kubernetes objects → snapshot parts (src/adapters/kubernetes/map-snapshot.ts), rule by rule. */
import {describe, expect, test} from 'vitest'

import {
  containerRequestsOf,
  findAutoscaler,
  gpuRequestOf,
  gpusOfNode,
  groupOfNode,
} from '../../../src/adapters/kubernetes/map-snapshot.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'

const {config} = defaultScenario()

describe('groupOfNode', () => {
  test.each<{why: string; labels: Record<string, string>; group: string}>([
    {
      why: "the twin's own label wins",
      labels: {'gpu-scale.dev/node-group': 'standard', 'karpenter.sh/nodepool': 'x'},
      group: 'standard',
    },
    {
      why: "a Cluster API MachineDeployment's nodes",
      labels: {'cluster.x-k8s.io/deployment-name': 'large'},
      group: 'large',
    },
    {why: "a Karpenter NodePool's nodes", labels: {'karpenter.sh/nodepool': 'gpu'}, group: 'gpu'},
    {
      why: 'else the config group whose labels the node carries',
      labels: {'gpu-scale.dev/pool': 'l4'},
      group: 'l4-pool',
    },
    {why: 'a node of no group (a CPU node) has none', labels: {'kubernetes.io/os': 'linux'}, group: ''},
  ])('$why', ({labels, group}) => {
    expect(groupOfNode(labels, config)).toBe(group)
  })
})

describe('gpusOfNode', () => {
  const summary = (gpus: ReturnType<typeof gpusOfNode>) =>
    gpus.map(
      (g) => `${g.model}:${g.mig.enabled ? g.mig.instances.map((i) => `${i.profile}@${i.start}`).join('+') : 'whole'}`,
    )
  test.each<{
    why: string
    labels: Record<string, string>
    capacity: Record<string, string>
    strategy: 'mixed'
    gpus: string[]
  }>([
    {
      why: 'whole GPUs from nvidia.com/gpu and the GFD product label',
      labels: {'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.count': '4'},
      capacity: {'nvidia.com/gpu': '4'},
      strategy: 'mixed',
      gpus: ['H100-80GB:whole', 'H100-80GB:whole', 'H100-80GB:whole', 'H100-80GB:whole'],
    },
    {
      why: "mixed MIG with a known config: exact starts from mig-parted's layout",
      labels: {
        'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB',
        'nvidia.com/gpu.count': '1',
        'nvidia.com/mig.config': 'all-3g.40gb',
      },
      capacity: {'nvidia.com/mig-3g.40gb': '2'},
      strategy: 'mixed',
      gpus: ['A100-80GB:3g.40gb@0+3g.40gb@4'],
    },
    {
      why: 'mixed MIG with a custom config: the advertised instances packed first-fit',
      labels: {
        'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB',
        'nvidia.com/gpu.count': '1',
        'nvidia.com/mig.config': 'custom',
      },
      capacity: {'nvidia.com/mig-1g.10gb': '1', 'nvidia.com/mig-3g.40gb': '1'},
      strategy: 'mixed',
      gpus: ['A100-80GB:3g.40gb@0+1g.10gb@4'],
    },
    {
      why: 'no GPU resources and no GFD labels: a CPU node',
      labels: {},
      capacity: {cpu: '16'},
      strategy: 'mixed',
      gpus: [],
    },
  ])('$why', ({labels, capacity, strategy, gpus}) => {
    expect(summary(gpusOfNode(labels, capacity, strategy))).toEqual(gpus)
  })
})

describe('gpuRequestOf', () => {
  test.each([
    {
      why: 'limits of a whole GPU',
      containers: [{resources: {limits: {'nvidia.com/gpu': '2'}}}],
      request: {resource: 'nvidia.com/gpu', count: 2},
    },
    {
      why: 'a MIG slice',
      containers: [{resources: {limits: {'nvidia.com/mig-3g.40gb': '1'}, requests: {'nvidia.com/mig-3g.40gb': '1'}}}],
      request: {resource: 'nvidia.com/mig-3g.40gb', count: 1},
    },
    {
      why: 'summed over containers',
      containers: [{resources: {limits: {'nvidia.com/gpu': '1'}}}, {resources: {limits: {'nvidia.com/gpu': '1'}}}],
      request: {resource: 'nvidia.com/gpu', count: 2},
    },
    {why: 'a CPU-only pod has none', containers: [{resources: {limits: {cpu: '2'}}}], request: undefined},
  ])('$why', ({containers, request}) => {
    expect(gpuRequestOf(containers)).toEqual(request)
  })
})

describe('findAutoscaler', () => {
  const workload = {kind: 'Deployment', namespace: 'llm', name: 'chat'}
  const hpa = (name: string, target: Record<string, string>, namespace = 'llm') => ({
    metadata: {name, namespace},
    spec: {scaleTargetRef: target},
  })
  test.each([
    {
      why: 'an HPA on the Deployment',
      hpas: [hpa('chat', {kind: 'Deployment', name: 'chat'})],
      scaledObjects: [],
      owner: 'HorizontalPodAutoscaler/chat',
    },
    {
      why: 'a ScaledObject is named instead of the HPA KEDA made for it',
      hpas: [hpa('keda-hpa-chat-so', {kind: 'Deployment', name: 'chat'})],
      scaledObjects: [hpa('chat-so', {name: 'chat'})],
      owner: 'ScaledObject/chat-so',
    },
    {
      why: "an HPA in another namespace is not this workload's",
      hpas: [hpa('chat', {kind: 'Deployment', name: 'chat'}, 'other')],
      scaledObjects: [],
      owner: undefined,
    },
    {
      why: "an HPA on a StatefulSet of the same name is not this Deployment's",
      hpas: [hpa('chat', {kind: 'StatefulSet', name: 'chat'})],
      scaledObjects: [],
      owner: undefined,
    },
  ])('$why', ({hpas, scaledObjects, owner}) => {
    expect(findAutoscaler(workload, {hpas, scaledObjects})).toBe(owner)
  })
})

describe('containerRequestsOf (HPA Resource metrics read requests per container)', () => {
  test.each([
    {
      why: 'millicores and binary memory units',
      spec: {containers: [{name: 'server', resources: {requests: {cpu: '500m', memory: '2Gi'}}}]},
      expected: [{name: 'server', requests: {cpu: 0.5, memory: 2 * 2 ** 30}}],
    },
    {
      why: 'a container without requests keeps an empty entry, so the HPA math can refuse utilization',
      spec: {containers: [{name: 'a', resources: {requests: {cpu: '1'}}}, {name: 'b'}]},
      expected: [
        {name: 'a', requests: {cpu: 1}},
        {name: 'b', requests: {}},
      ],
    },
    {
      why: 'restartable init containers (sidecars) count, one-shot init containers do not',
      spec: {
        containers: [{name: 'main', resources: {requests: {cpu: '100m'}}}],
        initContainers: [
          {name: 'setup', resources: {requests: {cpu: '20m'}}},
          {name: 'proxy', restartPolicy: 'Always', resources: {requests: {cpu: '50m'}}},
        ],
      },
      expected: [
        {name: 'main', requests: {cpu: 0.1}},
        {name: 'proxy', requests: {cpu: 0.05}},
      ],
    },
    {
      why: 'an unparseable quantity is left out, never guessed',
      spec: {containers: [{name: 'x', resources: {requests: {cpu: 'lots', memory: '1e3'}}}]},
      expected: [{name: 'x', requests: {memory: 1000}}],
    },
  ])('$why', ({spec, expected}) => {
    expect(containerRequestsOf(spec)).toEqual(expected)
  })
})
