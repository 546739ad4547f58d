/**
 * The three-layer planner: one pure function from (config, snapshot) to an explained Plan.
 *
 * Per model (in name order, for determinism): the pod layer recommends replicas; every replica that must start
 * (new ones, pending ones, ones displaced by a spot interruption) is placed on free whole GPUs or MIG instances of
 * ready nodes, then on capacity already arriving; what is left goes to the GPU layer (repartition MIG GPUs of an
 * existing node through an allowed config name) and then the node layer (scale up a group, chosen by the
 * expander chain). Replicas nothing can host become a blocked change with the reasons: gpu-scale never plans pods
 * that would stay pending forever. Predictive warming then adds nodes the forecast needs before a node asked for
 * later could serve. Finally nodes that have been unneeded long enough are removed.
 */
import type {ModelConfig, PolicyConfig} from '../model/config.js'
import {formatTimestamp} from '../model/duration.js'
import {
  type Change,
  type Diagnostic,
  type Layer,
  type Plan,
  PLAN_API_VERSION,
  PLAN_FORMAT_VERSION,
  PLAN_KIND,
  type Reason,
  type Skipped,
  type Target,
} from '../model/plan.js'
import type {ClusterSnapshot, PodState} from '../model/snapshot.js'
import {assessFleetHealth, type GroupHealth} from '../policy/nodes/backoff.js'
import {estimateWeightLoadSeconds} from '../policy/nodes/cold-start.js'
import {computeLeadSeconds, planPredictiveScaleUp} from '../policy/nodes/predictive.js'
import {planScaleDown} from '../policy/nodes/scale-down.js'
import {currentBudget, GROUP_LIMIT_CODES, type GroupVerdict, groupSizes, planScaleUp, type ScaleUpDecision} from '../policy/nodes/scale-up.js'
import {recommendReplicas} from '../policy/replicas/recommend.js'

import {chooseGpuShare} from '../mig/index.js'
import {describeDroppedSamples} from '../signals/sanitize.js'
import {indexTelemetry} from '../signals/telemetry-index.js'
import {buildCapacity, type CapacityModel, type Placement} from './capacity.js'
import {checkGroupFit} from './eligibility.js'
import {fingerprintValues} from './fingerprint.js'
import {diagnoseFragmentation, planMigForDemand, type MigRepartition} from './mig-step.js'

export interface PlanInput {
  config: PolicyConfig
  snapshot: ClusterSnapshot
  /**
   * Identity of the inputs as read: `fingerprintTexts` of the config and snapshot files when they came from files
   * (cheap, and what `sha256sum` would confirm); computed from the canonical values when absent.
   */
  inputFingerprint?: string
}

/**
 * Order of execution, and why: capacity first (nodes take minutes, so they start first; MIG repartitions need
 * their GPU idle and must finish before the replicas that use the new slices), then replicas up onto it, then
 * replicas down (freeing capacity only after the new replicas are serving), then nodes down (last, and only
 * nodes already empty).
 */
const PHASE: Record<Change['action'] | 'scale-replicas-down', number> = {
  'scale-node-group': 0,
  'repartition-gpu': 1,
  'scale-replicas': 2,
  'scale-replicas-down': 3,
  'remove-node': 4,
}

export function planCluster({config, snapshot, inputFingerprint}: PlanInput): Plan {
  const now = snapshot.capturedAt
  const telemetry = indexTelemetry(snapshot.telemetry)
  const capacity = buildCapacity(config, snapshot)
  const sizes = groupSizes(config, snapshot)
  const budget = currentBudget(config, sizes)
  const workloads = new Map(snapshot.workloads.map((w) => [`${w.kind}/${w.namespace}/${w.name}`, w]))
  const podsByWorkload = groupPods(snapshot.pods)
  const changes: Change[] = []
  const skipped: Skipped[] = []
  // Samples the input boundary dropped as impossible: said once per series, before anything decides on the rest.
  const diagnostics: Diagnostic[] = describeDroppedSamples(snapshot.telemetry)
  const nodeChanges = new Map<string, Change>()
  const scaledUpGroups = new Set<string>()
  const health = assessFleetHealth(config.nodeGroups, snapshot.nodeGroups, snapshot.nodes, now)
  for (const h of health.values()) if (h.reasons.length > 0) skipped.push({layer: 'node', target: {kind: 'NodeGroup', name: h.group}, reasons: h.reasons})
  // Nodes of groups the policy does not name still host replicas, but gpu-scale neither adds nor removes them.
  const configured = new Set(config.nodeGroups.map((g) => g.name))
  for (const group of [...new Set(snapshot.nodes.map((n) => n.group))].filter((g) => !configured.has(g)).sort()) {
    const count = snapshot.nodes.filter((n) => n.group === group).length
    diagnostics.push({severity: 'info', code: 'UnmanagedNodeGroup', message: `${count} node(s) of group ${group} are not in the policy: replicas may use them, but gpu-scale never scales that group`, target: {kind: 'NodeGroup', name: group}, evidence: {nodes: count}})
  }
  // Pods on a node with a spot interruption notice lose their home within 2 minutes: plan their new one now.
  const interrupted = new Set(snapshot.nodes.filter((n) => n.interruptionNoticeAt !== undefined).map((n) => n.name))

  /**
   * Predictive warming runs per model right after its reactive placement, so it sees the capacity reactive
   * scale-ups of this and earlier models already asked for (never warming the same GPUs twice).
   */
  const planWarmCapacity = (model: ModelConfig, pods: PodState[], replicas: number) => {
    const warm = planPredictiveScaleUp({model, pods, replicas, telemetry, config, capacity, sizes, budget, health, now})
    if (warm.diagnostic) diagnostics.push(warm.diagnostic)
    if (!warm.scaleUp) return
    scaledUpGroups.add(warm.scaleUp.group)
    mergeNodeChange(nodeChanges, {...warm.scaleUp, verdicts: warm.scaleUp.verdicts}, warm.reason, now, warm.details)
  }

  for (const model of [...config.models].sort((a, b) => a.name.localeCompare(b.name))) {
    const target: Target = {kind: model.workload.kind, name: model.workload.name, namespace: model.workload.namespace}
    const workload = workloads.get(`${model.workload.kind}/${model.workload.namespace}/${model.workload.name}`)
    if (!workload) {
      diagnostics.push({severity: 'warning', code: 'WorkloadNotFound', message: `${model.workload.kind} ${model.workload.namespace}/${model.workload.name} of model ${model.name} is not in the snapshot`, target})
      skipped.push({layer: 'pod', target, reasons: [{code: 'WorkloadNotFound', message: 'the workload does not exist in the cluster', evidence: {model: model.name}}]})
      continue
    }
    if (workload.managedBy) {
      skipped.push({layer: 'pod', target, reasons: [{code: 'ManagedByOtherAutoscaler', message: `${workload.managedBy} owns this workload's replica count; gpu-scale does not fight it`, evidence: {managedBy: workload.managedBy}}]})
      continue
    }
    const pods = podsByWorkload.get(`${workload.namespace}/${workload.kind}/${workload.name}`) ?? []
    // Keep-warm decisions (scale to zero) must count the whole way back: a model at zero usually lets its nodes go
    // too, so the first request waits for a node and the weights, not the weights alone (kserve#1247).
    const coldStartSeconds = model.replicas.min === 0 ? (computeLeadSeconds(model, config, health) ?? estimateWeightLoadSeconds(model)) : undefined
    const decision = recommendReplicas({model, workload, pods, telemetry, settings: config.settings, now, ...(coldStartSeconds !== undefined ? {coldStartSeconds} : {})})
    diagnostics.push(...decision.diagnostics)
    diagnostics.push(...recommendGpuShares(model, config, decision.bottleneck?.kind === 'memory-bandwidth-bound'))
    const details = {proposals: decision.proposals, decidedBy: decision.decidedBy}

    const pending = pods.filter((p) => p.phase === 'Pending' && !p.node && !p.deleting).length
    const displaced = pods.filter((p) => p.node !== undefined && interrupted.has(p.node) && !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed').length
    const added = Math.max(0, decision.desired - decision.current)
    // Pending and displaced pods were asked for already and need a home. A scale-down deletes unscheduled pods first
    // (the ReplicaSet controller's deletion order) and then any running ones, so every displaced pod may survive
    // it: plan for the worst case.
    const removed = Math.max(0, decision.current - decision.desired)
    const existing = Math.max(0, pending - removed) + Math.min(displaced, decision.desired)
    if (removed > 0) {
      changes.push({
        id: `pod:${target.namespace}/${target.name}`, layer: 'pod', action: 'scale-replicas', target,
        from: decision.current, to: decision.desired, status: 'planned',
        eta: eta(now, model.terminationGraceSeconds), dependsOn: [], reasons: decision.reasons, details,
      })
      if (existing === 0) continue
    } else if (added === 0 && existing === 0) {
      skipped.push({layer: 'pod', target, reasons: decision.reasons})
      planWarmCapacity(model, pods, decision.current)
      continue
    }

    // Place pending and displaced pods before new replicas, so the new ones are not promised their capacity.
    const outcome = placeReplicas(model, existing + added, config, snapshot, capacity, sizes, budget, health)
    const placedNew = Math.max(0, outcome.placements.length - existing)
    const unplacedPending = Math.max(0, existing - outcome.placements.length)
    for (const repartition of outcome.repartitions) changes.push(repartition.change)
    diagnostics.push(...outcome.diagnostics)
    for (const scaleUp of outcome.scaleUps) {
      scaledUpGroups.add(scaleUp.group)
      mergeNodeChange(nodeChanges, scaleUp, scaleUpReason(model, scaleUp, {pending, displaced, added}), now)
    }
    const dependsOn = dependencies(outcome.placements.slice(existing), outcome)
    if (unplacedPending > 0) {
      diagnostics.push({
        severity: 'error', code: 'PodsPendingForever',
        message: `${unplacedPending} pending or displaced pod(s) of ${model.name} fit no free, arriving or addable capacity`,
        target, evidence: {pending, displaced, unplaced: unplacedPending},
      })
    }
    if (placedNew > 0) {
      const loadSeconds = estimateWeightLoadSeconds(model)
      const ready = Math.max(...outcome.placements.slice(existing).map((p) => p.readyInSeconds))
      changes.push({
        id: `pod:${target.namespace}/${target.name}`, layer: 'pod', action: 'scale-replicas', target,
        from: decision.current, to: decision.current + placedNew, status: 'planned',
        eta: eta(now, ready + loadSeconds), dependsOn,
        reasons: [...decision.reasons, placementReason(outcome.placements.slice(existing), loadSeconds)],
        details,
      })
    } else if (added === 0 && removed === 0) {
      skipped.push({layer: 'pod', target, reasons: decision.reasons})
    }
    if (placedNew < added) {
      const from = decision.current + placedNew
      changes.push({
        id: `pod:${target.namespace}/${target.name}#blocked`, layer: 'pod', action: 'scale-replicas', target,
        from, to: decision.desired, status: 'blocked', eta: null, dependsOn: [],
        reasons: [blockedReason(model, added - placedNew, outcome.verdicts), ...decision.reasons],
        details: {...details, groups: outcome.verdicts},
      })
    }
    planWarmCapacity(model, pods, Math.min(decision.current, decision.desired) + placedNew)
  }

  changes.push(...nodeChanges.values())

  const {removals, kept} = planScaleDown(config, snapshot, capacity, sizes, telemetry, scaledUpGroups)
  for (const removal of removals) {
    changes.push({
      id: `node:${removal.node}`, layer: 'node', action: 'remove-node',
      target: {kind: 'Node', name: removal.node}, from: removal.groupFrom, to: removal.groupTo, status: 'planned',
      eta: eta(now, removal.drainSeconds), dependsOn: changes.filter((c) => c.layer === 'pod' && c.status === 'planned' && Number(c.to) < Number(c.from)).map((c) => c.id),
      reasons: removal.reasons, details: {group: removal.group, evicts: removal.evicts, drainSeconds: removal.drainSeconds},
    })
  }
  for (const node of kept) skipped.push({layer: 'node', target: {kind: 'Node', name: node.node}, reasons: node.reasons})

  return assemblePlan(snapshot, inputFingerprint ?? fingerprintValues(config, snapshot), changes, skipped, diagnostics)
}

interface PlacementOutcome {
  placements: Placement[]
  repartitions: MigRepartition[]
  diagnostics: Diagnostic[]
  /** One per group asked: when the best group is capped (max, budget), the next group takes the rest. */
  scaleUps: ScaleUpDecision[]
  verdicts: GroupVerdict[]
}

/** Existing and arriving capacity first, then a MIG repartition, then new nodes. */
function placeReplicas(model: ModelConfig, count: number, config: PolicyConfig, snapshot: ClusterSnapshot, capacity: CapacityModel, sizes: Map<string, number>, budget: ReturnType<typeof currentBudget>, health: ReadonlyMap<string, GroupHealth>): PlacementOutcome {
  const placements: Placement[] = []
  const fill = () => {
    while (placements.length < count) {
      const placement = capacity.place(model)
      if (!placement) break
      placements.push(placement)
    }
  }
  fill()
  const repartitions: MigRepartition[] = []
  const diagnostics: Diagnostic[] = []
  if (placements.length < count && model.gpu.kind === 'mig') {
    const step = planMigForDemand(model, count - placements.length, config, capacity, snapshot)
    repartitions.push(...step.repartitions)
    diagnostics.push(...step.diagnostics)
    // The MIG step rewrites nodes in place (layouts, readiness): the placement index must be rebuilt.
    if (repartitions.length > 0) capacity.invalidate()
    fill()
    // Still short after repartitioning: say when free MIG memory exists that fixed placements make unusable.
    const fragmentation = placements.length < count ? diagnoseFragmentation(model, capacity, snapshot) : undefined
    if (fragmentation) diagnostics.push(fragmentation)
  }
  const scaleUps: ScaleUpDecision[] = []
  let verdicts: GroupVerdict[] = []
  // CA asks one group per loop and the next loop asks another for what is still pending; doing those loops here
  // means the plan asks for all of it at once instead of surfacing a "duplicate" scale-up on the next run.
  for (let round = 0; placements.length < count && round < config.nodeGroups.length; round++) {
    const result = planScaleUp(model, count - placements.length, config, capacity, sizes, budget, {health})
    verdicts = result.verdicts
    if (!result.decision) break
    scaleUps.push(result.decision)
    const before = placements.length
    fill()
    if (placements.length === before) break
  }
  return {placements, repartitions, scaleUps, verdicts, diagnostics}
}

function dependencies(placements: Placement[], outcome: PlacementOutcome): string[] {
  const ids = new Set<string>()
  // Any node this plan adds, whichever model's scale-up (or warming) asked for it.
  for (const p of placements) if (p.planned) ids.add(`node:${p.group}`)
  for (const r of outcome.repartitions) if (r.change.status === 'planned') ids.add(r.change.id)
  return [...ids].sort()
}

/** Why a reactive scale-up happens: pending pods, pods displaced by a spot interruption, new replicas. */
function scaleUpReason(model: ModelConfig, scaleUp: ScaleUpDecision, demand: {pending: number; displaced: number; added: number}): Reason {
  const nodes = scaleUp.to - scaleUp.from
  const cold = scaleUp.coldStart
  const evidence = {model: model.name, nodes, pending: demand.pending, displaced: demand.displaced, newReplicas: demand.added, coldStartSeconds: Math.round(cold.nodeSeconds), provisioningSeconds: cold.provisioningSeconds, driverInitSeconds: cold.driverInitSeconds, imagePullSeconds: cold.imagePullSeconds, weightLoadSeconds: Math.round(cold.weightLoadSeconds)}
  if (demand.displaced > 0) {
    return {code: 'SpotInterruption', message: `${demand.displaced} replica(s) of ${model.name} are on node(s) with a spot interruption notice (2 min); replacement: ${nodes} new ${scaleUp.group} node(s) ready in ~${Math.round(cold.nodeSeconds)}s`, evidence}
  }
  return {code: 'UnschedulableReplicas', message: `replicas of ${model.name} fit no free or arriving GPU; ${nodes} new ${scaleUp.group} node(s) ready in ~${Math.round(cold.nodeSeconds)}s (provision ${cold.provisioningSeconds}s + drivers ${cold.driverInitSeconds}s + image ${cold.imagePullSeconds}s), serving after ~${Math.round(cold.totalSeconds)}s with weight load`, evidence}
}

function mergeNodeChange(nodeChanges: Map<string, Change>, scaleUp: ScaleUpDecision, reason: Reason, now: number, extra?: Record<string, unknown>): void {
  const id = `node:${scaleUp.group}`
  const chosen = scaleUp.verdicts.find((v) => v.chosen)
  const limits = scaleUp.limitedBy ? [scaleUp.limitedBy] : []
  const existing = nodeChanges.get(id)
  if (existing) {
    existing.to = scaleUp.to
    existing.reasons.push(reason, ...limits)
    if (extra) existing.details = {...existing.details, ...extra}
    return
  }
  nodeChanges.set(id, {
    id, layer: 'node', action: 'scale-node-group', target: {kind: 'NodeGroup', name: scaleUp.group},
    from: scaleUp.from, to: scaleUp.to, status: 'planned', eta: eta(now, scaleUp.readySeconds), dependsOn: [],
    reasons: [reason, ...(chosen?.reasons.filter((r) => r !== scaleUp.limitedBy) ?? []), ...limits],
    details: {groups: scaleUp.verdicts, coldStart: scaleUp.coldStart, ...extra},
  })
}

function placementReason(placements: Placement[], loadSeconds: number): Reason {
  const ready = placements.filter((p) => p.condition === 'ready').length
  const arriving = placements.length - ready
  return {
    code: 'ReplicasPlaced',
    message: `${placements.length} new replica(s): ${ready} on free GPUs now, ${arriving} on capacity arriving; model load ~${Math.round(loadSeconds)}s`,
    evidence: {onFreeGpus: ready, onArrivingCapacity: arriving, loadSeconds: Math.round(loadSeconds)},
  }
}

/** Codes that mean "this group could host the model, but not now": the ones a reader needs first. */

function blockedReason(model: ModelConfig, replicas: number, verdicts: GroupVerdict[]): Reason {
  // Lead with the limits of groups that fit the model (at max, budget, backoff): those are what a user can change
  // today; the groups that can never host it follow.
  const rejected = verdicts.filter((v) => !v.chosen)
  // The chosen group's own limit counts too: it may have hosted only part of the demand (max, budget).
  const limits = verdicts.flatMap((v) => v.reasons.filter((r) => GROUP_LIMIT_CODES.has(r.code)).map((r) => r.message))
  const ineligible = rejected.filter((v) => !v.reasons.some((r) => GROUP_LIMIT_CODES.has(r.code)))
  // With a limit to point at, groups that can never host the model are named with their reason codes only (the
  // full reasons stay in the change's details.groups); without one, their reasons are the whole story.
  const never = limits.length > 0
    ? (ineligible.length > 0 ? [`not eligible: ${ineligible.map((v) => `${v.group} (${[...new Set(v.reasons.map((r) => r.code))].join(', ')})`).join(', ')}`] : [])
    : ineligible.flatMap((v) => v.reasons.map((r) => r.message))
  const why = [...limits, ...never]
  return {
    code: 'NoCapacityForReplicas',
    message: `${replicas} replica(s) of ${model.name} would stay pending: ${why.length > 0 ? why.join('; ') : verdicts.length === 0 ? 'no node group is configured' : 'the eligible groups cannot add more nodes'}`,
    evidence: {replicas, groupsConsidered: verdicts.length, groupsEligible: verdicts.filter((v) => v.chosen || v.nodesNeeded !== undefined).length},
  }
}

/**
 * A model sized by memory (`gpu.memoryGiB`) asks gpu-scale which share serves it: the smallest MIG profile with
 * enough memory (and, for a memory-bandwidth-bound model, enough bandwidth: a slice gets its share of it), or
 * whole GPUs, per GPU model it can run on. Replicas are still placed on whole GPUs until the workload requests
 * the recommended resource: one Deployment has one resource request for all its pods.
 */
function recommendGpuShares(model: ModelConfig, config: PolicyConfig, bandwidthBound: boolean): Diagnostic[] {
  if (model.gpu.kind !== 'memory') return []
  const memoryGiB = model.gpu.memoryGiB
  const target: Target = {kind: model.workload.kind, name: model.workload.name, namespace: model.workload.namespace}
  const gpuModels = [...new Set(config.nodeGroups.filter((g) => checkGroupFit(model, g).eligible).map((g) => g.gpu.model))].sort()
  return gpuModels.map((gpu) => {
    const share = chooseGpuShare(gpu, {memoryGiB, bandwidthBound}, true, {strategy: config.settings.migStrategy})
    const what = share.kind === 'mig' ? `${share.profile} (${share.resource})` : `${share.count} whole GPU(s) (${share.resource})`
    return {
      severity: 'info' as const,
      code: 'GpuShareRecommendation',
      message: `${model.name} needs ${memoryGiB} GiB${bandwidthBound ? ' and is memory-bandwidth bound' : ''}: on ${gpu} request ${what}; ${share.reasons.map((r) => r.message).join('; ')}`,
      target,
      evidence: {gpu, share: share.kind === 'mig' ? share.profile : 'whole', resource: share.resource, memoryGiB, bandwidthBound},
    }
  })
}

function eta(now: number, seconds: number): {seconds: number; at: string} {
  const rounded = Math.round(seconds)
  return {seconds: rounded, at: formatTimestamp(now + rounded)}
}


function groupPods(pods: readonly PodState[]): Map<string, PodState[]> {
  const map = new Map<string, PodState[]>()
  for (const pod of pods) {
    if (!pod.workload) continue
    const key = `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`
    const list = map.get(key)
    if (list) list.push(pod)
    else map.set(key, [pod])
  }
  return map
}

function assemblePlan(snapshot: ClusterSnapshot, inputFingerprint: string, changes: Change[], skipped: Skipped[], diagnostics: Diagnostic[]): Plan {
  const phase = (c: Change) => (c.action === 'scale-replicas' && Number(c.to) < Number(c.from) ? PHASE['scale-replicas-down'] : PHASE[c.action])
  changes.sort((a, b) => phase(a) - phase(b) || a.id.localeCompare(b.id))
  const byLayer: Record<Layer, number> = {pod: 0, node: 0, gpu: 0}
  for (const change of changes) if (change.status === 'planned') byLayer[change.layer]++
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    formatVersion: PLAN_FORMAT_VERSION,
    plannedAt: formatTimestamp(snapshot.capturedAt),
    inputFingerprint,
    summary: {changes: changes.filter((c) => c.status === 'planned').length, blocked: changes.filter((c) => c.status === 'blocked').length, byLayer},
    changes,
    skipped,
    diagnostics,
  }
}


