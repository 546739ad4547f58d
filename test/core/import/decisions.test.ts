/**
 * The Done-when of issue 11: `import hpa` gives a config whose decisions match the imported HPA's on the project's
 * HPA-exact table, extended with the CPU cases of Kubernetes' replica-calculator tests. Each row is written as the
 * HPA it describes (YAML text), imported through the real reader and translation, merged into a gpu-scale.yaml that
 * the real config loader validates, and decided on the row's own pods and series: the decision must be the row's.
 * Twice: by the pod layer's entry (`recommendReplicas`, with the reason code) and by the whole planner
 * (`planCluster` on a cluster snapshot holding the row's pods on GPU nodes, its workload, history and series).
 */
import {describe, expect, test} from 'vitest'
import {stringify} from 'yaml'

import {parseConfig} from '../../../src/core/config/load.js'
import {parseAutoscaler, translateAutoscaler} from '../../../src/core/import/parse.js'
import type {ModelConfig, PolicyConfig, ScalingRules, Settings, SignalConfig} from '../../../src/core/model/config.js'
import type {ClusterSnapshot, NodeState, PodState, Series} from '../../../src/core/model/snapshot.js'
import {recommendReplicas} from '../../../src/core/policy/replicas/recommend.js'
import {planCluster} from '../../../src/core/planner/plan-cluster.js'
import {type ResourceRow, resourceRows} from '../policy/replicas/hpa-resource-table.js'
import {type Row, rows} from '../policy/replicas/hpa-table.js'
import {makeInput, NOW, NS, scaleDownRules, scaleUpRules} from '../policy/replicas/scenario.js'

/** An HPA's behavior direction from the row's rules (HPA defaults plus the row's overrides). */
function hpaRules(rules: ScalingRules): Record<string, unknown> {
  return {
    stabilizationWindowSeconds: rules.stabilizationWindowSeconds,
    selectPolicy: rules.selectPolicy,
    policies: rules.policies.map((p) => ({type: p.type, value: p.value, periodSeconds: p.periodSeconds})),
    ...(rules.tolerance !== 0.1 ? {tolerance: String(rules.tolerance)} : {}),
  }
}

function hpaMetric(signal: SignalConfig): Record<string, unknown> {
  if (signal.source === 'workload') {
    const target =
      signal.targetType === 'Value'
        ? {type: 'Value', value: String(signal.target)}
        : {type: 'AverageValue', averageValue: String(signal.target)}
    return {type: 'External', external: {metric: {name: signal.metric}, target}}
  }
  return {
    type: 'Pods',
    pods: {metric: {name: signal.metric}, target: {type: 'AverageValue', averageValue: String(signal.target)}},
  }
}

function hpaManifest(args: {
  metrics: Array<Record<string, unknown>>
  replicas: {min: number; max: number}
  behavior?: {scaleUp: ScalingRules; scaleDown: ScalingRules}
}): string {
  return stringify({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {name: 'llama-8b', namespace: 'llm'},
    spec: {
      scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama-8b'},
      minReplicas: args.replicas.min,
      maxReplicas: args.replicas.max,
      metrics: args.metrics,
      ...(args.behavior
        ? {behavior: {scaleUp: hpaRules(args.behavior.scaleUp), scaleDown: hpaRules(args.behavior.scaleDown)}}
        : {}),
    },
  })
}

/** HPA text → imported fragment → a whole gpu-scale.yaml through the real loader → its one model. */
function importModel(text: string): {model: ModelConfig; settings: Settings; config: PolicyConfig} {
  const translation = translateAutoscaler(parseAutoscaler(text, 'hpa.yaml', 'HorizontalPodAutoscaler'))
  const document = stringify({
    apiVersion: 'gpu-scale.dev/v1alpha1',
    kind: 'ScalingPolicy',
    metadata: {name: 'imported'},
    nodeGroups: [{name: 'a100', gpu: {model: 'A100-80GB', count: 8}, max: 10}],
    models: translation.config.models,
  })
  const parsed = parseConfig(document, 'gpu-scale.yaml')
  expect(
    parsed.problems.filter((p) => p.severity === 'error'),
    document,
  ).toEqual([])
  const config = parsed.config as NonNullable<typeof parsed.config>
  return {model: config.models[0] as ModelConfig, settings: config.settings, config}
}

function decide(
  model: ModelConfig,
  settings: Settings,
  row: {
    pods: PodState[]
    series: Series[]
    current?: number
    history?: Array<{at: number; replicas: number}>
    events?: Array<{at: number; from: number; to: number}>
  },
) {
  return recommendReplicas(
    makeInput({
      model,
      pods: row.pods,
      series: row.series,
      settings,
      workload: {specReplicas: row.current ?? 3, scaleEvents: row.events ?? [], recommendations: row.history ?? []},
    }),
  )
}

// Object rows feed the described object's value as per-pod series of a pod-source signal; an imported Object
// metric reads the object's own (workload-level) series, as a custom-metrics adapter serves it. The same math
// (getUsageRatioReplicaCount) is covered by the External Value rows, which import one to one.
const importable = rows.filter((row) =>
  row.signals.every((s) => !(s.source !== 'workload' && s.targetType === 'Value')),
)

describe('import hpa decides as the HPA on the HPA-exact table', () => {
  test('covers the table but its Object rows', () => {
    expect(importable.length).toBe(rows.length - 3)
  })

  test.each(importable)('$name → $expected ($code) [mirrors $mirrors]', (row: Row) => {
    const {model, settings} = importModel(rowHpa(row))
    expect(model.algorithm).toBe('hpa')
    expect(model.legacyHpaBehavior).toBe(row.legacy === true)
    const decision = decide(model, settings, row)
    expect(decision.desired).toBe(row.expected)
    expect(decision.reasons.map((r) => r.code)).toContain(row.code)
  })
})

describe("import hpa decides as the HPA on the replica calculator's CPU cases", () => {
  test.each(resourceRows)('$name → $expected ($code) [mirrors $mirrors]', (row: ResourceRow) => {
    const {model, settings} = importModel(resourceHpa(row))
    const decision = decide(model, settings, row)
    expect(decision.desired).toBe(row.expected)
    expect(decision.reasons.map((r) => r.code)).toContain(row.code)
  })
})

/**
 * The whole planner on the CPU rows: the imported config (with a node group of 8-GPU nodes) and a cluster snapshot
 * holding the row's pods (one GPU each), workload and series. The plan's replica change (or its absence) must be
 * the row's decision.
 */
describe('the planner plans the imported config as the HPA decides', () => {
  test.each(resourceRows)('$name → $expected [mirrors $mirrors]', (row: ResourceRow) => {
    const imported = importModel(resourceHpa(row))
    const plan = planCluster({config: imported.config, snapshot: clusterOf(row)})
    const change = plan.changes.find((c) => c.layer === 'pod' && c.target.name === 'llama-8b')
    expect(change ? change.to : row.current, JSON.stringify(plan.skipped)).toBe(row.expected)
  })
})

describe('the planner plans the imported config on the HPA-exact table', () => {
  test.each(importable)('$name → $expected [mirrors $mirrors]', (row: Row) => {
    const imported = importModel(rowHpa(row))
    const plan = planCluster({config: imported.config, snapshot: clusterOf({...row, current: row.current ?? 3})})
    const change = plan.changes.find((c) => c.layer === 'pod' && c.target.name === 'llama-8b')
    expect(change ? change.to : (row.current ?? 3), JSON.stringify(plan.skipped)).toBe(row.expected)
  })
})

function clusterOf(row: {
  pods: PodState[]
  series: Series[]
  current: number
  history?: Array<{at: number; replicas: number}>
  events?: Array<{at: number; from: number; to: number}>
}): ClusterSnapshot {
  const nodes: NodeState[] = Array.from({length: 4}, (_, n) => ({
    name: `node-${n}`,
    group: 'a100',
    labels: {},
    taints: [],
    ready: true,
    cordoned: false,
    createdAt: NOW - 86_400,
    gpusAllocatable: true,
    capacityType: 'on-demand',
    gpus: Array.from({length: 8}, (_, index) => ({
      index,
      model: 'A100-80GB',
      memoryMiB: 81_920,
      mig: {enabled: false, instances: []},
      pods: [],
    })),
  }))
  let slot = 0
  const pods = row.pods.map((p) => {
    if (p.phase === 'Pending' || p.phase === 'Failed') {
      const {node: _node, ...rest} = p
      return {...rest, gpuRequest: {resource: 'nvidia.com/gpu', count: 1}}
    }
    const node = nodes[Math.floor(slot / 8)] as NodeState
    node.gpus[slot % 8]?.pods.push(`${p.namespace}/${p.name}`)
    slot++
    return {...p, node: node.name, gpuRequest: {resource: 'nvidia.com/gpu', count: 1}}
  })
  return {
    apiVersion: 'gpu-scale.dev/v1alpha1',
    kind: 'ClusterSnapshot',
    capturedAt: NOW,
    migStrategy: 'none',
    nodeGroups: [{name: 'a100', targetSize: 4, failures: []}],
    nodes,
    pods,
    workloads: [
      {
        kind: 'Deployment',
        namespace: NS,
        name: 'llama-8b',
        specReplicas: row.current,
        readyReplicas: pods.filter((p) => p.ready).length,
        scaleEvents: row.events ?? [],
        recommendations: row.history ?? [],
      },
    ],
    pdbs: [],
    telemetry: row.series,
  }
}

function rowHpa(row: Row): string {
  return hpaManifest({
    metrics: row.signals.map(hpaMetric),
    replicas: row.replicas ?? {min: 1, max: 10},
    ...(row.legacy ? {} : {behavior: {scaleUp: scaleUpRules(row.up), scaleDown: scaleDownRules(row.down)}}),
  })
}

function resourceHpa(row: ResourceRow): string {
  const target =
    row.targetType === 'Utilization'
      ? {type: 'Utilization', averageUtilization: row.target}
      : {type: 'AverageValue', averageValue: row.resource === 'cpu' ? `${row.target * 1000}m` : String(row.target)}
  const metric =
    row.container === undefined
      ? {type: 'Resource', resource: {name: row.resource, target}}
      : {type: 'ContainerResource', containerResource: {name: row.resource, container: row.container, target}}
  return hpaManifest({
    metrics: [metric],
    replicas: row.replicas ?? {min: 1, max: 10},
    behavior: {scaleUp: scaleUpRules(row.up), scaleDown: scaleDownRules({stabilizationWindowSeconds: 0})},
  })
}
