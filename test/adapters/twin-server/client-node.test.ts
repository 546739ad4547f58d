/**
 * @kubernetes/client-node 1.4 (the client the live adapters will use) against the twin's API server: typed
 * calls, an informer, the patch content types it must be told (facts §3), optimistic concurrency, Leases with
 * MicroTime, and informer recovery from each kind of watch drop the fault endpoint injects.
 */
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {resourceByKind} from '../../../src/core/kube-store/index.js'
import {startTestTwin, waitFor, type TestTwin} from '../../helpers/twin.js'

let twin: TestTwin
let kc: KubeConfig

beforeEach(async () => {
  twin = await startTestTwin({bookmarkIntervalMs: 200})
  kc = new KubeConfig()
  kc.loadFromFile(twin.kubeconfig)
})

afterEach(async () => {
  await twin.close()
})

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch)

async function apiError(
  promise: Promise<unknown>,
): Promise<{code: number; reason: string; headers: Record<string, string>}> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiException) {
      // client-node leaves the body as the raw string (facts §3).
      const body = typeof error.body === 'string' && error.body.startsWith('{') ? JSON.parse(error.body) : {}
      return {code: error.code, reason: body.reason ?? '', headers: error.headers as Record<string, string>}
    }
    throw error
  }
  throw new Error('expected an ApiException')
}

describe('client-node reads and writes', () => {
  test('lists nodes and pods with a field selector', async () => {
    const core = kc.makeApiClient(CoreV1Api)
    const nodes = await core.listNode()
    expect(nodes.items.map((n) => n.metadata?.name).sort()).toEqual(twin.objects('Node').map((n) => n.metadata.name))
    const gpuNode = nodes.items.find((n) => n.metadata?.name === 'mig-pool-01')
    expect(gpuNode?.status?.allocatable?.['nvidia.com/mig-3g.40gb']).toBe('2')
    expect(gpuNode?.metadata?.labels?.['nvidia.com/mig.config']).toBe('all-balanced')
    const pods = await core.listPodForAllNamespaces({fieldSelector: 'spec.nodeName=large-01'})
    expect(pods.items.map((p) => p.metadata?.name).filter((n) => !n?.startsWith('nvidia-device-plugin'))).toEqual([
      'llama-70b-i596l',
    ])
  })

  test('merge-patches node labels and taints', async () => {
    const core = kc.makeApiClient(CoreV1Api)
    await core.patchNode(
      {
        name: 'l4-pool-04',
        body: {
          metadata: {labels: {'gpu-scale.dev/draining': 'true'}},
          spec: {taints: [{key: 'gpu-scale.dev/drain', effect: 'NoSchedule'}]},
        },
      },
      merge,
    )
    const node = twin.object('Node', undefined, 'l4-pool-04')
    expect(node?.metadata.labels?.['gpu-scale.dev/draining']).toBe('true')
    expect(node?.spec.taints).toEqual([{key: 'gpu-scale.dev/drain', effect: 'NoSchedule'}])
  })

  test('the scale subresource: read, merge-patch, and PUT with a stale resourceVersion is a 409', async () => {
    const apps = kc.makeApiClient(AppsV1Api)
    const scale = await apps.readNamespacedDeploymentScale({name: 'embed-bge', namespace: 'llm'})
    expect(scale.spec?.replicas).toBe(2)
    expect(scale.status?.selector).toBe('app=embed-bge')
    await apps.patchNamespacedDeploymentScale({name: 'embed-bge', namespace: 'llm', body: {spec: {replicas: 3}}}, merge)
    expect(twin.object('Deployment', 'llm', 'embed-bge')?.spec.replicas).toBe(3)
    expect(twin.objects('Pod', 'llm').filter((p) => p.metadata.labels?.app === 'embed-bge')).toHaveLength(3)
    // The Scale read before the patch carries the old resourceVersion.
    const stale = await apiError(
      apps.replaceNamespacedDeploymentScale({
        name: 'embed-bge',
        namespace: 'llm',
        body: {...scale, spec: {replicas: 1}},
      }),
    )
    expect(stale).toMatchObject({code: 409, reason: 'Conflict'})
    expect(twin.object('Deployment', 'llm', 'embed-bge')?.spec.replicas).toBe(3)
  })

  test('MachineDeployment scale through CustomObjectsApi', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi)
    const args = {
      group: 'cluster.x-k8s.io',
      version: 'v1beta2',
      namespace: 'default',
      plural: 'machinedeployments',
      name: 'large',
    }
    const md = (await custom.getNamespacedCustomObject(args)) as {metadata: {annotations: Record<string, string>}}
    expect(md.metadata.annotations).toMatchObject({
      'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size': '3',
      'capacity.cluster-autoscaler.kubernetes.io/gpu-count': '4',
    })
    await custom.patchNamespacedCustomObjectScale({...args, body: {spec: {replicas: 2}}}, merge)
    expect(twin.object('MachineDeployment', 'default', 'large')?.spec.replicas).toBe(2)
  })

  test('replacing a node with a stale resourceVersion is a 409 and changes nothing', async () => {
    const core = kc.makeApiClient(CoreV1Api)
    const node = await core.readNode({name: 'standard-03'})
    await core.patchNode({name: 'standard-03', body: {metadata: {labels: {a: '1'}}}}, merge)
    const stale = await apiError(
      core.replaceNode({
        name: 'standard-03',
        body: {...node, metadata: {...node.metadata, labels: {...node.metadata?.labels, b: '2'}}},
      }),
    )
    expect(stale).toMatchObject({code: 409, reason: 'Conflict'})
    expect(twin.object('Node', undefined, 'standard-03')?.metadata.labels).toMatchObject({a: '1'})
    expect(twin.object('Node', undefined, 'standard-03')?.metadata.labels?.b).toBeUndefined()
  })
})

describe('Leases (leader election)', () => {
  const micro = (ms: number) => new V1MicroTime(ms)

  test('create, renew with the read resourceVersion, and lose a renew raced by another holder', async () => {
    const coordination = kc.makeApiClient(CoordinationV1Api)
    const t0 = Date.parse('2026-11-29T12:00:00.123Z')
    await coordination.createNamespacedLease({
      namespace: 'default',
      body: {
        metadata: {name: 'gpu-scale'},
        spec: {
          holderIdentity: 'a',
          leaseDurationSeconds: 15,
          acquireTime: micro(t0),
          renewTime: micro(t0),
          leaseTransitions: 0,
        },
      },
    })
    expect(twin.object('Lease', 'default', 'gpu-scale')?.spec.renewTime).toBe('2026-11-29T12:00:00.123000Z')
    const again = await apiError(
      coordination.createNamespacedLease({
        namespace: 'default',
        body: {metadata: {name: 'gpu-scale'}, spec: {holderIdentity: 'b'}},
      }),
    )
    expect(again).toMatchObject({code: 409, reason: 'AlreadyExists'})

    const read = await coordination.readNamespacedLease({name: 'gpu-scale', namespace: 'default'})
    await coordination.replaceNamespacedLease({
      name: 'gpu-scale',
      namespace: 'default',
      body: {...read, spec: {...read.spec, renewTime: micro(t0 + 5_000)}},
    })
    expect(twin.object('Lease', 'default', 'gpu-scale')?.spec.renewTime).toBe('2026-11-29T12:00:05.123000Z')
    // `read` is now stale: a second instance renewing from it loses.
    const lost = await apiError(
      coordination.replaceNamespacedLease({
        name: 'gpu-scale',
        namespace: 'default',
        body: {...read, spec: {...read.spec, holderIdentity: 'b', renewTime: micro(t0 + 6_000)}},
      }),
    )
    expect(lost).toMatchObject({code: 409, reason: 'Conflict'})
    expect(twin.object('Lease', 'default', 'gpu-scale')?.spec.holderIdentity).toBe('a')
  })

  test.each([
    {
      name: 'a plain Date serializes with 3 fraction digits: rejected as a real apiserver does',
      time: () => new Date(Date.parse('2026-11-29T12:00:00.123Z')),
      code: 400,
    },
    {
      name: 'V1MicroTime serializes with 6 digits: accepted',
      time: () => micro(Date.parse('2026-11-29T12:00:00.123Z')),
      code: 201,
    },
  ])('MicroTime: $name', async ({time, code}) => {
    const coordination = kc.makeApiClient(CoordinationV1Api)
    const result = await coordination
      .createNamespacedLeaseWithHttpInfo({
        namespace: 'default',
        body: {metadata: {name: 'x'}, spec: {holderIdentity: 'a', renewTime: time() as V1MicroTime}},
      })
      .then(
        (r) => r.httpStatusCode,
        (e: ApiException<unknown>) => e.code,
      )
    expect(result).toBe(code)
  })
})

describe('informers', () => {
  test("an informer on a Deployment's pods follows a scale-up", async () => {
    const core = kc.makeApiClient(CoreV1Api)
    const apps = kc.makeApiClient(AppsV1Api)
    const informer = makeInformer<V1Pod>(
      kc,
      '/api/v1/namespaces/llm/pods',
      () => core.listNamespacedPod({namespace: 'llm', labelSelector: 'app=whisper-small'}),
      'app=whisper-small',
    )
    const added: string[] = []
    informer.on('add', (pod) => added.push(pod.metadata?.name ?? ''))
    await informer.start()
    try {
      await waitFor('the three whisper pods', () => added.length === 3)
      await apps.patchNamespacedDeploymentScale(
        {name: 'whisper-small', namespace: 'llm', body: {spec: {replicas: 5}}},
        merge,
      )
      await waitFor('the two new pods', () => informer.list().length === 5)
      const stored = twin
        .objects('Pod', 'llm')
        .filter((p) => p.metadata.labels?.app === 'whisper-small')
        .map((p) => p.metadata.name)
        .sort()
      expect(
        informer
          .list()
          .map((p) => p.metadata?.name)
          .sort(),
      ).toEqual(stored)
    } finally {
      await informer.stop()
    }
  })

  test.each([
    {
      mode: 'close' as const,
      why: 'a cleanly ended stream: client-node re-watches from its last resourceVersion at once',
    },
    {mode: 'expire' as const, why: 'a 410 Expired ERROR event: client-node relists, then watches again'},
    {
      mode: 'reset' as const,
      why: 'a reset connection: the informer reports an error and stops; restarting it (the documented pattern) recovers',
    },
  ])('recovers after an injected watch drop ($mode): $why', async ({mode}) => {
    const core = kc.makeApiClient(CoreV1Api)
    const informer = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode())
    let errors = 0
    informer.on('error', () => {
      errors++
      setTimeout(() => void informer.start(), 50)
    })
    await informer.start()
    try {
      await waitFor('the watch to open', () => twin.server.openWatches('/api/v1/nodes') === 1)
      const dropped = await fetch(`${twin.server.url}/_twin/faults`, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({type: 'watch-drop', mode, match: {path: '/api/v1/nodes'}}),
      })
      expect(((await dropped.json()) as {dropped: number}).dropped).toBe(1)
      twin.cluster.api.patch(resourceByKind('Node'), undefined, 'l4-pool-02', 'application/merge-patch+json', {
        metadata: {labels: {seen: 'after-drop'}},
      })
      await waitFor(
        'the change made after the drop',
        () => informer.get('l4-pool-02')?.metadata?.labels?.seen === 'after-drop',
      )
      expect(errors).toBe(mode === 'reset' ? 1 : 0)
      expect(informer.list()).toHaveLength(12)
    } finally {
      await informer.stop()
    }
  })
})

describe('faults through the control endpoint', () => {
  const inject = (fault: object) =>
    fetch(`${twin.server.url}/_twin/faults`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(fault),
    })

  test.each([
    {name: '409 once, then served', fault: {type: 'status', code: 409}, first: {code: 409, reason: 'Conflict'}},
    {
      name: '429 with Retry-After (max-inflight, plain text): client-node does not retry',
      fault: {type: 'status', code: 429, retryAfterSeconds: 2},
      first: {code: 429, reason: '', headers: {'retry-after': '2'}},
    },
    {name: '500 once', fault: {type: 'status', code: 500}, first: {code: 500, reason: 'InternalError'}},
  ])('$name', async ({fault, first}) => {
    const core = kc.makeApiClient(CoreV1Api)
    expect((await inject({...fault, match: {method: 'GET', path: '/api/v1/nodes/standard-01'}})).status).toBe(201)
    expect(await apiError(core.readNode({name: 'standard-01'}))).toMatchObject(first)
    expect((await core.readNode({name: 'standard-01'})).metadata?.name).toBe('standard-01')
  })

  test('a slow answer arrives after the injected delay', async () => {
    const core = kc.makeApiClient(CoreV1Api)
    await inject({type: 'delay', ms: 400, match: {path: '/api/v1/nodes'}})
    const started = Date.now()
    await core.listNode()
    expect(Date.now() - started).toBeGreaterThanOrEqual(380)
  })
})
