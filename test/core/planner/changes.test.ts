/**
 * Every change an actuator can execute carries a typed payload and the preconditions `apply` checks, and
 * `requiredTelemetry` names what the core reads, so a live adapter queries exactly that.
 */
import {describe, expect, test} from 'vitest'

import type {Change} from '../../../src/core/model/plan.js'
import {planCluster} from '../../../src/core/planner/plan-cluster.js'
import {requiredTelemetry} from '../../../src/core/planner/required-telemetry.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'

const sim = defaultScenario()
const plan = planCluster(sim)
const byAction = (action: Change['action']) => plan.changes.filter((c) => c.action === action)

describe('typed changes with preconditions (the built-in scenario)', () => {
  test('every change has a payload and at least one precondition', () => {
    for (const change of plan.changes) {
      expect(change.payload, change.id).toBeDefined()
      expect(change.preconditions.length, change.id).toBeGreaterThan(0)
    }
  })

  test.each([
    {
      name: 'a replica change: the workload and its counts; precondition spec.replicas equals the count planned from',
      action: 'scale-replicas' as const,
    },
    {
      name: "a node-group change: group, sizes and delta; precondition the group's target size",
      action: 'scale-node-group' as const,
    },
    {
      name: "a node removal: the node, its group and the drain list; precondition the group's target size",
      action: 'remove-node' as const,
    },
    {
      name: "a MIG repartition: node, mig.config value, drain list; precondition the node's current mig.config label",
      action: 'repartition-gpu' as const,
    },
  ])('$name', ({action}) => {
    const changes = byAction(action)
    expect(changes.length).toBeGreaterThan(0)
    for (const c of changes) {
      if (c.action === 'scale-replicas') {
        expect(c.payload).toEqual({
          workload: {kind: 'Deployment', namespace: c.target.namespace, name: c.target.name},
          from: c.from,
          to: c.to,
        })
        expect(c.preconditions).toEqual([
          {
            resource: {kind: 'Deployment', namespace: c.target.namespace, name: c.target.name},
            path: 'spec.replicas',
            equals: c.from,
          },
        ])
      } else if (c.action === 'scale-node-group') {
        expect(c.payload).toEqual({group: c.target.name, from: c.from, to: c.to, delta: c.to - c.from})
        const state = sim.snapshot.nodeGroups.find((g) => g.name === c.payload.group)
        expect(c.preconditions).toEqual([
          {resource: {kind: 'NodeGroup', name: c.payload.group}, path: 'status.targetSize', equals: state?.targetSize},
        ])
      } else if (c.action === 'remove-node') {
        expect(c.payload.node).toBe(c.target.name)
        expect(c.payload.groupTo).toBe(c.payload.groupFrom - 1)
        expect(c.preconditions[0]?.path).toBe('status.targetSize')
      } else {
        const node = sim.snapshot.nodes.find((n) => n.name === c.payload.node)
        expect(c.payload.migConfig).toBe('all-3g.40gb')
        expect(c.payload.previousMigConfig).toBe(node?.migConfig)
        expect(c.preconditions).toEqual([
          {
            resource: {kind: 'Node', name: c.payload.node},
            path: 'metadata.labels["nvidia.com/mig.config"]',
            equals: node?.migConfig,
          },
        ])
      }
    }
  })

  test('the planner hashes nothing: no fingerprint unless the caller passes one', () => {
    expect(plan.inputFingerprint).toBeUndefined()
    expect(planCluster({...sim, inputFingerprint: 'sha256:' + '0'.repeat(64)}).inputFingerprint).toBe(
      'sha256:' + '0'.repeat(64),
    )
  })
})

describe('requiredTelemetry: what the core reads for a policy', () => {
  const required = requiredTelemetry(sim.config)
  const find = (metric: string, source: string) =>
    required.metrics.find((m) => m.metric === metric && m.source === source)

  test.each([
    {
      name: 'a queue signal, over the 30 min trend window predictive warming fits',
      metric: 'vllm:num_requests_waiting',
      source: 'pod',
      windowSeconds: 1800,
      model: 'llama-8b',
    },
    {
      name: 'a p95 latency signal is read from its histogram buckets',
      metric: 'vllm:e2e_request_latency_seconds_bucket',
      source: 'pod',
      windowSeconds: 180,
      model: 'embed-bge',
    },
    {
      name: 'GPU utilization per node over the scale-down unneeded window',
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      source: 'node',
      windowSeconds: sim.config.settings.scaleDown.unneededSeconds,
      model: undefined,
    },
    {
      name: 'the MIG fallback of GPU utilization, over the signal window',
      metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      source: 'gpu',
      windowSeconds: 180,
      model: 'embed-bge',
    },
    {
      name: 'DRAM active as bottleneck evidence',
      metric: 'DCGM_FI_PROF_DRAM_ACTIVE',
      source: 'gpu',
      windowSeconds: 180,
      model: 'whisper-small',
    },
  ])('$name', ({metric, source, windowSeconds, model}) => {
    const need = find(metric, source)
    expect(need?.windowSeconds).toBe(windowSeconds)
    if (model) expect(need?.models).toContain(model)
  })

  test('step and lookback: one sample per loop, as far back as the longest window', () => {
    expect(required.stepSeconds).toBe(sim.config.settings.loopIntervalSeconds)
    expect(required.lookbackSeconds).toBe(Math.max(...required.metrics.map((m) => m.windowSeconds)))
  })
})
