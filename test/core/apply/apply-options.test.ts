/**
 * The executor's options for a caller that journals and resumes (`apply`): finished changes are not repeated and
 * still satisfy their dependents, a started change's preconditions (which its own writes moved) are not checked
 * again, a refusal stops that change and what depends on it, and every result is reported before the next change.
 */
import {describe, expect, test} from 'vitest'

import {fieldKey, RecordingNodeGroupWriter} from '../../../src/adapters/fake/recording-writers.js'
import {applyPlan, type ApplyOptions} from '../../../src/core/apply/index.js'
import type {Change} from '../../../src/core/model/plan.js'
import {growGroup, repartition, replicas} from '../../services/apply-helpers.js'

const grow = growGroup('standard', 3, 4)
const scale = replicas('llama-8b', 2, 3, [grow.id])
const mig = repartition('mig-pool-002', 'all-disabled', 'all-1g.10gb')

/** The executor's own checks are under test: the writer records and applies (the live writer resumes by itself). */
function ports() {
  const fields = new Map<string, unknown>([
    [fieldKey({kind: 'NodeGroup', name: 'standard'}, 'status.targetSize'), 3],
    [fieldKey({kind: 'Deployment', namespace: 'llm', name: 'llama-8b'}, 'spec.replicas'), 2],
    // The crashed run already relabelled the node: the plan's precondition (all-disabled) reads its own write.
    [fieldKey({kind: 'Node', name: 'mig-pool-002'}, 'metadata.labels["nvidia.com/mig.config"]'), 'all-1g.10gb'],
  ])
  const calls: Change[] = []
  const cluster = {
    calls,
    apply: async (change: Change) => {
      calls.push(change)
      return {changeId: change.id, status: 'applied' as const}
    },
  }
  const nodeGroups = new RecordingNodeGroupWriter({standard: {nodes: ['a', 'b', 'c']}})
  return {cluster, nodeGroups, read: (r: Parameters<typeof fieldKey>[0], p: string) => fields.get(fieldKey(r, p))}
}

describe('applyPlan options', () => {
  test.each<{why: string; options: ApplyOptions; statuses: string[]; groupCalls: number; clusterCalls: string[]}>([
    {
      why: 'nothing done yet: the group grows, the replicas follow; the MIG precondition reads the new label and refuses',
      options: {},
      statuses: ['applied', 'applied', 'precondition-failed'],
      groupCalls: 1,
      clusterCalls: ['pod:llm/llama-8b'],
    },
    {
      why: 'the group was grown by a crashed run: not repeated, and its dependent still runs',
      options: {done: new Set([grow.id])},
      statuses: ['skipped', 'applied', 'precondition-failed'],
      groupCalls: 0,
      clusterCalls: ['pod:llm/llama-8b'],
    },
    {
      why: 'the MIG change was started by a crashed run: its preconditions are not checked again, the writer resumes it',
      options: {done: new Set([grow.id, scale.id]), started: new Set([mig.id])},
      statuses: ['skipped', 'skipped', 'applied'],
      groupCalls: 0,
      clusterCalls: ['gpu:mig-pool-002'],
    },
    {
      why: 'a refused group change: refused, and the replicas that count on it are not run',
      options: {refuse: (c) => (c.id === grow.id ? 'no consent' : undefined)},
      statuses: ['skipped', 'skipped', 'precondition-failed'],
      groupCalls: 0,
      clusterCalls: [],
    },
  ])('$why', async ({options, statuses, groupCalls, clusterCalls}) => {
    const p = ports()
    const seen: string[] = []
    const result = await applyPlan({changes: [grow, scale, mig]}, p, {
      ...options,
      onResult: (status) => void seen.push(status.changeId),
    })
    expect(result.results.map((r) => r.status)).toEqual(statuses)
    expect(seen).toEqual([grow.id, scale.id, mig.id])
    expect(p.nodeGroups.calls).toHaveLength(groupCalls)
    expect(p.cluster.calls.map((c) => c.id)).toEqual(clusterCalls)
  })

  test('a refusal says why, as data', async () => {
    const result = await applyPlan({changes: [grow]}, ports(), {
      refuse: () => 'destructive without consent: pass --yes',
    })
    expect(result.results[0]).toMatchObject({
      status: 'skipped',
      reason: 'refused',
      message: 'destructive without consent: pass --yes',
    })
  })
})
