/**
 * A MIG repartition as an explained, ordered change. MIG Manager reconfigures a node when its
 * `nvidia.com/mig.config` label changes, but does not drain user workloads and needs them stopped (GPU Operator
 * MIG docs), so the change is: cordon → drain the GPU pods (grace periods, PodDisruptionBudgets) → set the label
 * to a config name from the cluster's mig-parted config → wait for `nvidia.com/mig.config.state=success` →
 * uncordon. `failed`, or `pending` past the timeout (MIG Manager can wedge with operands paused,
 * NVIDIA/mig-parted#485), leaves the node cordoned with a diagnostic (evaluateMigConfigWait).
 */
import type {ChangeStep, Diagnostic, MigChange, Reason, Target} from '../model/plan.js'
import type {PodDisruptionBudget} from '../model/snapshot.js'
import {formatTimestamp} from '../model/duration.js'
import {findGpuModel} from './catalog.js'
import {formatLayout} from './geometry.js'
import {profilesOfConfigForGpu, type MigPartedConfig} from './mig-parted-config.js'
import {normalizeProfileName} from './profiles.js'

export interface RepartitionGpu {
  index: number
  model: string
  /** Current instances (with the pods using them). */
  from: Array<{profile: string; start: number; pod?: string}>
  /** Target layout; equal to `from`'s instances for GPUs of the node that do not change. */
  to: Array<{profile: string; start: number}>
}

export interface RepartitionPod {
  /** `namespace/name`. */
  name: string
  /** Owning workload `Kind/name` (matches PodDisruptionBudget.workload); absent for bare pods. */
  workload?: string
  terminationGracePeriodSeconds?: number
  /** Where its replacement runs, if known (from packing). */
  destination?: {node: string; gpu: number; profile: string; start: number}
}

export interface RepartitionInput {
  node: string
  /** Every MIG GPU of the node: the label applies a config to the whole node. */
  gpus: RepartitionGpu[]
  /** Pods on the GPUs that change. */
  pods: RepartitionPod[]
  pdbs: PodDisruptionBudget[]
  /** The cluster's mig-parted config (parsed), or null when unknown. */
  migConfig: MigPartedConfig | null
  /** The node's current `nvidia.com/mig.config` label, if any: the change's precondition. */
  currentMigConfig?: string
  /** The node's current `nvidia.com/mig.config.state`, if any. */
  migConfigState?: 'pending' | 'rebooting' | 'success' | 'failed'
  /** Epoch seconds the plan is computed for (snapshot time): `eta.at` is counted from it. */
  now: number
  timing?: {
    /** MIG Manager: pause operands, apply, restart device plugin (default 180 s). */
    reconfigureSeconds?: number
    /** How long to wait for `success` before declaring the node wedged (default 600 s). */
    migConfigTimeoutSeconds?: number
    /** Grace period for pods that do not state one (Kubernetes default 30 s). */
    defaultGraceSeconds?: number
  }
}

export interface RepartitionPlan {
  change: MigChange
  diagnostics: Diagnostic[]
}

/** Profile → count of a layout, as mig-parted's `mig-devices` spells it. */
function countsOf(instances: Array<{profile: string}>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const i of instances) {
    const name = normalizeProfileName(i.profile)
    counts[name] = (counts[name] ?? 0) + 1
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0))
}

/** The first config whose entries give every GPU of the node exactly its target profile counts. */
export function findMigConfigName(config: MigPartedConfig, gpus: RepartitionGpu[]): string | undefined {
  for (const set of config.configs) {
    const matches = gpus.every((gpu) => {
      const selected = profilesOfConfigForGpu(set, gpu)
      return (
        selected !== undefined &&
        selected.migEnabled &&
        sameCounts(Object.fromEntries(Object.entries(selected.migDevices).filter(([, n]) => n > 0)), countsOf(gpu.to))
      )
    })
    if (matches) return set.name
  }
  return undefined
}

/** The mig-parted config entry to add when no existing name gives the node its target layouts. */
export function renderMigConfigEntry(name: string, gpus: RepartitionGpu[]): string {
  const groups = new Map<string, number[]>()
  for (const gpu of [...gpus].sort((a, b) => a.index - b.index)) {
    const key = JSON.stringify(countsOf(gpu.to))
    groups.set(key, [...(groups.get(key) ?? []), gpu.index])
  }
  const lines = [`${name}:`]
  for (const [key, indices] of groups) {
    const devices = groups.size === 1 ? 'all' : `[${indices.join(', ')}]`
    const counts = JSON.parse(key) as Record<string, number>
    lines.push(
      `  - devices: ${devices}`,
      '    mig-enabled: true',
      `    mig-devices: {${Object.entries(counts)
        .map(([p, n]) => `"${p}": ${n}`)
        .join(', ')}}`,
    )
  }
  return lines.join('\n') + '\n'
}

function configNameFor(node: string, gpus: RepartitionGpu[]): string {
  const distinct = [...new Set(gpus.map((g) => formatLayout(g.to)))]
  if (distinct.length === 1) {
    const counts = countsOf(gpus[0]?.to ?? [])
    return (
      'gpu-scale-' +
      (Object.entries(counts)
        .map(([p, n]) => `${n}x${p}`)
        .join('-') || 'enabled')
    )
  }
  return `gpu-scale-${node}`
}

/**
 * Builds the repartition change for one node (or one GPU of it), with steps, reasons and eta, in four steps:
 * the layout changes, the drain (PodDisruptionBudget waves), the config name MIG Manager is given, and MIG
 * Manager's own state. Any step may block the change; each says why.
 */
export function planRepartitionChange(input: RepartitionInput): RepartitionPlan {
  const changing = input.gpus.filter((g) => formatLayout(g.from) !== formatLayout(g.to))
  const reconfigureSeconds = input.timing?.reconfigureSeconds ?? 180
  const timeoutSeconds = input.timing?.migConfigTimeoutSeconds ?? 600
  const single = changing.length === 1 ? changing[0] : undefined
  const target: Target = single
    ? {kind: 'GPU', name: `${input.node}/${single.index}`, node: input.node, gpu: single.index}
    : {kind: 'Node', name: input.node, node: input.node}
  const describeLayouts = (pick: (g: RepartitionGpu) => Array<{profile: string; start: number}>): string =>
    single ? formatLayout(pick(single)) : changing.map((g) => `${g.index}:${formatLayout(pick(g))}`).join(';')

  const drain = planDrain(input, target)
  const config = resolveConfigName(input)
  const manager = checkMigManager(input, target)
  const reasons = [
    ...describeLayoutChanges(changing),
    ...drain.reasons,
    config.reason,
    ...(manager ? [manager.reason] : []),
  ]
  const blocked = drain.blocked || config.entry !== undefined || manager !== undefined
  const disruptionSeconds = drain.seconds + reconfigureSeconds
  const moves = input.pods.map((p) => ({
    pod: p.name,
    ...(p.workload ? {workload: p.workload} : {}),
    to: p.destination ?? null,
  }))
  const change: MigChange = {
    id: single ? `gpu:${input.node}/${single.index}` : `gpu:${input.node}`,
    layer: 'gpu',
    action: 'repartition-gpu',
    target,
    from: describeLayouts((g) => g.from),
    to: describeLayouts((g) => g.to),
    status: blocked ? 'blocked' : 'planned',
    eta: blocked ? null : {seconds: disruptionSeconds, at: formatTimestamp(input.now + disruptionSeconds)},
    dependsOn: [],
    reasons,
    // MIG Manager acts on the label: if someone else changed it since the plan, the plan's layouts are stale.
    preconditions: [
      {
        resource: {kind: 'Node', name: input.node},
        path: 'metadata.labels["nvidia.com/mig.config"]',
        equals: input.currentMigConfig ?? null,
      },
    ],
    payload: {
      node: input.node,
      migConfig: config.name,
      previousMigConfig: input.currentMigConfig ?? null,
      gpus: changing.map((g) => g.index),
      drain: input.pods.map((p) => p.name),
      ...(config.entry ? {migConfigEntry: config.entry} : {}),
    },
    steps: buildSteps(input.node, input.pods.length, config.name, drain.seconds + 60, timeoutSeconds),
    details: {moves, expectedDisruptionSeconds: disruptionSeconds, drainSeconds: drain.seconds, reconfigureSeconds},
  }
  return {change, diagnostics: [...drain.diagnostics, ...(manager ? [manager.diagnostic] : [])]}
}

function describeLayoutChanges(changing: readonly RepartitionGpu[]): Reason[] {
  return changing.map((gpu) => ({
    code: 'MigLayoutChange',
    message: `GPU ${gpu.index} (${findGpuModel(gpu.model)?.name ?? gpu.model}): ${formatLayout(gpu.from)} → ${formatLayout(gpu.to)}`,
    evidence: {gpu: gpu.index, from: formatLayout(gpu.from), to: formatLayout(gpu.to)},
  }))
}

/** Drain: PDBs bound how many pods of a workload go at once; each wave waits out the longest grace period. */
function planDrain(
  input: RepartitionInput,
  target: Target,
): {seconds: number; blocked: boolean; reasons: Reason[]; diagnostics: Diagnostic[]} {
  const grace = input.timing?.defaultGraceSeconds ?? 30
  const reasons: Reason[] = []
  const diagnostics: Diagnostic[] = []
  let blocked = false
  const byWorkload = new Map<string, RepartitionPod[]>()
  for (const pod of input.pods)
    byWorkload.set(pod.workload ?? `pod/${pod.name}`, [
      ...(byWorkload.get(pod.workload ?? `pod/${pod.name}`) ?? []),
      pod,
    ])
  let seconds = 0
  for (const [workload, pods] of byWorkload) {
    const namespace = pods[0]?.name.split('/')[0]
    const pdb = input.pdbs.find((p) => p.workload === workload && p.namespace === namespace)
    const longest = Math.max(...pods.map((p) => p.terminationGracePeriodSeconds ?? grace))
    if (pdb && pdb.maxUnavailable <= 0) {
      blocked = true
      reasons.push({
        code: 'PdbBlocksDrain',
        message: `PodDisruptionBudget ${pdb.namespace}/${pdb.name} allows no disruption of ${workload}: its ${pods.length} pod(s) cannot be drained`,
        evidence: {
          pdb: `${pdb.namespace}/${pdb.name}`,
          workload,
          pods: pods.length,
          maxUnavailable: pdb.maxUnavailable,
        },
      })
      continue
    }
    const waves = pdb ? Math.ceil(pods.length / pdb.maxUnavailable) : 1
    if (pdb && waves > 1)
      reasons.push({
        code: 'PdbLimitsDrain',
        message: `PodDisruptionBudget ${pdb.namespace}/${pdb.name} allows ${pdb.maxUnavailable} at a time: ${pods.length} pod(s) of ${workload} drain in ${waves} waves`,
        evidence: {pdb: `${pdb.namespace}/${pdb.name}`, workload, waves, graceSeconds: longest},
      })
    if (!pods[0]?.workload)
      diagnostics.push({
        severity: 'warning',
        code: 'BarePodEvicted',
        message: `${pods[0]?.name} has no owner: draining deletes it and nothing recreates it`,
        target,
        evidence: {pod: pods[0]?.name ?? ''},
      })
    seconds = Math.max(seconds, waves * longest)
  }
  return {seconds, blocked, reasons, diagnostics}
}

/** The config name the label is set to: a named config of the cluster's mig-parted config, or the entry to add. */
function resolveConfigName(input: RepartitionInput): {name: string; entry?: string; reason: Reason} {
  const matched = input.migConfig ? findMigConfigName(input.migConfig, input.gpus) : undefined
  if (matched)
    return {
      name: matched,
      reason: {
        code: 'MigConfigMatched',
        message: `mig-parted config "${matched}" gives every GPU of ${input.node} its target layout`,
        evidence: {config: matched},
      },
    }
  const name = configNameFor(input.node, input.gpus)
  return {
    name,
    entry: renderMigConfigEntry(name, input.gpus),
    reason: {
      code: 'MigConfigEntryMissing',
      message: input.migConfig
        ? `no config in the cluster's mig-parted config gives ${input.node} these layouts; add entry "${name}" to the MIG Manager ConfigMap first`
        : `the cluster's mig-parted config is unknown; add entry "${name}" to the MIG Manager ConfigMap (or pass the config) first`,
      evidence: {config: name},
    },
  }
}

/** A node whose MIG Manager failed or is still reconfiguring cannot take another config now. */
function checkMigManager(
  input: RepartitionInput,
  target: Target,
): {reason: Reason; diagnostic: Diagnostic} | undefined {
  const state = input.migConfigState
  if (state !== 'failed' && state !== 'pending' && state !== 'rebooting') return undefined
  const code = state === 'failed' ? 'MigManagerFailed' : 'MigManagerBusy'
  const message =
    state === 'failed'
      ? `${input.node} reports nvidia.com/mig.config.state=failed: fix the MIG Manager before repartitioning again`
      : `${input.node} reports nvidia.com/mig.config.state=${state}: a reconfiguration is still in progress`
  return {
    reason: {code, message, evidence: {node: input.node, state}},
    diagnostic: {severity: state === 'failed' ? 'error' : 'warning', code, message, target, evidence: {state}},
  }
}

function buildSteps(
  node: string,
  pods: number,
  configName: string,
  drainTimeout: number,
  timeoutSeconds: number,
): ChangeStep[] {
  return [
    {action: 'cordon', description: `cordon ${node} so no new pods land while its GPUs are repartitioned`},
    {
      action: 'drain',
      description: `evict ${pods} GPU pod(s) from ${node}, honoring grace periods and PodDisruptionBudgets`,
      timeoutSeconds: drainTimeout,
    },
    {
      action: 'set-mig-config',
      description: `kubectl label node ${node} nvidia.com/mig.config=${configName} --overwrite`,
    },
    {
      action: 'wait-mig-config',
      description: `wait for nvidia.com/mig.config.state=success; failed, or pending after ${timeoutSeconds}s (MIG Manager wedge), leaves ${node} cordoned with a diagnostic`,
      timeoutSeconds,
    },
    {action: 'uncordon', description: `uncordon ${node}`},
  ]
}

export interface MigConfigWait {
  status: 'success' | 'waiting' | 'failed' | 'timed-out'
  /** Uncordon only after success; otherwise the node stays cordoned with the reason. */
  keepCordoned: boolean
  diagnostic?: Diagnostic
}

/** What the wait step concludes from the node's state label and the time waited. */
export function evaluateMigConfigWait(
  node: string,
  state: string | undefined,
  waitedSeconds: number,
  timeoutSeconds: number,
): MigConfigWait {
  const target: Target = {kind: 'Node', name: node, node}
  if (state === 'success') return {status: 'success', keepCordoned: false}
  if (state === 'failed') {
    return {
      status: 'failed',
      keepCordoned: true,
      diagnostic: {
        severity: 'error',
        code: 'MigConfigFailed',
        message: `${node}: nvidia.com/mig.config.state=failed; node left cordoned (check the nvidia-mig-manager pod logs)`,
        target,
        evidence: {state, waitedSeconds},
      },
    }
  }
  if (waitedSeconds >= timeoutSeconds) {
    return {
      status: 'timed-out',
      keepCordoned: true,
      diagnostic: {
        severity: 'error',
        code: 'MigConfigTimedOut',
        message: `${node}: nvidia.com/mig.config.state=${state ?? 'unset'} after ${waitedSeconds}s (limit ${timeoutSeconds}s); MIG Manager may be wedged with operands paused (NVIDIA/mig-parted#485); node left cordoned`,
        target,
        evidence: {state: state ?? null, waitedSeconds, timeoutSeconds},
      },
    }
  }
  return {status: 'waiting', keepCordoned: true}
}
