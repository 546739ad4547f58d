/**
 * The live ClusterWriter against `sim serve`: the MIG sequence on a busy node (evictions that a
 * PodDisruptionBudget paces), a budget that never allows (the node goes back as it was), the MIG manager
 * reporting `failed` (the node stays cordoned), and replica preconditions read on the object being written.
 * Time is the twin's: every poll the writer sleeps advances the twin, so the budget, the pods' termination and the
 * reconfiguration progress exactly as they would.
 */
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {LiveClusterWriter} from '../../../src/adapters/kubernetes/cluster-writer.js'
import {connectCluster} from '../../../src/adapters/kubernetes/connection.js'
import {createFieldReader} from '../../../src/adapters/kubernetes/field-reader.js'
import {KubeApi} from '../../../src/adapters/kubernetes/kube-api.js'
import {loadConfigFile} from '../../../src/adapters/config-file.js'
import {repartition, replicas, startApplyTwin, type ApplyTwin} from '../../services/apply-helpers.js'

let twin: ApplyTwin
let writer: LiveClusterWriter
let api: KubeApi
const lines: string[] = []

beforeEach(async () => {
  twin = await startApplyTwin()
  // Ten minutes in: every pod is Ready, so each budget allows exactly one disruption.
  twin.serve.bound.advance(twin.serve.bound.twin.now + 600)
  api = new KubeApi(await connectCluster({kubeconfig: twin.serve.info.kubeconfig}), {sleep: twin.clock.sleep})
  const {config} = await loadConfigFile(twin.config)
  lines.length = 0
  writer = new LiveClusterWriter(api, {
    clock: twin.clock,
    read: createFieldReader(api, config),
    evictionTimeoutSeconds: 300,
    migTimeoutSeconds: 300,
    log: (line) => lines.push(line),
  })
})

afterEach(async () => {
  await twin?.close()
})

const podsOn = (node: string) =>
  twin
    .list('Pod')
    .filter((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp)
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
const unschedulable = (node: string) => Boolean(twin.object('Node', undefined, node)?.spec?.unschedulable)
const label = (node: string, key: string) => twin.object('Node', undefined, node)?.metadata.labels?.[key]

describe('MIG repartition', () => {
  test('a busy node: its GPU pods are evicted one at a time as the PDB allows (DaemonSet pods stay), then relabelled, then uncordoned', async () => {
    expect(podsOn('mig-pool-001').filter((p) => p.startsWith('llm/'))).toHaveLength(2)
    const change = repartition('mig-pool-001', 'all-3g.40gb', 'all-1g.10gb', [
      'llm/embed-bge-00001',
      'llm/embed-bge-00002',
    ])
    const result = await writer.apply(change)
    expect(result, lines.join('\n')).toEqual({changeId: 'gpu:mig-pool-001', status: 'applied'})
    // embed-bge's budget (maxUnavailable 1) refused the second eviction until the first pod's replacement was Ready.
    expect(lines.some((l) => l.includes('refused by a PodDisruptionBudget'))).toBe(true)
    expect(podsOn('mig-pool-001').filter((p) => p.startsWith('llm/'))).toEqual([])
    expect(podsOn('mig-pool-001').filter((p) => p.startsWith('gpu-operator/'))).toHaveLength(1)
    expect(label('mig-pool-001', 'nvidia.com/mig.config')).toBe('all-1g.10gb')
    expect(label('mig-pool-001', 'nvidia.com/mig.config.state')).toBe('success')
    expect(unschedulable('mig-pool-001')).toBe(false)
  })

  test('a budget that never allows: fails after the eviction timeout naming it; the node is uncordoned and not relabelled', async () => {
    await api.call('PATCH', 'pdb', () =>
      api.custom.patchNamespacedCustomObject(
        {
          group: 'policy',
          version: 'v1',
          namespace: 'llm',
          plural: 'poddisruptionbudgets',
          name: 'embed-bge-pdb',
          body: {spec: {maxUnavailable: 0}},
        },
        api.mergePatch,
      ),
    )
    const result = await writer.apply(repartition('mig-pool-001', 'all-3g.40gb', 'all-1g.10gb'))
    expect(result).toMatchObject({status: 'failed', retryable: true})
    expect(result.status === 'failed' && result.message).toMatch(
      /cannot drain mig-pool-001: eviction of llm\/embed-bge-0000\d refused for 5m by a PodDisruptionBudget \(The disruption budget embed-bge-pdb needs/,
    )
    expect(unschedulable('mig-pool-001')).toBe(false)
    expect(label('mig-pool-001', 'nvidia.com/mig.config')).toBe('all-3g.40gb')
  })

  test('the MIG manager reports failed: the change fails (not retryable) and the node stays cordoned, named', async () => {
    const result = await writer.apply(
      repartition('mig-pool-002', label('mig-pool-002', 'nvidia.com/mig.config') ?? null, 'all-bogus'),
    )
    expect(result).toMatchObject({status: 'failed', retryable: false})
    expect(result.status === 'failed' && result.message).toContain(
      'node mig-pool-002 stays cordoned: nvidia.com/mig.config.state=failed',
    )
    expect(unschedulable('mig-pool-002')).toBe(true)
  })

  test('a node cordoned before the change stays cordoned after it (apply only undoes its own cordon)', async () => {
    await twin.kubectl('cordon', 'mig-pool-002')
    const result = await writer.apply(
      repartition('mig-pool-002', label('mig-pool-002', 'nvidia.com/mig.config') ?? null, 'all-1g.10gb'),
    )
    expect(result.status).toBe('applied')
    expect(unschedulable('mig-pool-002')).toBe(true)
  })
})

describe('replicas', () => {
  test.each([
    {why: 'the count the plan saw: scaled', change: () => replicas('llama-8b', 2, 3), status: 'applied', replicas: 3},
    {
      why: 'someone scaled since: refused with the value found, nothing written',
      change: () => replicas('llama-8b', 5, 6),
      status: 'precondition-failed',
      replicas: 2,
    },
    {
      why: 'already at the target (a rerun): nothing to write',
      change: () => ({...replicas('llama-8b', 2, 2)}),
      status: 'applied',
      replicas: 2,
    },
  ])('$why', async ({change, status, replicas: expected}) => {
    const result = await writer.apply(change())
    expect(result.status).toBe(status)
    if (result.status === 'precondition-failed') expect(result.actual).toBe(2)
    expect(twin.object('Deployment', 'llm', 'llama-8b')?.spec?.replicas).toBe(expected)
  })

  test('a workload that does not exist: failed, naming the URL', async () => {
    const result = await writer.apply(replicas('no-such-model', 1, 2))
    expect(result).toMatchObject({status: 'failed', retryable: false})
    expect(result.status === 'failed' && result.message).toContain(
      '/apis/apps/v1/namespaces/llm/deployments/no-such-model',
    )
  })
})
