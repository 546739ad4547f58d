/**
 * HorizontalPodAutoscaler / KEDA ScaledObject → the gpu-scale model config (`algorithm: hpa`) that decides as they
 * do. Pure: a parsed, schema-valid object in, a config fragment and warnings out (./parse.ts reads and validates).
 *
 * HPA metric types, and what each becomes:
 *   Resource / ContainerResource (cpu, memory; Utilization or AverageValue) → a `resource` signal on cAdvisor's
 *     container series, with the HPA's CPU readiness and missing-pod rules (policy/replicas/hpa-resource.ts): exact;
 *   Pods (custom metric per pod, AverageValue) → a pod signal on the Prometheus series of that name, latest value:
 *     exact when the custom-metrics adapter serves the series as Prometheus has it;
 *   Object (Value / AverageValue) → a workload signal: the series of that name for the described object (the
 *     prometheus-adapter convention: `namespace` plus a label named after the object's kind), summed;
 *   External (Value / AverageValue) → a workload signal: the series of that name and selector, summed.
 * Object and External queries end in `label_replace` so the one answer carries the workload's `namespace` and
 * `workload` labels, which is how gpu-scale finds workload-level series.
 *
 * behavior is copied field for field (stabilization, policies, selectPolicy, tolerance); an HPA without behavior runs
 * the controller's legacy path, which `legacyHpaBehavior: true` reproduces. KEDA: triggers become signals
 * (prometheus → its query; cpu/memory → Resource), pollingInterval → settings.loopInterval, minReplicaCount 0 →
 * scaleToZero with cooldownPeriod as the idle time, advanced.horizontalPodAutoscalerConfig.behavior → behavior. What
 * has no equivalent is named in a warning, never dropped silently.
 */
import {parseQuantity} from '../input/quantity.js'
import {RESOURCE_METRICS} from '../policy/replicas/hpa-resource.js'

/** A config `models[]` entry in file form (durations as text), ready to paste into gpu-scale.yaml. */
export interface ModelDocument {
  name: string
  workload: {kind: 'Deployment' | 'StatefulSet'; namespace: string; name: string}
  replicas: {min: number; max: number}
  gpu: {count: number} | {migProfile: string}
  algorithm: 'hpa'
  legacyHpaBehavior?: true
  signals: SignalDocument[]
  behavior?: {scaleUp?: RulesDocument; scaleDown?: RulesDocument}
  scaleToZero?: {idleTime: string}
}

export interface SignalDocument {
  name: string
  metric: string
  source: 'pod' | 'workload'
  targetType: 'AverageValue' | 'Value'
  target: number
  window: string
  aggregation: 'last'
  query?: string
  activationThreshold?: number
  resource?: {name: 'cpu' | 'memory'; container?: string; targetType: 'Utilization' | 'AverageValue'}
}

export interface RulesDocument {
  stabilizationWindow?: string
  selectPolicy?: 'Max' | 'Min' | 'Disabled'
  policies?: Array<{type: 'Pods' | 'Percent'; value: number; period: string}>
  tolerance?: number
}

export interface ImportWarning {
  code: string
  message: string
}

export interface ImportedConfig {
  /** Only what the source sets that is policy-wide (KEDA's pollingInterval). */
  settings?: {loopInterval: string}
  models: ModelDocument[]
}

/** What `gpu-scale import` returns (and `-o json|yaml` prints). */
export interface ImportResult {
  source: {kind: 'HorizontalPodAutoscaler' | 'ScaledObject'; namespace: string; name: string; from: string}
  /** Paste `models[0]` under `models:` of gpu-scale.yaml (and `settings` under `settings:`). */
  config: ImportedConfig
  warnings: ImportWarning[]
}

export interface Translation {
  config: ImportedConfig
  warnings: ImportWarning[]
}

/** What one replica needs, read from the workload's pod template by the caller; absent: assume one whole GPU. */
export type GpuNeedDocument = ModelDocument['gpu']

/**
 * The window a Resource or custom metric is read over: metrics-server's and the HPA tests' metric window. The HPA
 * reads the newest value, so signals take the latest sample (`aggregation: last`).
 */
const METRIC_WINDOW = '1m'

/* eslint-disable @typescript-eslint/no-explicit-any -- schema-validated Kubernetes JSON, read field by field */
type Obj = any

export function translateHpa(hpa: Obj, gpu?: GpuNeedDocument): Translation {
  const warnings: ImportWarning[] = []
  const namespace: string = hpa.metadata.namespace ?? 'default'
  const spec = hpa.spec
  const workload = workloadOf(spec.scaleTargetRef, namespace, `HorizontalPodAutoscaler ${hpa.metadata.name}`)
  const signals: SignalDocument[] = []
  if (hpa.apiVersion === 'autoscaling/v1') {
    // v1 scales on CPU only: targetCPUUtilizationPercentage, default 80 (pkg/apis/autoscaling/v1/defaults.go).
    signals.push(resourceSignal('cpu', undefined, 'Utilization', spec.targetCPUUtilizationPercentage ?? 80))
  } else {
    // v2 with no metrics defaults to CPU at 80 % (pkg/apis/autoscaling/v2/defaults.go).
    const metrics: Obj[] = spec.metrics ?? [
      {type: 'Resource', resource: {name: 'cpu', target: {type: 'Utilization', averageUtilization: 80}}},
    ]
    metrics.forEach((metric, i) => {
      const signal = translateMetric(metric, i, namespace, workload.name, warnings)
      if (signal) signals.push(signal)
    })
  }
  const model: ModelDocument = {
    name: workload.name,
    workload,
    replicas: {min: spec.minReplicas ?? 1, max: spec.maxReplicas},
    gpu: gpu ?? assumeGpu(warnings),
    algorithm: 'hpa',
    signals: uniqueNames(signals),
  }
  applyBehavior(model, hpa.apiVersion === 'autoscaling/v1' ? undefined : spec.behavior)
  return {config: {models: [model]}, warnings}
}

export function translateScaledObject(scaledObject: Obj, gpu?: GpuNeedDocument): Translation {
  const warnings: ImportWarning[] = []
  const namespace: string = scaledObject.metadata.namespace ?? 'default'
  const spec = scaledObject.spec
  const workload = workloadOf(spec.scaleTargetRef, namespace, `ScaledObject ${scaledObject.metadata.name}`)
  const signals: SignalDocument[] = []
  ;(spec.triggers as Obj[]).forEach((trigger, i) => {
    const signal = translateTrigger(trigger, i, namespace, workload.name, warnings)
    if (signal) signals.push(signal)
  })
  // KEDA's defaults (keda.sh/v1alpha1 ScaledObject): 0..100 replicas, poll every 30 s, 300 s to zero.
  const min: number = spec.minReplicaCount ?? 0
  const model: ModelDocument = {
    name: workload.name,
    workload,
    replicas: {min, max: spec.maxReplicaCount ?? 100},
    gpu: gpu ?? assumeGpu(warnings),
    algorithm: 'hpa',
    signals: uniqueNames(signals),
  }
  applyBehavior(model, spec.advanced?.horizontalPodAutoscalerConfig?.behavior)
  if (min === 0) model.scaleToZero = {idleTime: `${spec.cooldownPeriod ?? 300}s`}
  if (spec.idleReplicaCount !== undefined && spec.idleReplicaCount !== 0)
    warnings.push({
      code: 'UnsupportedField',
      message: `spec.idleReplicaCount ${spec.idleReplicaCount}: gpu-scale idles at 0 replicas only (scaleToZero); not imported`,
    })
  if (spec.fallback !== undefined)
    warnings.push({
      code: 'UnsupportedField',
      message:
        'spec.fallback: gpu-scale never scales on missing telemetry (it holds scale-down and scales up on what is valid) instead of jumping to fallback replicas; not imported',
    })
  return {
    config: {settings: {loopInterval: `${spec.pollingInterval ?? 30}s`}, models: [model]},
    warnings,
  }
}

function workloadOf(ref: Obj, namespace: string, what: string): ModelDocument['workload'] {
  const kind: string = ref.kind ?? 'Deployment'
  if (kind !== 'Deployment' && kind !== 'StatefulSet')
    throw new ImportError(
      `${what} scales a ${kind}; gpu-scale scales Deployments and StatefulSets`,
      'spec.scaleTargetRef.kind',
    )
  return {kind, namespace, name: ref.name}
}

/** A translation that cannot be made: the caller locates `path` in the source. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message)
    this.name = 'ImportError'
  }
}

function assumeGpu(warnings: ImportWarning[]): GpuNeedDocument {
  warnings.push({
    code: 'GpuNeedAssumed',
    message:
      'the GPUs one replica needs are not in the autoscaler: set gpu to 1 whole GPU; edit it (count, migProfile or memoryGiB) to what the pod requests',
  })
  return {count: 1}
}

function translateMetric(
  metric: Obj,
  i: number,
  namespace: string,
  workload: string,
  warnings: ImportWarning[],
): SignalDocument | undefined {
  const at = `spec.metrics[${i}]`
  switch (metric.type) {
    case 'Resource':
    case 'ContainerResource': {
      const source = metric.type === 'Resource' ? metric.resource : metric.containerResource
      if (!source) return skip(warnings, at, `type ${metric.type} without its ${lowerFirst(metric.type)} field`)
      if (source.name !== 'cpu' && source.name !== 'memory')
        return skip(warnings, at, `${metric.type} ${source.name}: only cpu and memory are reproduced`)
      const t = source.target
      if (t.type === 'Utilization' && t.averageUtilization !== undefined)
        return resourceSignal(source.name, source.container, 'Utilization', t.averageUtilization)
      if (t.type === 'AverageValue' && t.averageValue !== undefined)
        return resourceSignal(source.name, source.container, 'AverageValue', quantityOf(t.averageValue, at))
      return skip(warnings, at, `${metric.type} target type ${t.type} without its value`)
    }
    case 'Pods': {
      if (!metric.pods) return skip(warnings, at, 'type Pods without its pods field')
      const {name, selector} = metric.pods.metric
      if (metric.pods.target.averageValue === undefined)
        return skip(warnings, at, 'Pods target without averageValue (the only target a Pods metric takes)')
      return {
        name,
        metric: name,
        source: 'pod',
        targetType: 'AverageValue',
        target: quantityOf(metric.pods.target.averageValue, at),
        window: METRIC_WINDOW,
        aggregation: 'last',
        ...(selector ? {query: `${name}${matchersOf(selector, {namespace})}`} : {}),
      }
    }
    case 'Object': {
      if (!metric.object) return skip(warnings, at, 'type Object without its object field')
      const {describedObject, metric: id, target} = metric.object
      const objectLabel = String(describedObject.kind).toLowerCase()
      const series = `${id.name}${matchersOf(id.selector, {namespace, [objectLabel]: describedObject.name})}`
      return workloadSignal(id.name, target, `sum(${series})`, namespace, workload, at, warnings)
    }
    case 'External': {
      if (!metric.external) return skip(warnings, at, 'type External without its external field')
      const {metric: id, target} = metric.external
      const series = `${id.name}${matchersOf(id.selector, {})}`
      return workloadSignal(id.name, target, `sum(${series})`, namespace, workload, at, warnings)
    }
    default:
      return skip(warnings, at, `metric type ${String(metric.type)} is not one gpu-scale knows`)
  }
}

function translateTrigger(
  trigger: Obj,
  i: number,
  namespace: string,
  workload: string,
  warnings: ImportWarning[],
): SignalDocument | undefined {
  const at = `spec.triggers[${i}]`
  const meta: Record<string, unknown> = trigger.metadata ?? {}
  switch (trigger.type) {
    case 'prometheus': {
      if (typeof meta.query !== 'string' || meta.threshold === undefined)
        return skip(warnings, at, 'prometheus trigger without metadata.query and metadata.threshold')
      // KEDA names the External metric it gives the HPA `s<index>-prometheus`.
      const metric = `s${i}-prometheus`
      const targetType = trigger.metricType === 'Value' ? 'Value' : 'AverageValue'
      const activation = meta.activationThreshold === undefined ? undefined : quantityOf(meta.activationThreshold, at)
      const signal = workloadSignal(
        metric,
        targetType === 'Value'
          ? {type: 'Value', value: meta.threshold}
          : {type: 'AverageValue', averageValue: meta.threshold},
        `(${meta.query})`,
        namespace,
        workload,
        at,
        warnings,
      )
      if (signal && trigger.name) signal.name = String(trigger.name)
      if (signal && activation !== undefined) signal.activationThreshold = activation
      if (typeof meta.serverAddress === 'string')
        warnings.push({
          code: 'PrometheusAddress',
          message: `${at}: KEDA queried ${meta.serverAddress}; pass the same with --prometheus (or GPU_SCALE_PROMETHEUS)`,
        })
      return signal
    }
    case 'cpu':
    case 'memory': {
      const name = trigger.type as 'cpu' | 'memory'
      const value = meta.value
      if (value === undefined) return skip(warnings, at, `${name} trigger without metadata.value`)
      const targetType = trigger.metricType === 'AverageValue' ? 'AverageValue' : 'Utilization'
      const container = typeof meta.containerName === 'string' ? meta.containerName : undefined
      const signal = resourceSignal(name, container, targetType, quantityOf(value, at))
      if (trigger.name) signal.name = String(trigger.name)
      return signal
    }
    default:
      return skip(
        warnings,
        at,
        `trigger type ${String(trigger.type)} has no gpu-scale equivalent (prometheus, cpu and memory do); write its metric as a Prometheus signal`,
        'UnsupportedTrigger',
      )
  }
}

function resourceSignal(
  name: 'cpu' | 'memory',
  container: string | undefined,
  targetType: 'Utilization' | 'AverageValue',
  target: number,
): SignalDocument {
  return {
    name: container === undefined ? name : `${name}-${container}`,
    metric: RESOURCE_METRICS[name],
    source: 'pod',
    targetType: 'AverageValue',
    target,
    window: METRIC_WINDOW,
    aggregation: 'last',
    resource: {name, ...(container === undefined ? {} : {container}), targetType},
  }
}

function workloadSignal(
  metric: string,
  target: Obj,
  expression: string,
  namespace: string,
  workload: string,
  at: string,
  warnings: ImportWarning[],
): SignalDocument | undefined {
  const value = target.type === 'Value' ? target.value : target.averageValue
  if ((target.type !== 'Value' && target.type !== 'AverageValue') || value === undefined)
    return skip(warnings, at, `target type ${String(target.type)} without its value`)
  return {
    name: metric,
    metric,
    source: 'workload',
    targetType: target.type,
    target: quantityOf(value, at),
    window: METRIC_WINDOW,
    aggregation: 'last',
    query: `label_replace(label_replace(${expression}, "namespace", ${promString(namespace)}, "", ""), "workload", ${promString(workload)}, "", "")`,
  }
}

/** behavior field for field; none at all is the controller's legacy path (horizontal.go normalizeDesiredReplicas). */
function applyBehavior(model: ModelDocument, behavior: Obj): void {
  if (behavior === undefined || behavior === null) {
    model.legacyHpaBehavior = true
    return
  }
  const out: NonNullable<ModelDocument['behavior']> = {}
  for (const direction of ['scaleUp', 'scaleDown'] as const) {
    const rules = behavior[direction]
    if (!rules) continue
    const doc: RulesDocument = {}
    if (rules.stabilizationWindowSeconds !== undefined) doc.stabilizationWindow = `${rules.stabilizationWindowSeconds}s`
    if (rules.selectPolicy !== undefined) doc.selectPolicy = rules.selectPolicy
    if (rules.policies !== undefined) {
      // The API refuses an empty list (validation.go: "must specify at least one Policy").
      if (rules.policies.length === 0)
        throw new ImportError('must specify at least one policy', `spec.behavior.${direction}.policies`)
      doc.policies = rules.policies.map((p: Obj) => ({type: p.type, value: p.value, period: `${p.periodSeconds}s`}))
    }
    if (rules.tolerance !== undefined)
      doc.tolerance = quantityOf(rules.tolerance, `spec.behavior.${direction}.tolerance`)
    out[direction] = doc
  }
  if (Object.keys(out).length > 0) model.behavior = out
}

function skip(warnings: ImportWarning[], at: string, why: string, code = 'UnsupportedMetric'): undefined {
  warnings.push({code, message: `${at}: ${why}; not imported`})
  return undefined
}

function quantityOf(value: unknown, at: string): number {
  const n = parseQuantity(value)
  if (n === undefined || n < 0) throw new ImportError(`${JSON.stringify(value)} is not a quantity (500m, 2, 1Gi)`, at)
  return n
}

/** A label selector as PromQL matchers, plus fixed ones (`namespace`, the described object). */
function matchersOf(selector: Obj, fixed: Record<string, string>): string {
  const matchers = Object.entries(fixed).map(([k, v]) => `${k}=${promString(v)}`)
  for (const [k, v] of Object.entries((selector?.matchLabels ?? {}) as Record<string, string>))
    matchers.push(`${k}=${promString(v)}`)
  for (const e of (selector?.matchExpressions ?? []) as Array<{key: string; operator: string; values?: string[]}>) {
    const alternatives = (e.values ?? []).map(escapeRegex).join('|')
    if (e.operator === 'In') matchers.push(`${e.key}=~${promString(alternatives)}`)
    else if (e.operator === 'NotIn') matchers.push(`${e.key}!~${promString(alternatives)}`)
    else if (e.operator === 'Exists') matchers.push(`${e.key}!=""`)
    else matchers.push(`${e.key}=""`)
  }
  return matchers.length > 0 ? `{${matchers.join(',')}}` : ''
}

function promString(value: string): string {
  return JSON.stringify(value)
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

/** Signal names are DNS labels, unique in the model: `vllm:num_requests_waiting` → `vllm-num-requests-waiting`. */
function uniqueNames(signals: SignalDocument[]): SignalDocument[] {
  const seen = new Set<string>()
  return signals.map((s) => {
    const base =
      s.name
        .toLowerCase()
        .replace(/[^a-z0-9.-]+/g, '-')
        .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
        .slice(0, 63) || 'signal'
    let name = base
    for (let n = 2; seen.has(name); n++) name = `${base}-${n}`
    seen.add(name)
    return {...s, name}
  })
}
