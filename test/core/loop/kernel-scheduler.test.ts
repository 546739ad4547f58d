/**
 * The twin's scheduler decides with the kernel's predicates: each row changes one thing about a node and names the
 * filter that must turn the pod away (or the score that must prefer one node).
 */
import {describe, expect, test} from 'vitest'

import {scheduleWithKernel} from '../../../src/core/loop/index.js'
import type {GpuDevice, NodeState, PodState} from '../../../src/core/model/snapshot.js'
import {policy} from './helpers.js'

const config = policy(
  [
    {
      name: 'pool',
      gpu: {model: 'A100-80GB', count: 2},
      max: 4,
      labels: {pool: 'a'},
      migConfigs: ['all-disabled', 'all-3g.40gb'],
    },
  ],
  [
    {name: 'whole', gpu: {count: 1}, nodeSelector: {pool: 'a'}},
    {name: 'critical', gpu: {count: 1}, critical: true},
    {name: 'sliced', gpu: {migProfile: '3g.40gb'}},
  ],
)
const model = (name: string) => config.models.find((m) => m.name === name)!
const pod: PodState = {
  name: 'p',
  namespace: 'llm',
  phase: 'Pending',
  ready: false,
  deleting: false,
  createdAt: 0,
  daemon: false,
}

function gpu(index: number, options: {busy?: boolean; mig?: Array<{profile: string; used?: boolean}>} = {}): GpuDevice {
  return {
    index,
    model: 'A100-80GB',
    memoryMiB: 81920,
    pods: options.busy ? ['llm/other'] : [],
    mig: {
      enabled: options.mig !== undefined,
      instances: (options.mig ?? []).map((i, n) => ({
        profile: i.profile,
        start: n * 4,
        size: 4,
        ...(i.used ? {pod: 'llm/other'} : {}),
      })),
    },
  }
}

function node(name: string, extra: Partial<NodeState> = {}): NodeState {
  return {
    name,
    group: 'pool',
    labels: {pool: 'a'},
    taints: [{key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule'}],
    ready: true,
    cordoned: false,
    createdAt: 0,
    gpusAllocatable: true,
    capacityType: 'on-demand',
    gpus: [gpu(0), gpu(1)],
    ...extra,
  }
}

describe('scheduleWithKernel', () => {
  test.each([
    {why: 'a ready node with free GPUs that admits the pod', model: 'whole', nodes: [node('n1')], expected: 'n1'},
    {
      why: 'cordoned (a MIG drain in progress): filtered',
      model: 'whole',
      nodes: [node('n1', {cordoned: true})],
      expected: undefined,
    },
    {
      why: 'GPUs not yet allocatable (driver init): filtered',
      model: 'whole',
      nodes: [node('n1', {gpusAllocatable: false})],
      expected: undefined,
    },
    {
      why: 'a spot interruption notice: filtered',
      model: 'whole',
      nodes: [node('n1', {interruptionNoticeAt: 10})],
      expected: undefined,
    },
    {
      why: 'admitsNode: the node selector does not match',
      model: 'whole',
      nodes: [node('n1', {labels: {pool: 'b'}})],
      expected: undefined,
    },
    {
      why: 'admitsNode: a taint the model does not tolerate',
      model: 'whole',
      nodes: [node('n1', {taints: [{key: 'dedicated', value: 'x', effect: 'NoSchedule'}]})],
      expected: undefined,
    },
    {
      why: 'admitsNode: critical models stay off spot',
      model: 'critical',
      nodes: [node('n1', {capacityType: 'spot'}), node('n2')],
      expected: 'n2',
    },
    {
      why: 'device fit: every GPU busy',
      model: 'whole',
      nodes: [node('n1', {gpus: [gpu(0, {busy: true}), gpu(1, {busy: true})]})],
      expected: undefined,
    },
    {
      why: 'device fit: a free 3g.40gb instance serves a MIG pod',
      model: 'sliced',
      nodes: [node('n1', {gpus: [gpu(0, {mig: [{profile: '3g.40gb', used: true}, {profile: '3g.40gb'}]})]})],
      expected: 'n1',
    },
    {why: 'device fit: a whole GPU is not a MIG instance', model: 'sliced', nodes: [node('n1')], expected: undefined},
    {
      why: 'MostAllocated: the fuller node wins, keeping whole nodes free for scale-down and MIG',
      model: 'whole',
      nodes: [node('n1'), node('n2', {gpus: [gpu(0, {busy: true}), gpu(1)]})],
      expected: 'n2',
    },
    {
      why: 'a tie goes to the first name, so runs are reproducible',
      model: 'whole',
      nodes: [node('n2'), node('n1')],
      expected: 'n1',
    },
  ])('$why', ({model: name, nodes, expected}) => {
    expect(scheduleWithKernel(pod, nodes, {model: model(name), migStrategy: 'mixed'})).toBe(expected)
  })
})
