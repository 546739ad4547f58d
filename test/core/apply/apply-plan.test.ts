/**
 * The executor runs a plan's changes through the recording fakes: one status per change, preconditions read right
 * before acting, the plan's order except that a dependency always runs first, and nothing that counts on a failed
 * or refused change is executed.
 */
import {describe, expect, test} from 'vitest'

import {
  fieldKey,
  RecordingClusterWriter,
  RecordingNodeGroupWriter,
} from '../../../src/adapters/fake/recording-writers.js'
import {applyPlan, type ApplyPorts} from '../../../src/core/apply/index.js'
import type {
  Change,
  MigChange,
  NodeGroupChange,
  NodeRemovalChange,
  Precondition,
  ReplicaChange,
} from '../../../src/core/model/plan.js'

const chat = {kind: 'Deployment', namespace: 'llm', name: 'chat'} as const
const workload = {kind: 'Deployment', namespace: 'llm', name: 'chat'} as const
const why = [{code: 'ReplicasPlaced' as const, message: 'test', evidence: {}}]

function replicas(from: number, to: number, extra: Partial<ReplicaChange> = {}): ReplicaChange {
  return {
    id: 'pod:llm/chat',
    layer: 'pod',
    action: 'scale-replicas',
    target: {kind: 'Deployment', name: 'chat', namespace: 'llm'},
    status: 'planned',
    eta: null,
    dependsOn: [],
    reasons: why,
    preconditions: [{resource: chat, path: 'spec.replicas', equals: from}],
    from,
    to,
    payload: {workload, from, to},
    ...extra,
  }
}

function groupUp(group: string, from: number, to: number, extra: Partial<NodeGroupChange> = {}): NodeGroupChange {
  return {
    id: `node:${group}`,
    layer: 'node',
    action: 'scale-node-group',
    target: {kind: 'NodeGroup', name: group},
    status: 'planned',
    eta: null,
    dependsOn: [],
    reasons: why,
    preconditions: [{resource: {kind: 'NodeGroup', name: group}, path: 'status.targetSize', equals: from}],
    from,
    to,
    payload: {group, from, to, delta: to - from},
    ...extra,
  }
}

function removal(group: string, node: string, from: number): NodeRemovalChange {
  return {
    id: `node:${group}/${node}`,
    layer: 'node',
    action: 'remove-node',
    target: {kind: 'Node', name: node},
    status: 'planned',
    eta: null,
    dependsOn: [],
    reasons: why,
    preconditions: [{resource: {kind: 'NodeGroup', name: group}, path: 'status.targetSize', equals: from}],
    from,
    to: from - 1,
    payload: {group, node, groupFrom: from, groupTo: from - 1, drain: []},
  }
}

function mig(node: string, previous: string | null, extra: Partial<MigChange> = {}): MigChange {
  return {
    id: `gpu:${node}`,
    layer: 'gpu',
    action: 'repartition-gpu',
    target: {kind: 'GPU', name: node, node},
    status: 'planned',
    eta: null,
    dependsOn: [],
    reasons: why,
    preconditions: [
      {resource: {kind: 'Node', name: node}, path: 'metadata.labels["nvidia.com/mig.config"]', equals: previous},
    ],
    from: 'all-disabled',
    to: 'all-3g.40gb',
    payload: {node, migConfig: 'all-3g.40gb', previousMigConfig: previous, gpus: [0], drain: []},
    ...extra,
  }
}

/** The fakes of a cluster with `chat` at `chatReplicas`, group `a100` of `nodes` nodes, and node-0 labelled `label`. */
function fakes(options: {chatReplicas?: number; nodes?: string[]; label?: string | null} = {}) {
  const cluster = new RecordingClusterWriter<Change>({
    fields: {
      [fieldKey(chat, 'spec.replicas')]: options.chatReplicas ?? 2,
      [fieldKey({kind: 'Node', name: 'node-0'}, 'metadata.labels["nvidia.com/mig.config"]')]: options.label ?? null,
    },
    effect: (change) =>
      change.action === 'scale-replicas' ? [{resource: chat, path: 'spec.replicas', value: change.to}] : [],
  })
  const groups = new RecordingNodeGroupWriter({a100: {nodes: options.nodes ?? ['node-0']}})
  const read = (resource: Precondition['resource'], path: string): unknown =>
    resource.kind === 'NodeGroup' && path === 'status.targetSize'
      ? groups.groups.get(resource.name)?.targetSize
      : cluster.fields.get(fieldKey(resource, path))
  const ports: ApplyPorts = {cluster, nodeGroups: groups, read}
  return {cluster, groups, ports}
}

describe('applyPlan: one status per change', () => {
  test.each([
    {
      why: 'every precondition holds: a node, then the replicas that land on it, both applied',
      setup: {},
      changes: () => [groupUp('a100', 1, 2), replicas(2, 3, {dependsOn: ['node:a100']})],
      expected: [
        ['node:a100', 'applied'],
        ['pod:llm/chat', 'applied'],
      ],
    },
    {
      why: 'someone scaled chat to 4 since the plan: the replica change is refused alone, the node still grows',
      setup: {chatReplicas: 4},
      changes: () => [groupUp('a100', 1, 2), replicas(2, 3)],
      expected: [
        ['node:a100', 'applied'],
        ['pod:llm/chat', 'precondition-failed'],
      ],
    },
    {
      why: 'the group grew meanwhile: the scale-up is refused and the replicas counting on it are skipped',
      setup: {nodes: ['node-0', 'node-1']},
      changes: () => [groupUp('a100', 1, 2), replicas(2, 3, {dependsOn: ['node:a100']})],
      expected: [
        ['node:a100', 'precondition-failed'],
        ['pod:llm/chat', 'skipped'],
      ],
    },
    {
      why: 'a blocked change is shown in the plan, never executed',
      setup: {},
      changes: () => [replicas(2, 6, {id: 'pod:llm/chat#blocked', status: 'blocked', preconditions: []})],
      expected: [['pod:llm/chat#blocked', 'skipped']],
    },
    {
      why: 'a dependency listed later runs first (topological, otherwise stable)',
      setup: {},
      changes: () => [replicas(2, 3, {dependsOn: ['node:a100']}), groupUp('a100', 1, 2)],
      expected: [
        ['node:a100', 'applied'],
        ['pod:llm/chat', 'applied'],
      ],
    },
    {
      why: 'a dependency missing from the plan: skipped, nothing assumed',
      setup: {},
      changes: () => [replicas(2, 3, {dependsOn: ['gpu:node-9']})],
      expected: [['pod:llm/chat', 'skipped']],
    },
    {
      why: 'the MIG label moved since the plan: refused with the value found',
      setup: {label: 'all-balanced'},
      changes: () => [mig('node-0', null)],
      expected: [['gpu:node-0', 'precondition-failed']],
    },
    {
      why: 'a removal of a node the group has: applied',
      setup: {nodes: ['node-0', 'node-1']},
      changes: () => [removal('a100', 'node-1', 2)],
      expected: [['node:a100/node-1', 'applied']],
    },
    {
      why: 'two changes that depend on each other: both reported as a cycle, neither executed',
      setup: {},
      changes: () => [groupUp('a100', 1, 2, {dependsOn: ['pod:llm/chat']}), replicas(2, 3, {dependsOn: ['node:a100']})],
      expected: [
        ['pod:llm/chat', 'skipped'],
        ['node:a100', 'skipped'],
      ],
    },
  ])('$why', async ({setup, changes, expected}) => {
    const {ports} = fakes(setup)
    const {results} = await applyPlan({changes: changes()}, ports)
    expect(results.map((r) => [r.changeId, r.status])).toEqual(expected)
  })

  test('a refused precondition says which field moved and what it holds now', async () => {
    const {ports, cluster} = fakes({chatReplicas: 4})
    const {results} = await applyPlan({changes: [replicas(2, 3)]}, ports)
    expect(results[0]).toMatchObject({
      status: 'precondition-failed',
      precondition: {path: 'spec.replicas', equals: 2},
      actual: 4,
    })
    expect(cluster.calls).toEqual([])
  })
})

describe('applyPlan: scripted failures of the ports', () => {
  test.each([
    {
      why: 'spot out of capacity: the scale-up fails (retryable next tick) and its replicas are skipped',
      script: (f: ReturnType<typeof fakes>) => f.groups.failNext('capacity'),
      expected: [
        ['node:a100', 'failed', true],
        ['pod:llm/chat', 'skipped', undefined],
      ],
    },
    {
      why: 'the cloud quota is exhausted: fails, not retryable (a person must raise it)',
      script: (f: ReturnType<typeof fakes>) => f.groups.failNext('quota'),
      expected: [
        ['node:a100', 'failed', false],
        ['pod:llm/chat', 'skipped', undefined],
      ],
    },
    {
      why: 'the API server times out on the replica write: the node stays applied, the replica change failed retryable',
      script: (f: ReturnType<typeof fakes>) => f.cluster.failNext('timeout', {retryable: true}),
      expected: [
        ['node:a100', 'applied', undefined],
        ['pod:llm/chat', 'failed', true],
      ],
    },
  ])('$why', async ({script, expected}) => {
    const f = fakes()
    script(f)
    const {results, counts} = await applyPlan(
      {changes: [groupUp('a100', 1, 2), replicas(2, 3, {dependsOn: ['node:a100']})]},
      f.ports,
    )
    expect(results.map((r) => [r.changeId, r.status, r.status === 'failed' ? r.retryable : undefined])).toEqual(
      expected,
    )
    expect(counts.applied + counts.failed + counts.skipped + counts['precondition-failed']).toBe(2)
  })

  test('a dependency chain: node → MIG → replicas; the MIG write fails, so the replicas never run', async () => {
    const f = fakes()
    f.cluster.failNext('mig-manager unreachable')
    const plan = [
      groupUp('a100', 1, 2),
      mig('node-0', null, {dependsOn: ['node:a100']}),
      replicas(2, 3, {dependsOn: ['gpu:node-0', 'node:a100']}),
    ]
    const {results} = await applyPlan({changes: plan}, f.ports)
    expect(results.map((r) => r.status)).toEqual(['applied', 'failed', 'skipped'])
    expect(results[2]).toMatchObject({reason: 'dependency-not-applied', dependency: 'gpu:node-0'})
    expect(f.cluster.calls.map((c) => c.id)).toEqual(['gpu:node-0'])
  })
})
