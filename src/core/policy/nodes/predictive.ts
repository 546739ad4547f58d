/**
 * Predictive warming: add nodes now when the forecast says a model will need more replicas before a node asked
 * for later could serve them. The lead time is the fastest eligible group's cold start for this model (node
 * provisioning + drivers + image + weight load): demand that arrives sooner than that can only be met by capacity
 * requested now. Replicas are never added here (the pod layer decides replicas when the load arrives); only the
 * nodes they will need, so they land on warm GPUs instead of waiting minutes.
 *
 * `settings.warmHeadroomGpus` is kept free per model on top of its forecast (a CapacityBuffer-style reserve),
 * only for models with a forecast: a model without telemetry gets no speculative capacity.
 */
import type {ModelConfig, PolicyConfig} from '../../model/config.js'
import type {Diagnostic, Reason} from '../../model/plan.js'
import type {PodState} from '../../model/snapshot.js'
import type {SimulatedCluster} from '../../scheduling/cluster.js'
import {checkGroupFit} from '../../scheduling/eligibility.js'
import {profilesOfGroup} from '../../scheduling/mig-configs.js'
import type {TelemetryIndex} from '../../signals/telemetry-index.js'
import type {GroupHealth} from './backoff.js'
import {estimateColdStart} from '../../scheduling/cold-start.js'
import {type DemandForecast, type ForecastBook, forecastDemand} from './forecast.js'
import {
  gpusPerReplica,
  GROUP_LIMIT_CODES,
  type NodeBudget,
  planScaleUp,
  replicasPerNode,
  type ScaleUpDecision,
} from './scale-up.js'
import {roundForMessage} from '../../model/round.js'

/** What the node layer reads in a planning tick: shared by the planner's passes and predictive warming. */
export interface NodeLayerContext {
  config: PolicyConfig
  telemetry: TelemetryIndex
  /** The simulated cluster; warming adds its nodes here (the caller forks and commits). */
  cluster: SimulatedCluster
  sizes: Map<string, number>
  budget: NodeBudget
  health: ReadonlyMap<string, GroupHealth>
  now: number
  /** The plan's forecasts (each model read once, shared with scale-down); without it warming reads its own. */
  forecasts?: ForecastBook
}

export interface PredictiveInput extends NodeLayerContext {
  model: ModelConfig
  pods: readonly PodState[]
  /** Replicas the model has after this plan's pod-layer change. */
  replicas: number
}

export interface PredictiveOutcome {
  forecast?: DemandForecast
  scaleUp?: ScaleUpDecision
  reason: Reason
  /** The forecast series summary for the plan's `details`. */
  details?: Record<string, unknown>
  diagnostic?: Diagnostic
}

/** The shortest time until a replica on a new node serves, over groups that could host the model now. */
export function computeLeadSeconds(
  model: ModelConfig,
  config: PolicyConfig,
  health: ReadonlyMap<string, GroupHealth>,
): number | undefined {
  let lead: number | undefined
  for (const group of config.nodeGroups) {
    if (health.get(group.name)?.available === false) continue
    if (replicasPerNode(model, group) === 0 || !checkGroupFit(model, group, profilesOfGroup(group)).eligible) continue
    const seconds = estimateColdStart(group, model).totalSeconds
    if (lead === undefined || seconds < lead) lead = seconds
  }
  return lead
}

export function planPredictiveScaleUp(input: PredictiveInput): PredictiveOutcome {
  const {model, replicas, config, cluster: capacity, now} = input
  const none: Reason = {
    code: 'NoForecastGrowth',
    message: `${model.name}: no growth forecast beyond current capacity`,
    evidence: {model: model.name},
  }
  const lead = computeLeadSeconds(model, config, input.health)
  if (lead === undefined) return {reason: none}
  const forecast = input.forecasts
    ? input.forecasts.forecast(model, input.pods, lead)
    : forecastDemand(model, input.pods, input.telemetry, now, lead)
  if (forecast.replicas === null) return {forecast, reason: none}
  const headroomGpus = config.settings.warmHeadroomGpus
  const headroomReplicas = headroomGpus > 0 ? Math.ceil(headroomGpus / gpusPerReplica(model)) : 0
  const needed = forecast.replicas + headroomReplicas
  if (needed <= replicas) return {forecast, reason: none}
  const free = capacity.countPlaceable(model, needed - replicas)
  const covered = replicas + free
  if (covered >= needed) return {forecast, reason: none}
  const gap = needed - covered
  const result = planScaleUp(model, gap, config, capacity, input.sizes, input.budget, {
    health: input.health,
    nodeLabel: 'warm',
  })
  const at = `+${Math.round(lead)}s`
  const top = forecast.signals.find((s) => s.signal === forecast.decidedBy)
  const evidence = {
    model: model.name,
    forecastReplicas: forecast.replicas,
    leadSeconds: forecast.leadSeconds,
    replicas,
    freeReplicaSlots: free,
    capacityReplicas: covered,
    headroomGpus,
    signal: forecast.decidedBy,
    signalNow: top?.now ?? null,
    signalProjected: top?.projected ?? null,
    slopePerMinute: top?.slopePerMinute ?? null,
    method: top?.method ?? null,
  }
  const details = {forecast: {[model.name]: forecast}}
  if (!result.decision) {
    const limits = result.verdicts.flatMap((v) =>
      v.reasons.filter((r) => GROUP_LIMIT_CODES.has(r.code)).map((r) => r.message),
    )
    const why = limits.length > 0 ? limits.join('; ') : 'no eligible node group'
    return {
      forecast,
      reason: none,
      diagnostic: {
        severity: 'info',
        code: 'PredictiveScaleUpBlocked',
        message: `forecast ${forecast.replicas} replica(s) of ${model.name} at ${at}, capacity ${covered}; no group can warm nodes: ${why}`,
        evidence,
      },
    }
  }
  const d = result.decision
  return {
    forecast,
    scaleUp: d,
    details,
    reason: {
      code: 'PredictiveScaleUp',
      message: `forecast ${forecast.replicas} replica(s) of ${model.name} at ${at}${top ? ` (${top.signal} ${roundForMessage(top.now)} → ${roundForMessage(top.projected)}, target ${top.target}/replica)` : ''}${headroomReplicas > 0 ? ` + ${headroomGpus} GPU(s) headroom` : ''}, capacity ${covered}: +${d.nodesAdded} node(s) in \`${d.group}\` now (a node asked for later would serve after ~${Math.round(d.coldStart.totalSeconds)}s)`,
      evidence: {...evidence, group: d.group, nodes: d.nodesAdded},
    },
  }
}
