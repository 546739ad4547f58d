/**
 * Safe node scale-down (Cluster Autoscaler's rules, src: FAQ "How does scale-down work?"). A registered, ready node
 * is removed only when all of these hold, checked in this order (cheapest first; each failure is kept as a reason):
 *
 * 1. its GPU request utilization (GPUs allocated ÷ GPUs, CA's GPU-only utilization) is under the threshold (0.5),
 *    counting what this plan just placed on it;
 * 2. no scale-up of its group in this plan or within `delayAfterAddSeconds` (CA `--scale-down-delay-after-add`, 10m;
 *    in predictive mode, unset, the group's cold start: see "Timers" below);
 * 3. it has been unneeded for `unneededSeconds` (CA `--scale-down-unneeded-time`, 10m; the same rule as 2): DCGM
 *    utilization under the threshold on every GPU for the whole window. A node that hosts pods needs that evidence:
 *    with no samples, or none newer than `staleAfterSeconds` (Prometheus or the exporter down), it is kept, and a
 *    gap inside the window counts as busy. An empty node needs none (nothing runs on it);
 * 4. no replica on it is still loading or inside its health-check grace (evicting it would waste the load and
 *    hide whether the replica works);
 * 5. every non-DaemonSet pod on it fits elsewhere: GPU replicas on free GPUs of nodes that stay (simulated on the
 *    working capacity, so two removals never count the same free GPU), CPU pods on another node that stays with
 *    the same taints (no CPU capacity model: the snapshot carries GPU resources only);
 * 6. evicting its pods keeps every PodDisruptionBudget (`maxUnavailable` counts pods already unavailable);
 * 7. its group stays at or above min (min 0: an idle group scales to zero);
 * 8. (predictive node mode) the nodes that stay still host what the demand forecast needs within the horizon a
 *    replacement would take: the fastest eligible group's cold start plus one loop interval (a node removed now is
 *    asked for again, at best, on the next tick, and serves a cold start later). The forecast is the one predictive
 *    warming reads (src/core/policy/nodes/forecast.ts, read once per plan through the plan's ForecastBook), with
 *    `settings.warmHeadroomGpus` on top; without this check warming adds a node, the node idles until the rise it
 *    was added for, and scale-down removes it minutes before that rise (`ForecastNeedsNode`). The forecast's extra
 *    replicas are placed once on free and arriving capacity before any removal (models in the planner's priority
 *    order, so two models never count the same free GPU; capped at what fits, so a forecast no capacity could meet
 *    pins only what it could use); a removal must move the ones its node holds to nodes that stay, on the same fork
 *    as 5, after the node's pods moved. Neither Cluster Autoscaler nor Karpenter reads a forecast before removing a
 *    node; `settings.nodes.mode: reactive` skips it.
 *
 * Timers. In predictive node mode, conditions 2 and 3 use the group's cold start instead of CA's 10 minutes when
 * the config does not set them (resolveScaleDownTimers): ski rental. Keeping an idle node through a gap costs the
 * gap; removing it and starting another when demand returns costs one cold start of paid, not-yet-serving node
 * time. Removing after one cold start of idleness never pays more than twice the better of the two in hindsight
 * (the best a deterministic rule without lookahead can do), and it is the rule the oracle applies (a replica is kept
 * through a gap no longer than its cold start; reference §3 of serving-performance-facts). A 10-minute timer pays up
 * to 600 ÷ 180 ≈ 3.3 cold starts per gap in a 180 s world. Demand the forecast sees is condition 8's job, so the
 * timer only covers what no forecast sees. What it does not price: requests that wait while a replica comes up on a
 * new node (180 s) rather than on a spare one (60 s); on a trace whose pod layer swings hard (GenAI in
 * bench/decision-quality.ts) that cost attainment. Reactive mode keeps CA's timers: the baseline must stay CA.
 *
 * Several nodes may go in one plan (empty nodes in bulk, as Cluster Autoscaler deletes up to
 * `--max-empty-bulk-delete`=10 empty nodes at once): every candidate whose own unneeded timer ran out is tried, each
 * on what the earlier removals left.
 *
 * Candidates are taken empty first, then spot, then most expensive: removing them saves the most and risks the
 * least. Drain honours each pod's termination grace: the removal's ETA is the longest grace on the node.
 */
import type {ModelConfig, PolicyConfig} from '../../model/config.js'
import {podWorkloadKey, workloadKey} from '../../model/keys.js'
import type {Reason, ReasonCode} from '../../model/plan.js'
import {formatPercent, roundForMessage} from '../../model/round.js'
import type {ClusterSnapshot, NodeState, PodState} from '../../model/snapshot.js'
import type {SimulatedCluster, NodeCapacity} from '../../scheduling/cluster.js'
import type {TelemetryIndex} from '../../signals/telemetry-index.js'
import type {GroupHealth} from './backoff.js'
import type {DemandForecast, ForecastBook} from './forecast.js'
import {computeLeadSeconds} from './predictive.js'
import {gpusPerReplica, replicasPerNode} from './scale-up.js'
import {estimateColdStart} from '../../scheduling/cold-start.js'
import {checkGroupFit} from '../../scheduling/eligibility.js'
import {profilesOfGroup} from '../../scheduling/mig-configs.js'
import type {NodeGroupConfig} from '../../model/config.js'

export interface NodeRemoval {
  node: string
  group: string
  groupFrom: number
  groupTo: number
  /** Seconds the drain may take: the longest termination grace of the pods evicted (0 for an empty node). */
  drainSeconds: number
  /** Pods evicted, `namespace/name`. */
  evicts: string[]
  reasons: Reason[]
}

export interface NodeKept {
  node: string
  group: string
  reasons: Reason[]
}

const GPU_UTIL_METRIC = 'DCGM_FI_DEV_GPU_UTIL'
/** Kubernetes' default terminationGracePeriodSeconds, for pods gpu-scale has no model config for. */
const DEFAULT_TERMINATION_GRACE_SECONDS = 30

/**
 * What the forecast check (condition 8) reads: predictive node mode only. The planner passes its models in its
 * placement priority order (critical first, larger requests first, name last), so when free GPUs run short the
 * forecast of the model that would get them first is the one kept.
 */
export interface ScaleDownForecast {
  book: ForecastBook
  health: ReadonlyMap<string, GroupHealth>
  models: ReadonlyArray<{model: ModelConfig; pods: readonly PodState[]; replicas: number}>
}

/** A model whose forecast needs more replicas than it has after this plan, within the scale-down horizon. */
export interface ForecastReserve {
  model: ModelConfig
  forecast: DemandForecast
  /** The forecast's replicas, with the scale-up tolerance on top while it rises (padRisingForecast). */
  needed: number
  /** Replicas after this plan's pod-layer change. */
  replicas: number
  /** Cold start of the fastest eligible group plus one loop interval. */
  horizonSeconds: number
  headroomReplicas: number
  /** needed + headroom − replicas. */
  wanted: number
  /** `wanted`, capped at what free and arriving capacity hosts before any removal (what a removal may not cut). */
  kept: number
}

/** A node that passed the cheap checks (1–4): its removal is simulated next. */
export interface ScaleDownCandidate {
  node: NodeState
  slot: NodeCapacity
  pods: PodState[]
  /** The unneeded timer it passed (its reason quotes it). */
  unneeded: ScaleDownTimer
}

/** One scale-down timer of a group, in seconds, and where its value comes from. */
export interface ScaleDownTimer {
  seconds: number
  /**
   * `config`: set in settings.scaleDown; `default`: Cluster Autoscaler's 10 minutes (reactive mode, or no model
   * fits the group); `cold-start`: unset, predictive mode, the group's longest cold start over the models it hosts.
   */
  source: 'config' | 'default' | 'cold-start'
}

/**
 * The unneeded and delay-after-add timers for a group (conditions 2 and 3). In predictive node mode a timer the
 * config leaves unset is the group's cold start (see the header: ski rental): provisioning, driver init, image
 * pull and weight load, the longest over the models that can run on the group (the costliest restart it may have
 * to pay back). A timer the user set always wins; reactive mode keeps Cluster Autoscaler's.
 */
export function resolveScaleDownTimers(
  config: PolicyConfig,
  group: NodeGroupConfig,
): {unneeded: ScaleDownTimer; delayAfterAdd: ScaleDownTimer} {
  const {unneededSeconds, delayAfterAddSeconds, defaulted = []} = config.settings.scaleDown
  const coldStart = config.settings.nodes.mode === 'predictive' ? groupColdStartSeconds(config, group) : undefined
  const timer = (seconds: number, field: 'unneededTime' | 'delayAfterAdd'): ScaleDownTimer =>
    !defaulted.includes(field)
      ? {seconds, source: 'config'}
      : coldStart !== undefined
        ? {seconds: coldStart, source: 'cold-start'}
        : {seconds, source: 'default'}
  return {unneeded: timer(unneededSeconds, 'unneededTime'), delayAfterAdd: timer(delayAfterAddSeconds, 'delayAfterAdd')}
}

/** The longest cold start (node + weights) of a replica on a new node of the group, or undefined: no model fits. */
function groupColdStartSeconds(config: PolicyConfig, group: NodeGroupConfig): number | undefined {
  let longest: number | undefined
  const profiles = profilesOfGroup(group)
  for (const model of config.models) {
    if (replicasPerNode(model, group) === 0 || !checkGroupFit(model, group, profiles).eligible) continue
    const seconds = estimateColdStart(group, model).totalSeconds
    if (longest === undefined || seconds > longest) longest = seconds
  }
  return longest === undefined ? undefined : Math.round(longest)
}

function describeTimer(timer: ScaleDownTimer): string {
  return timer.source === 'cold-start'
    ? `${timer.seconds}s, the group's cold start (ski rental: settings.scaleDown leaves the timer unset)`
    : `${timer.seconds}s`
}

/** Everything the two steps read, indexed once per plan. */
interface ScaleDownInputs {
  config: PolicyConfig
  snapshot: ClusterSnapshot
  groups: Map<string, PolicyConfig['nodeGroups'][number]>
  models: Map<string, ModelConfig>
  working: Map<string, NodeCapacity>
}

export function planScaleDown(
  config: PolicyConfig,
  snapshot: ClusterSnapshot,
  capacity: SimulatedCluster,
  sizes: Map<string, number>,
  telemetry: TelemetryIndex,
  scaledUpGroups: ReadonlySet<string>,
  forecast?: ScaleDownForecast,
): {removals: NodeRemoval[]; kept: NodeKept[]} {
  const inputs: ScaleDownInputs = {
    config,
    snapshot,
    groups: new Map(config.nodeGroups.map((g) => [g.name, g])),
    models: new Map(config.models.map((m) => [workloadKey(m.workload), m])),
    working: new Map(capacity.nodes.map((n) => [n.name, n])),
  }
  const found = findScaleDownCandidates(inputs, telemetry, scaledUpGroups)
  // The forecast is read only when some node could go: most ticks of a busy fleet have no candidate.
  const reserves = forecast && found.candidates.length > 0 ? findForecastReserves(config, forecast) : []
  const simulated = simulateRemovals(inputs, found.candidates, capacity, sizes, reserves)
  return {removals: simulated.removals, kept: [...found.kept, ...simulated.kept]}
}

/**
 * Conditions 1–4 (per node, no simulation), then the order removals are tried in: empty nodes first (nothing to
 * move), spot before on-demand (it may go anyway), the most expensive first, name last.
 */
export function findScaleDownCandidates(
  inputs: ScaleDownInputs,
  telemetry: TelemetryIndex,
  scaledUpGroups: ReadonlySet<string>,
): {candidates: ScaleDownCandidate[]; kept: NodeKept[]} {
  const {config, snapshot, groups, models, working} = inputs
  const now = snapshot.capturedAt
  const {gpuUtilizationThreshold} = config.settings.scaleDown
  const timersByGroup = new Map<string, ReturnType<typeof resolveScaleDownTimers>>()
  const groupStates = new Map(snapshot.nodeGroups.map((g) => [g.name, g]))
  const podsByNode = new Map<string, PodState[]>()
  for (const pod of snapshot.pods) {
    if (!pod.node || pod.daemon || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue
    const list = podsByNode.get(pod.node)
    if (list) list.push(pod)
    else podsByNode.set(pod.node, [pod])
  }
  const utilByNode = indexUtilization(telemetry)
  const kept: NodeKept[] = []
  const candidates: Array<ScaleDownCandidate & {cost: number; spot: boolean}> = []
  for (const node of snapshot.nodes) {
    const group = groups.get(node.group)
    const slot = working.get(node.name)
    if (!group || !slot || slot.condition !== 'ready') continue
    const keep = (code: ReasonCode, message: string, evidence: Reason['evidence'] = {}) =>
      kept.push({
        node: node.name,
        group: node.group,
        reasons: [{code, message, evidence: {node: node.name, ...evidence}}],
      })
    const used = slot.gpus.filter((g) => !g.idle).length
    const utilization = slot.gpus.length === 0 ? 0 : used / slot.gpus.length
    // Busy nodes are the normal case: not recorded, or a 2,000-node plan would list every one of them.
    if (utilization >= gpuUtilizationThreshold) continue
    let timers = timersByGroup.get(group.name)
    if (!timers) timersByGroup.set(group.name, (timers = resolveScaleDownTimers(config, group)))
    const {unneeded, delayAfterAdd} = timers
    const lastScaleUp = groupStates.get(node.group)?.lastScaleUpAt
    if (scaledUpGroups.has(node.group) || (lastScaleUp !== undefined && now - lastScaleUp < delayAfterAdd.seconds)) {
      keep(
        'ScaleDownDelayAfterAdd',
        `${node.group} scaled up within ${describeTimer(delayAfterAdd)}; ${node.name} is kept`,
        {
          delayAfterAddSeconds: delayAfterAdd.seconds,
          timerSource: delayAfterAdd.source,
          ...(lastScaleUp !== undefined ? {secondsSinceScaleUp: now - lastScaleUp} : {}),
        },
      )
      continue
    }
    const {newest, idleFor} = readIdleness(
      node,
      utilByNode.get(node.name) ?? [],
      now,
      gpuUtilizationThreshold,
      config.settings.staleAfterSeconds,
    )
    // Absence is not idleness. A node that hosts pods is removed only on DCGM evidence that its GPUs have idled:
    // with the exporter or Prometheus down or stale, its pods may be serving. An empty node needs no telemetry
    // (nothing runs on it, Cluster Autoscaler removes empty nodes on allocation alone).
    if (used > 0 && newest === undefined) {
      keep('MissingTelemetry', `${node.name} has no DCGM utilization samples: it is not removed on absent data`, {
        metric: GPU_UTIL_METRIC,
      })
      continue
    }
    if (used > 0 && newest !== undefined && now - newest > config.settings.staleAfterSeconds) {
      keep(
        'StaleTelemetry',
        `${node.name}'s newest DCGM sample is ${Math.round(now - newest)}s old (stale after ` +
          `${config.settings.staleAfterSeconds}s): it is not removed on stale data`,
        {metric: GPU_UTIL_METRIC, sampleAgeSeconds: Math.round(now - newest)},
      )
      continue
    }
    if (idleFor < unneeded.seconds) {
      keep(
        'NotUnneededLongEnough',
        `${node.name} unneeded for ${Math.round(idleFor)}s of the ${describeTimer(unneeded)} needed before removal`,
        {idleSeconds: Math.round(idleFor), unneededSeconds: unneeded.seconds, timerSource: unneeded.source},
      )
      continue
    }
    const pods = podsByNode.get(node.name) ?? []
    const warming = pods.find((p) => isWarming(p, models.get(podWorkloadKey(p)), now))
    if (warming) {
      const model = models.get(podWorkloadKey(warming))
      keep(
        'ReplicaWarmingUp',
        `${warming.namespace}/${warming.name} on ${node.name} is ${warming.ready ? `inside its ${model?.healthCheckGraceSeconds ?? 0}s health-check grace` : 'still loading'}; the node is kept`,
        {pod: `${warming.namespace}/${warming.name}`, ready: warming.ready},
      )
      continue
    }
    candidates.push({node, slot, pods, unneeded, cost: group.hourlyCost, spot: group.capacityType === 'spot'})
  }
  candidates.sort(
    (a, b) =>
      Number(a.pods.length > 0) - Number(b.pods.length > 0) ||
      Number(b.spot) - Number(a.spot) ||
      b.cost - a.cost ||
      (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0),
  )
  return {candidates: candidates.map(({node, slot, pods, unneeded}) => ({node, slot, pods, unneeded})), kept}
}

/**
 * Conditions 5–7, by simulated removal: each candidate's removal runs on a fork of the cluster (its pods placed on
 * nodes that stay, its GPUs taken out) and is committed only when everything fits, so two removals never count the
 * same free GPU and a rejected removal leaves no trace.
 */
export function simulateRemovals(
  inputs: ScaleDownInputs,
  candidates: readonly ScaleDownCandidate[],
  capacity: SimulatedCluster,
  sizes: Map<string, number>,
  reserves: readonly ForecastReserve[] = [],
): {removals: NodeRemoval[]; kept: NodeKept[]} {
  const {config, snapshot, groups, models, working} = inputs
  const {gpuUtilizationThreshold} = config.settings.scaleDown
  const removals: NodeRemoval[] = []
  const kept: NodeKept[] = []
  const removed = new Set<string>()
  const evictedByWorkload = new Map<string, number>()
  const unavailableByWorkload = countUnavailable(snapshot.pods)
  const held = reserves.length > 0 ? placeReserves(capacity, reserves) : new Map<string, ForecastReserve[]>()
  for (const {node, slot, pods, unneeded} of candidates) {
    const group = groups.get(node.group)
    if (!group) continue
    const keep = (code: ReasonCode, message: string, evidence: Reason['evidence'] = {}) =>
      kept.push({
        node: node.name,
        group: node.group,
        reasons: [{code, message, evidence: {node: node.name, ...evidence}}],
      })
    const size = sizes.get(node.group) ?? 0
    if (size - 1 < group.min) {
      keep('GroupAtMin', `${node.group} is at its min size ${group.min}`, {size, min: group.min})
      continue
    }
    const pdbBlock = checkPdbs(pods, snapshot, evictedByWorkload, unavailableByWorkload)
    if (pdbBlock) {
      keep(
        'PodDisruptionBudget',
        `evicting ${pdbBlock.pod} would exceed PodDisruptionBudget ${pdbBlock.pdb} (maxUnavailable ${pdbBlock.maxUnavailable}, ${pdbBlock.unavailable} already unavailable or evicted)`,
        {pdb: pdbBlock.pdb, maxUnavailable: pdbBlock.maxUnavailable, unavailable: pdbBlock.unavailable},
      )
      continue
    }
    const cpuPods = pods.filter((p) => !p.gpuRequest)
    if (cpuPods.length > 0 && !hasCpuHome(node, snapshot.nodes, removed, working)) {
      keep(
        'CpuPodsWouldNotFit',
        `${cpuPods.length} CPU pod(s) on ${node.name} have no other node with the same taints to move to`,
        {pods: cpuPods.length},
      )
      continue
    }
    const gpuPods = pods.filter((p) => p.gpuRequest)
    capacity.fork()
    const homes = relocateGpuPods(gpuPods, models, capacity, node.name, removed)
    if (!homes.ok) {
      capacity.revert()
      keep('PodsWouldNotFit', `${homes.pod} on ${node.name} fits no free GPU on a node that stays`, {
        pod: homes.pod ?? '',
      })
      continue
    }
    const reserved = moveHeldReserves(held.get(node.name) ?? [], capacity, node.name, removed)
    if (!reserved.ok) {
      capacity.revert()
      const {reserve, fits} = reserved
      const {forecast, model} = reserve
      const top = forecast.signals.find((s) => s.signal === forecast.decidedBy)
      keep(
        'ForecastNeedsNode',
        `forecast ${forecast.replicas}${reserve.needed > (forecast.replicas ?? 0) ? ` (${reserve.needed} with the tolerance of a rising forecast)` : ''} replica(s) of ${model.name} within ${reserve.horizonSeconds}s` +
          `${top ? ` (${top.signal} ${roundForMessage(top.now)} → ${roundForMessage(top.projected)}, ${top.method})` : ''}` +
          `${reserve.headroomReplicas > 0 ? ` + ${reserve.headroomReplicas} headroom` : ''}, ${reserve.replicas} after this plan: ` +
          `without ${node.name} ${fits} of the ${reserve.kept} more fit; a node removed now would be back after its cold start`,
        {
          model: model.name,
          forecastReplicas: forecast.replicas,
          // With the rising forecast's tolerance band (hysteresis against warming it back next tick).
          neededReplicas: reserve.needed,
          replicas: reserve.replicas,
          headroomReplicas: reserve.headroomReplicas,
          horizonSeconds: reserve.horizonSeconds,
          reservedReplicas: reserve.kept,
          fitWithoutNode: fits,
          signal: forecast.decidedBy,
          signalNow: top?.now ?? null,
          signalProjected: top?.projected ?? null,
          method: top?.method ?? null,
        },
      )
      continue
    }
    // The node's own GPUs are gone: nothing may be placed on them later.
    capacity.removeNodeCapacity(slot)
    capacity.commit()
    removed.add(node.name)
    held.delete(node.name)
    for (const {reserve, node: to} of reserved.moves) {
      const list = held.get(to)
      if (list) list.push(reserve)
      else held.set(to, [reserve])
    }
    for (const pod of pods) if (pod.workload) bump(evictedByWorkload, podWorkloadKey(pod))
    sizes.set(node.group, size - 1)
    const drainSeconds = Math.max(
      0,
      ...pods.map((p) => models.get(podWorkloadKey(p))?.terminationGraceSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS),
    )
    const threshold = formatPercent(gpuUtilizationThreshold)
    const reasons: Reason[] = [
      pods.length === 0
        ? {
            code: 'NodeUnneeded',
            message: `${node.name} has had no GPU work (GPU utilization under ${threshold}) for at least ${describeTimer(unneeded)}`,
            evidence: {
              node: node.name,
              unneededSeconds: unneeded.seconds,
              timerSource: unneeded.source,
              threshold: gpuUtilizationThreshold,
              hourlyCost: group.hourlyCost,
            },
          }
        : {
            code: gpuPods.length === 0 ? 'CpuPodsOnGpuNode' : 'NodeUnderutilized',
            message:
              gpuPods.length === 0
                ? `${node.name} is kept alive only by ${cpuPods.length} CPU pod(s) that fit elsewhere: drain it and release its ${slot.gpus.length} GPU(s)`
                : `${node.name} is under ${threshold} GPU-allocated; its ${gpuPods.length} GPU pod(s) and ${cpuPods.length} CPU pod(s) fit on nodes that stay`,
            evidence: {
              node: node.name,
              gpuPods: gpuPods.length,
              cpuPods: cpuPods.length,
              drainSeconds,
              hourlyCost: group.hourlyCost,
            },
          },
    ]
    if (size - 1 === 0)
      reasons.push({
        code: 'ScaleToZero',
        message: `${node.group} is idle: scaled to zero (min ${group.min})`,
        evidence: {group: node.group, min: group.min},
      })
    removals.push({
      node: node.name,
      group: node.group,
      groupFrom: size,
      groupTo: size - 1,
      drainSeconds,
      evicts: pods.map((p) => `${p.namespace}/${p.name}`),
      reasons,
    })
  }
  return {removals, kept}
}

/**
 * Condition 8's input: per model (in the given priority order), the replicas its forecast needs within the horizon
 * beyond those it has after this plan, capped at what free and arriving capacity hosts now. The cap makes the check
 * about what a removal takes away: a forecast no capacity could meet does not pin every node, only the ones it
 * could use.
 */
export function findForecastReserves(config: PolicyConfig, forecast: ScaleDownForecast): ForecastReserve[] {
  const reserves: ForecastReserve[] = []
  const headroomGpus = config.settings.warmHeadroomGpus
  for (const {model, pods, replicas} of forecast.models) {
    const lead = computeLeadSeconds(model, config, forecast.health)
    if (lead === undefined) continue
    const horizonSeconds = Math.round(lead + config.settings.loopIntervalSeconds)
    const demand = forecast.book.forecast(model, pods, horizonSeconds)
    if (demand.replicas === null) continue
    const needed = padRisingForecast(model, demand)
    // The same headroom warming keeps: without it, warming adds the headroom node and scale-down removes it again.
    const headroomReplicas = headroomGpus > 0 ? Math.ceil(headroomGpus / gpusPerReplica(model)) : 0
    const wanted = needed + headroomReplicas - replicas
    if (wanted > 0)
      reserves.push({
        model,
        forecast: demand,
        needed,
        replicas,
        horizonSeconds,
        headroomReplicas,
        wanted,
        kept: 0,
      })
  }
  return reserves
}

/**
 * Places each reserve's replicas (in order, up to `wanted`) on free and arriving capacity, for good: `kept` is how
 * many fit, and the result says which node holds each. The placements stay on `capacity` (scale-down is the
 * planner's last pass over it). A removal then moves only the replicas its node holds, instead of placing every
 * reserve again per candidate (which doubled the plan time of a 2,000-node fleet).
 */
function placeReserves(
  capacity: SimulatedCluster,
  reserves: readonly ForecastReserve[],
): Map<string, ForecastReserve[]> {
  const held = new Map<string, ForecastReserve[]>()
  for (const reserve of reserves) {
    reserve.kept = 0
    while (reserve.kept < reserve.wanted) {
      const placement = capacity.place(reserve.model)
      if (!placement) break
      reserve.kept++
      const list = held.get(placement.node)
      if (list) list.push(reserve)
      else held.set(placement.node, [reserve])
    }
  }
  return held
}

/**
 * Moves the reserved replicas a node holds to nodes that stay (on the caller's fork), or says which reserve no
 * longer fits in full and how many of its replicas still do.
 */
function moveHeldReserves(
  held: readonly ForecastReserve[],
  capacity: SimulatedCluster,
  nodeName: string,
  removed: ReadonlySet<string>,
):
  | {ok: true; moves: Array<{reserve: ForecastReserve; node: string}>}
  | {ok: false; reserve: ForecastReserve; fits: number} {
  const accept = (n: NodeCapacity) => n.name !== nodeName && !removed.has(n.name) && n.condition !== 'unavailable'
  const moves: Array<{reserve: ForecastReserve; node: string}> = []
  for (const reserve of held) {
    const placement = capacity.place(reserve.model, accept)
    if (!placement) {
      const onNode = held.filter((r) => r === reserve).length
      const moved = moves.filter((m) => m.reserve === reserve).length
      return {ok: false, reserve, fits: reserve.kept - onNode + moved}
    }
    moves.push({reserve, node: placement.node})
  }
  return {ok: true, moves}
}

/**
 * Hysteresis between warming and scale-down. Warming adds a node when the forecast crosses a whole replica; a rising
 * forecast just under that line crosses it on the next tick or two, so removing the node it would use only to warm
 * one again 30 s later is a flap (issue 12: in the first half day of bench/trace-rate-14d's loop, 6 of the 14 node
 * flaps were a removal warmed back within 90 s; with this and the forecast check, 1). While a signal's
 * forecast rises, scale-down counts it with the model's scale-up tolerance on top (the band the pod layer allows
 * above target before it adds a replica, 10% by default); a flat or falling forecast counts as it is, so a steady
 * fleet keeps no spare node.
 */
function padRisingForecast(model: ModelConfig, forecast: DemandForecast): number {
  const tolerance = model.behavior.scaleUp.tolerance
  let replicas = forecast.replicas ?? 0
  for (const s of forecast.signals)
    if (s.slopePerMinute > 0)
      replicas = Math.max(replicas, Math.ceil((s.projected * (1 + tolerance)) / s.target - 1e-9))
  return Math.min(model.replicas.max, replicas)
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

/** Loading (running, not ready) or ready for less than the model's health-check grace. */
function isWarming(pod: PodState, model: ModelConfig | undefined, now: number): boolean {
  if (!model || pod.phase !== 'Running' || pod.deleting) return false
  if (!pod.ready) return true
  return pod.readyAt !== undefined && now - pod.readyAt < model.healthCheckGraceSeconds
}

function countUnavailable(pods: readonly PodState[]): Map<string, number> {
  const map = new Map<string, number>()
  for (const pod of pods)
    if (pod.workload && (!pod.ready || pod.deleting) && pod.phase !== 'Succeeded') bump(map, podWorkloadKey(pod))
  return map
}

function checkPdbs(
  pods: readonly PodState[],
  snapshot: ClusterSnapshot,
  evicted: Map<string, number>,
  unavailable: Map<string, number>,
): {pod: string; pdb: string; maxUnavailable: number; unavailable: number} | undefined {
  const extra = new Map<string, number>()
  for (const pod of pods) {
    if (!pod.workload) continue
    const key = podWorkloadKey(pod)
    const pdb = snapshot.pdbs.find(
      (b) => b.namespace === pod.namespace && b.workload === `${pod.workload?.kind}/${pod.workload?.name}`,
    )
    if (!pdb) continue
    // An unready pod does not count twice: it is already in the unavailable count.
    if (pod.ready) bump(extra, key)
    const total = (unavailable.get(key) ?? 0) + (evicted.get(key) ?? 0) + (extra.get(key) ?? 0)
    if (total > pdb.maxUnavailable)
      return {
        pod: `${pod.namespace}/${pod.name}`,
        pdb: `${pdb.namespace}/${pdb.name}`,
        maxUnavailable: pdb.maxUnavailable,
        unavailable: total - 1,
      }
  }
  return undefined
}

function sameTaints(a: NodeState['taints'], b: NodeState['taints']): boolean {
  const key = (t: NodeState['taints'][number]) => `${t.key}=${t.value ?? ''}:${t.effect}`
  return a.length === b.length && a.map(key).sort().join('|') === b.map(key).sort().join('|')
}

function hasCpuHome(
  node: NodeState,
  nodes: readonly NodeState[],
  removed: ReadonlySet<string>,
  working: ReadonlyMap<string, NodeCapacity>,
): boolean {
  return nodes.some(
    (other) =>
      other.name !== node.name &&
      !removed.has(other.name) &&
      working.get(other.name)?.condition === 'ready' &&
      !other.cordoned &&
      sameTaints(other.taints, node.taints),
  )
}

/** Places each GPU pod of the node on other nodes that stay (consuming the capacity), or says which does not fit. */
function relocateGpuPods(
  pods: readonly PodState[],
  models: ReadonlyMap<string, ModelConfig>,
  capacity: SimulatedCluster,
  nodeName: string,
  removed: ReadonlySet<string>,
): {ok: boolean; pod?: string} {
  const accept = (n: NodeCapacity) => n.name !== nodeName && !removed.has(n.name) && n.condition === 'ready'
  for (const pod of pods) {
    const model = models.get(podWorkloadKey(pod))
    // A GPU pod gpu-scale knows nothing about cannot be simulated: never guess that it fits.
    if (!model || capacity.countPlaceable(model, 1, accept) === 0)
      return {ok: false, pod: `${pod.namespace}/${pod.name}`}
  }
  for (const pod of pods) {
    const model = models.get(podWorkloadKey(pod))
    if (model) capacity.place(model, accept)
  }
  return {ok: true}
}

/** DCGM utilization series by node (`Hostname` label, dcgm-exporter's), indexed once per plan. */
function indexUtilization(telemetry: TelemetryIndex): Map<string, Array<Array<[number, number]>>> {
  const map = new Map<string, Array<Array<[number, number]>>>()
  for (const s of telemetry.byMetric.get(GPU_UTIL_METRIC) ?? []) {
    const host = s.labels.Hostname ?? s.labels.hostname ?? s.labels.node
    if (!host) continue
    const list = map.get(host)
    if (list) list.push(s.samples)
    else map.set(host, [s.samples])
  }
  return map
}

/**
 * The node's DCGM evidence in one pass: its newest sample at or before `now` (undefined: none), and how long every
 * GPU has been under the utilization threshold. Before the first sample the node counts as idle since it was
 * created (the window simply starts later than the node), but a gap longer than `staleAfterSeconds` inside the
 * samples (the exporter or Prometheus was down) counts as busy: the node is unneeded only for as long as data shows.
 */
function readIdleness(
  node: NodeState,
  series: ReadonlyArray<ReadonlyArray<[number, number]>>,
  now: number,
  threshold: number,
  staleAfterSeconds: number,
): {newest: number | undefined; idleFor: number} {
  let lastBusy = node.createdAt
  let newest: number | undefined
  for (const samples of series) {
    let previous: number | undefined
    for (const [t, v] of samples) {
      if (t > now) break
      const busy = v / 100 >= threshold || (previous !== undefined && t - previous > staleAfterSeconds)
      if (busy && t > lastBusy) lastBusy = t
      previous = t
    }
    if (previous !== undefined && (newest === undefined || previous > newest)) newest = previous
  }
  return {newest, idleFor: now - lastBusy}
}
