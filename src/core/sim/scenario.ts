/**
 * Scenario builder: a whole cluster (policy config, node groups, nodes, pods, workloads, telemetry history) from a
 * few declarative lines, for tests, benchmarks and the built-in `--sim` scenario.
 *
 *   scenario().at('2026-11-28T12:00:00Z')
 *     .nodeGroup('standard', {gpu: {model: 'A100-80GB', count: 1}, max: 5}, {nodes: 2})
 *     .model('llama-8b', {gpu: {count: 1}, signals: [...]}, {replicas: 2, load: {gpuUtil: 75}})
 *     .build()
 *
 * Config is produced in the file format and normalized by the same code as user files, so a scenario is also a
 * valid `gpu-scale.yaml`. Pods are bound first-fit to nodes that can host them; telemetry is generated from each
 * model's load profile over the history window with a seeded RNG, so a scenario is byte-identical every build.
 */
import {parseConfig} from '../config/load.js'
import type {PolicyConfig} from '../model/config.js'
import {parseTimestamp} from '../model/duration.js'
import {
  type ClusterSnapshot,
  type GpuDevice,
  type NodeGroupState,
  type NodeState,
  type PodState,
  type Series,
  SNAPSHOT_API_VERSION,
  SNAPSHOT_KIND,
  type WorkloadState,
} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'
import {createPrng} from '../mig/prng.js'
import {ValidationError} from '../errors.js'
import {admitsNode, gpuResourceOf} from '../scheduling/eligibility.js'
import {layoutOfMigConfig} from '../scheduling/mig-configs.js'

/** Values of a signal over the history: a constant, or a function of minutes before capture (0 = now). */
export type Profile = number | ((minutesAgo: number) => number)

export interface LoadShape {
  /** DCGM_FI_DEV_GPU_UTIL, percent. */
  gpuUtil?: Profile
  /** DCGM_FI_PROF_DRAM_ACTIVE, ratio 0..1. */
  dramActive?: Profile
  /** DCGM_FI_PROF_SM_ACTIVE, ratio. */
  smActive?: Profile
  /** DCGM_FI_PROF_PCIE_RX_BYTES, bytes/s. */
  pcieRxBytes?: Profile
  /** vllm:num_requests_waiting per pod. */
  queue?: Profile
  /** vllm:num_requests_running per pod. */
  running?: Profile
  /** vllm:kv_cache_usage_perc per pod, 0..1. */
  kvCache?: Profile
  /** p95 end-to-end latency in seconds; emitted as vllm:e2e_request_latency_seconds histogram buckets. */
  p95Latency?: Profile
  /** Requests per second per pod (drives the histogram counts). */
  requestRate?: Profile
  /** Gateway queue for the workload (exists with zero pods): series `gateway_queue_depth`. */
  gatewayQueue?: Profile
}

export interface GroupRuntime {
  /** Registered, ready nodes. */
  nodes?: number
  /** Nodes registered but whose GPUs are not allocatable yet (drivers initializing). */
  initializingNodes?: number
  /** Extra nodes requested from the provider and not yet registered. */
  requested?: number
  /** The MIG config the existing nodes run, one for all or one per node (default: the group's first allowed config). */
  migConfig?: string | string[]
  lastScaleUpMinutesAgo?: number
  failures?: NodeGroupState['failures']
  /** Spot interruption notice on the first N nodes. */
  interrupted?: number
}

export interface ModelRuntime {
  replicas: number
  /** Pods of the spec that are Pending (unschedulable). */
  pending?: number
  /** Pods running but still loading the model (not ready). */
  loading?: number
  load?: LoadShape
  managedBy?: string
  scaleEvents?: Array<{minutesAgo: number; from: number; to: number}>
}

type RawGroup = Record<string, unknown> & {name: string}
type RawModel = Record<string, unknown> & {name: string}

interface Entry<Raw, Runtime> {
  raw: Raw
  runtime: Runtime
}

const HISTOGRAM_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120]

export class ScenarioBuilder {
  private time = parseTimestamp('2026-11-28T12:00:00Z') as number
  private rawSettings: Record<string, unknown> = {}
  private groups: Array<Entry<RawGroup, GroupRuntime>> = []
  private models: Array<Entry<RawModel, ModelRuntime>> = []
  private historyMinutes = 60
  private stepSeconds = 30
  private seed = 42
  private name = 'scenario'
  private extraSeries: Series[] = []

  named(name: string): this {
    this.name = name
    return this
  }

  at(timestamp: string): this {
    const t = parseTimestamp(timestamp)
    if (t === undefined) throw new Error(`not an RFC 3339 timestamp: ${timestamp}`)
    this.time = t
    return this
  }

  history(minutes: number, stepSeconds = 30): this {
    this.historyMinutes = minutes
    this.stepSeconds = stepSeconds
    return this
  }

  seeded(seed: number): this {
    this.seed = seed
    return this
  }

  settings(raw: Record<string, unknown>): this {
    this.rawSettings = {...this.rawSettings, ...raw}
    return this
  }

  /** A node group in the config file's shape (`gpu`, `max` required), and how many nodes it has now. */
  nodeGroup(name: string, raw: Record<string, unknown>, runtime: GroupRuntime = {}): this {
    this.groups.push({raw: {name, capacityType: 'on-demand', min: 0, hourlyCost: 1, ...raw}, runtime})
    return this
  }

  /** A model in the config file's shape (`gpu` required), its current replicas and its load profile. */
  model(name: string, raw: Record<string, unknown>, runtime: ModelRuntime): this {
    this.models.push({
      raw: {
        name,
        workload: {kind: 'Deployment', namespace: 'llm', name},
        replicas: {min: 1, max: 8},
        weights: {sizeGiB: 16, loadGiBps: 1},
        ...raw,
      },
      runtime,
    })
    return this
  }

  /** Adds a raw series (e.g. a gateway metric) as is. */
  series(series: Series): this {
    this.extraSeries.push(series)
    return this
  }

  /** The config in file format (what `gpu-scale.yaml` would contain). */
  rawConfig(): Record<string, unknown> {
    return {
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'ScalingPolicy',
      metadata: {name: this.name},
      settings: this.rawSettings,
      nodeGroups: this.groups.map((g) => g.raw),
      models: this.models.map((m) => m.raw),
    }
  }

  build(): {config: PolicyConfig; snapshot: ClusterSnapshot} {
    const config = normalizeRaw(this.rawConfig(), this.name)
    // The one seeded PRNG of src/core (mulberry32): scenarios are reproducible byte for byte.
    const rng = createPrng(this.seed).next
    const now = this.time
    const nodes: NodeState[] = []
    const nodeGroups: NodeGroupState[] = []
    for (const group of config.nodeGroups) {
      const runtime = this.groups.find((g) => g.raw.name === group.name)?.runtime ?? {}
      const ready = runtime.nodes ?? 0
      const initializing = runtime.initializingNodes ?? 0
      const bootConfig = group.migConfigs[0] ?? 'all-disabled'
      const migConfigOf = (i: number) =>
        (Array.isArray(runtime.migConfig) ? runtime.migConfig[i] : runtime.migConfig) ?? bootConfig
      for (let i = 0; i < ready + initializing; i++) {
        const isReady = i < ready
        const name = `${group.name}-${String(i + 1).padStart(2, '0')}`
        nodes.push(
          buildNode(
            name,
            group,
            migConfigOf(i),
            isReady,
            now - (isReady ? 3 * 3600 : 90),
            i < (runtime.interrupted ?? 0) ? now - 30 : undefined,
          ),
        )
      }
      nodeGroups.push({
        name: group.name,
        targetSize: ready + initializing + (runtime.requested ?? 0),
        ...(runtime.lastScaleUpMinutesAgo !== undefined
          ? {lastScaleUpAt: now - runtime.lastScaleUpMinutesAgo * 60}
          : {}),
        failures: runtime.failures ?? [],
      })
    }
    const pods: PodState[] = []
    const workloads: WorkloadState[] = []
    const telemetry: Series[] = []
    for (const model of config.models) {
      const runtime = this.models.find((m) => m.raw.name === model.name)?.runtime as ModelRuntime
      const {namespace, name, kind} = model.workload
      workloads.push({
        kind,
        namespace,
        name,
        specReplicas: runtime.replicas,
        readyReplicas: runtime.replicas - (runtime.pending ?? 0) - (runtime.loading ?? 0),
        ...(runtime.managedBy ? {managedBy: runtime.managedBy} : {}),
        scaleEvents: (runtime.scaleEvents ?? []).map((e) => ({at: now - e.minutesAgo * 60, from: e.from, to: e.to})),
        recommendations: [],
      })
      const request = gpuResourceOf(model.gpu)
      for (let i = 0; i < runtime.replicas; i++) {
        const podName = `${name}-${hashSuffix(name, i)}`
        const pending = i >= runtime.replicas - (runtime.pending ?? 0)
        const loading = !pending && i >= runtime.replicas - (runtime.pending ?? 0) - (runtime.loading ?? 0)
        const pod: PodState = {
          name: podName,
          namespace,
          workload: {kind, name},
          phase: pending ? 'Pending' : 'Running',
          ready: !pending && !loading,
          deleting: false,
          createdAt: now - (loading ? 60 : 2 * 3600),
          gpuRequest: request,
          daemon: false,
        }
        if (!pending) {
          const bound = bindPod(pod, model, nodes)
          if (!bound) {
            pod.phase = 'Pending'
            pod.ready = false
          } else {
            pod.startedAt = pod.createdAt + 5
            if (pod.ready) pod.readyAt = pod.createdAt + 120
          }
        }
        pods.push(pod)
        if (pod.phase === 'Running' && runtime.load)
          telemetry.push(
            ...podTelemetry(
              pod,
              model.name,
              nodes,
              runtime.load,
              now,
              this.historyMinutes,
              this.stepSeconds,
              rng,
              loading,
            ),
          )
      }
      if (runtime.load?.gatewayQueue !== undefined) {
        telemetry.push(
          sampleSeries(
            'gateway_queue_depth',
            {namespace, workload: name},
            runtime.load.gatewayQueue,
            now,
            this.historyMinutes,
            this.stepSeconds,
            rng,
            0,
          ),
        )
      }
    }
    telemetry.push(...this.extraSeries)
    return {
      config,
      snapshot: {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: SNAPSHOT_KIND,
        capturedAt: now,
        migStrategy: config.settings.migStrategy,
        nodeGroups,
        nodes,
        pods,
        workloads,
        pdbs: [],
        telemetry,
      },
    }
  }
}

export function scenario(): ScenarioBuilder {
  return new ScenarioBuilder()
}

function normalizeRaw(raw: Record<string, unknown>, name: string): PolicyConfig {
  const {config, problems} = parseConfig(JSON.stringify(raw), `<scenario ${name}>`)
  const errors = problems.filter((p) => p.severity === 'error')
  if (!config || errors.length > 0) throw new ValidationError(`scenario ${name} has an invalid config`, errors)
  return config
}

function buildNode(
  name: string,
  group: PolicyConfig['nodeGroups'][number],
  migConfig: string,
  ready: boolean,
  createdAt: number,
  interruptionNoticeAt: number | undefined,
): NodeState {
  const info = findGpuModel(group.gpu.model)
  const layout = layoutOfMigConfig(group.gpu.model, migConfig) ?? {kind: 'whole' as const}
  const gpus: GpuDevice[] = []
  for (let index = 0; index < group.gpu.count; index++) {
    gpus.push({
      index,
      uuid: `GPU-${hashSuffix(name, index)}-${hashSuffix(group.name, index)}`,
      model: info?.name ?? group.gpu.model,
      memoryMiB: info?.memoryMiB ?? 0,
      mig: {
        enabled: layout.kind === 'mig',
        instances: layout.kind === 'mig' ? layout.instances.map((i) => ({...i})) : [],
      },
      pods: [],
    })
  }
  return {
    name,
    group: group.name,
    labels: {
      ...group.labels,
      'nvidia.com/gpu.product': info?.aliases[0] ?? group.gpu.model,
      'nvidia.com/gpu.count': String(group.gpu.count),
    },
    taints: group.taints,
    ready: true,
    cordoned: false,
    createdAt,
    gpusAllocatable: ready,
    capacityType: group.capacityType,
    ...(info?.migCapable ? {migConfig, migConfigState: 'success' as const} : {}),
    ...(interruptionNoticeAt !== undefined ? {interruptionNoticeAt} : {}),
    gpus,
  }
}

/** Binds a pod first-fit to a ready node that tolerates, matches and has the GPU share it needs. */
function bindPod(pod: PodState, model: PolicyConfig['models'][number], nodes: NodeState[]): boolean {
  const key = `${pod.namespace}/${pod.name}`
  for (const node of nodes) {
    // A node with an interruption notice still runs its pods: the notice came after they were scheduled.
    if (!node.gpusAllocatable) continue
    if (!admitsNode(model, node)) continue
    if (model.gpu.kind === 'mig') {
      const profile = model.gpu.profile
      for (const gpu of node.gpus) {
        const instance = gpu.mig.instances.find((i) => i.profile === profile && !i.pod)
        if (instance) {
          instance.pod = key
          pod.node = node.name
          return true
        }
      }
      continue
    }
    const count = model.gpu.kind === 'whole' ? model.gpu.count : 1
    const free = node.gpus.filter((g) => !g.mig.enabled && g.pods.length === 0)
    if (free.length >= count) {
      for (const gpu of free.slice(0, count)) gpu.pods.push(key)
      pod.node = node.name
      return true
    }
  }
  return false
}

function podTelemetry(
  pod: PodState,
  modelName: string,
  nodes: NodeState[],
  load: LoadShape,
  now: number,
  minutes: number,
  step: number,
  rng: () => number,
  loading: boolean,
): Series[] {
  const node = nodes.find((n) => n.name === pod.node)
  const key = `${pod.namespace}/${pod.name}`
  const series: Series[] = []
  const podLabels = {namespace: pod.namespace, pod: pod.name, container: 'server'}
  // Pods still loading have no model-server metrics yet and idle GPUs: exactly what must not read as idle capacity.
  const scale = loading ? 0 : 1
  for (const gpu of node?.gpus ?? []) {
    const instance = gpu.mig.instances.find((i) => i.pod === key)
    if (!gpu.pods.includes(key) && !instance) continue
    const labels: Record<string, string> = {
      gpu: String(gpu.index),
      UUID: gpu.uuid ?? '',
      device: `nvidia${gpu.index}`,
      modelName: findGpuModel(gpu.model)?.aliases[0] ?? gpu.model,
      Hostname: node?.name ?? '',
      ...podLabels,
    }
    if (instance) {
      labels.GPU_I_PROFILE = instance.profile
      labels.GPU_I_ID = String(instance.start)
    }
    // DCGM_FI_DEV_GPU_UTIL is not reported for MIG instances (dcgm-exporter#216): GR_ENGINE_ACTIVE is.
    if (load.gpuUtil !== undefined) {
      if (instance)
        series.push(
          sampleSeries(
            'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
            labels,
            scaled(load.gpuUtil, scale / 100),
            now,
            minutes,
            step,
            rng,
            0.02,
          ),
        )
      else
        series.push(
          sampleSeries('DCGM_FI_DEV_GPU_UTIL', labels, scaled(load.gpuUtil, scale), now, minutes, step, rng, 0.03),
        )
    }
    if (load.dramActive !== undefined)
      series.push(
        sampleSeries('DCGM_FI_PROF_DRAM_ACTIVE', labels, scaled(load.dramActive, scale), now, minutes, step, rng, 0.02),
      )
    if (load.smActive !== undefined)
      series.push(
        sampleSeries('DCGM_FI_PROF_SM_ACTIVE', labels, scaled(load.smActive, scale), now, minutes, step, rng, 0.02),
      )
    if (load.pcieRxBytes !== undefined)
      series.push(
        sampleSeries(
          'DCGM_FI_PROF_PCIE_RX_BYTES',
          labels,
          scaled(load.pcieRxBytes, scale),
          now,
          minutes,
          step,
          rng,
          0.02,
        ),
      )
  }
  if (loading) return series
  const vllm = {...podLabels, model_name: modelName}
  if (load.queue !== undefined)
    series.push(sampleSeries('vllm:num_requests_waiting', vllm, load.queue, now, minutes, step, rng, 0.05, true))
  if (load.running !== undefined)
    series.push(sampleSeries('vllm:num_requests_running', vllm, load.running, now, minutes, step, rng, 0.05, true))
  if (load.kvCache !== undefined)
    series.push(sampleSeries('vllm:kv_cache_usage_perc', vllm, load.kvCache, now, minutes, step, rng, 0.02))
  if (load.p95Latency !== undefined)
    series.push(...latencyHistogram(vllm, load.p95Latency, load.requestRate ?? 2, now, minutes, step))
  return series
}

function scaled(profile: Profile, factor: number): Profile {
  return typeof profile === 'number' ? profile * factor : (m: number) => profile(m) * factor
}

function valueAt(profile: Profile, minutesAgo: number): number {
  return typeof profile === 'number' ? profile : profile(minutesAgo)
}

function sampleSeries(
  metric: string,
  labels: Record<string, string>,
  profile: Profile,
  now: number,
  minutes: number,
  step: number,
  rng: () => number,
  noise: number,
  integer = false,
): Series {
  const samples: Array<[number, number]> = []
  const start = now - minutes * 60
  for (let t = start + step; t <= now; t += step) {
    const base = valueAt(profile, (now - t) / 60)
    let value = base * (1 + (rng() * 2 - 1) * noise)
    value = integer ? Math.max(0, Math.round(value)) : Math.max(0, Math.round(value * 1000) / 1000)
    samples.push([t, value])
  }
  return {metric, labels, samples}
}

/**
 * Cumulative bucket counters of `vllm:e2e_request_latency_seconds` whose p95 follows the profile: latencies are
 * spread so that 95% of requests fall at or below the target, which histogram_quantile then recovers.
 */
function latencyHistogram(
  labels: Record<string, string>,
  p95: Profile,
  rate: Profile,
  now: number,
  minutes: number,
  step: number,
): Series[] {
  const series = [...HISTOGRAM_BUCKETS.map(String), '+Inf'].map((le) => ({
    metric: 'vllm:e2e_request_latency_seconds_bucket',
    labels: {...labels, le},
    samples: [] as Array<[number, number]>,
  }))
  const counts = new Array<number>(series.length).fill(0)
  const start = now - minutes * 60
  for (let t = start + step; t <= now; t += step) {
    const minutesAgo = (now - t) / 60
    const target = valueAt(p95, minutesAgo)
    const requests = Math.max(1, Math.round(valueAt(rate, minutesAgo) * step))
    for (let r = 0; r < requests; r++) {
      // Request latencies uniform on (0, target / 0.95]: exactly 95% are ≤ target.
      const latency = ((r + 0.5) / requests) * (target / 0.95)
      for (let b = 0; b < series.length; b++) {
        const le = b < HISTOGRAM_BUCKETS.length ? (HISTOGRAM_BUCKETS[b] as number) : Infinity
        if (latency <= le) counts[b] = (counts[b] as number) + 1
      }
    }
    series.forEach((s, b) => s.samples.push([t, counts[b] as number]))
  }
  return series
}

function hashSuffix(text: string, index: number): string {
  let h = 2166136261 ^ index
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return (h >>> 0).toString(36).slice(0, 5).padStart(5, '0')
}
