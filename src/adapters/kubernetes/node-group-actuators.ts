/**
 * Node groups as `apply` resizes them, one actuator per group from the config (`nodeGroups[].actuator`):
 *
 * - `machine-deployment`: Cluster API. Grow: the MachineDeployment's scale subresource, read-then-patch with the
 *   read resourceVersion (a concurrent write is a 409, re-read and retried). Remove a node: mark its Machine with
 *   `cluster.x-k8s.io/delete-machine` (the MachineSet controller deletes marked Machines first, whatever its
 *   deletion policy; Cluster API book, "Scaling Nodes", and cluster-autoscaler's clusterapi provider do the same),
 *   then lower the replicas by one. The Machine is the node's `cluster.x-k8s.io/machine` annotation; the node
 *   itself is marked too, so the mark is visible with `kubectl get node` (and the twin, which has no Machines,
 *   reads it there).
 * - `headroom`: placeholder pods (one per wanted node, asking for a whole node's GPUs with the group's labels as
 *   nodeSelector and tolerating its taints) in a PriorityClass of value -10, created when missing. Cluster
 *   Autoscaler or Karpenter add nodes for them; a real pod preempts them at once. Removing a node deletes the
 *   placeholder on it (else a pending one): the autoscaler then removes the idle node after its own unneeded
 *   time. No placeholder left means there is nothing gpu-scale holds there: done.
 * - `command`: an external program, argv without a shell, the change as JSON on stdin; exit 0 is done, anything
 *   else failed with the last line of its stderr; killed after its timeout.
 *
 * A group without an actuator fails its node changes with a message saying which config field to add: apply never
 * guesses how a cluster's nodes are managed.
 */
import {spawn} from 'node:child_process'

import type {Change} from '../../core/model/plan.js'
import type {NodeGroupActuator, NodeGroupConfig, PolicyConfig} from '../../core/model/config.js'
import type {NodeGroupFailure, NodeGroupWriter, NodeGroupWriteResult} from '../../core/ports.js'
import {CAPI, type KubeApi, type KubeObject} from './kube-api.js'
import {groupOfNode, HEADROOM_LABEL, pendingPlaceholders} from './map-snapshot.js'
import {ApiCallError} from './retry.js'

export const DELETE_MACHINE_ANNOTATION = 'cluster.x-k8s.io/delete-machine'
export const MACHINE_ANNOTATION = 'cluster.x-k8s.io/machine'
export {HEADROOM_LABEL}
/** Below every default (0), so any real pod preempts a placeholder; negative values are allowed for user classes. */
export const HEADROOM_PRIORITY = -10
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10'

export interface NodeGroupActuatorOptions {
  /** The plan's changes, so a command actuator receives the whole change it executes. */
  changes?: readonly Change[]
}

export function createNodeGroupWriter(
  api: KubeApi,
  config: PolicyConfig,
  options: NodeGroupActuatorOptions = {},
): NodeGroupWriter {
  const groupOf = (name: string) => config.nodeGroups.find((g) => g.name === name)
  const run = async (
    name: string,
    act: (group: NodeGroupConfig, actuator: NodeGroupActuator) => Promise<NodeGroupWriteResult>,
  ): Promise<NodeGroupWriteResult> => {
    const group = groupOf(name)
    if (!group) return failed('not-found', `node group ${name} is not in the config`)
    if (!group.actuator)
      return failed(
        'other',
        `node group ${name} has no actuator: add nodeGroups[${config.nodeGroups.indexOf(group)}].actuator (machine-deployment, headroom or command) to the config`,
      )
    try {
      return await act(group, group.actuator)
    } catch (error) {
      if (error instanceof ApiCallError)
        return failed(
          error.kind === 'conflict' ? 'conflict' : error.kind === 'not-found' ? 'not-found' : 'other',
          error.message,
        )
      throw error
    }
  }
  return {
    increaseSize: (name, delta) =>
      run(name, (group, actuator) => {
        switch (actuator.kind) {
          case 'machine-deployment':
            return resizeMachineDeployment(api, actuator, (replicas) => replicas + delta)
          case 'headroom':
            return addPlaceholders(api, group, actuator, delta)
          case 'command':
            return runCommand(actuator, {
              action: 'increase-size',
              group: name,
              delta,
              change: options.changes?.find((c) => c.action === 'scale-node-group' && c.payload.group === name),
            })
        }
      }),
    removeNode: (name, node) =>
      run(name, async (_group, actuator) => {
        switch (actuator.kind) {
          case 'machine-deployment':
            return removeMachine(api, actuator, node)
          case 'headroom':
            return removePlaceholder(api, actuator, name, node)
          case 'command':
            return runCommand(actuator, {
              action: 'remove-node',
              group: name,
              node,
              change: options.changes?.find((c) => c.action === 'remove-node' && c.payload.node === node),
            })
        }
      }),
  }
}

/**
 * A group's target size as the planner saw it (`status.targetSize` of a NodeGroup precondition): the
 * spec.replicas of the actuator's MachineDeployment (else of one named as the group), else its registered nodes;
 * plus its pending headroom placeholders — the same rule as the snapshot mapping (map-snapshot.ts), so a
 * precondition compares like with like.
 */
export async function readGroupTargetSize(api: KubeApi, config: PolicyConfig, name: string): Promise<unknown> {
  const group = config.nodeGroups.find((g) => g.name === name)
  if (!group) return undefined
  const md =
    group.actuator?.kind === 'machine-deployment'
      ? await readMachineDeployment(api, group.actuator)
      : await findMachineDeploymentNamed(api, name)
  const nodes = await api.call('GET', '/api/v1/nodes', () => api.core.listNode())
  const registered = nodes.items.filter((n) => groupOfNode(n.metadata?.labels ?? {}, config) === name).length
  const labelSelector = `${HEADROOM_LABEL}=${name}`
  const pods = await api.call('GET', `/api/v1/pods?labelSelector=${labelSelector}`, () =>
    api.core.listPodForAllNamespaces({labelSelector}),
  )
  return (
    Number(md ? (md.spec?.replicas ?? registered) : registered) + pendingPlaceholders(pods.items as KubeObject[], name)
  )
}

/** The MachineDeployment named as the group, in any namespace (Cluster API not installed: none). */
async function findMachineDeploymentNamed(api: KubeApi, name: string): Promise<KubeObject | undefined> {
  const list = (await api.optional('GET', `/apis/${CAPI.group}/${CAPI.version}/machinedeployments`, () =>
    api.custom.listClusterCustomObject({...CAPI, plural: 'machinedeployments'}),
  )) as {items?: KubeObject[]} | undefined
  return list?.items?.find((md) => md.metadata?.name === name)
}

function failed(failure: NodeGroupFailure, message: string): NodeGroupWriteResult {
  return {status: 'failed', failure, message}
}

type MachineDeploymentActuator = Extract<NodeGroupActuator, {kind: 'machine-deployment'}>
type HeadroomActuator = Extract<NodeGroupActuator, {kind: 'headroom'}>
type CommandActuator = Extract<NodeGroupActuator, {kind: 'command'}>

function mdPath(a: MachineDeploymentActuator): string {
  return `/apis/${CAPI.group}/${CAPI.version}/namespaces/${a.namespace}/machinedeployments/${a.name}`
}

async function readMachineDeployment(api: KubeApi, a: MachineDeploymentActuator): Promise<KubeObject | undefined> {
  return (await api.optional('GET', mdPath(a), () =>
    api.custom.getNamespacedCustomObject({...CAPI, namespace: a.namespace, plural: 'machinedeployments', name: a.name}),
  )) as KubeObject | undefined
}

/** Read the Scale, patch replicas with the read resourceVersion: a concurrent resize is a 409, re-read. */
async function resizeMachineDeployment(
  api: KubeApi,
  a: MachineDeploymentActuator,
  next: (replicas: number) => number,
): Promise<NodeGroupWriteResult> {
  const path = `${mdPath(a)}/scale`
  const target = {...CAPI, namespace: a.namespace, plural: 'machinedeployments', name: a.name}
  await api.call('PATCH', path, async () => {
    const scale = (await api.once('GET', path, () => api.custom.getNamespacedCustomObjectScale(target))) as {
      metadata?: {resourceVersion?: string}
      spec?: {replicas?: number}
    }
    const replicas = next(Number(scale.spec?.replicas ?? 0))
    return api.once('PATCH', path, () =>
      api.custom.patchNamespacedCustomObjectScale(
        {...target, body: {metadata: {resourceVersion: scale.metadata?.resourceVersion}, spec: {replicas}}},
        api.mergePatch,
      ),
    )
  })
  return {status: 'done'}
}

async function removeMachine(api: KubeApi, a: MachineDeploymentActuator, node: string): Promise<NodeGroupWriteResult> {
  const nodePath = `/api/v1/nodes/${node}`
  const object = (await api.optional('GET', nodePath, () => api.core.readNode({name: node}))) as KubeObject | undefined
  if (!object) return failed('not-found', `GET ${api.server}${nodePath}: node ${node} not found`)
  const mark = {metadata: {annotations: {[DELETE_MACHINE_ANNOTATION]: 'gpu-scale'}}}
  const machine = object.metadata?.annotations?.[MACHINE_ANNOTATION]
  if (machine) {
    const namespace = object.metadata?.annotations?.['cluster.x-k8s.io/cluster-namespace'] ?? a.namespace
    const path = `/apis/${CAPI.group}/${CAPI.version}/namespaces/${namespace}/machines/${machine}`
    await api.call('PATCH', path, () =>
      api.custom.patchNamespacedCustomObject(
        {...CAPI, namespace, plural: 'machines', name: machine, body: mark},
        api.mergePatch,
      ),
    )
  }
  if (object.metadata?.annotations?.[DELETE_MACHINE_ANNOTATION] === undefined)
    await api.call('PATCH', nodePath, () => api.core.patchNode({name: node, body: mark}, api.mergePatch))
  return resizeMachineDeployment(api, a, (replicas) => Math.max(0, replicas - 1))
}

/** The PriorityClass of the placeholders: created when missing (value -10, never preempting others). */
async function ensurePriorityClass(api: KubeApi, name: string): Promise<void> {
  const path = `/apis/scheduling.k8s.io/v1/priorityclasses/${name}`
  const found = await api.optional('GET', path, () => api.scheduling.readPriorityClass({name}))
  if (found) return
  try {
    await api.call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', () =>
      api.scheduling.createPriorityClass({
        body: {
          apiVersion: 'scheduling.k8s.io/v1',
          kind: 'PriorityClass',
          metadata: {name, labels: {'app.kubernetes.io/managed-by': 'gpu-scale'}},
          value: HEADROOM_PRIORITY,
          globalDefault: false,
          preemptionPolicy: 'Never',
          description: 'gpu-scale headroom placeholders: any real pod preempts them.',
        },
      }),
    )
  } catch (error) {
    // Created by someone else between the read and the create: fine.
    if (!(error instanceof ApiCallError && error.reason === 'AlreadyExists')) throw error
  }
}

/** One placeholder pod asking for one node of the group: its GPUs, its labels, tolerating its taints. */
export function placeholderPod(group: NodeGroupConfig, a: HeadroomActuator): KubeObject & Record<string, unknown> {
  const gpus = String(group.gpu.count)
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `gpu-scale-headroom-${group.name}-`,
      namespace: a.namespace,
      labels: {'app.kubernetes.io/managed-by': 'gpu-scale', [HEADROOM_LABEL]: group.name},
    } as KubeObject['metadata'],
    spec: {
      priorityClassName: a.priorityClassName,
      terminationGracePeriodSeconds: 0,
      nodeSelector: {...group.labels},
      tolerations: group.taints.map((t) => ({
        key: t.key,
        ...(t.value === undefined ? {operator: 'Exists'} : {operator: 'Equal', value: t.value}),
        effect: t.effect,
      })),
      containers: [
        {
          name: 'placeholder',
          image: PAUSE_IMAGE,
          resources: {requests: {'nvidia.com/gpu': gpus}, limits: {'nvidia.com/gpu': gpus}},
        },
      ],
    },
  }
}

async function addPlaceholders(
  api: KubeApi,
  group: NodeGroupConfig,
  a: HeadroomActuator,
  delta: number,
): Promise<NodeGroupWriteResult> {
  await ensurePriorityClass(api, a.priorityClassName)
  const path = `/api/v1/namespaces/${a.namespace}/pods`
  for (let i = 0; i < delta; i++)
    await api.call('POST', path, () =>
      api.core.createNamespacedPod({namespace: a.namespace, body: placeholderPod(group, a) as never}),
    )
  return {status: 'done'}
}

/** Lists the group's placeholders, the one on `node` first, then pending ones. */
export async function listPlaceholders(api: KubeApi, a: HeadroomActuator, group: string): Promise<KubeObject[]> {
  const labelSelector = `${HEADROOM_LABEL}=${group}`
  const list = await api.call('GET', `/api/v1/namespaces/${a.namespace}/pods?labelSelector=${labelSelector}`, () =>
    api.core.listNamespacedPod({namespace: a.namespace, labelSelector}),
  )
  return (list.items as KubeObject[]).filter((p) => !p.metadata?.deletionTimestamp)
}

async function removePlaceholder(
  api: KubeApi,
  a: HeadroomActuator,
  group: string,
  node: string,
): Promise<NodeGroupWriteResult> {
  const placeholders = await listPlaceholders(api, a, group)
  const victim =
    placeholders.find((p) => p.spec?.nodeName === node) ?? placeholders.find((p) => p.spec?.nodeName === undefined)
  if (!victim) return {status: 'done'}
  const name = victim.metadata?.name ?? ''
  await api.optional('DELETE', `/api/v1/namespaces/${a.namespace}/pods/${name}`, () =>
    api.core.deleteNamespacedPod({namespace: a.namespace, name, gracePeriodSeconds: 0}),
  )
  return {status: 'done'}
}

/** What a command actuator receives on stdin. */
export interface CommandInput {
  apiVersion: 'gpu-scale.dev/v1alpha1'
  kind: 'NodeGroupAction'
  action: 'increase-size' | 'remove-node'
  group: string
  delta?: number
  node?: string
  /** The plan's change this action executes, when known. */
  change?: Change
}

export async function runCommand(
  a: CommandActuator,
  input: Omit<CommandInput, 'apiVersion' | 'kind' | 'change'> & {change?: Change | undefined},
): Promise<NodeGroupWriteResult> {
  const [program, ...args] = a.command
  if (!program) return failed('other', 'the command actuator has no program')
  const {change, ...rest} = input
  const body: CommandInput = {
    apiVersion: 'gpu-scale.dev/v1alpha1',
    kind: 'NodeGroupAction',
    ...rest,
    ...(change ? {change} : {}),
  }
  return new Promise((resolve) => {
    const child = spawn(program, args, {shell: false, stdio: ['pipe', 'ignore', 'pipe']})
    const stderr: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, a.timeoutSeconds * 1000)
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk)
    })
    child.stdin.on('error', () => undefined)
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(failed('other', `cannot run ${program}: ${error.code ?? error.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const last =
        Buffer.concat(stderr)
          .toString('utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '')
          .at(-1) ?? 'no stderr'
      if (timedOut) resolve(failed('other', `${program} timed out after ${a.timeoutSeconds}s and was killed`))
      else if (code === 0) resolve({status: 'done'})
      else resolve(failed('other', `${program} exited ${code ?? signal}: ${last}`))
    })
    child.stdin.end(JSON.stringify(body) + '\n')
  })
}
