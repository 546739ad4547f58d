/**
 * The twin's apiserver rules without HTTP: selectors, patches, optimistic concurrency, watch history expiry,
 * PodDisruptionBudgets on eviction, and the validation clients meet. Each row says which upstream behaviour it
 * mirrors.
 */
import {describe, expect, test} from 'vitest'

import {
  computePdbStatus,
  createTwinCluster,
  KubeApi,
  KubeStore,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  resourceByKind,
  StatusError,
  type KubeObject,
  type StoreEvent,
} from '../../../src/core/kube-store/index.js'
import {applyJsonPatch, applyStrategicMergePatch} from '../../../src/core/kube-store/patch.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'

const NOW = Date.parse('2026-11-29T12:00:00Z')
const NODES = resourceByKind('Node')
const PODS = resourceByKind('Pod')
const DEPLOYMENTS = resourceByKind('Deployment')
const LEASES = resourceByKind('Lease')
const MDS = resourceByKind('MachineDeployment')
const PDBS = resourceByKind('PodDisruptionBudget')

function fleet() {
  const {config, snapshot} = defaultScenario()
  return createTwinCluster({config, snapshot, clock: () => NOW})
}

function statusOf(fn: () => unknown): {code: number; reason?: string; message?: string} {
  try {
    fn()
  } catch (error) {
    if (error instanceof StatusError)
      return {code: error.code, reason: error.status.reason, message: error.status.message}
    throw error
  }
  return {code: 200}
}

describe('label selectors (apimachinery labels/selector.go)', () => {
  const labels = {app: 'llama', tier: 'gpu', 'nvidia.com/gpu.count': '4'}
  test.each([
    {selector: '', want: true, why: 'empty selects everything'},
    {selector: 'app=llama', want: true, why: 'equality'},
    {selector: 'app==llama,tier=gpu', want: true, why: 'double equals, conjunction'},
    {selector: 'app!=whisper', want: true, why: 'inequality'},
    {selector: 'missing!=x', want: true, why: '!= matches objects without the label'},
    {selector: 'app in (whisper, llama)', want: true, why: 'set membership with spaces'},
    {selector: 'app notin (llama)', want: false, why: 'set exclusion'},
    {selector: 'tier', want: true, why: 'existence'},
    {selector: '!tier', want: false, why: 'non-existence'},
    {selector: 'nvidia.com/gpu.count>2', want: true, why: 'numeric greater-than'},
    {selector: 'nvidia.com/gpu.count<2', want: false, why: 'numeric less-than'},
  ])('$selector → $want ($why)', ({selector, want}) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(want)
  })

  test('a malformed requirement is a 400', () => {
    expect(statusOf(() => parseLabelSelector('app in llama'))).toMatchObject({code: 400, reason: 'BadRequest'})
  })
})

describe('field selectors (pod strategy ToSelectableFields)', () => {
  test.each([
    {kind: 'Pod', selector: 'spec.nodeName=standard-01', ok: true},
    {kind: 'Pod', selector: 'status.phase!=Running,metadata.namespace=llm', ok: true},
    {kind: 'Node', selector: 'metadata.name=large-01', ok: true},
    {kind: 'Node', selector: 'spec.nodeName=x', ok: false},
    {kind: 'Deployment', selector: 'spec.replicas=1', ok: false},
  ])('$kind $selector supported: $ok', ({kind, selector, ok}) => {
    expect(statusOf(() => parseFieldSelector(selector, kind)).code).toBe(ok ? 200 : 400)
  })
})

describe('patches', () => {
  const node = {
    metadata: {name: 'n', labels: {a: '1'}},
    spec: {taints: [{key: 'x', effect: 'NoSchedule'}]},
    status: {
      conditions: [
        {type: 'Ready', status: 'True'},
        {type: 'DiskPressure', status: 'False'},
      ],
    },
  }
  test.each([
    {
      name: 'lists with a merge key merge by it (conditions by type)',
      patch: {status: {conditions: [{type: 'Ready', status: 'False'}]}},
      check: (o: typeof node) =>
        expect(o.status.conditions).toEqual([
          {type: 'Ready', status: 'False'},
          {type: 'DiskPressure', status: 'False'},
        ]),
    },
    {
      name: '$patch: delete removes a keyed element',
      patch: {status: {conditions: [{type: 'DiskPressure', $patch: 'delete'}]}},
      check: (o: typeof node) => expect(o.status.conditions).toEqual([{type: 'Ready', status: 'True'}]),
    },
    {
      name: 'taints have no merge key upstream: replaced whole',
      patch: {spec: {taints: [{key: 'y', effect: 'NoExecute'}]}},
      check: (o: typeof node) => expect(o.spec.taints).toEqual([{key: 'y', effect: 'NoExecute'}]),
    },
    {
      name: 'null deletes a label, as in merge patch',
      patch: {metadata: {labels: {a: null, b: '2'}}},
      check: (o: typeof node) => expect(o.metadata.labels).toEqual({b: '2'}),
    },
  ])('strategic merge: $name', ({patch, check}) => {
    check(applyStrategicMergePatch(node, patch) as typeof node)
  })

  test.each([
    {
      name: 'add and remove',
      patch: [
        {op: 'add', path: '/metadata/labels/b', value: '2'},
        {op: 'remove', path: '/metadata/labels/a'},
      ],
      code: 200,
    },
    {name: 'a failed test is 422', patch: [{op: 'test', path: '/metadata/labels/a', value: '9'}], code: 422},
    {name: 'a missing path is 422', patch: [{op: 'replace', path: '/spec/nope/x', value: 1}], code: 422},
    {name: 'an object body is 400 (jsonpatch.Patch is an array)', patch: {metadata: {}}, code: 400},
  ])('JSON patch: $name', ({patch, code}) => {
    expect(statusOf(() => applyJsonPatch(node, patch)).code).toBe(code)
  })

  test('strategic merge on a custom resource is 415, as for CRDs', () => {
    const {api} = fleet()
    expect(
      statusOf(() =>
        api.patch(MDS, 'default', 'standard', 'application/strategic-merge-patch+json', {spec: {replicas: 1}}),
      ),
    ).toMatchObject({code: 415, reason: 'UnsupportedMediaType'})
  })
})

describe('store semantics', () => {
  test('every write bumps the one resourceVersion; a no-op write keeps it and sends no event', () => {
    const {api, store} = fleet()
    const before = Number(store.resourceVersion)
    const patched = api.patch(NODES, undefined, 'large-01', 'application/merge-patch+json', {
      metadata: {labels: {x: '1'}},
    })
    expect(Number(patched.metadata.resourceVersion)).toBe(before + 1)
    const again = api.patch(NODES, undefined, 'large-01', 'application/merge-patch+json', {
      metadata: {labels: {x: '1'}},
    })
    expect(again.metadata.resourceVersion).toBe(patched.metadata.resourceVersion)
  })

  test.each([
    {name: 'PUT with the stored resourceVersion', rv: 'current', code: 200},
    {name: 'PUT with a stale resourceVersion', rv: 'stale', code: 409},
    {name: 'PUT without resourceVersion (unconditional, as the apiserver allows)', rv: 'none', code: 200},
  ])('$name → $code', ({rv, code}) => {
    const {api} = fleet()
    const node = api.get(NODES, undefined, 'l4-pool-01')
    const stale = node.metadata.resourceVersion
    api.patch(NODES, undefined, 'l4-pool-01', 'application/merge-patch+json', {metadata: {labels: {bump: '1'}}})
    const current = api.get(NODES, undefined, 'l4-pool-01')
    const body = {
      ...current,
      metadata: {
        ...current.metadata,
        resourceVersion: rv === 'current' ? current.metadata.resourceVersion : rv === 'stale' ? stale : undefined,
      },
    }
    const result = statusOf(() => api.replace(NODES, undefined, 'l4-pool-01', body))
    expect(result.code).toBe(code)
    if (code === 409)
      expect(result.message).toBe(
        'Operation cannot be fulfilled on nodes "l4-pool-01": the object has been modified; please apply your changes to the latest version and try again',
      )
  })

  test('a patch carrying a stale metadata.resourceVersion is a 409 (a precondition, as upstream)', () => {
    const {api} = fleet()
    expect(
      statusOf(() =>
        api.patch(DEPLOYMENTS, 'llm', 'llama-8b', 'application/merge-patch+json', {
          metadata: {resourceVersion: '1'},
          spec: {replicas: 3},
        }),
      ),
    ).toMatchObject({code: 409, reason: 'Conflict'})
  })

  test('generation counts spec changes of workloads only, not status or labels', () => {
    const {api} = fleet()
    const start = api.get(DEPLOYMENTS, 'llm', 'llama-8b').metadata.generation
    api.patch(DEPLOYMENTS, 'llm', 'llama-8b', 'application/merge-patch+json', {metadata: {labels: {x: 'y'}}})
    expect(api.get(DEPLOYMENTS, 'llm', 'llama-8b').metadata.generation).toBe(start)
    api.patch(DEPLOYMENTS, 'llm', 'llama-8b', 'application/merge-patch+json', {spec: {replicas: 1}})
    expect(api.get(DEPLOYMENTS, 'llm', 'llama-8b').metadata.generation).toBe((start ?? 0) + 1)
    expect(api.get(NODES, undefined, 'large-01').metadata.generation).toBeUndefined()
  })

  test('watch replays history after an RV, and an RV older than the retained history is 410 Expired', () => {
    const store = new KubeStore({clock: () => NOW, historyLimit: 3})
    const api = new KubeApi(store)
    for (let i = 0; i < 5; i++) api.upsertObject({apiVersion: 'v1', kind: 'Node', metadata: {name: `n${i}`}})
    const seen: StoreEvent[] = []
    const cancel = store.watch(NODES, Number(store.resourceVersion) - 2, (e) => seen.push(e))
    expect(seen.map((e) => e.object.metadata.name)).toEqual(['n3', 'n4'])
    api.removeObject('Node', undefined, 'n0')
    expect(seen.at(-1)).toMatchObject({type: 'DELETED', object: {metadata: {name: 'n0'}}})
    cancel()
    expect(statusOf(() => store.watch(NODES, 1, () => {}))).toMatchObject({code: 410, reason: 'Expired'})
    store.compactHistory()
    expect(statusOf(() => store.watch(NODES, Number(store.resourceVersion) - 1, () => {}))).toMatchObject({code: 410})
  })
})

describe('watch history window', () => {
  test.each([
    {name: 'within the window', elapsedMs: 4 * 60_000, code: 200},
    {name: 'past the window (etcd compacted)', elapsedMs: 6 * 60_000, code: 410},
  ])('a watch from an RV with no write since, $elapsedMs ms later: $name → $code', ({elapsedMs, code}) => {
    let now = NOW
    const store = new KubeStore({clock: () => now, historyWindowMs: 5 * 60_000})
    const api = new KubeApi(store)
    const from = Number(store.resourceVersion)
    api.upsertObject({apiVersion: 'v1', kind: 'Node', metadata: {name: 'n'}})
    now += elapsedMs
    expect(statusOf(() => store.watch(NODES, from, () => {})).code).toBe(code)
  })
})

describe('validation and errors', () => {
  test.each([
    {
      name: 'negative replicas',
      run: (api: KubeApi) =>
        api.patch(DEPLOYMENTS, 'llm', 'llama-8b', 'application/merge-patch+json', {spec: {replicas: -1}}),
      code: 422,
      message:
        'Deployment.apps "llama-8b" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    },
    {
      name: 'negative Scale replicas',
      run: (api: KubeApi) =>
        api.updateScale(
          DEPLOYMENTS,
          'llm',
          'llama-8b',
          {spec: {replicas: -2}},
          {patchType: 'application/merge-patch+json'},
        ),
      code: 422,
      message:
        'Scale.autoscaling "llama-8b" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    },
    {
      name: 'a missing object',
      run: (api: KubeApi) => api.get(DEPLOYMENTS, 'llm', 'nope'),
      code: 404,
      message: 'deployments.apps "nope" not found',
    },
    {
      name: 'a create in a missing namespace',
      run: (api: KubeApi) => api.create(LEASES, 'nowhere', {metadata: {name: 'l'}, spec: {}}),
      code: 404,
      message: 'namespaces "nowhere" not found',
    },
    {
      name: 'a Lease time with milliseconds (RFC3339Micro wants 6 digits)',
      run: (api: KubeApi) =>
        api.create(LEASES, 'default', {metadata: {name: 'l'}, spec: {renewTime: '2026-11-29T12:00:00.123Z'}}),
      code: 400,
      message:
        'parsing time "2026-11-29T12:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
    },
    {
      name: 'a zero lease duration',
      run: (api: KubeApi) => api.create(LEASES, 'default', {metadata: {name: 'l'}, spec: {leaseDurationSeconds: 0}}),
      code: 422,
      message:
        'Lease.coordination.k8s.io "l" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    },
  ])('$name → $code', ({run, code, message}) => {
    const {api} = fleet()
    expect(statusOf(() => run(api))).toMatchObject({code, message})
  })
})

describe('PodDisruptionBudgets (disruption controller, eviction.go)', () => {
  const pod = (name: string, ready: boolean, owner = 'rs'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: {app: 'x'},
      ownerReferences: [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: 'u', controller: true}],
    },
    status: {conditions: [{type: 'Ready', status: ready ? 'True' : 'False'}]},
  })
  const pdb = (spec: object): KubeObject => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {name: 'b'},
    spec: {selector: {matchLabels: {app: 'x'}}, ...spec},
  })
  test.each([
    {
      budget: {maxUnavailable: 1},
      pods: [true, true, true],
      replicas: 3,
      want: {desiredHealthy: 2, disruptionsAllowed: 1},
      why: 'expected from the ReplicaSet, minus one',
    },
    {
      budget: {minAvailable: 2},
      pods: [true, true],
      replicas: 2,
      want: {desiredHealthy: 2, disruptionsAllowed: 0},
      why: 'minAvailable equal to healthy pods blocks',
    },
    {
      budget: {minAvailable: '50%'},
      pods: [true, true, false],
      replicas: 3,
      want: {desiredHealthy: 2, disruptionsAllowed: 0},
      why: 'percentages round up; an unready pod is not healthy',
    },
    {
      budget: {maxUnavailable: '25%'},
      pods: [true, true, true, true],
      replicas: 4,
      want: {desiredHealthy: 3, disruptionsAllowed: 1},
      why: '25% of 4 is 1 unavailable',
    },
    {
      budget: {maxUnavailable: 1},
      pods: [true, true],
      replicas: 4,
      want: {expectedPods: 4, desiredHealthy: 3, disruptionsAllowed: 0},
      why: 'missing replicas count against the budget',
    },
  ])('$budget over $pods.length pods: $why', ({budget, pods, replicas, want}) => {
    const status = computePdbStatus(
      pdb(budget),
      pods.map((ready, i) => pod(`p${i}`, ready)),
      () => replicas,
    )
    expect(status).toMatchObject(want)
  })

  test('an eviction the budget refuses is 429 TooManyRequests with the cause, and the pod stays', () => {
    const {api, store} = fleet()
    api.patch(PDBS, 'llm', 'llama-70b-pdb', 'application/merge-patch+json', {spec: {maxUnavailable: 0}})
    try {
      api.evict('llm', 'llama-70b-i596l')
      expect.unreachable()
    } catch (error) {
      expect((error as StatusError).status).toMatchObject({
        code: 429,
        reason: 'TooManyRequests',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        details: {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: 'The disruption budget llama-70b-pdb needs 3 healthy pods and has 3 currently',
            },
          ],
        },
      })
    }
    expect(store.get(PODS, 'llm', 'llama-70b-i596l')).toBeDefined()
  })

  test('an allowed eviction removes the pod; the ReplicaSet replaces it and the budget is recomputed', () => {
    const {api, store} = fleet()
    api.evict('llm', 'llama-70b-i596l')
    expect(store.get(PODS, 'llm', 'llama-70b-i596l')).toBeUndefined()
    const pods = store.list(PODS, {namespace: 'llm', labelSelector: parseLabelSelector('app=llama-70b')}).items
    expect(pods).toHaveLength(3)
    // large-01 is free again and the only place 4 GPUs fit: the replacement lands there.
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['large-01', 'large-02', 'large-03'])
    expect(store.get(PDBS, 'llm', 'llama-70b-pdb')?.status).toMatchObject({currentHealthy: 3, disruptionsAllowed: 1})
  })
})

describe('the twin seam: what a bound twin is told, and how it answers', () => {
  /** A twin that records calls and terminates pods gracefully: marked first, removed when it decides. */
  function recordingTwin() {
    const cluster = fleet()
    const calls: string[] = []
    cluster.api.bind({
      onScale: (kind, namespace, name, replicas) => calls.push(`scale ${kind} ${namespace}/${name} ${replicas}`),
      onNodePatch: (name, node, previous) =>
        calls.push(
          `node ${name} unschedulable ${Boolean(previous.spec.unschedulable)}→${Boolean(node.spec.unschedulable)}`,
        ),
      onEvict: (namespace, name, pod, cause) => {
        calls.push(`evict ${namespace}/${name} (${cause})`)
        cluster.api.upsertObject({...pod, metadata: {...pod.metadata, deletionTimestamp: '2026-11-29T12:00:00Z'}})
      },
    })
    return {...cluster, calls}
  }

  test.each([
    {
      name: 'a Scale merge-patch',
      act: (api: KubeApi) =>
        api.updateScale(
          DEPLOYMENTS,
          'llm',
          'llama-8b',
          {spec: {replicas: 5}},
          {patchType: 'application/merge-patch+json'},
        ),
      want: ['scale Deployment llm/llama-8b 5'],
    },
    {
      name: 'a MachineDeployment spec.replicas patch',
      act: (api: KubeApi) => api.patch(MDS, 'default', 'large', 'application/merge-patch+json', {spec: {replicas: 1}}),
      want: ['scale MachineDeployment default/large 1'],
    },
    {
      name: 'a cordon',
      act: (api: KubeApi) =>
        api.patch(NODES, undefined, 'large-01', 'application/strategic-merge-patch+json', {
          spec: {unschedulable: true},
        }),
      want: ['node large-01 unschedulable false→true'],
    },
    {
      name: 'an eviction the budget allows',
      act: (api: KubeApi) => api.evict('llm', 'llama-70b-i596l'),
      want: ['evict llm/llama-70b-i596l (eviction)'],
    },
    {
      name: 'a DELETE of a pod',
      act: (api: KubeApi) => api.delete(PODS, 'llm', 'whisper-small-1tplv'),
      want: ['evict llm/whisper-small-1tplv (delete)'],
    },
    {
      name: 'a label change on a Deployment (no replica count written)',
      act: (api: KubeApi) =>
        api.patch(DEPLOYMENTS, 'llm', 'llama-8b', 'application/merge-patch+json', {metadata: {labels: {a: 'b'}}}),
      want: [],
    },
  ])('$name', ({act, want}) => {
    const {api, calls} = recordingTwin()
    act(api)
    expect(calls).toEqual(want)
  })

  test('a pod the twin terminates gracefully stays visible, unready and out of the budget, until the twin removes it', () => {
    const {api, store, calls} = recordingTwin()
    api.evict('llm', 'llama-70b-i596l')
    const terminating = store.get(PODS, 'llm', 'llama-70b-i596l')
    expect(terminating?.metadata.deletionTimestamp).toBe('2026-11-29T12:00:00Z')
    expect(store.get(PDBS, 'llm', 'llama-70b-pdb')?.status).toMatchObject({currentHealthy: 2, disruptionsAllowed: 0})
    // A second eviction of another replica is refused while the first terminates.
    expect(statusOf(() => api.evict('llm', 'llama-70b-1q8qa'))).toMatchObject({code: 429})
    api.removeObject('Pod', 'llm', 'llama-70b-i596l')
    expect(store.get(PODS, 'llm', 'llama-70b-i596l')).toBeUndefined()
    expect(calls).toEqual(['evict llm/llama-70b-i596l (eviction)'])
  })
})

describe('garbage collection (background propagation)', () => {
  test('deleting a Deployment removes its ReplicaSet and pods, and nothing recreates them', () => {
    const {api, store} = fleet()
    api.delete(DEPLOYMENTS, 'llm', 'llama-70b')
    expect(
      store
        .list(resourceByKind('ReplicaSet'), {namespace: 'llm'})
        .items.map((r) => r.metadata.name)
        .filter((n) => n.startsWith('llama-70b')),
    ).toEqual([])
    expect(store.list(PODS, {namespace: 'llm', labelSelector: parseLabelSelector('app=llama-70b')}).items).toEqual([])
    expect(store.list(PODS, {namespace: 'llm'}).items).toHaveLength(7)
  })
})

describe('the seeded fleet', () => {
  test('nodes advertise GPUs per the MIG strategy and carry GFD labels', () => {
    const {store} = fleet()
    const mig = store.get(NODES, undefined, 'mig-pool-01')!
    expect(mig.status.capacity).toMatchObject({
      'nvidia.com/mig-3g.40gb': '2',
      'nvidia.com/mig-2g.20gb': '2',
      'nvidia.com/mig-1g.10gb': '4',
    })
    expect(mig.status.capacity['nvidia.com/gpu']).toBeUndefined()
    expect(mig.metadata.labels).toMatchObject({
      'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB',
      'nvidia.com/mig.strategy': 'mixed',
      'nvidia.com/mig.config': 'all-balanced',
      'nvidia.com/mig.config.state': 'success',
      'nvidia.com/mig-3g.40gb.count': '2',
      'nvidia.com/gpu.family': 'ampere',
    })
    const large = store.get(NODES, undefined, 'large-02')!
    expect(large.status.allocatable['nvidia.com/gpu']).toBe('4')
    expect(large.metadata.labels).toMatchObject({
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.family': 'hopper',
      'gpu-scale.dev/capacity-type': 'spot',
    })
  })

  test('one MachineDeployment per node group with Cluster Autoscaler min/max and scale-from-zero annotations', () => {
    const {store} = fleet()
    const mds = store.list(MDS).items
    expect(mds.map((m) => m.metadata.name)).toEqual(['l4-pool', 'large', 'mig-pool', 'standard'])
    expect(store.get(MDS, 'default', 'mig-pool')?.metadata.annotations).toMatchObject({
      'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size': '0',
      'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size': '2',
      'capacity.cluster-autoscaler.kubernetes.io/gpu-type': 'nvidia.com/gpu',
      'capacity.cluster-autoscaler.kubernetes.io/gpu-count': '2',
      'capacity.cluster-autoscaler.kubernetes.io/taints': 'nvidia.com/gpu=present:NoSchedule',
    })
  })

  test('seeding is deterministic: the same snapshot and clock give the same objects', () => {
    const a = fleet().store.list(PODS).items
    const b = fleet().store.list(PODS).items
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
  })
})
