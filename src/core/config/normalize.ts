/**
 * Schema-valid file content → PolicyConfig: durations in seconds, every default filled in, GPU models resolved to
 * canonical names. Runs only on input that passed the schema, so shapes and enums are already right; what is left
 * are the rules a schema cannot state (a GPU model gpu-scale knows). Defaults live here and in the schema's
 * `default` annotations; keep both in step.
 */
import {
  CONFIG_API_VERSION,
  CONFIG_KIND,
  type GpuNeed,
  type ModelConfig,
  type NodeGroupActuator,
  type NodeGroupConfig,
  type PolicyConfig,
  type ResourceMetric,
  type ScalingPolicy,
  type ScalingRules,
  type SignalConfig,
  type Settings,
  type Taint,
  type Toleration,
} from '../model/config.js'
import {parseDuration} from '../model/duration.js'
import {GPU_MODELS, findGpuModel} from '../mig/catalog.js'
import type {Problem} from '../errors.js'
import type {FieldPath, Locate} from './locate.js'
import {DEFAULT_SIGNALS_SCALE_DOWN, listDefaultSignals} from './default-signals.js'
import {suggestName} from './suggest.js'

type Duration = string | number

/** The file as written (after schema validation). Optional fields are the ones with defaults. */
export interface RawConfig {
  apiVersion: string
  kind: string
  metadata: {name: string}
  settings?: RawSettings
  nodeGroups: RawNodeGroup[]
  models: RawModel[]
}

interface RawSettings {
  loopInterval?: Duration
  slo?: {p95Latency?: Duration; ttft?: Duration; tpot?: Duration}
  budget?: {maxGpus?: number; maxHourlyCost?: number}
  migStrategy?: Settings['migStrategy']
  expanders?: Settings['expanders']
  scaleDown?: {unneededTime?: Duration; gpuUtilizationThreshold?: number; delayAfterAdd?: Duration}
  staleAfter?: Duration
  warmHeadroomGpus?: number
  nodes?: {mode?: Settings['nodes']['mode']}
}

interface RawNodeGroup {
  name: string
  gpu: {model: string; count?: number}
  capacityType?: NodeGroupConfig['capacityType']
  min?: number
  max: number
  labels?: Record<string, string>
  taints?: Taint[]
  hourlyCost?: number
  coldStart?: {provisioning?: Duration; driverInit?: Duration; imagePull?: Duration}
  migConfigs?: string[]
  priority?: number
  maxNodeProvisionTime?: Duration
  actuator?: {
    kind: NodeGroupActuator['kind']
    namespace?: string
    name?: string
    priorityClassName?: string
    command?: string[]
    timeout?: Duration
  }
}

interface RawRules {
  stabilizationWindow?: Duration
  selectPolicy?: ScalingRules['selectPolicy']
  policies?: Array<{type: ScalingPolicy['type']; value: number; period: Duration}>
  tolerance?: number
  cooldown?: Duration
}

interface RawModel {
  name: string
  workload?: {kind?: ModelConfig['workload']['kind']; namespace?: string; name?: string}
  replicas: {min: number; max: number}
  gpu: {count?: number; migProfile?: string; memoryGiB?: number}
  weights?: {sizeGiB: number; loadGiBps?: number; loadTime?: Duration}
  kvCacheGiB?: number
  tolerations?: Array<Partial<Toleration> & {tolerationSeconds?: number}>
  nodeSelector?: Record<string, string>
  algorithm?: ModelConfig['algorithm']
  legacyHpaBehavior?: boolean
  signals?:
    | 'default'
    | Array<
        Omit<Partial<SignalConfig>, 'windowSeconds' | 'resource'> & {
          name: string
          metric: string
          target: number
          window?: Duration
          resource?: {name: ResourceMetric['name']; container?: string; targetType?: ResourceMetric['targetType']}
        }
      >
  behavior?: {scaleUp?: RawRules; scaleDown?: RawRules}
  healthCheckGrace?: Duration
  terminationGrace?: Duration
  critical?: boolean
  scaleToZero?: {idleTime?: Duration; keepWarmFactor?: number}
}

/**
 * HPA autoscaling/v2 defaults (k8s.io/kubernetes pkg/apis/autoscaling/v2/defaults.go): scale up by the larger of
 * 4 pods or 100% per 15 s with no stabilization; scale down by up to 100% per 15 s after a 300 s stabilization.
 */
export const DEFAULT_BEHAVIOR = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      {type: 'Pods', value: 4, periodSeconds: 15},
      {type: 'Percent', value: 100, periodSeconds: 15},
    ],
    tolerance: 0.1,
    cooldownSeconds: 0,
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{type: 'Percent', value: 100, periodSeconds: 15}],
    tolerance: 0.1,
    cooldownSeconds: 0,
  },
} as const satisfies {scaleUp: ScalingRules; scaleDown: ScalingRules}

export interface NormalizeResult {
  config: PolicyConfig
  problems: Problem[]
}

export function normalizeConfig(raw: RawConfig, locate: Locate): NormalizeResult {
  const problems: Problem[] = []
  const config: PolicyConfig = {
    apiVersion: CONFIG_API_VERSION,
    kind: CONFIG_KIND,
    name: raw.metadata.name,
    settings: normalizeSettings(raw.settings ?? {}),
    nodeGroups: raw.nodeGroups.map((group, index) =>
      normalizeNodeGroup(group, ['nodeGroups', index], locate, problems),
    ),
    models: [],
  }
  config.models = raw.models.map((model) => normalizeModel(model, config.settings))
  return {config, problems}
}

/** The schema's pattern already accepted the text, so a parse failure here is a bug, not user input. */
function seconds(value: Duration | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = parseDuration(value)
  if (parsed === undefined) throw new Error(`schema accepted a duration parseDuration rejects: ${String(value)}`)
  return parsed
}

function optionalSeconds(value: Duration | undefined): number | undefined {
  return value === undefined ? undefined : seconds(value, 0)
}

function normalizeSettings(raw: RawSettings): Settings {
  const slo: Settings['slo'] = {}
  const p95 = optionalSeconds(raw.slo?.p95Latency)
  const ttft = optionalSeconds(raw.slo?.ttft)
  const tpot = optionalSeconds(raw.slo?.tpot)
  if (p95 !== undefined) slo.p95LatencySeconds = p95
  if (ttft !== undefined) slo.ttftSeconds = ttft
  if (tpot !== undefined) slo.tpotSeconds = tpot
  const budget: Settings['budget'] = {}
  if (raw.budget?.maxGpus !== undefined) budget.maxGpus = raw.budget.maxGpus
  if (raw.budget?.maxHourlyCost !== undefined) budget.maxHourlyCost = raw.budget.maxHourlyCost
  return {
    loopIntervalSeconds: seconds(raw.loopInterval, 30),
    slo,
    budget,
    migStrategy: raw.migStrategy ?? 'mixed',
    expanders: [...(raw.expanders ?? ['least-waste'])],
    scaleDown: {
      unneededSeconds: seconds(raw.scaleDown?.unneededTime, 600),
      gpuUtilizationThreshold: raw.scaleDown?.gpuUtilizationThreshold ?? 0.5,
      delayAfterAddSeconds: seconds(raw.scaleDown?.delayAfterAdd, 600),
      defaulted: [
        ...(raw.scaleDown?.unneededTime === undefined ? (['unneededTime'] as const) : []),
        ...(raw.scaleDown?.delayAfterAdd === undefined ? (['delayAfterAdd'] as const) : []),
      ],
    },
    staleAfterSeconds: seconds(raw.staleAfter, 120),
    warmHeadroomGpus: raw.warmHeadroomGpus ?? 0,
    nodes: {mode: raw.nodes?.mode ?? 'predictive'},
  }
}

function normalizeNodeGroup(raw: RawNodeGroup, path: FieldPath, locate: Locate, problems: Problem[]): NodeGroupConfig {
  const gpu = findGpuModel(raw.gpu.model)
  if (!gpu) {
    const known = GPU_MODELS.map((m) => m.name)
    const suggestion = suggestName(raw.gpu.model, [...known, ...GPU_MODELS.flatMap((m) => m.aliases)])
    problems.push({
      severity: 'error',
      code: 'UnknownGpuModel',
      message: `unknown GPU model "${raw.gpu.model}"${suggestion ? `; did you mean "${suggestion}"?` : ''}; expected one of ${known.join(', ')} (or a GPU Feature Discovery product label)`,
      location: locate([...path, 'gpu', 'model']),
    })
  }
  return {
    name: raw.name,
    gpu: {model: gpu?.name ?? raw.gpu.model, count: raw.gpu.count ?? 1},
    capacityType: raw.capacityType ?? 'on-demand',
    min: raw.min ?? 0,
    max: raw.max,
    labels: {...(raw.labels ?? {})},
    taints: (raw.taints ?? []).map((t) => ({
      key: t.key,
      ...(t.value === undefined ? {} : {value: t.value}),
      effect: t.effect,
    })),
    hourlyCost: raw.hourlyCost ?? 0,
    coldStart: {
      provisioningSeconds: seconds(raw.coldStart?.provisioning, 120),
      driverInitSeconds: seconds(raw.coldStart?.driverInit, 60),
      imagePullSeconds: seconds(raw.coldStart?.imagePull, 0),
    },
    migConfigs: [...(raw.migConfigs ?? ['all-disabled'])],
    priority: raw.priority ?? 0,
    maxNodeProvisionSeconds: seconds(raw.maxNodeProvisionTime, 900),
    ...(raw.actuator ? {actuator: normalizeActuator(raw.actuator, raw.name)} : {}),
  }
}

/** Fills an actuator's defaults: the group's name for its MachineDeployment, `default` namespaces, a 60 s timeout. */
function normalizeActuator(raw: NonNullable<RawNodeGroup['actuator']>, group: string): NodeGroupActuator {
  switch (raw.kind) {
    case 'machine-deployment':
      return {kind: raw.kind, namespace: raw.namespace ?? 'default', name: raw.name ?? group}
    case 'headroom':
      return {
        kind: raw.kind,
        namespace: raw.namespace ?? 'default',
        priorityClassName: raw.priorityClassName ?? 'gpu-scale-headroom',
      }
    case 'command':
      return {kind: raw.kind, command: [...(raw.command ?? [])], timeoutSeconds: seconds(raw.timeout, 60)}
  }
}

function normalizeGpuNeed(raw: RawModel['gpu']): GpuNeed {
  // The schema allows exactly one property, so exactly one of these is set.
  if (raw.migProfile !== undefined) return {kind: 'mig', profile: raw.migProfile}
  if (raw.memoryGiB !== undefined) return {kind: 'memory', memoryGiB: raw.memoryGiB}
  return {kind: 'whole', count: raw.count ?? 1}
}

function normalizeRules(raw: RawRules | undefined, defaults: ScalingRules): ScalingRules {
  return {
    stabilizationWindowSeconds: seconds(raw?.stabilizationWindow, defaults.stabilizationWindowSeconds),
    selectPolicy: raw?.selectPolicy ?? defaults.selectPolicy,
    policies: raw?.policies
      ? raw.policies.map((p) => ({type: p.type, value: p.value, periodSeconds: seconds(p.period, 15)}))
      : defaults.policies.map((p) => ({...p})),
    tolerance: raw?.tolerance ?? defaults.tolerance,
    cooldownSeconds: seconds(raw?.cooldown, defaults.cooldownSeconds),
  }
}

function normalizeSignal(raw: Exclude<NonNullable<RawModel['signals']>, 'default'>[number]): SignalConfig {
  const signal: SignalConfig = {
    name: raw.name,
    metric: raw.metric,
    source: raw.source ?? 'pod',
    targetType: raw.targetType ?? 'AverageValue',
    target: raw.target,
    windowSeconds: seconds(raw.window, 180),
    aggregation: raw.aggregation ?? 'avg',
  }
  if (raw.query !== undefined) signal.query = raw.query
  if (raw.quantile !== undefined) signal.quantile = raw.quantile
  if (raw.activationThreshold !== undefined) signal.activationThreshold = raw.activationThreshold
  if (raw.resource !== undefined)
    signal.resource = {
      name: raw.resource.name,
      ...(raw.resource.container === undefined ? {} : {container: raw.resource.container}),
      targetType: raw.resource.targetType ?? 'Utilization',
    }
  return signal
}

function normalizeToleration(raw: NonNullable<RawModel['tolerations']>[number]): Toleration {
  const toleration: Toleration = {operator: raw.operator ?? 'Equal'}
  if (raw.key !== undefined) toleration.key = raw.key
  if (raw.value !== undefined) toleration.value = raw.value
  if (raw.effect !== undefined) toleration.effect = raw.effect
  return toleration
}

/**
 * `signals: default`, or no `signals:` on a model that scales: gpu-scale's multi-signal defaults. A model pinned at
 * replicas.min == replicas.max has nothing to scale, so it gets none; `signals: []` stays an explicit "none".
 */
function normalizeSignals(raw: RawModel, settings: Settings): {signals: SignalConfig[]; defaulted: boolean} {
  const wantsDefaults =
    raw.signals === 'default' || (raw.signals === undefined && raw.replicas.min !== raw.replicas.max)
  if (wantsDefaults)
    return {signals: listDefaultSignals(settings).defaults.map((d) => ({...d.signal})), defaulted: true}
  return {
    signals: raw.signals === undefined || raw.signals === 'default' ? [] : raw.signals.map(normalizeSignal),
    defaulted: false,
  }
}

function normalizeModel(raw: RawModel, settings: Settings): ModelConfig {
  const signals = normalizeSignals(raw, settings)
  const weights: ModelConfig['weights'] = {sizeGiB: raw.weights?.sizeGiB ?? 0, loadGiBps: raw.weights?.loadGiBps ?? 1}
  const loadSeconds = optionalSeconds(raw.weights?.loadTime)
  if (loadSeconds !== undefined) weights.loadSeconds = loadSeconds
  const model: ModelConfig = {
    name: raw.name,
    workload: {
      kind: raw.workload?.kind ?? 'Deployment',
      namespace: raw.workload?.namespace ?? 'default',
      name: raw.workload?.name ?? raw.name,
    },
    replicas: {min: raw.replicas.min, max: raw.replicas.max},
    gpu: normalizeGpuNeed(raw.gpu),
    weights,
    kvCacheGiB: raw.kvCacheGiB ?? 0,
    tolerations: (raw.tolerations ?? []).map(normalizeToleration),
    nodeSelector: {...(raw.nodeSelector ?? {})},
    signals: signals.signals,
    ...(signals.defaulted ? {signalsDefaulted: true} : {}),
    behavior: {
      scaleUp: normalizeRules(raw.behavior?.scaleUp, DEFAULT_BEHAVIOR.scaleUp),
      // The default signals' own scale-down pace (default-signals.ts says why); HPA's otherwise.
      scaleDown: normalizeRules(
        raw.behavior?.scaleDown,
        signals.defaulted ? DEFAULT_SIGNALS_SCALE_DOWN : DEFAULT_BEHAVIOR.scaleDown,
      ),
    },
    algorithm: raw.algorithm ?? 'gpu-scale',
    legacyHpaBehavior: raw.legacyHpaBehavior ?? false,
    healthCheckGraceSeconds: seconds(raw.healthCheckGrace, 180),
    terminationGraceSeconds: seconds(raw.terminationGrace, 30),
    critical: raw.critical ?? false,
  }
  if (raw.scaleToZero)
    model.scaleToZero = {
      idleSeconds: seconds(raw.scaleToZero.idleTime, 900),
      keepWarmFactor: raw.scaleToZero.keepWarmFactor ?? 2,
    }
  return model
}
