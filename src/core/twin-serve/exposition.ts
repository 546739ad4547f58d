/**
 * The twin's telemetry served as the real exporters serve it: one dcgm-exporter target per GPU node and one vLLM
 * target per ready pod, in the Prometheus text format 0.0.4 (HELP and TYPE per family; histograms as cumulative
 * `_bucket{le}` plus `_sum` and `_count`). Pure: the caller passes the twin's latest samples and the cluster.
 *
 * Label sets (facts §7):
 * - dcgm-exporter: `gpu, UUID, pci_bus_id, device, modelName, [GPU_I_PROFILE, GPU_I_ID,] Hostname,
 *   DCGM_FI_DRIVER_VERSION`, plus `pod, namespace, container` of the pod the kubelet's pod-resources API maps
 *   to the device (internal/pkg/rendermetrics/render_metrics.go). Idle GPUs and idle MIG instances are exported
 *   too, at 0, as the exporter reports every device it sees.
 * - vLLM V1: `model_name` and `engine` (vllm/v1/metrics/loggers.py); a vLLM server does not know its pod, so
 *   `namespace` and `pod` come from the scrape target's labels, as Kubernetes service discovery adds them.
 * - `le` is rendered as prometheus_client does (`1.0`, `+Inf`), so buckets match a real vLLM's label values.
 *
 * Metric faults (issue 10 §4) act per target and metric: `vanish` drops the series, `freeze` keeps serving the
 * value it had when the fault began (a stuck exporter: the series stays fresh but stale in content), `nan`
 * serves NaN (what DCGM reports for a field it cannot read), `duplicate` serves each series twice, the copy
 * with `exporter="duplicate"` (two exporters on one GPU, as with a leftover DaemonSet), so a query without
 * aggregation returns two series.
 */
import type {ClusterSnapshot, NodeState} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'

export interface Sample {
  metric: string
  labels: Record<string, string>
  t: number
  value: number
}

export type MetricFaultMode = 'vanish' | 'freeze' | 'nan' | 'duplicate'

export interface MetricFault {
  mode: MetricFaultMode
  /** `node/<name>`, `pod/<namespace>/<name>`, or absent for every target. */
  target?: string
  /** A metric name (histograms by their family name), or absent for every metric. */
  metric?: string
}

/** A scrape target: where it is served and the labels Prometheus attaches (file_sd). */
export interface MetricsTarget {
  id: string
  job: 'dcgm-exporter' | 'vllm'
  path: string
  labels: Record<string, string>
}

export const DRIVER_VERSION = '550.54.15'

const HELP: Record<string, [string, string]> = {
  DCGM_FI_DEV_GPU_UTIL: ['gauge', 'GPU utilization (in %).'],
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: ['gauge', 'Ratio of time the graphics engine is active.'],
  DCGM_FI_PROF_SM_ACTIVE: ['gauge', 'The ratio of cycles an SM has at least 1 warp assigned.'],
  DCGM_FI_PROF_DRAM_ACTIVE: [
    'gauge',
    'Ratio of cycles the device memory interface is active sending or receiving data.',
  ],
  DCGM_FI_DEV_FB_USED: ['gauge', 'Framebuffer memory used (in MiB).'],
  DCGM_FI_DEV_FB_FREE: ['gauge', 'Framebuffer memory free (in MiB).'],
  DCGM_FI_PROF_PCIE_RX_BYTES: [
    'gauge',
    'The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
  ],
  'vllm:num_requests_running': ['gauge', 'Number of requests in model execution batches.'],
  'vllm:num_requests_waiting': ['gauge', 'Number of requests waiting to be processed.'],
  'vllm:kv_cache_usage_perc': ['gauge', 'KV-cache usage. 1 means 100 percent usage.'],
  'vllm:prompt_tokens_total': ['counter', 'Number of prefill tokens processed.'],
  'vllm:generation_tokens_total': ['counter', 'Number of generation tokens processed.'],
  'vllm:request_success_total': ['counter', 'Count of successfully processed requests.'],
  'vllm:time_to_first_token_seconds': ['histogram', 'Histogram of time to first token in seconds.'],
  'vllm:inter_token_latency_seconds': ['histogram', 'Histogram of inter-token latency in seconds.'],
  'vllm:e2e_request_latency_seconds': ['histogram', 'Histogram of e2e request latency in seconds.'],
}

const DCGM_ORDER = [
  'gpu',
  'UUID',
  'pci_bus_id',
  'device',
  'modelName',
  'GPU_I_PROFILE',
  'GPU_I_ID',
  'Hostname',
  'DCGM_FI_DRIVER_VERSION',
  'container',
  'namespace',
  'pod',
]

/** Targets for the cluster now: GPU nodes once registered, pods once ready (vLLM serves /metrics when up). */
export function metricsTargets(snapshot: ClusterSnapshot): MetricsTarget[] {
  const targets: MetricsTarget[] = []
  for (const node of [...snapshot.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (node.gpus.length === 0) continue
    targets.push({
      id: `node/${node.name}`,
      job: 'dcgm-exporter',
      path: `/_twin/metrics/node/${encodeURIComponent(node.name)}`,
      labels: {node: node.name, instance: node.name},
    })
  }
  for (const pod of [...snapshot.pods].sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  )) {
    if (!pod.ready || pod.deleting) continue
    targets.push({
      id: `pod/${pod.namespace}/${pod.name}`,
      job: 'vllm',
      path: `/_twin/metrics/pod/${encodeURIComponent(pod.namespace)}/${encodeURIComponent(pod.name)}`,
      labels: {namespace: pod.namespace, pod: pod.name, instance: `${pod.namespace}/${pod.name}`},
    })
  }
  return targets
}

/** Prometheus file_sd JSON for the targets, all on one host:port told apart by `__metrics_path__` (facts §8). */
export function fileSdTargets(
  targets: MetricsTarget[],
  hostPort: string,
): Array<{targets: string[]; labels: Record<string, string>}> {
  return targets.map((t) => ({targets: [hostPort], labels: {job: t.job, __metrics_path__: t.path, ...t.labels}}))
}

/** Faults plus what `freeze` remembers; the only state metrics serving keeps. */
export class MetricFaults {
  private faults: MetricFault[] = []
  private frozen = new Map<string, number>()

  add(fault: MetricFault): void {
    this.faults.push(fault)
  }

  clear(): void {
    this.faults = []
    this.frozen.clear()
  }

  list(): MetricFault[] {
    return this.faults.map((f) => ({...f}))
  }

  /** The faults acting on one series of a target. */
  modesFor(target: string, family: string): Set<MetricFaultMode> {
    const modes = new Set<MetricFaultMode>()
    for (const f of this.faults)
      if ((f.target === undefined || f.target === target) && (f.metric === undefined || f.metric === family))
        modes.add(f.mode)
    return modes
  }

  /** A frozen series keeps its first value under the fault. */
  freeze(key: string, value: number): number {
    const kept = this.frozen.get(key)
    if (kept !== undefined) return kept
    this.frozen.set(key, value)
    return value
  }
}

/**
 * The exposition of one target, or undefined when the target does not exist (now a 404, as a scrape of a
 * gone pod fails). `samples` are the twin's latest ones; only those of the last scrape (`at`) are current.
 */
export function renderTarget(
  id: string,
  snapshot: ClusterSnapshot,
  samples: readonly Sample[],
  at: number,
  faults: MetricFaults,
): string | undefined {
  const [kind, ...rest] = id.split('/')
  const lines: Sample[] = []
  if (kind === 'node') {
    const node = snapshot.nodes.find((n) => n.name === rest[0])
    if (!node || node.gpus.length === 0) return undefined
    const current = samples.filter((s) => s.t === at && s.metric.startsWith('DCGM_') && s.labels.Hostname === node.name)
    lines.push(
      ...current.map((s) => ({
        ...s,
        labels: {...s.labels, pci_bus_id: pciBusId(Number(s.labels.gpu)), DCGM_FI_DRIVER_VERSION: DRIVER_VERSION},
      })),
    )
    lines.push(...idleDevices(node, current, at))
  } else if (kind === 'pod') {
    const [namespace, name] = rest
    const pod = snapshot.pods.find((p) => p.namespace === namespace && p.name === name)
    if (!pod || !pod.ready || pod.deleting) return undefined
    for (const s of samples) {
      if (s.t !== at || !s.metric.startsWith('vllm:') || s.labels.pod !== name || s.labels.namespace !== namespace)
        continue
      lines.push({
        ...s,
        labels: {
          engine: '0',
          model_name: s.labels.model_name ?? '',
          ...(s.labels.le !== undefined ? {le: formatLe(s.labels.le)} : {}),
        },
      })
    }
  } else {
    return undefined
  }
  return renderFamilies(id, lines, faults)
}

function renderFamilies(target: string, samples: Sample[], faults: MetricFaults): string {
  const families = new Map<string, string[]>()
  for (const s of samples) {
    const family = familyOf(s.metric)
    const modes = faults.modesFor(target, family)
    if (modes.has('vanish')) continue
    let lines = families.get(family)
    if (!lines) families.set(family, (lines = []))
    const labels = renderLabels(s.labels)
    let value = s.value
    if (modes.has('freeze')) value = faults.freeze(`${target}|${s.metric}${labels}`, value)
    if (modes.has('nan')) value = Number.NaN
    lines.push(`${s.metric}${labels} ${formatValue(value)}`)
    if (modes.has('duplicate'))
      lines.push(`${s.metric}${renderLabels({...s.labels, exporter: 'duplicate'})} ${formatValue(value)}`)
  }
  const out: string[] = []
  for (const [family, lines] of families) {
    const [type, help] = HELP[family] ?? ['gauge', family]
    out.push(`# HELP ${family} ${help}`, `# TYPE ${family} ${type}`, ...lines)
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '')
}

/** Every GPU (or MIG instance) no pod uses, at 0: the exporter reports all devices. */
function idleDevices(node: NodeState, current: Sample[], at: number): Sample[] {
  const used = new Set(current.map((s) => `${s.labels.gpu}|${s.labels.GPU_I_ID ?? ''}`))
  const out: Sample[] = []
  const modelName = (model: string) => findGpuModel(model)?.aliases[0] ?? model
  for (const gpu of node.gpus) {
    const base = {
      gpu: String(gpu.index),
      UUID: gpu.uuid ?? '',
      pci_bus_id: pciBusId(gpu.index),
      device: `nvidia${gpu.index}`,
      modelName: modelName(gpu.model),
      Hostname: node.name,
      DCGM_FI_DRIVER_VERSION: DRIVER_VERSION,
    }
    const devices = gpu.mig.enabled
      ? gpu.mig.instances.map((i) => ({...base, GPU_I_PROFILE: i.profile, GPU_I_ID: String(i.start)}))
      : [base]
    for (const labels of devices) {
      const mig = 'GPU_I_ID' in labels
      if (used.has(`${labels.gpu}|${mig ? labels.GPU_I_ID : ''}`)) continue
      out.push({metric: mig ? 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' : 'DCGM_FI_DEV_GPU_UTIL', labels, t: at, value: 0})
      for (const metric of [
        'DCGM_FI_PROF_SM_ACTIVE',
        'DCGM_FI_PROF_DRAM_ACTIVE',
        'DCGM_FI_DEV_FB_USED',
        'DCGM_FI_PROF_PCIE_RX_BYTES',
      ])
        out.push({metric, labels, t: at, value: 0})
    }
  }
  return out
}

function familyOf(metric: string): string {
  const base = metric.replace(/_(bucket|sum|count)$/, '')
  return base !== metric && HELP[base]?.[0] === 'histogram' ? base : metric
}

function renderLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort((a, b) => rank(a) - rank(b))
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`
}

function rank(key: string): number {
  const i = DCGM_ORDER.indexOf(key)
  if (key === 'le') return 100
  if (key === 'exporter') return 101
  return i >= 0 ? i : 50
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

/** prometheus_client renders floats with Python's repr: `1.0`, `0.25`, `+Inf`. */
export function formatLe(le: string): string {
  if (le === '+Inf') return le
  const n = Number(le)
  return Number.isInteger(n) ? `${n}.0` : String(n)
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function pciBusId(index: number): string {
  return `00000000:${(0x10 + index).toString(16).padStart(2, '0').toUpperCase()}:00.0`
}
