/**
 * `apply` against `sim serve` in process: the discrete-event twin behind a real Kubernetes API, its clock paused
 * and stepped by the apply's own sleeps (a wait of 5 s advances the twin by 5 s), so MIG reconfiguration, pod
 * termination and backoff happen in virtual time, exactly, without waiting. Plans are built here change by change
 * (a saved plan, as `plan --out` writes it) so each test says exactly what is applied.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'

import {resourceByKind, type KubeObject} from '../../src/core/kube-store/index.js'
import type {
  Change,
  MigChange,
  NodeGroupChange,
  NodeRemovalChange,
  Plan,
  ReplicaChange,
} from '../../src/core/model/plan.js'
import {planCluster} from '../../src/core/planner/plan-cluster.js'
import type {Clock} from '../../src/core/ports.js'
import {defaultScenario, defaultScenarioBuilder} from '../../src/core/sim/default-scenario.js'
import {applyOnce, type ApplyRequest} from '../../src/services/apply.js'
import {startSimServe, type SimServeHandle} from '../../src/services/sim-serve.js'
import {kubectl, type KubectlResult} from '../helpers/kubectl.js'

export interface ApplyTwin {
  serve: SimServeHandle
  dir: string
  config: string
  /** Seconds each sleep asked for, in order (the backoff and polling the apply did). */
  sleeps: number[]
  clock: Clock
  kubectl(...args: string[]): Promise<KubectlResult>
  object(kind: string, namespace: string | undefined, name: string): KubeObject | undefined
  list(kind: string, namespace?: string): KubeObject[]
  fault(body: object): Promise<void>
  /** Saves a plan of these changes and returns its path. */
  savePlan(changes: Change[], name?: string): string
  apply(request: Partial<ApplyRequest>): ReturnType<typeof applyOnce>
  close(): Promise<void>
}

/** Actuators: standard and l4-pool by Cluster API, large by headroom pods; mig-pool has none. */
export async function startApplyTwin(): Promise<ApplyTwin> {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-apply-'))
  const serve = await startSimServe({port: 0, speed: 0, kubeconfigOut: join(dir, 'twin.kubeconfig')})
  const raw = defaultScenarioBuilder().rawConfig() as {nodeGroups: Array<Record<string, unknown>>}
  for (const group of raw.nodeGroups) {
    if (group.name === 'standard' || group.name === 'l4-pool') group.actuator = {kind: 'machine-deployment'}
    if (group.name === 'large') group.actuator = {kind: 'headroom', namespace: 'default'}
  }
  const config = join(dir, 'gpu-scale.yaml')
  writeFileSync(config, stringify(raw))
  const sleeps: number[] = []
  const clock: Clock = {
    now: () => serve.bound.twin.now,
    sleep: async (seconds) => {
      sleeps.push(seconds)
      serve.bound.advance(serve.bound.twin.now + seconds)
    },
  }
  let plans = 0
  const twin: ApplyTwin = {
    serve,
    dir,
    config,
    sleeps,
    clock,
    kubectl: (...args) => kubectl(args, {kubeconfig: serve.info.kubeconfig, cacheDir: join(dir, 'cache')}),
    object: (kind, namespace, name) => serve.bound.store.get(resourceByKind(kind), namespace, name),
    list: (kind, namespace) =>
      serve.bound.store.list(resourceByKind(kind), namespace === undefined ? {} : {namespace}).items,
    fault: async (body) => {
      const response = await fetch(serve.info.faults, {method: 'POST', body: JSON.stringify(body)})
      if (!response.ok) throw new Error(`fault ${JSON.stringify(body)}: ${response.status} ${await response.text()}`)
    },
    savePlan: (changes, name = `plan-${++plans}.json`) => {
      const path = join(dir, name)
      writeFileSync(path, JSON.stringify(planOf(changes)))
      return path
    },
    apply: (request) => applyOnce({config, kubeconfig: serve.info.kubeconfig, clockPort: clock, ...request}),
    close: async () => {
      await serve.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return twin
}

const template = planCluster(defaultScenario())
const reasonsOf = (action: Change['action']) => template.changes.find((c) => c.action === action)?.reasons ?? []

function planOf(changes: Change[]): Plan {
  const byLayer = {pod: 0, node: 0, gpu: 0}
  for (const c of changes) byLayer[c.layer]++
  return {...template, summary: {changes: changes.length, blocked: 0, byLayer}, changes, skipped: [], diagnostics: []}
}

const common = {status: 'planned' as const, eta: null, dependsOn: [] as string[]}

export function replicas(name: string, from: number, to: number, dependsOn: string[] = []): ReplicaChange {
  const workload = {kind: 'Deployment' as const, namespace: 'llm', name}
  return {
    ...common,
    dependsOn,
    id: `pod:llm/${name}`,
    layer: 'pod',
    action: 'scale-replicas',
    target: {kind: 'Deployment', namespace: 'llm', name},
    from,
    to,
    reasons: reasonsOf('scale-replicas'),
    preconditions: [{resource: workload, path: 'spec.replicas', equals: from}],
    payload: {workload, from, to},
  }
}

export function growGroup(group: string, from: number, to: number): NodeGroupChange {
  return {
    ...common,
    id: `node:${group}`,
    layer: 'node',
    action: 'scale-node-group',
    target: {kind: 'NodeGroup', name: group},
    from,
    to,
    reasons: reasonsOf('scale-node-group'),
    preconditions: [{resource: {kind: 'NodeGroup', name: group}, path: 'status.targetSize', equals: from}],
    payload: {group, from, to, delta: to - from},
  }
}

export function removeNode(
  group: string,
  node: string,
  groupFrom: number,
  dependsOn: string[] = [],
): NodeRemovalChange {
  return {
    ...common,
    dependsOn,
    id: `node:${node}`,
    layer: 'node',
    action: 'remove-node',
    target: {kind: 'Node', name: node},
    from: groupFrom,
    to: groupFrom - 1,
    reasons: reasonsOf('remove-node'),
    preconditions: [{resource: {kind: 'NodeGroup', name: group}, path: 'status.targetSize', equals: groupFrom}],
    payload: {group, node, groupFrom, groupTo: groupFrom - 1, drain: []},
  }
}

export function repartition(node: string, previous: string | null, migConfig: string, drain: string[] = []): MigChange {
  return {
    ...common,
    id: `gpu:${node}`,
    layer: 'gpu',
    action: 'repartition-gpu',
    target: {kind: 'Node', name: node},
    from: previous ?? 'unset',
    to: migConfig,
    reasons: reasonsOf('repartition-gpu'),
    preconditions: [
      {resource: {kind: 'Node', name: node}, path: 'metadata.labels["nvidia.com/mig.config"]', equals: previous},
    ],
    payload: {node, migConfig, previousMigConfig: previous, gpus: [0, 1], drain},
  }
}
