/**
 * `apply` end to end against `sim serve` (the discrete-event twin behind a real Kubernetes API), judged with
 * kubectl 1.32 and the twin's own state: replicas, node groups (Cluster API and headroom), MIG; consent, another
 * autoscaler, stale preconditions; and faults (409, 429, 500, MIG stuck pending, a crash mid-apply).
 */
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {SimulatedCrash} from '../../src/services/apply.js'
import {growGroup, removeNode, repartition, replicas, startApplyTwin, type ApplyTwin} from './apply-helpers.js'

let twin: ApplyTwin

beforeEach(async () => {
  twin = await startApplyTwin()
})

afterEach(async () => {
  await twin?.close()
})

const migLabel = (node: string) =>
  twin.object('Node', undefined, node)?.metadata.labels?.['nvidia.com/mig.config'] ?? null
/** A MIG config the node does not have now. */
const otherMigConfig = (node: string) => (migLabel(node) === 'all-1g.10gb' ? 'all-3g.40gb' : 'all-1g.10gb')
const jsonpath = async (what: string[], path: string) => {
  const result = await twin.kubectl('get', ...what, '-o', `jsonpath=${path}`)
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}
const writes = () => twin.serve.server.requests.filter((r) => !['GET', 'HEAD'].includes(r.method))

describe('apply acts on the cluster, and kubectl sees the plan', () => {
  test('a Deployment, a MachineDeployment group, a headroom group and a MIG layout; a second apply is a no-op', async () => {
    const before = migLabel('mig-pool-002')
    const next = otherMigConfig('mig-pool-002')
    const plan = twin.savePlan([
      growGroup('standard', 3, 4),
      growGroup('large', 3, 5),
      repartition('mig-pool-002', before, next),
      replicas('whisper-small', 3, 4),
    ])
    const {outcome} = await twin.apply({plan, yes: true})
    expect(outcome.exitCode, JSON.stringify(outcome.changes)).toBe(0)
    expect(outcome.counts).toEqual({applied: 4, 'precondition-failed': 0, failed: 0, skipped: 0})

    expect(await jsonpath(['deployment', 'whisper-small', '-n', 'llm'], '{.spec.replicas}')).toBe('4')
    expect(await jsonpath(['machinedeployment', 'standard'], '{.spec.replicas}')).toBe('4')
    // Headroom: two placeholders asking for a whole `large` node (4 GPUs) each, in the negative PriorityClass.
    const placeholders = JSON.parse(
      (await twin.kubectl('get', 'pods', '-n', 'default', '-l', 'gpu-scale.dev/headroom=large', '-o', 'json')).stdout,
    ) as {
      items: Array<{
        spec: {priorityClassName: string; nodeSelector: object; containers: Array<{resources: {requests: object}}>}
      }>
    }
    expect(placeholders.items).toHaveLength(2)
    expect(placeholders.items[0]?.spec).toMatchObject({
      priorityClassName: 'gpu-scale-headroom',
      nodeSelector: {'gpu-scale.dev/pool': 'large'},
    })
    expect(placeholders.items[0]?.spec.containers[0]?.resources.requests).toEqual({'nvidia.com/gpu': '4'})
    expect(await jsonpath(['priorityclass', 'gpu-scale-headroom'], '{.value}')).toBe('-10')
    // MIG: relabelled, the manager reported success, and the node is schedulable again.
    expect(await jsonpath(['node', 'mig-pool-002'], '{.metadata.labels.nvidia\\.com/mig\\.config}')).toBe(next)
    expect(await jsonpath(['node', 'mig-pool-002'], '{.metadata.labels.nvidia\\.com/mig\\.config\\.state}')).toBe(
      'success',
    )
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('')

    // The same plan again: the journal says every change is done; nothing is written but the journal itself.
    const writesBefore = writes().length
    const again = await twin.apply({plan, yes: true})
    expect(again.outcome.exitCode).toBe(0)
    expect(again.outcome.changes.map((c) => c.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped'])
    expect(
      writes()
        .slice(writesBefore)
        .map((r) => r.resource),
    ).toEqual(['configmaps'])
    expect(await jsonpath(['machinedeployment', 'standard'], '{.spec.replicas}')).toBe('4')
  })

  test('live (-c, no saved plan): plans the cluster then applies; a second live apply finds only what failed', async () => {
    twin.serve.bound.advance(twin.serve.bound.twin.now + 600)
    const first = await twin.apply({yes: true})
    const applied = first.outcome.changes.filter((c) => c.status === 'applied').map((c) => c.id)
    expect(applied.length, JSON.stringify(first.outcome.changes)).toBeGreaterThan(0)
    expect(first.outcome.source).toContain('policy: ')
    expect(first.diagnostics.map((d) => d.code)).toContain('NoControllerState')
    const second = await twin.apply({yes: true})
    // The second plan read the controller state the first run saved (stabilization carries over between runs).
    expect(second.diagnostics.map((d) => d.code)).not.toContain('NoControllerState')
    // What was applied is no longer planned; only the change that cannot act (mig-pool has no actuator) remains.
    expect(second.outcome.changes.map((c) => c.id)).toEqual(
      first.outcome.changes.filter((c) => c.status !== 'applied').map((c) => c.id),
    )
  })

  test('replicas go through the scale subresource as an explicit merge patch', async () => {
    const {outcome} = await twin.apply({plan: twin.savePlan([replicas('llama-8b', 2, 3)])})
    expect(outcome.exitCode).toBe(0)
    const patch = writes().find((r) => r.subresource === 'scale')
    expect(patch).toMatchObject({method: 'PATCH', contentType: 'application/merge-patch+json', name: 'llama-8b'})
  })

  test('a MachineDeployment node removal marks the node for deletion, and Cluster API (the twin) removes that node', async () => {
    // l4-pool-004 is not the newest by name order alone; the mark makes the choice, not the deletion policy.
    twin.serve.bound.advance(twin.serve.bound.twin.now + 600)
    const {outcome} = await twin.apply({
      plan: twin.savePlan([removeNode('l4-pool', 'l4-pool-001', 4)]),
      allowScaleDown: true,
    })
    expect(outcome.changes[0]?.status, outcome.changes[0]?.detail).toBe('applied')
    expect(await jsonpath(['machinedeployment', 'l4-pool'], '{.spec.replicas}')).toBe('3')
    expect(twin.object('Node', undefined, 'l4-pool-001')).toBeUndefined()
    expect(twin.object('Node', undefined, 'l4-pool-004')).toBeDefined()
  })

  test('a group without an actuator: its node change fails with the config field to add (exit 1)', async () => {
    const {outcome} = await twin.apply({plan: twin.savePlan([growGroup('mig-pool', 2, 3)])})
    expect(outcome.exitCode).toBe(1)
    expect(outcome.changes[0]).toMatchObject({status: 'failed'})
    expect(outcome.changes[0]?.detail).toContain('nodeGroups[2].actuator')
  })
})

describe('consent: destructive steps need a flag when nobody can be asked', () => {
  const cases = [
    {
      why: 'a scale-down without a flag is refused',
      change: () => replicas('whisper-small', 3, 2),
      flags: {},
      status: 'skipped',
      exit: 4,
      says: '--allow-scale-down',
    },
    {
      why: '--allow-scale-down consents to a scale-down',
      change: () => replicas('whisper-small', 3, 2),
      flags: {allowScaleDown: true},
      status: 'applied',
      exit: 0,
    },
    {
      why: '--allow-scale-down does not cover MIG',
      change: () => repartition('mig-pool-002', migLabel('mig-pool-002'), otherMigConfig('mig-pool-002')),
      flags: {allowScaleDown: true},
      status: 'skipped',
      exit: 4,
      says: '--allow-mig-reconfig',
    },
    {
      why: '--allow-mig-reconfig consents to MIG',
      change: () => repartition('mig-pool-002', migLabel('mig-pool-002'), otherMigConfig('mig-pool-002')),
      flags: {allowMigReconfig: true},
      status: 'applied',
      exit: 0,
    },
    {
      why: 'a node removal is a scale-down',
      change: () => removeNode('l4-pool', 'l4-pool-004', 4),
      flags: {},
      status: 'skipped',
      exit: 4,
      says: '--allow-scale-down',
    },
    {
      why: '--yes consents to everything',
      change: () => removeNode('l4-pool', 'l4-pool-004', 4),
      flags: {yes: true},
      status: 'applied',
      exit: 0,
    },
    {
      why: 'a scale-up needs no consent',
      change: () => replicas('whisper-small', 3, 4),
      flags: {},
      status: 'applied',
      exit: 0,
    },
  ]
  test.each(cases)('$why', async ({change, flags, status, exit, says}) => {
    const {outcome} = await twin.apply({plan: twin.savePlan([change()]), ...flags})
    expect(outcome.changes[0]?.status, outcome.changes[0]?.detail).toBe(status)
    expect(outcome.exitCode).toBe(exit)
    if (says) expect(outcome.changes[0]?.detail).toContain(says)
  })

  test('on a TTY the user is asked once, and a yes consents', async () => {
    const asked: string[][] = []
    const {outcome} = await twin.apply({
      plan: twin.savePlan([replicas('whisper-small', 3, 2), replicas('llama-8b', 2, 3)]),
      confirm: async (changes) => {
        asked.push(changes.map((c) => c.id))
        return true
      },
    })
    expect(asked).toEqual([['pod:llm/whisper-small']])
    expect(outcome.exitCode).toBe(0)
  })
})

describe('refusals', () => {
  test('a precondition changed between plan and apply: that change is refused (exit 4) saying what changed; the others go on', async () => {
    const plan = twin.savePlan([replicas('whisper-small', 3, 4), replicas('llama-8b', 2, 3)])
    expect((await twin.kubectl('scale', 'deployment/whisper-small', '-n', 'llm', '--replicas=2')).code).toBe(0)
    const {outcome} = await twin.apply({plan})
    expect(outcome.exitCode).toBe(4)
    expect(outcome.changes.map((c) => [c.id, c.status])).toEqual([
      ['pod:llm/whisper-small', 'precondition-failed'],
      ['pod:llm/llama-8b', 'applied'],
    ])
    expect(outcome.changes[0]?.detail).toContain('spec.replicas changed: expected 3, found 2')
    expect(await jsonpath(['deployment', 'whisper-small', '-n', 'llm'], '{.spec.replicas}')).toBe('2')
  })

  test('--replan plans again from the cluster as it is instead of refusing', async () => {
    const plan = twin.savePlan([replicas('whisper-small', 3, 4)])
    await twin.kubectl('scale', 'deployment/whisper-small', '-n', 'llm', '--replicas=2')
    const {outcome} = await twin.apply({plan, replan: true, yes: true})
    expect(outcome.replanned).toBe(true)
    expect(outcome.changes.some((c) => c.status === 'precondition-failed')).toBe(false)
    expect(outcome.exitCode).not.toBe(4)
  })

  const owners = [
    {
      kind: 'HorizontalPodAutoscaler',
      path: '/apis/autoscaling/v2/namespaces/llm/horizontalpodautoscalers',
      object: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: {name: 'whisper', namespace: 'llm'},
        spec: {
          scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'whisper-small'},
          minReplicas: 1,
          maxReplicas: 3,
        },
      },
      bounds: ['hpa', '{.spec.minReplicas} {.spec.maxReplicas}'],
    },
    {
      kind: 'ScaledObject',
      path: '/apis/keda.sh/v1alpha1/namespaces/llm/scaledobjects',
      object: {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: {name: 'whisper', namespace: 'llm'},
        spec: {
          scaleTargetRef: {name: 'whisper-small'},
          minReplicaCount: 1,
          maxReplicaCount: 3,
          triggers: [{type: 'prometheus', metadata: {query: 'x', threshold: '1'}}],
        },
      },
      bounds: ['scaledobject', '{.spec.minReplicaCount} {.spec.maxReplicaCount}'],
    },
  ]
  const createOwner = async (owner: (typeof owners)[number]) => {
    const response = await fetch(`${twin.serve.info.api}${owner.path}`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(owner.object),
    })
    expect(response.status).toBe(201)
  }

  test.each(owners)(
    'a $kind on the workload: refused (exit 4), naming it; the workload is untouched',
    async (owner) => {
      await createOwner(owner)
      const {outcome} = await twin.apply({plan: twin.savePlan([replicas('whisper-small', 3, 4)])})
      expect(outcome.exitCode).toBe(4)
      expect(outcome.changes[0]).toMatchObject({status: 'skipped'})
      expect(outcome.changes[0]?.detail).toContain(`${owner.kind}/whisper scales this workload`)
      expect(await jsonpath(['deployment', 'whisper-small', '-n', 'llm'], '{.spec.replicas}')).toBe('3')
    },
  )

  test.each(owners)(
    '--hpa-mode drive sets the $kind min/max to the planned count instead of scaling the workload',
    async (owner) => {
      await createOwner(owner)
      const {outcome} = await twin.apply({plan: twin.savePlan([replicas('whisper-small', 3, 4)]), hpaMode: 'drive'})
      expect(outcome.exitCode).toBe(0)
      expect(outcome.changes[0]?.detail).toContain(`${owner.kind}/whisper min/max set to 4`)
      expect(await jsonpath([owner.bounds[0] as string, 'whisper', '-n', 'llm'], owner.bounds[1] as string)).toBe('4 4')
      expect(await jsonpath(['deployment', 'whisper-small', '-n', 'llm'], '{.spec.replicas}')).toBe('3')
    },
  )
})

describe('faults', () => {
  test('a 409 on the scale write: retried after a fresh read of the Deployment', async () => {
    await twin.fault({type: 'status', code: 409, match: {method: 'PATCH', path: '/deployments/llama-8b/scale'}})
    const {outcome} = await twin.apply({plan: twin.savePlan([replicas('llama-8b', 2, 3)])})
    expect(outcome.exitCode).toBe(0)
    const calls = twin.serve.server.requests
      .filter((r) => r.path.includes('/deployments/llama-8b'))
      .map((r) => `${r.method} ${r.code}`)
    expect(calls).toEqual(['GET 200', 'GET 200', 'PATCH 409', 'GET 200', 'PATCH 200'])
    expect(await jsonpath(['deployment', 'llama-8b', '-n', 'llm'], '{.spec.replicas}')).toBe('3')
  })

  test.each([
    {why: 'a 429 with Retry-After 3: waits at least 3 s', fault: {code: 429, retryAfterSeconds: 3}, least: 3},
    {why: 'a 500: backs off (a jittered delay under 0.5 s first)', fault: {code: 500}, least: 0},
  ])('$why, then succeeds', async ({fault, least}) => {
    await twin.fault({type: 'status', ...fault, count: 2, match: {method: 'PATCH', path: '/scale'}})
    const {outcome} = await twin.apply({plan: twin.savePlan([replicas('llama-8b', 2, 3)])})
    expect(outcome.exitCode).toBe(0)
    expect(twin.sleeps).toHaveLength(2)
    for (const s of twin.sleeps) expect(s).toBeGreaterThanOrEqual(least)
    expect(twin.sleeps[0]).toBeLessThanOrEqual(Math.max(least, 0.5))
  })

  test('MIG stuck pending: the node stays cordoned with a diagnostic (exit 1); a rerun after the manager recovers finishes it', async () => {
    const next = otherMigConfig('mig-pool-002')
    const plan = twin.savePlan([repartition('mig-pool-002', migLabel('mig-pool-002'), next)])
    await twin.fault({type: 'mig-stuck', node: 'mig-pool-002'})
    const {outcome} = await twin.apply({plan, yes: true, migTimeoutSeconds: 120})
    expect(outcome.exitCode).toBe(1)
    expect(outcome.changes[0]?.detail).toMatch(
      /node mig-pool-002 stays cordoned: nvidia.com\/mig.config.state is pending after 2m/,
    )
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('true')

    await twin.fault({type: 'mig-stuck', node: 'mig-pool-002', release: true})
    const rerun = await twin.apply({plan, yes: true, migTimeoutSeconds: 120})
    expect(rerun.outcome.exitCode, JSON.stringify(rerun.outcome.changes)).toBe(0)
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('')
    expect(migLabel('mig-pool-002')).toBe(next)
  })

  test('a crash after two writes: the next run finishes the plan without repeating finished steps', async () => {
    const plan = twin.savePlan([growGroup('standard', 3, 4), replicas('llama-8b', 2, 3), replicas('embed-bge', 2, 3)])
    await expect(twin.apply({plan, crashAfterWrites: 2})).rejects.toBeInstanceOf(SimulatedCrash)
    expect(await jsonpath(['deployment', 'embed-bge', '-n', 'llm'], '{.spec.replicas}')).toBe('2')
    const {outcome} = await twin.apply({plan})
    expect(outcome.changes.map((c) => [c.id, c.status])).toEqual([
      ['node:standard', 'skipped'],
      ['pod:llm/llama-8b', 'skipped'],
      ['pod:llm/embed-bge', 'applied'],
    ])
    // Grown once, not twice.
    expect(await jsonpath(['machinedeployment', 'standard'], '{.spec.replicas}')).toBe('4')
    expect(await jsonpath(['deployment', 'embed-bge', '-n', 'llm'], '{.spec.replicas}')).toBe('3')
  })

  test('a crash mid-MIG (cordoned, drained, label set): the next run resumes waiting for the manager, then uncordons', async () => {
    const before = migLabel('mig-pool-002')
    const next = otherMigConfig('mig-pool-002')
    const plan = twin.savePlan([repartition('mig-pool-002', before, next)])
    // Writes: cordoned, drained, labelled → the crash comes right after the label.
    await expect(twin.apply({plan, yes: true, crashAfterWrites: 3})).rejects.toBeInstanceOf(SimulatedCrash)
    expect(migLabel('mig-pool-002')).toBe(next)
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('true')
    const labelWrites = writes().filter((r) => r.resource === 'nodes').length
    // No consent flag this time: the crashed run had it, and a half-done repartition is worse than finishing it.
    const {outcome} = await twin.apply({plan})
    // The precondition (label == before) now reads the crashed run's own write: not checked again, not refused.
    expect(outcome.changes[0]?.status, outcome.changes[0]?.detail).toBe('applied')
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('')
    // Only the uncordon was written to the node: no second cordon, no second label.
    expect(writes().filter((r) => r.resource === 'nodes').length - labelWrites).toBe(1)
  })

  test('a crash mid-MIG, then another plan (a live rerun plans afresh): the half-done change is finished first', async () => {
    const plan = twin.savePlan([repartition('mig-pool-002', migLabel('mig-pool-002'), otherMigConfig('mig-pool-002'))])
    await expect(twin.apply({plan, yes: true, crashAfterWrites: 1})).rejects.toBeInstanceOf(SimulatedCrash)
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('true')
    const {outcome} = await twin.apply({plan: twin.savePlan([replicas('llama-8b', 2, 3)])})
    expect(outcome.resumed).toEqual(['gpu:mig-pool-002'])
    expect(outcome.changes.map((c) => [c.id, c.status])).toEqual([
      ['gpu:mig-pool-002', 'applied'],
      ['pod:llm/llama-8b', 'applied'],
    ])
    expect(await jsonpath(['node', 'mig-pool-002'], '{.spec.unschedulable}')).toBe('')
  })
})
