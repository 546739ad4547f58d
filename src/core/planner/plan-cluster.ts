/**
 * The planner: one pure function from (config, snapshot with the last controller state) to an explained Plan and
 * the next state. It runs as explicit passes, each returning data; only a pass that keeps its work commits it to
 * the simulated cluster (src/core/scheduling), so a probe never leaks into the next pass.
 *
 *   1. replicas     every model's recommendation (pod layer), independent of the others;
 *   2. placement    every replica that must start, in the documented priority order (demand.ts: critical first,
 *                   existing demand before new replicas, larger GPU requests first, name last), on free GPUs and
 *                   MIG instances of ready nodes, then on capacity already arriving;
 *   3. MIG          what is still short of a MIG profile: repartition GPUs of existing nodes through an
 *                   allowed mig-parted config name, in the same order; the fleet packer (mig/node-packing.ts)
 *                   chooses the nodes and names (MIG Manager applies one config per node), idle GPUs first;
 *   4. scale-up     what is still short: node groups by the expander chain, in the same order; replicas nothing
 *                   can host become blocked changes (gpu-scale never plans pods that stay pending forever);
 *   5. warming      predictive scale-up with what is left after all reactive demand, critical models first
 *                   (skipped with `settings.nodes.mode: reactive`);
 *   6. scale-down   nodes unneeded long enough, simulated removal on a fork;
 *   7. assembly     typed changes with preconditions, phase order, the finite-plan guard, and the next state.
 *
 * Why reactive before predictive: a forecast is a guess and a Pending pod is a fact; warming may only use the
 * budget and group room that real demand left.
 */
import type {ModelConfig, PolicyConfig} from '../model/config.js'
import {formatTimestamp} from '../model/duration.js'
import {podWorkloadKey, workloadKey} from '../model/keys.js'
import {
  type Change,
  type Diagnostic,
  type Layer,
  type MigChange,
  type NodeGroupChange,
  type NodeRemovalChange,
  type Plan,
  PLAN_API_VERSION,
  PLAN_FORMAT_VERSION,
  PLAN_KIND,
  type Reason,
  type ReplicaChange,
  type Skipped,
  type Target,
  type WorkloadRef,
} from '../model/plan.js'
import type {ClusterSnapshot, PodState, WorkloadState} from '../model/snapshot.js'
import {assessFleetHealth} from '../policy/nodes/backoff.js'
import {computeLeadSeconds, type NodeLayerContext, planPredictiveScaleUp} from '../policy/nodes/predictive.js'
import {ForecastBook} from '../policy/nodes/forecast.js'
import {planScaleDown, type ScaleDownForecast} from '../policy/nodes/scale-down.js'
import {
  currentBudget,
  GROUP_LIMIT_CODES,
  type GroupVerdict,
  groupSizes,
  planScaleUp,
  type ScaleUpDecision,
} from '../policy/nodes/scale-up.js'
import type {ReplicaDecision} from '../policy/replicas/types.js'
import {recommendReplicas} from '../policy/replicas/recommend.js'
import {chooseGpuShare} from '../mig/index.js'
import {buildCluster, type Placement, type SimulatedCluster} from '../scheduling/cluster.js'
import {estimateWeightLoadSeconds} from '../scheduling/cold-start.js'
import {checkGroupFit} from '../scheduling/eligibility.js'
import {describeDroppedSamples, sanitizeTelemetry} from '../signals/sanitize.js'
import {indexTelemetry} from '../signals/telemetry-index.js'
import {nextControllerState, withControllerState} from './controller-state.js'
import {compareDemand, compareModels, type Demand} from './demand.js'
import {guardChanges, guardSkipped, guardState} from './finite.js'
import {diagnoseFragmentation, planMigForDemand, type MigRepartition} from './mig-step.js'

export interface PlanInput {
  config: PolicyConfig
  /** The cluster now; `snapshot.state` is the state the previous tick returned as `plan.state`. */
  snapshot: ClusterSnapshot
  /**
   * Identity of the input files as read (`fingerprintTexts`), when the caller has their bytes; copied into the
   * plan. The planner never hashes its inputs: changes carry preconditions instead.
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

/** What every pass reads: built once per tick from the inputs. */
interface Tick extends NodeLayerContext {
  snapshot: ClusterSnapshot
  forecasts: ForecastBook
}

/** Pass 1's answer for one model that has a workload gpu-scale may scale. */
interface ReplicaIntent {
  model: ModelConfig
  workload: WorkloadState
  target: Target
  pods: PodState[]
  decision: ReplicaDecision
  /** Pending pods, and pods on nodes with a spot interruption notice. */
  pending: number
  displaced: number
  /** Replicas the decision adds, and removes. */
  added: number
  removed: number
  /** Pending and displaced pods that still need a home after the scale-down (if any). */
  existing: number
}

/** Passes 2–4's answer for one demand (existing or new replicas of one model). */
interface DemandOutcome {
  demand: Demand
  placements: Placement[]
  repartitions: MigRepartition[]
  scaleUps: ScaleUpDecision[]
  verdicts: GroupVerdict[]
  diagnostics: Diagnostic[]
}

/** A scale-up some pass asked of a group, with why; assembly merges those of one group into one change. */
interface GroupRequest {
  scaleUp: ScaleUpDecision
  reason: Reason
  details?: Record<string, unknown>
}

export function planCluster({config, snapshot: observed, inputFingerprint}: PlanInput): Plan {
  const snapshot = withControllerState(withSaneTelemetry(observed))
  const tick = startTick(config, snapshot)
  // Samples the input boundary dropped as impossible: said once per series, before anything decides on the rest.
  const diagnostics: Diagnostic[] = [
    ...describeDroppedSamples(snapshot.telemetry),
    ...describeUnmanagedGroups(config, snapshot),
  ]
  const skipped: Skipped[] = []
  for (const h of tick.health.values())
    if (h.reasons.length > 0)
      skipped.push({layer: 'node', target: {kind: 'NodeGroup', name: h.group}, reasons: h.reasons})

  // 1. Replicas.
  const replicas = planReplicas(tick)
  diagnostics.push(...replicas.diagnostics)
  skipped.push(...replicas.skipped)

  // 2–4. Placement, MIG, scale-up: one ordered list of demand, each pass in that order.
  const demands = listDemand(replicas.intents).sort(compareDemand)
  const placed = placeOnCapacity(
    tick.cluster,
    demands.map((d) => d.count),
    demands,
  )
  const mig = planMigPass(tick, demands, placed)
  const scaleUp = planScaleUpPass(
    tick,
    demands,
    placed.map((p, i) => p.length + (mig.placements[i]?.length ?? 0)),
  )
  const outcomes: DemandOutcome[] = demands.map((demand, i) => ({
    demand,
    placements: [...(placed[i] ?? []), ...(mig.placements[i] ?? []), ...(scaleUp.placements[i] ?? [])],
    repartitions: mig.repartitions[i] ?? [],
    scaleUps: scaleUp.scaleUps[i] ?? [],
    verdicts: scaleUp.verdicts[i] ?? [],
    diagnostics: mig.diagnostics[i] ?? [],
  }))
  const pods = assembleReplicaChanges(tick, replicas.intents, outcomes)
  diagnostics.push(...pods.diagnostics)
  skipped.push(...pods.skipped)

  // 5. Predictive warming with what is left; none with `settings.nodes.mode: reactive`, whose node layer (like
  // Cluster Autoscaler) adds nodes only for replicas that must start.
  const warming =
    config.settings.nodes.mode === 'reactive'
      ? {groupRequests: [], diagnostics: []}
      : planWarmingPass(tick, replicas.intents, pods.replicasAfter)
  diagnostics.push(...warming.diagnostics)

  // 6. Scale-down.
  const requests = [...pods.groupRequests, ...warming.groupRequests]
  const scaledUpGroups = new Set(requests.map((r) => r.scaleUp.group))
  const nodeGroupChanges = buildNodeGroupChanges(tick, requests)
  const scaleDown = planScaleDown(
    config,
    snapshot,
    tick.cluster,
    tick.sizes,
    tick.telemetry,
    scaledUpGroups,
    config.settings.nodes.mode === 'reactive'
      ? undefined
      : scaleDownForecast(tick, replicas.intents, pods.replicasAfter),
  )
  const replicaDownIds = pods.changes.filter((c) => c.status === 'planned' && c.to < c.from).map((c) => c.id)
  const removals = scaleDown.removals.map((removal, index): NodeRemovalChange => ({
    id: `node:${removal.node}`,
    layer: 'node',
    action: 'remove-node',
    target: {kind: 'Node', name: removal.node},
    from: removal.groupFrom,
    to: removal.groupTo,
    status: 'planned',
    eta: eta(tick.now, removal.drainSeconds),
    dependsOn: replicaDownIds,
    reasons: removal.reasons,
    // The size this removal runs at: the earlier removals of the same group (executed first, in plan order) each
    // took one, so the second of two removals expects one less, not the snapshot's size.
    preconditions: [
      groupSizePrecondition(
        tick.snapshot,
        removal.group,
        removal.groupFrom,
        scaleDown.removals.slice(0, index).filter((r) => r.group === removal.group).length,
      ),
    ],
    payload: {
      group: removal.group,
      node: removal.node,
      groupFrom: removal.groupFrom,
      groupTo: removal.groupTo,
      drain: removal.evicts,
    },
    details: {drainSeconds: removal.drainSeconds},
  }))
  for (const node of scaleDown.kept)
    skipped.push({layer: 'node', target: {kind: 'Node', name: node.node}, reasons: node.reasons})

  // 7. Assembly.
  const changes: Change[] = [...pods.changes, ...pods.migChanges, ...nodeGroupChanges, ...removals]
  const guarded = guardChanges(changes)
  const guardedSkipped = guardSkipped(skipped)
  const state = guardState(
    nextControllerState(config, snapshot, {
      decisions: replicas.intents.map((i) => ({
        model: i.model,
        workload: i.workload,
        ...(i.decision.recommendation ? {recommendation: i.decision.recommendation} : {}),
      })),
      changes: guarded.changes,
      health: tick.health,
    }),
  )
  return assemblePlan(
    snapshot,
    inputFingerprint,
    guarded.changes,
    guardedSkipped.skipped,
    [...diagnostics, ...guarded.diagnostics, ...guardedSkipped.diagnostics, ...state.diagnostics],
    state.state,
  )
}

/**
 * The planner's own input boundary: snapshots built in process (the twin, the live readers, tests) reach it without
 * the file loader, so impossible samples are dropped here too. A loaded snapshot was already sanitized, and
 * sanitizing returns every clean series as it is: that case costs one pass over the samples and no copy.
 */
function withSaneTelemetry(snapshot: ClusterSnapshot): ClusterSnapshot {
  const sane = sanitizeTelemetry(snapshot.telemetry, snapshot.capturedAt)
  return sane.affected.length === 0 ? snapshot : {...snapshot, telemetry: sane.series}
}

function startTick(config: PolicyConfig, snapshot: ClusterSnapshot): Tick {
  const now = snapshot.capturedAt
  const sizes = groupSizes(config, snapshot)
  const telemetry = indexTelemetry(snapshot.telemetry)
  return {
    config,
    snapshot,
    now,
    sizes,
    telemetry,
    cluster: buildCluster(config, snapshot),
    budget: currentBudget(config, sizes),
    health: assessFleetHealth(config.nodeGroups, snapshot.nodeGroups, snapshot.nodes, now),
    // One reading of each model's telemetry per plan, shared by warming and scale-down.
    forecasts: new ForecastBook(telemetry, now),
  }
}

/** Nodes of groups the policy does not name still host replicas, but gpu-scale neither adds nor removes them. */
function describeUnmanagedGroups(config: PolicyConfig, snapshot: ClusterSnapshot): Diagnostic[] {
  const configured = new Set(config.nodeGroups.map((g) => g.name))
  return [...new Set(snapshot.nodes.map((n) => n.group))]
    .filter((g) => !configured.has(g))
    .sort()
    .map((group) => {
      const count = snapshot.nodes.filter((n) => n.group === group).length
      return {
        severity: 'info',
        code: 'UnmanagedNodeGroup',
        message: `${count} node(s) of group ${group} are not in the policy: replicas may use them, but gpu-scale never scales that group`,
        target: {kind: 'NodeGroup', name: group},
        evidence: {nodes: count},
      }
    })
}

/**
 * Pass 1: every model's replica recommendation. Models are independent here, so their order decides nothing; they
 * are listed by workload key so that skipped targets, diagnostics and state read the same whatever the config's
 * model order.
 */
function planReplicas(tick: Tick): {intents: ReplicaIntent[]; skipped: Skipped[]; diagnostics: Diagnostic[]} {
  const {config, snapshot, now} = tick
  const workloads = new Map(snapshot.workloads.map((w) => [workloadKey(w), w]))
  const podsByWorkload = groupPods(snapshot.pods)
  // Pods on a node with a spot interruption notice lose their home within 2 minutes: plan their new one now.
  const interrupted = new Set(snapshot.nodes.filter((n) => n.interruptionNoticeAt !== undefined).map((n) => n.name))
  const intents: ReplicaIntent[] = []
  const skipped: Skipped[] = []
  const diagnostics: Diagnostic[] = []
  for (const model of [...config.models].sort(
    (a, b) => compareKeys(workloadKey(a.workload), workloadKey(b.workload)) || compareKeys(a.name, b.name),
  )) {
    const target: Target = {kind: model.workload.kind, name: model.workload.name, namespace: model.workload.namespace}
    const workload = workloads.get(workloadKey(model.workload))
    if (!workload) {
      diagnostics.push({
        severity: 'warning',
        code: 'WorkloadNotFound',
        message: `${model.workload.kind} ${model.workload.namespace}/${model.workload.name} of model ${model.name} is not in the snapshot`,
        target,
      })
      skipped.push({
        layer: 'pod',
        target,
        reasons: [
          {
            code: 'WorkloadNotFound',
            message: 'the workload does not exist in the cluster',
            evidence: {model: model.name},
          },
        ],
      })
      continue
    }
    if (workload.managedBy) {
      skipped.push({
        layer: 'pod',
        target,
        reasons: [
          {
            code: 'ManagedByOtherAutoscaler',
            message: `${workload.managedBy} owns this workload's replica count; gpu-scale does not fight it`,
            evidence: {managedBy: workload.managedBy},
          },
        ],
      })
      continue
    }
    const pods = podsByWorkload.get(workloadKey(workload)) ?? []
    // Keep-warm decisions (scale to zero) must count the whole way back: a model at zero usually lets its nodes go
    // too, so the first request waits for a node and the weights, not the weights alone (kserve#1247).
    const coldStartSeconds =
      model.replicas.min === 0
        ? (computeLeadSeconds(model, config, tick.health) ?? estimateWeightLoadSeconds(model))
        : undefined
    const decision = recommendReplicas({
      model,
      workload,
      pods,
      telemetry: tick.telemetry,
      settings: config.settings,
      now,
      ...(coldStartSeconds !== undefined ? {coldStartSeconds} : {}),
    })
    diagnostics.push(...decision.diagnostics)
    diagnostics.push(...recommendGpuShares(model, config, decision.bottleneck?.kind === 'memory-bandwidth-bound'))
    const pending = pods.filter((p) => p.phase === 'Pending' && !p.node && !p.deleting).length
    const displaced = pods.filter(
      (p) =>
        p.node !== undefined &&
        interrupted.has(p.node) &&
        !p.deleting &&
        p.phase !== 'Succeeded' &&
        p.phase !== 'Failed',
    ).length
    const added = Math.max(0, decision.desired - decision.current)
    // Pending and displaced pods were asked for already and need a home. A scale-down deletes unscheduled pods first
    // (the ReplicaSet controller's deletion order) and then any running ones, so every displaced pod may survive
    // it: plan for the worst case.
    const removed = Math.max(0, decision.current - decision.desired)
    const existing = Math.max(0, pending - removed) + Math.min(displaced, decision.desired)
    intents.push({model, workload, target, pods, decision, pending, displaced, added, removed, existing})
  }
  return {intents, skipped, diagnostics}
}

/** The replicas that need a home, split into existing demand and new replicas (they rank differently). */
function listDemand(intents: readonly ReplicaIntent[]): Demand[] {
  const demands: Demand[] = []
  for (const intent of intents) {
    if (intent.existing > 0) demands.push({model: intent.model, kind: 'existing', count: intent.existing})
    if (intent.added > 0) demands.push({model: intent.model, kind: 'new', count: intent.added})
  }
  return demands
}

/**
 * Pass 2 (and the refill of passes 3 and 4): each demand in order takes free and arriving capacity up to what it
 * still needs. Runs on a fork and commits: the placements are kept.
 */
function placeOnCapacity(
  cluster: SimulatedCluster,
  wanted: readonly number[],
  demands: readonly Demand[],
): Placement[][] {
  cluster.fork()
  const placed = demands.map((demand, i) => fill(cluster, demand.model, wanted[i] ?? 0))
  cluster.commit()
  return placed
}

function fill(cluster: SimulatedCluster, model: ModelConfig, count: number): Placement[] {
  const placements: Placement[] = []
  while (placements.length < count) {
    const placement = cluster.place(model)
    if (!placement) break
    placements.push(placement)
  }
  return placements
}

/**
 * Pass 3: MIG demand still short repartitions idle GPUs of existing nodes (before any node is added: a
 * repartition takes minutes and costs nothing), then takes the new instances.
 */
function planMigPass(
  tick: Tick,
  demands: readonly Demand[],
  placed: readonly Placement[][],
): {repartitions: MigRepartition[][]; placements: Placement[][]; diagnostics: Diagnostic[][]} {
  const repartitions: MigRepartition[][] = []
  const placements: Placement[][] = []
  const diagnostics: Diagnostic[][] = []
  const fragmented = new Set<string>()
  // A node carries one nvidia.com/mig.config label: once a demand repartitions it, later demands look elsewhere.
  const taken = new Set<string>()
  for (const [i, demand] of demands.entries()) {
    const short = demand.count - (placed[i]?.length ?? 0)
    if (short <= 0 || demand.model.gpu.kind !== 'mig') {
      repartitions.push([])
      placements.push([])
      diagnostics.push([])
      continue
    }
    tick.cluster.fork()
    const step = planMigForDemand(demand.model, short, tick.config, tick.cluster, tick.snapshot, taken)
    for (const r of step.repartitions) taken.add(r.node)
    const got = fill(tick.cluster, demand.model, short)
    tick.cluster.commit()
    const notes = [...step.diagnostics]
    // Still short after repartitioning: say (once per model) when free MIG memory exists that fixed placements
    // make unusable.
    const fragmentation =
      got.length < short && !fragmented.has(demand.model.name)
        ? diagnoseFragmentation(demand.model, tick.cluster, tick.snapshot)
        : undefined
    if (fragmentation) {
      fragmented.add(demand.model.name)
      notes.push(fragmentation)
    }
    repartitions.push(step.repartitions)
    placements.push(got)
    diagnostics.push(notes)
  }
  return {repartitions, placements, diagnostics}
}

/**
 * Pass 4: demand still short scales node groups up. CA asks one group per loop and the next loop asks another for
 * what is still pending; doing those loops here means the plan asks for all of it at once instead of surfacing a
 * "duplicate" scale-up on the next run.
 */
function planScaleUpPass(
  tick: Tick,
  demands: readonly Demand[],
  placedSoFar: readonly number[],
): {scaleUps: ScaleUpDecision[][]; verdicts: GroupVerdict[][]; placements: Placement[][]} {
  const scaleUps: ScaleUpDecision[][] = []
  const verdicts: GroupVerdict[][] = []
  const placements: Placement[][] = []
  for (const [i, demand] of demands.entries()) {
    const wanted = demand.count - (placedSoFar[i] ?? 0)
    const decisions: ScaleUpDecision[] = []
    let lastVerdicts: GroupVerdict[] = []
    tick.cluster.fork()
    // Nodes an earlier demand's scale-up added may have room left: take it before asking for more.
    const got = fill(tick.cluster, demand.model, wanted)
    for (let round = 0; got.length < wanted && round < tick.config.nodeGroups.length; round++) {
      const result = planScaleUp(
        demand.model,
        wanted - got.length,
        tick.config,
        tick.cluster,
        tick.sizes,
        tick.budget,
        {health: tick.health},
      )
      lastVerdicts = result.verdicts
      if (!result.decision) break
      decisions.push(result.decision)
      const before = got.length
      got.push(...fill(tick.cluster, demand.model, wanted - got.length))
      if (got.length === before) break
    }
    tick.cluster.commit()
    scaleUps.push(decisions)
    verdicts.push(lastVerdicts)
    placements.push(got)
  }
  return {scaleUps, verdicts, placements}
}

/** Turns each model's decision and its demands' outcomes into replica changes, MIG changes and group requests. */
function assembleReplicaChanges(
  tick: Tick,
  intents: readonly ReplicaIntent[],
  outcomes: readonly DemandOutcome[],
): {
  changes: ReplicaChange[]
  migChanges: MigChange[]
  groupRequests: GroupRequest[]
  diagnostics: Diagnostic[]
  skipped: Skipped[]
  /** Replicas each model has after this plan's pod-layer change, for warming (absent: no warming). */
  replicasAfter: Map<ModelConfig, number>
} {
  const changes: ReplicaChange[] = []
  const migChanges: MigChange[] = []
  const groupRequests: GroupRequest[] = []
  const diagnostics: Diagnostic[] = []
  const skipped: Skipped[] = []
  const replicasAfter = new Map<ModelConfig, number>()
  const now = tick.now
  // Group requests are listed in placement priority order, so the merged node change reads in that order too.
  for (const outcome of outcomes) {
    const intent = intents.find((i) => i.model === outcome.demand.model) as ReplicaIntent
    for (const scaleUp of outcome.scaleUps)
      groupRequests.push({scaleUp, reason: scaleUpReason(intent.model, scaleUp, intent)})
    migChanges.push(...outcome.repartitions.map((r) => r.change))
    diagnostics.push(...outcome.diagnostics)
  }
  for (const intent of intents) {
    const {model, target, decision, removed, added, existing} = intent
    const workload: WorkloadRef = {
      kind: model.workload.kind,
      namespace: model.workload.namespace,
      name: model.workload.name,
    }
    const replicaChange = (fields: {
      id: string
      from: number
      to: number
      status: 'planned' | 'blocked'
      eta: ReplicaChange['eta']
      dependsOn: string[]
      reasons: Reason[]
      details?: Record<string, unknown>
    }): ReplicaChange => ({
      ...fields,
      layer: 'pod',
      action: 'scale-replicas',
      target,
      // The count the plan was made against: if someone scaled the workload since, this change is stale.
      preconditions: [
        {
          resource: {kind: workload.kind, namespace: workload.namespace, name: workload.name},
          path: 'spec.replicas',
          equals: decision.current,
        },
      ],
      payload: {workload, from: fields.from, to: fields.to},
      signals: {proposals: decision.proposals, decidedBy: decision.decidedBy},
    })
    if (removed > 0) {
      changes.push(
        replicaChange({
          id: `pod:${target.namespace}/${target.name}`,
          from: decision.current,
          to: decision.desired,
          status: 'planned',
          eta: eta(now, model.terminationGraceSeconds),
          dependsOn: [],
          reasons: decision.reasons,
        }),
      )
      if (existing === 0) continue
    } else if (added === 0 && existing === 0) {
      skipped.push({layer: 'pod', target, reasons: decision.reasons})
      replicasAfter.set(model, decision.current)
      continue
    }
    const mine = outcomes.filter((o) => o.demand.model === model)
    const existingOutcome = mine.find((o) => o.demand.kind === 'existing')
    const newOutcome = mine.find((o) => o.demand.kind === 'new')
    const newPlacements = newOutcome?.placements ?? []
    const placedNew = newPlacements.length
    const unplacedPending = existing - (existingOutcome?.placements.length ?? 0)
    if (unplacedPending > 0) {
      diagnostics.push({
        severity: 'error',
        code: 'PodsPendingForever',
        message: `${unplacedPending} pending or displaced pod(s) of ${model.name} fit no free, arriving or addable capacity`,
        target,
        evidence: {pending: intent.pending, displaced: intent.displaced, unplaced: unplacedPending},
      })
    }
    if (placedNew > 0) {
      const loadSeconds = estimateWeightLoadSeconds(model)
      const ready = Math.max(...newPlacements.map((p) => p.readyInSeconds))
      changes.push(
        replicaChange({
          id: `pod:${target.namespace}/${target.name}`,
          from: decision.current,
          to: decision.current + placedNew,
          status: 'planned',
          eta: eta(now, ready + loadSeconds),
          dependsOn: dependencies(newPlacements, mine),
          reasons: [...decision.reasons, placementReason(newPlacements, loadSeconds)],
        }),
      )
    } else if (added === 0 && removed === 0) {
      skipped.push({layer: 'pod', target, reasons: decision.reasons})
    }
    if (placedNew < added) {
      changes.push(
        replicaChange({
          id: `pod:${target.namespace}/${target.name}#blocked`,
          from: decision.current + placedNew,
          to: decision.desired,
          status: 'blocked',
          eta: null,
          dependsOn: [],
          reasons: [blockedReason(model, added - placedNew, newOutcome?.verdicts ?? []), ...decision.reasons],
          details: {groups: newOutcome?.verdicts ?? []},
        }),
      )
    }
    replicasAfter.set(model, Math.min(decision.current, decision.desired) + placedNew)
  }
  return {changes, migChanges, groupRequests, diagnostics, skipped, replicasAfter}
}

/**
 * Pass 5: predictive warming, after all reactive demand so a forecast never takes the room a Pending pod needs.
 * Models in the priority order (critical first, larger requests first, name last): budget and group room are
 * shared, so the order decides who warms when they run short.
 */
function planWarmingPass(
  tick: Tick,
  intents: readonly ReplicaIntent[],
  replicasAfter: ReadonlyMap<ModelConfig, number>,
): {groupRequests: GroupRequest[]; diagnostics: Diagnostic[]} {
  const groupRequests: GroupRequest[] = []
  const diagnostics: Diagnostic[] = []
  for (const intent of [...intents].sort((a, b) => compareModels(a.model, b.model))) {
    const replicas = replicasAfter.get(intent.model)
    if (replicas === undefined) continue
    tick.cluster.fork()
    const warm = planPredictiveScaleUp({...tick, model: intent.model, pods: intent.pods, replicas})
    tick.cluster.commit()
    if (warm.diagnostic) diagnostics.push(warm.diagnostic)
    if (warm.scaleUp)
      groupRequests.push({scaleUp: warm.scaleUp, reason: warm.reason, ...(warm.details ? {details: warm.details} : {})})
  }
  return {groupRequests, diagnostics}
}

/** Scale-down's forecast check reads the models warming reads, in the same priority order and replica counts. */
function scaleDownForecast(
  tick: Tick,
  intents: readonly ReplicaIntent[],
  replicasAfter: ReadonlyMap<ModelConfig, number>,
): ScaleDownForecast {
  const models: Array<ScaleDownForecast['models'][number]> = []
  for (const intent of [...intents].sort((a, b) => compareModels(a.model, b.model))) {
    const replicas = replicasAfter.get(intent.model)
    if (replicas !== undefined) models.push({model: intent.model, pods: intent.pods, replicas})
  }
  return {book: tick.forecasts, health: tick.health, models}
}

/** One change per group: the first request sets `from`, the last sets `to`; every request's reason is kept. */
function buildNodeGroupChanges(tick: Tick, requests: readonly GroupRequest[]): NodeGroupChange[] {
  const byGroup = new Map<string, GroupRequest[]>()
  for (const request of requests)
    byGroup.set(request.scaleUp.group, [...(byGroup.get(request.scaleUp.group) ?? []), request])
  return [...byGroup].map(([group, list]) => {
    const first = (list[0] as GroupRequest).scaleUp
    const to = Math.max(...list.map((r) => r.scaleUp.to))
    const chosen = first.verdicts.find((v) => v.chosen)
    const reasons: Reason[] = []
    for (const [i, request] of list.entries()) {
      reasons.push(request.reason)
      if (i === 0) reasons.push(...(chosen?.reasons.filter((r) => r !== first.limitedBy) ?? []))
      if (request.scaleUp.limitedBy) reasons.push(request.scaleUp.limitedBy)
    }
    const details = Object.assign(
      {groups: first.verdicts, coldStart: first.coldStart},
      ...list.map((r) => r.details ?? {}),
    ) as Record<string, unknown>
    return {
      id: `node:${group}`,
      layer: 'node',
      action: 'scale-node-group',
      target: {kind: 'NodeGroup', name: group},
      from: first.from,
      to,
      status: 'planned',
      eta: eta(tick.now, first.readySeconds),
      dependsOn: [],
      reasons,
      preconditions: [groupSizePrecondition(tick.snapshot, group, first.from)],
      payload: {group, from: first.from, to, delta: to - first.from},
      details,
    }
  })
}

/** The provider's target size the plan counted from (the registered count when the snapshot has no group state). */
function groupSizePrecondition(
  snapshot: ClusterSnapshot,
  group: string,
  size: number,
  removedBefore = 0,
): Change['preconditions'][number] {
  const state = snapshot.nodeGroups.find((g) => g.name === group)
  return {
    resource: {kind: 'NodeGroup', name: group},
    path: 'status.targetSize',
    equals: (state?.targetSize ?? size) - removedBefore,
  }
}

function dependencies(placements: readonly Placement[], outcomes: readonly DemandOutcome[]): string[] {
  const ids = new Set<string>()
  // Any node this plan adds, whichever model's scale-up (or warming) asked for it.
  for (const p of placements) if (p.planned) ids.add(`node:${p.group}`)
  for (const o of outcomes) for (const r of o.repartitions) if (r.change.status === 'planned') ids.add(r.change.id)
  return [...ids].sort()
}

/** Why a reactive scale-up happens: pending pods, pods displaced by a spot interruption, new replicas. */
function scaleUpReason(
  model: ModelConfig,
  scaleUp: ScaleUpDecision,
  demand: {pending: number; displaced: number; added: number},
): Reason {
  const nodes = scaleUp.to - scaleUp.from
  const cold = scaleUp.coldStart
  const evidence = {
    model: model.name,
    nodes,
    pending: demand.pending,
    displaced: demand.displaced,
    newReplicas: demand.added,
    coldStartSeconds: Math.round(cold.nodeSeconds),
    provisioningSeconds: cold.provisioningSeconds,
    driverInitSeconds: cold.driverInitSeconds,
    imagePullSeconds: cold.imagePullSeconds,
    weightLoadSeconds: Math.round(cold.weightLoadSeconds),
  }
  if (demand.displaced > 0) {
    return {
      code: 'SpotInterruption',
      message: `${demand.displaced} replica(s) of ${model.name} are on node(s) with a spot interruption notice (2 min); replacement: ${nodes} new ${scaleUp.group} node(s) ready in ~${Math.round(cold.nodeSeconds)}s`,
      evidence,
    }
  }
  return {
    code: 'UnschedulableReplicas',
    message: `replicas of ${model.name} fit no free or arriving GPU; ${nodes} new ${scaleUp.group} node(s) ready in ~${Math.round(cold.nodeSeconds)}s (provision ${cold.provisioningSeconds}s + drivers ${cold.driverInitSeconds}s + image ${cold.imagePullSeconds}s), serving after ~${Math.round(cold.totalSeconds)}s with weight load`,
    evidence,
  }
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
  const never =
    limits.length > 0
      ? ineligible.length > 0
        ? [
            `not eligible: ${ineligible.map((v) => `${v.group} (${[...new Set(v.reasons.map((r) => r.code))].join(', ')})`).join(', ')}`,
          ]
        : []
      : ineligible.flatMap((v) => v.reasons.map((r) => r.message))
  const why = [...limits, ...never]
  return {
    code: 'NoCapacityForReplicas',
    message: `${replicas} replica(s) of ${model.name} would stay pending: ${why.length > 0 ? why.join('; ') : verdicts.length === 0 ? 'no node group is configured' : 'the eligible groups cannot add more nodes'}`,
    evidence: {
      replicas,
      groupsConsidered: verdicts.length,
      groupsEligible: verdicts.filter((v) => v.chosen || v.nodesNeeded !== undefined).length,
    },
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
  const gpuModels = [
    ...new Set(config.nodeGroups.filter((g) => checkGroupFit(model, g).eligible).map((g) => g.gpu.model)),
  ].sort()
  return gpuModels.map((gpu) => {
    const share = chooseGpuShare(gpu, {memoryGiB, bandwidthBound}, true, {strategy: config.settings.migStrategy})
    const what =
      share.kind === 'mig' ? `${share.profile} (${share.resource})` : `${share.count} whole GPU(s) (${share.resource})`
    return {
      severity: 'info' as const,
      code: 'GpuShareRecommendation',
      message: `${model.name} needs ${memoryGiB} GiB${bandwidthBound ? ' and is memory-bandwidth bound' : ''}: on ${gpu} request ${what}; ${share.reasons.map((r) => r.message).join('; ')}`,
      target,
      evidence: {
        gpu,
        share: share.kind === 'mig' ? share.profile : 'whole',
        resource: share.resource,
        memoryGiB,
        bandwidthBound,
      },
    }
  })
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function eta(now: number, seconds: number): {seconds: number; at: string} {
  const rounded = Math.round(seconds)
  return {seconds: rounded, at: formatTimestamp(now + rounded)}
}

function groupPods(pods: readonly PodState[]): Map<string, PodState[]> {
  const map = new Map<string, PodState[]>()
  for (const pod of pods) {
    if (!pod.workload) continue
    const key = podWorkloadKey(pod)
    const list = map.get(key)
    if (list) list.push(pod)
    else map.set(key, [pod])
  }
  return map
}

function assemblePlan(
  snapshot: ClusterSnapshot,
  inputFingerprint: string | undefined,
  changes: Change[],
  skipped: Skipped[],
  diagnostics: Diagnostic[],
  state: Plan['state'],
): Plan {
  const phase = (c: Change) =>
    c.action === 'scale-replicas' && c.to < c.from ? PHASE['scale-replicas-down'] : PHASE[c.action]
  changes.sort((a, b) => phase(a) - phase(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const byLayer: Record<Layer, number> = {pod: 0, node: 0, gpu: 0}
  for (const change of changes) if (change.status === 'planned') byLayer[change.layer]++
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    formatVersion: PLAN_FORMAT_VERSION,
    plannedAt: formatTimestamp(snapshot.capturedAt),
    ...(inputFingerprint !== undefined ? {inputFingerprint} : {}),
    summary: {
      changes: changes.filter((c) => c.status === 'planned').length,
      blocked: changes.filter((c) => c.status === 'blocked').length,
      byLayer,
    },
    changes,
    skipped,
    diagnostics,
    state,
  }
}
