/**
 * Telemetry indexed once per plan: by metric name, by (metric, namespace/pod), and by (metric, namespace/workload)
 * for workload-level series (a gateway queue or request rate that exists with no pods at all). Building it is
 * O(series); every lookup after is O(1), which keeps planning large snapshots cheap.
 *
 * Pod series follow dcgm-exporter's Kubernetes mapping and Prometheus' scrape labels (`pod`, `namespace`); an empty
 * `pod` label (a GPU nobody holds) is not indexed by pod. Workload series carry `namespace` plus `workload` (or
 * `model` / `model_name` naming the model).
 */
import type {Series} from '../model/snapshot.js'

export interface TelemetryIndex {
  byMetric: Map<string, Series[]>
  /** namespace → pod → metric → series. Nested maps, so the per-pod lookups of a plan build no key strings. */
  byPod: Map<string, Map<string, Map<string, Series[]>>>
  /** key: `${metric}|${namespace}/${workload-or-model}`; only series without a `pod` label. */
  byWorkload: Map<string, Series[]>
  /** Histogram `le` label texts parsed so far (filled as signals read buckets; a fleet shares a few dozen). */
  leByLabel: Map<string, number | undefined>
}

/** Labels that name the workload (or model) of a workload-level series, in the order they are tried. */
export const WORKLOAD_LABELS = ['workload', 'model', 'model_name'] as const

export function indexTelemetry(series: readonly Series[]): TelemetryIndex {
  const byMetric = new Map<string, Series[]>()
  const byPod: TelemetryIndex['byPod'] = new Map()
  const byWorkload = new Map<string, Series[]>()
  // Series come grouped by pod (an exporter's scrape, the twin's store: a pod's dozens of series in a row), so the
  // last pod's map is kept at hand instead of looked up twice per series.
  let lastPod: string | undefined
  let lastNamespace: string | undefined
  let lastMetrics: Map<string, Series[]> | undefined
  for (const s of series) {
    push(byMetric, s.metric, s)
    const pod = s.labels.pod
    if (pod) {
      const namespace = s.labels.namespace ?? ''
      let metrics = pod === lastPod && namespace === lastNamespace ? lastMetrics : undefined
      if (!metrics) {
        let pods = byPod.get(namespace)
        if (!pods) byPod.set(namespace, (pods = new Map()))
        metrics = pods.get(pod)
        if (!metrics) pods.set(pod, (metrics = new Map()))
        lastPod = pod
        lastNamespace = namespace
        lastMetrics = metrics
      }
      push(metrics, s.metric, s)
      continue
    }
    const seen = new Set<string>()
    for (const label of WORKLOAD_LABELS) {
      const name = s.labels[label]
      if (name && !seen.has(name)) {
        seen.add(name)
        push(byWorkload, `${s.metric}|${s.labels.namespace ?? ''}/${name}`, s)
      }
    }
  }
  return {byMetric, byPod, byWorkload, leByLabel: new Map()}
}

export function seriesForPod(index: TelemetryIndex, metric: string, namespace: string, pod: string): Series[] {
  return index.byPod.get(namespace)?.get(pod)?.get(metric) ?? []
}

/** Every series of one pod, all metrics. */
export function seriesOfPod(index: TelemetryIndex, namespace: string, pod: string): Series[] {
  const metrics = index.byPod.get(namespace)?.get(pod)
  return metrics ? [...metrics.values()].flat() : []
}

/**
 * Workload-level series of a metric for a workload: labelled with its name first, else with the model's name
 * (a gateway usually knows models, not Deployments). Never both, so nothing is counted twice.
 */
export function seriesForWorkload(
  index: TelemetryIndex,
  metric: string,
  namespace: string,
  names: readonly string[],
): Series[] {
  for (const name of names) {
    const found = index.byWorkload.get(`${metric}|${namespace}/${name}`)
    if (found && found.length > 0) return found
  }
  return []
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}
