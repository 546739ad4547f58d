/**
 * The digital twin: a discrete-event simulation of a GPU inference fleet on Kubernetes. Pure — a virtual clock,
 * seeded randomness (src/core/mig/prng.ts), no I/O — so one seed gives the same event log every run.
 *
 * What it models, and the real behaviour each part follows:
 * - node groups and nodes: launch → registered after provisioning → GPUs allocatable after driver and
 *   device-plugin init (the config's cold-start parts, optionally jittered), capacity errors, spot interruptions
 *   (a notice, then reclaim; the group replaces the instance as an ASG keeps its desired size), deletion;
 * - MIG: a node follows its `nvidia.com/mig.config` label through ./mig-manager.ts (pending → success | failed,
 *   never evicting pods);
 * - pods: Pending → scheduled through the SchedulePod seam (./scheduling.ts) → image pull on a node that has not
 *   pulled it → loading weights (size ÷ load throughput) → ready → terminating with the grace period; a
 *   ReplicaSet replaces pods that terminate for any reason but a scale-down; evictions honour PDBs;
 * - requests: generated per model (./load.ts) or from a trace, routed to the ready replica with the fewest
 *   outstanding requests or queued at the gateway while none is ready, served by ./replica.ts; or, with
 *   `requests: 'fluid'`, served as a flow per model and fluid step by ./fluid.ts (long rate-series replays);
 * - telemetry: DCGM and vLLM series sampled every scrape (./telemetry.ts), carried by snapshots.
 *
 * Callers drive it: `runUntil(t)`, then act through the same verbs an actuator has (scale a workload, scale a
 * node group by a delta, remove a node, set a MIG config, evict a pod), each obeying real-world delays.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import {
  type ClusterSnapshot,
  type GpuDevice,
  type NodeGroupState,
  type NodeState,
  type PodDisruptionBudget,
  type PodState,
  type ScaleEvent,
  type Series,
  SNAPSHOT_API_VERSION,
  SNAPSHOT_KIND,
} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'
import {createPrng, type Prng} from '../mig/prng.js'
import {EventQueue} from './event-queue.js'
import {FluidLog, mergeLog, RequestLog, toJsonLines, type LogEntry, type RequestSink, type TwinEvent} from './events.js'
import {FLUID_STEP_SECONDS, FluidGroup, FluidModel, FluidReplica, type RequestModel} from './fluid.js'
import {resolveServingProfile, type ServingProfile, type ServingSpec} from './latency-model.js'
import {nextArrival, sampleTokens, type ModelLoad, type TraceRequest} from './load.js'
import {gpuHasPods, layoutForMigConfig, sameLayout, type GpuLayout} from './mig-manager.js'
import {Replica, type TwinRequest} from './replica.js'
import {deviceNeedOf, findFreeDevices, scheduleMostAllocated, type SchedulePod} from './scheduling.js'
import {
  E2E_BUCKETS,
  ITL_BUCKETS,
  TelemetryStore,
  TTFT_BUCKETS,
  type Histogram,
  type LongHistory,
  type StoredSeries,
  type WindowSelect,
} from './telemetry.js'

export interface TwinModelSpec {
  /** Name of a model in the policy config. */
  name: string
  serving?: ServingSpec
  load: ModelLoad
  /** Replicas at the start (default the config's min). */
  replicas?: number
}

export interface SpotSpec {
  /** Seconds between the interruption notice and reclaim (AWS and Karpenter: 2 minutes). */
  noticeSeconds: number
  /** Random interruptions per spot node per hour. */
  ratePerNodeHour: number
  /** Scripted interruptions: `count` nodes of `group` get a notice at `atSeconds` from the start. */
  storms: Array<{atSeconds: number; group: string; count: number}>
  /** Launch a replacement for a reclaimed node (an ASG keeps its desired capacity). */
  replace: boolean
}

export interface TwinOptions {
  config: PolicyConfig
  models: TwinModelSpec[]
  /** Epoch seconds at which the run starts. */
  start: number
  seed: number
  /** Ready nodes per group at the start (already up and allocatable; MIG at their boot config). */
  initialNodes?: Record<string, number>
  /** Requests from a trace, in addition to the models' generators. `t` is seconds from the start. */
  trace?: TraceRequest[]
  spot?: Partial<SpotSpec>
  /** Launches of `group` fail with a capacity error in these windows (seconds from the start). */
  capacityErrors?: Array<{group: string; fromSeconds: number; toSeconds: number}>
  /** Lognormal spread (σ) of every cold-start part; 0 (default) is exact. */
  coldStartSigma?: number
  /** From `nvidia.com/mig.config` set to `success|failed` (operands paused, config applied, plugin restarted). */
  migReconfigureSeconds?: number
  pdbs?: PodDisruptionBudget[]
  scrapeIntervalSeconds?: number
  telemetryRetentionSeconds?: number
  /** Metrics to keep a downsampled long history of (the closed loop's daily forecast), see TelemetryStore. */
  longHistory?: LongHistory
  /** Where Pending pods go; the planner kernel's simulated cluster plugs in here. */
  schedule?: SchedulePod
  /**
   * How requests are simulated: one by one (default), or as a flow per model and fluid step (./fluid.ts), for
   * replays too long for per-request simulation. Fluid needs open-loop arrivals and no per-request trace.
   */
  requests?: RequestModel
  /** Fluid step in seconds (default 10). */
  fluidStepSeconds?: number
  /**
   * Where finished requests go. Absent (default): the twin keeps them (`requests`, `logEntries()`), which every
   * reader of the whole log needs (`--events`, the summary of a scenario run, tests). Given: each request goes to
   * this sink as it finishes and the twin keeps none, so a long replay's memory does not grow with its requests
   * (`simulate --trace` measures its runs this way, src/core/simulate/run-meter.ts).
   */
  requestSink?: RequestSink
}

export type ActionResult = {ok: true; message: string} | {ok: false; reason: string; message: string}

type NodePhase = 'provisioning' | 'initializing' | 'ready' | 'gone'
type PodPhase = 'pending' | 'pulling' | 'loading' | 'ready' | 'terminating' | 'gone'

interface TwinNode {
  name: string
  group: GroupRuntime
  phase: NodePhase
  launchedAt: number
  state: NodeState | null
  pulled: Set<string>
  removing: boolean
  migVersion: number
  /** Billing closed at this time. */
  endedAt?: number
}

interface TwinPod {
  seq: number
  key: string
  model: ModelRuntime
  state: PodState
  phase: PodPhase
  node: TwinNode | null
  devices: {gpus: number[]} | {gpu: number; start: number} | null
  replica: Replica | FluidReplica | null
  version: number
  loadingUntil: number
  loadSeconds: number
  labels?: PodLabels
}

interface PodLabels {
  gpus: Array<{gpu: number; labels: Record<string, string>; key: string; mig: boolean}>
  vllm: Record<string, string>
  vllmKey: string
  /** Series handles in the order a scrape records them (fixed per pod), resolved on the first scrape. */
  slots: StoredSeries[]
}

interface GroupRuntime {
  config: NodeGroupConfig
  targetSize: number
  nodes: TwinNode[]
  counter: number
  lastScaleUpAt?: number
  lastScaleDownAt?: number
  failures: NodeGroupState['failures']
}

interface ModelRuntime {
  index: number
  config: ModelConfig
  spec: TwinModelSpec
  prng: Prng
  specReplicas: number
  pods: TwinPod[]
  routable: TwinPod[]
  queue: TwinRequest[]
  queueHead: number
  scaleEvents: ScaleEvent[]
  profiles: Map<string, ServingProfile>
  podCounter: number
  /** Fluid mode: the model's flow state and its replica groups by serving profile. */
  fluid?: FluidModel
  fluidGroups: Map<ServingProfile, FluidGroup>
}

type QueuedEvent =
  | {k: 'arrival'; model: ModelRuntime; client: number}
  | {k: 'trace'; index: number}
  | {k: 'wake'; replica: Replica; version: number}
  | {k: 'registered'; node: TwinNode}
  | {k: 'allocatable'; node: TwinNode}
  | {k: 'capacityError'; node: TwinNode}
  | {k: 'podStep'; pod: TwinPod; version: number}
  | {k: 'podKill'; pod: TwinPod; version: number}
  | {k: 'podDrained'; pod: TwinPod; version: number}
  | {k: 'notice'; node: TwinNode}
  | {k: 'reclaim'; node: TwinNode}
  | {k: 'storm'; group: string; count: number}
  | {k: 'migApply'; node: TwinNode; version: number}
  | {k: 'schedule'}
  | {k: 'scrape'}
  | {k: 'fluid'}

const DEFAULT_SPOT: SpotSpec = {noticeSeconds: 120, ratePerNodeHour: 0, storms: [], replace: true}
/** Capacity errors come back quickly (EC2's InsufficientInstanceCapacity is synchronous; CA notices within a loop). */
const CAPACITY_ERROR_SECONDS = 30

export class Twin {
  readonly start: number
  private clock: number
  private readonly queue = new EventQueue<QueuedEvent>()
  private readonly log: TwinEvent[] = []
  /** Finished requests, when the twin keeps them (no `requestSink` option); empty otherwise. */
  readonly requests: RequestLog
  private readonly requestSink: RequestSink
  /** Requests finished so far, wherever they went. */
  private finishedRequests = 0
  /** Fluid mode's served cohorts (empty in per-request mode). */
  readonly fluidLog: FluidLog
  private readonly fluidStep: number
  private lastFluidAt: number
  private readonly groups = new Map<string, GroupRuntime>()
  private readonly models: ModelRuntime[] = []
  private readonly modelByName = new Map<string, ModelRuntime>()
  private readonly liveNodes: TwinNode[] = []
  private readonly pending: TwinPod[] = []
  private readonly infraPrng: Prng
  private readonly spot: SpotSpec
  private readonly telemetry: TelemetryStore
  private readonly scrapeInterval: number
  private readonly schedule: SchedulePod
  private schedulePassQueued = false
  private requestCounter = 0
  private podSeq = 0
  private scrapes = 0
  private billedGpuSeconds = 0
  private billedCost = 0

  constructor(private readonly options: TwinOptions) {
    this.start = options.start
    this.clock = options.start
    this.infraPrng = createPrng(options.seed ^ 0x5eed)
    this.spot = {...DEFAULT_SPOT, ...options.spot}
    this.scrapeInterval = options.scrapeIntervalSeconds ?? 30
    this.telemetry = new TelemetryStore(options.telemetryRetentionSeconds ?? 3 * 3600, options.longHistory)
    this.schedule = options.schedule ?? scheduleMostAllocated
    this.requests = new RequestLog(options.models.map((m) => m.name))
    this.requestSink = options.requestSink ?? this.requests
    this.fluidLog = new FluidLog(options.models.map((m) => m.name))
    this.fluidStep = options.fluidStepSeconds ?? FLUID_STEP_SECONDS
    this.lastFluidAt = options.start
    const fluid = options.requests === 'fluid'
    if (fluid && options.trace && options.trace.length > 0)
      throw new RangeError('the fluid request model replays rates: give the trace as per-model step arrivals')
    if (!(this.fluidStep > 0)) throw new RangeError(`fluidStepSeconds must be positive, got ${this.fluidStep}`)
    for (const group of options.config.nodeGroups) {
      this.groups.set(group.name, {config: group, targetSize: 0, nodes: [], counter: 0, failures: []})
    }
    options.models.forEach((spec, index) => {
      const config = options.config.models.find((m) => m.name === spec.name)
      if (!config) throw new Error(`model "${spec.name}" is not in the policy config`)
      const runtime: ModelRuntime = {
        index,
        config,
        spec,
        prng: createPrng(options.seed ^ hashString(spec.name)),
        specReplicas: 0,
        pods: [],
        routable: [],
        queue: [],
        queueHead: 0,
        scaleEvents: [],
        profiles: new Map(),
        podCounter: 0,
        fluidGroups: new Map(),
        ...(fluid ? {fluid: new FluidModel(spec.load, options.start)} : {}),
      }
      if (runtime.fluid) {
        const {input, output} = runtime.fluid.tokens
        this.fluidLog.header.push({
          t: options.start,
          type: 'requests.fluid-tokens',
          model: spec.name,
          input: {values: input.values, weights: input.weights},
          output: {values: output.values, weights: output.weights},
        })
      }
      this.models.push(runtime)
      this.modelByName.set(spec.name, runtime)
    })
    // Initial nodes are up before the run: billed from the start, with their boot MIG layout.
    for (const [name, count] of Object.entries(options.initialNodes ?? {})) {
      const group = this.requireGroup(name)
      for (let i = 0; i < count; i++) {
        const node = this.launchNode(group, true)
        this.registerNode(node, false)
        this.makeAllocatable(node)
      }
    }
    for (const model of this.models) {
      const replicas = model.spec.replicas ?? model.config.replicas.min
      model.specReplicas = replicas
      this.reconcile(model)
      const arrivals = model.spec.load.arrivals
      if (model.fluid) {
        // Served as a flow by the 'fluid' event.
      } else if (arrivals.kind === 'closed') {
        for (let c = 0; c < arrivals.concurrency; c++) this.queue.push(this.clock, {k: 'arrival', model, client: c})
      } else {
        this.queueNextArrival(model, this.clock)
      }
    }
    if (options.trace) {
      const sorted = options.trace.map((r, index) => ({r, index})).sort((a, b) => a.r.t - b.r.t || a.index - b.index)
      this.traceOrder = sorted.map((s) => s.r)
      if (this.traceOrder.length > 0) {
        this.queue.push(this.start + (this.traceOrder[0] as TraceRequest).t, {k: 'trace', index: 0})
        this.traceQueued = 0
      }
    }
    for (const storm of this.spot.storms)
      this.queue.push(this.start + storm.atSeconds, {k: 'storm', group: storm.group, count: storm.count})
    this.queue.push(this.start, {k: 'scrape'})
    if (fluid) this.queue.push(this.start + this.fluidStep, {k: 'fluid'})
    this.queueSchedulePass()
  }

  private traceOrder: TraceRequest[] = []
  /** Index (over every trace request ever given) of traceOrder[0]: appendTrace drops requests already replayed. */
  private traceBase = 0
  /** Index of the trace request whose event is queued, or -1 when none is (not started, or caught up). */
  private traceQueued = -1

  /**
   * Adds trace requests after those given so far (streaming replays, src/services/simulate-trace.ts), so a long
   * trace never sits in the twin whole. `t` is seconds from the start, as in `options.trace`; the requests must be
   * in time order and none earlier than the last one given. Requests already replayed are dropped here.
   *
   * Exactness: a replay fed in chunks is the same run as one given the whole trace at construction when each
   * chunk is appended before the twin reaches its predecessor's last request, i.e. when every `runUntil(T)` finds
   * all requests at or before T plus the next one (the caller's lookahead). Otherwise, a request appended after the
   * twin caught up is queued when appended (at its time, or now if that has passed).
   */
  appendTrace(requests: readonly TraceRequest[]): void {
    if (requests.length === 0) return
    if (this.options.requests === 'fluid')
      throw new RangeError('the fluid request model replays rates: give the trace as per-model step arrivals')
    let previous = this.traceOrder[this.traceOrder.length - 1]?.t ?? -Infinity
    for (const r of requests) {
      if (r.t < previous) throw new RangeError(`trace requests must come in time order (${r.t} after ${previous})`)
      previous = r.t
    }
    // Keep only the queued request and those after it: the rest have been replayed.
    const keepFrom = this.traceQueued < 0 ? this.traceBase + this.traceOrder.length : this.traceQueued
    this.traceOrder = this.traceOrder.slice(keepFrom - this.traceBase)
    this.traceBase = keepFrom
    const first = this.traceBase + this.traceOrder.length
    for (const r of requests) this.traceOrder.push(r)
    if (this.traceQueued < 0) {
      this.traceQueued = first
      this.queue.push(Math.max(this.clock, this.start + (requests[0] as TraceRequest).t), {k: 'trace', index: first})
    }
  }

  get now(): number {
    return this.clock
  }

  /** Runs every event up to and including time t (epoch seconds), then sets the clock to t. */
  runUntil(t: number): void {
    while (this.queue.peekTime() <= t) {
      const item = this.queue.pop()
      if (!item) break
      this.clock = item.time
      this.dispatch(item.event)
    }
    if (t > this.clock) this.clock = t
  }

  runFor(seconds: number): void {
    this.runUntil(this.clock + seconds)
  }

  // ---- actuator verbs -------------------------------------------------------------------------------------

  /** Sets a workload's replicas; the ReplicaSet creates Pending pods or terminates the least useful ones. */
  scaleWorkload(modelName: string, replicas: number): ActionResult {
    const model = this.modelByName.get(modelName)
    if (!model) return {ok: false, reason: 'UnknownModel', message: `no model "${modelName}"`}
    if (!Number.isInteger(replicas) || replicas < 0)
      return {ok: false, reason: 'InvalidReplicas', message: `replicas must be a whole number ≥ 0, got ${replicas}`}
    const from = model.specReplicas
    if (from === replicas) return {ok: true, message: `${modelName} already at ${replicas}`}
    model.specReplicas = replicas
    model.scaleEvents.push({at: this.clock, from, to: replicas})
    this.emit({t: this.clock, type: 'workload.scaled', model: modelName, from, to: replicas})
    this.reconcile(model)
    return {ok: true, message: `${modelName} ${from} → ${replicas}`}
  }

  /**
   * Changes a group's target size by `delta`. Up launches nodes that serve only after provisioning and init;
   * down only cancels nodes not yet registered (as cluster-autoscaler's DecreaseTargetSize): a registered node
   * leaves through removeNode, so "set size" never races "remove node".
   */
  scaleNodeGroup(groupName: string, delta: number): ActionResult {
    const group = this.groups.get(groupName)
    if (!group) return {ok: false, reason: 'UnknownNodeGroup', message: `no node group "${groupName}"`}
    if (!Number.isInteger(delta) || delta === 0)
      return {ok: false, reason: 'InvalidDelta', message: `delta must be a non-zero whole number, got ${delta}`}
    const from = group.targetSize
    if (delta > 0) {
      if (from + delta > group.config.max)
        return {
          ok: false,
          reason: 'AboveMax',
          message: `${groupName}: ${from} + ${delta} exceeds max ${group.config.max}`,
        }
      for (let i = 0; i < delta; i++) this.launchNode(group, false)
      group.lastScaleUpAt = this.clock
    } else {
      const cancellable = group.nodes.filter((n) => n.phase === 'provisioning')
      if (-delta > cancellable.length)
        return {
          ok: false,
          reason: 'NodesRegistered',
          message: `${groupName}: only ${cancellable.length} node(s) are still provisioning; remove registered nodes by name`,
        }
      if (from + delta < group.config.min)
        return {
          ok: false,
          reason: 'BelowMin',
          message: `${groupName}: ${from} ${delta} is under min ${group.config.min}`,
        }
      for (const node of cancellable.slice(delta)) this.deleteNode(node, 'cancelled')
      group.lastScaleDownAt = this.clock
    }
    this.emit({t: this.clock, type: 'group.scaled', group: groupName, from, to: group.targetSize})
    return {ok: true, message: `${groupName} ${from} → ${group.targetSize}`}
  }

  /**
   * Removes a registered node: refused when evicting its pods would break a PodDisruptionBudget (as
   * cluster-autoscaler's drain); otherwise the node is cordoned, its pods terminate with their grace period
   * (replacements go Pending), and it is deleted once they are gone.
   */
  removeNode(nodeName: string): ActionResult {
    const node = this.liveNodes.find((n) => n.name === nodeName)
    if (!node || !node.state) return {ok: false, reason: 'UnknownNode', message: `no registered node "${nodeName}"`}
    if (node.removing) return {ok: true, message: `${nodeName} is already being removed`}
    const pods = this.podsOn(node).filter((p) => p.phase !== 'terminating')
    const blocked = this.pdbBlocking(pods)
    if (blocked)
      return {
        ok: false,
        reason: 'PodDisruptionBudget',
        message: `evicting ${blocked.pods} pod(s) of ${blocked.workload} from ${nodeName} would break PDB ${blocked.pdb}`,
      }
    node.removing = true
    node.state.cordoned = true
    node.group.targetSize--
    node.group.lastScaleDownAt = this.clock
    this.emit({t: this.clock, type: 'node.remove-requested', node: node.name, group: node.group.config.name})
    for (const pod of pods) this.terminatePod(pod, 'node-removal', pod.model.config.terminationGraceSeconds)
    this.reconcileAll()
    this.maybeFinishRemoval(node)
    return {ok: true, message: `${nodeName} draining ${pods.length} pod(s)`}
  }

  /** Sets `nvidia.com/mig.config`; the MIG manager reports `nvidia.com/mig.config.state` when done. */
  setMigConfig(nodeName: string, config: string): ActionResult {
    const node = this.liveNodes.find((n) => n.name === nodeName)
    if (!node?.state || node.phase !== 'ready')
      return {ok: false, reason: 'UnknownNode', message: `no ready node "${nodeName}"`}
    if (!findGpuModel(node.group.config.gpu.model)?.migCapable)
      return {ok: false, reason: 'NotMigCapable', message: `${nodeName} has ${node.group.config.gpu.model} GPUs`}
    const state = node.state
    state.migConfig = config
    state.labels['nvidia.com/mig.config'] = config
    this.setMigState(node, config, 'pending')
    // MIG manager pauses the device plugin while it works: nothing new is allocated on the node.
    state.gpusAllocatable = false
    node.migVersion++
    this.emit({t: this.clock, type: 'mig.config-set', node: nodeName, config})
    this.queue.push(this.clock + (this.options.migReconfigureSeconds ?? 60), {
      k: 'migApply',
      node,
      version: node.migVersion,
    })
    return {ok: true, message: `${nodeName} nvidia.com/mig.config=${config}`}
  }

  /** The Eviction API: refused when the pod's PDB allows no disruption; the ReplicaSet then replaces the pod. */
  evictPod(podKey: string): ActionResult {
    const pod = this.models.flatMap((m) => m.pods).find((p) => p.key === podKey)
    if (!pod || pod.phase === 'gone') return {ok: false, reason: 'UnknownPod', message: `no pod "${podKey}"`}
    if (pod.phase === 'terminating') return {ok: true, message: `${podKey} is already terminating`}
    const blocked = this.pdbBlocking([pod])
    if (blocked) {
      this.emit({
        t: this.clock,
        type: 'pod.eviction-blocked',
        pod: pod.key,
        model: pod.model.config.name,
        pdb: blocked.pdb,
      })
      return {
        ok: false,
        reason: 'PodDisruptionBudget',
        message: `PDB ${blocked.pdb} allows no disruption of ${blocked.workload} now`,
      }
    }
    this.terminatePod(pod, 'evicted', pod.model.config.terminationGraceSeconds)
    this.reconcile(pod.model)
    return {ok: true, message: `${podKey} evicted`}
  }

  // ---- verbs for the API binding (sim serve) ----------------------------------------------------------------

  /** `spec.unschedulable` written through the API (kubectl cordon/uncordon): the scheduler skips cordoned nodes. */
  setCordoned(nodeName: string, cordoned: boolean): ActionResult {
    const node = this.liveNodes.find((n) => n.name === nodeName)
    if (!node?.state) return {ok: false, reason: 'UnknownNode', message: `no registered node "${nodeName}"`}
    // A node with an interruption notice or being removed stays cordoned: its termination handler cordoned it.
    node.state.cordoned = cordoned || node.removing || node.state.interruptionNoticeAt !== undefined
    if (!node.state.cordoned) this.queueSchedulePass()
    return {ok: true, message: `${nodeName} ${node.state.cordoned ? 'cordoned' : 'uncordoned'}`}
  }

  /** A pod DELETE (or an eviction the apiserver already allowed): terminates with its grace period, no PDB check. */
  deletePodGracefully(podKey: string): ActionResult {
    const pod = this.models.flatMap((m) => m.pods).find((p) => p.key === podKey)
    if (!pod || pod.phase === 'gone') return {ok: false, reason: 'UnknownPod', message: `no pod "${podKey}"`}
    this.terminatePod(pod, 'deleted', pod.model.config.terminationGraceSeconds)
    this.reconcile(pod.model)
    return {ok: true, message: `${podKey} terminating`}
  }

  /** A spot interruption notice for this node now (fault injection), as a storm would send it. */
  interruptNode(nodeName: string): ActionResult {
    const node = this.liveNodes.find((n) => n.name === nodeName)
    if (!node?.state) return {ok: false, reason: 'UnknownNode', message: `no registered node "${nodeName}"`}
    if (node.state.interruptionNoticeAt !== undefined) return {ok: true, message: `${nodeName} already has a notice`}
    this.onNotice(node)
    return {ok: true, message: `${nodeName} interrupted`}
  }

  /**
   * Holds (or releases) the MIG manager on a node: a held reconfiguration stays `pending` (fault injection of a
   * manager stuck waiting for operand pods). Releasing applies the held change now.
   */
  holdMig(nodeName: string, held: boolean): ActionResult {
    const node = this.liveNodes.find((n) => n.name === nodeName)
    if (!node?.state) return {ok: false, reason: 'UnknownNode', message: `no registered node "${nodeName}"`}
    if (held) this.migHeld.add(node)
    else if (this.migHeld.delete(node) && node.state.migConfigState === 'pending')
      this.queue.push(this.clock, {k: 'migApply', node, version: node.migVersion})
    return {ok: true, message: `${nodeName} MIG manager ${held ? 'held' : 'released'}`}
  }

  private readonly migHeld = new Set<TwinNode>()

  /** The time of the last telemetry scrape (series not sampled then belong to pods or GPUs that are gone). */
  get lastScrapeAt(): number {
    return this.lastScrape
  }

  private lastScrape = Number.NaN

  /** Every telemetry series with its latest sample, what an exporter serves at this moment. */
  latestTelemetry(): Array<{metric: string; labels: Record<string, string>; t: number; value: number}> {
    return this.telemetry.latest()
  }

  // ---- reading the twin ------------------------------------------------------------------------------------

  /** The cluster as a ClusterSnapshot at the current time, telemetry from the last `historySeconds`. */
  /**
   * The cluster now, as a snapshot. `telemetrySelect` narrows the telemetry per metric (what a planner reads, see
   * the closed loop): a metric it leaves out is not carried, and one it shortens keeps only its own lookback.
   */
  snapshot(
    options: {
      historySeconds?: number
      telemetry?: boolean
      telemetrySelect?: WindowSelect
      /** Also carry the long history's buckets in this range (older than the raw window), see `longHistory`. */
      longRange?: {from: number; to: number}
      /**
       * Carry only the workloads' scale events after this instant (default: all of them). The twin keeps every
       * event of the run; a planner reads those of its own windows only (see the closed loop's scaleEventHorizon).
       */
      scaleEventsAfter?: number
    } = {},
  ): ClusterSnapshot {
    const now = this.clock
    const history = options.historySeconds ?? 3600
    const nodes = this.liveNodes.filter((n) => n.state).map((n) => clonePlain(n.state as NodeState))
    const pods = this.models.flatMap((m) => m.pods.map((p) => clonePlain(p.state)))
    // `telemetry: false` skips the series (the API binding reads the cluster many times a second).
    const telemetry: Series[] =
      options.telemetry === false
        ? []
        : this.telemetry.window(now - history, now, options.telemetrySelect, options.longRange)
    return {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: SNAPSHOT_KIND,
      capturedAt: now,
      migStrategy: this.options.config.settings.migStrategy,
      nodeGroups: [...this.groups.values()].map((g) => ({
        name: g.config.name,
        targetSize: g.targetSize,
        ...(g.lastScaleUpAt !== undefined ? {lastScaleUpAt: g.lastScaleUpAt} : {}),
        ...(g.lastScaleDownAt !== undefined ? {lastScaleDownAt: g.lastScaleDownAt} : {}),
        failures: g.failures.filter((f) => f.at >= now - 3600).map((f) => ({...f})),
      })),
      nodes,
      pods,
      workloads: this.models.map((m) => ({
        kind: m.config.workload.kind,
        namespace: m.config.workload.namespace,
        name: m.config.workload.name,
        specReplicas: m.specReplicas,
        readyReplicas: m.pods.filter((p) => p.phase === 'ready').length,
        scaleEvents: eventsAfter(m.scaleEvents, options.scaleEventsAfter).map((e) => ({...e})),
        recommendations: [],
      })),
      pdbs: (this.options.pdbs ?? []).map((p) => ({...p})),
      telemetry,
    }
  }

  /** Infra events so far (requests are in `requests`). */
  get events(): readonly TwinEvent[] {
    return this.log
  }

  /** The whole log in time order: infra events and finished requests. */
  logEntries(): Generator<LogEntry> {
    return mergeLog(this.log, this.requests, this.fluidLog.length > 0 ? this.fluidLog : undefined)
  }

  eventLogJsonLines(): string {
    return toJsonLines(this.logEntries())
  }

  /** GPU-seconds and cost metered by the twin itself (launch to deletion, live nodes up to now). */
  billing(): {gpuSeconds: number; cost: number} {
    let gpuSeconds = this.billedGpuSeconds
    let cost = this.billedCost
    for (const group of this.groups.values()) {
      for (const node of group.nodes) {
        if (node.endedAt !== undefined) continue
        const seconds = this.clock - node.launchedAt
        gpuSeconds += seconds * group.config.gpu.count
        cost += (seconds / 3600) * group.config.hourlyCost
      }
    }
    return {gpuSeconds, cost}
  }

  /** A registered node's state as a snapshot would show it (a copy), or undefined. Cheaper than a snapshot. */
  nodeState(nodeName: string): NodeState | undefined {
    const node = this.liveNodes.find((n) => n.name === nodeName)
    return node?.state ? structuredClone(node.state) : undefined
  }

  /** A node group's target size now (what a provider's DescribeAutoScalingGroups returns), or undefined. */
  groupTargetSize(groupName: string): number | undefined {
    return this.groups.get(groupName)?.targetSize
  }

  /** A model's workload `spec.replicas` now, or undefined for an unknown model. */
  workloadReplicas(modelName: string): number | undefined {
    return this.modelByName.get(modelName)?.specReplicas
  }

  /** Pods of a model with their phase, for tests and views. */
  podPhases(modelName: string): Array<{name: string; phase: PodPhase; node?: string}> {
    const model = this.modelByName.get(modelName)
    return (model?.pods ?? []).map((p) => ({name: p.key, phase: p.phase, ...(p.node ? {node: p.node.name} : {})}))
  }

  nodeNames(groupName?: string): string[] {
    return this.liveNodes
      .filter((n) => n.state && (groupName === undefined || n.group.config.name === groupName))
      .map((n) => n.name)
  }

  /** The replica engine of a ready pod (tests read its histograms). */
  replicaOf(podKey: string): {replica: Replica; profile: ServingProfile} | undefined {
    const pod = this.models.flatMap((m) => m.pods).find((p) => p.key === podKey)
    return pod?.replica instanceof Replica ? {replica: pod.replica, profile: pod.replica.profile} : undefined
  }

  get telemetrySeriesCount(): number {
    return this.telemetry.seriesCount
  }

  // ---- event dispatch ---------------------------------------------------------------------------------------

  private dispatch(e: QueuedEvent): void {
    switch (e.k) {
      case 'arrival':
        this.onArrival(e.model, e.client)
        break
      case 'trace':
        this.onTrace(e.index)
        break
      case 'wake':
        e.replica.onWake(e.version, this.clock)
        break
      case 'registered':
        if (e.node.phase === 'provisioning') this.registerNode(e.node)
        break
      case 'allocatable':
        if (e.node.phase === 'initializing') this.makeAllocatable(e.node)
        break
      case 'capacityError':
        this.onCapacityError(e.node)
        break
      case 'podStep':
        if (e.pod.version === e.version) this.advancePod(e.pod)
        break
      case 'podKill':
      case 'podDrained':
        if (e.pod.version === e.version && e.pod.phase === 'terminating') this.deletePod(e.pod)
        break
      case 'notice':
        this.onNotice(e.node)
        break
      case 'reclaim':
        this.onReclaim(e.node)
        break
      case 'storm':
        this.onStorm(e.group, e.count)
        break
      case 'migApply':
        if (e.node.migVersion === e.version && e.node.phase === 'ready' && !this.migHeld.has(e.node))
          this.applyMig(e.node)
        break
      case 'schedule':
        this.schedulePassQueued = false
        this.schedulePending()
        break
      case 'scrape':
        this.scrape()
        this.queue.push(this.clock + this.scrapeInterval, {k: 'scrape'})
        break
      case 'fluid':
        this.stepFluid()
        this.queue.push(this.clock + this.fluidStep, {k: 'fluid'})
        break
    }
  }

  private emit(event: TwinEvent): void {
    this.log.push(event)
  }

  // ---- requests ---------------------------------------------------------------------------------------------

  /** One fluid step for every model: the replicas ready now serve the step's flow (./fluid.ts). */
  private stepFluid(): void {
    const from = this.lastFluidAt
    const to = this.clock
    this.lastFluidAt = to
    for (const model of this.models) {
      const fluid = model.fluid
      if (!fluid) continue
      for (const g of model.fluidGroups.values()) g.members = 0
      for (const pod of model.routable) (pod.replica as FluidReplica).group.members++
      const cohorts = fluid.step(from, to, [...model.fluidGroups.values()])
      for (const c of cohorts) this.fluidLog.add(model.index, c)
    }
  }

  private fluidGroupFor(pod: TwinPod, profile: ServingProfile): FluidGroup {
    const model = pod.model
    // Profiles are cached per GPU model, GPU count and MIG profile (profileFor), so the object is the group's key.
    let group = model.fluidGroups.get(profile)
    if (!group) {
      group = new FluidGroup(profile, (model.fluid as FluidModel).tokens, {
        ttft: TTFT_BUCKETS,
        itl: ITL_BUCKETS,
        e2e: E2E_BUCKETS,
      })
      model.fluidGroups.set(profile, group)
    }
    return group
  }

  private queueNextArrival(model: ModelRuntime, after: number): void {
    const t = nextArrival(model.spec.load.arrivals, after, this.start, Infinity, model.prng)
    if (Number.isFinite(t)) this.queue.push(t, {k: 'arrival', model, client: -1})
  }

  private onArrival(model: ModelRuntime, client: number): void {
    const req: TwinRequest = {
      id: this.requestCounter++,
      model: model.index,
      arrival: this.clock,
      input: sampleTokens(model.spec.load.input, model.prng),
      output: sampleTokens(model.spec.load.output, model.prng),
      prefillLeft: 0,
      firstTokenAt: NaN,
      client,
    }
    req.prefillLeft = req.input
    this.route(model, req)
    if (client < 0) this.queueNextArrival(model, this.clock)
  }

  private onTrace(index: number): void {
    const r = this.traceOrder[index - this.traceBase] as TraceRequest
    const model = this.modelByName.get(r.model)
    if (model) {
      const req: TwinRequest = {
        id: this.requestCounter++,
        model: model.index,
        arrival: this.clock,
        input: r.inputTokens,
        output: r.outputTokens,
        prefillLeft: r.inputTokens,
        firstTokenAt: NaN,
        client: -1,
      }
      this.route(model, req)
    }
    const next = this.traceOrder[index + 1 - this.traceBase]
    this.traceQueued = next ? index + 1 : -1
    if (next) this.queue.push(Math.max(this.clock, this.start + next.t), {k: 'trace', index: index + 1})
  }

  /** Least outstanding requests among ready replicas (first in readiness order on ties); else the gateway queue. */
  private route(model: ModelRuntime, req: TwinRequest): void {
    let best: TwinPod | undefined
    let bestLoad = Infinity
    for (const pod of model.routable) {
      const load = (pod.replica as Replica).outstanding
      if (load < bestLoad) {
        best = pod
        bestLoad = load
      }
    }
    if (best) (best.replica as Replica).enqueue(req, this.clock)
    else model.queue.push(req)
  }

  private drainGateway(model: ModelRuntime): void {
    while (model.queueHead < model.queue.length && model.routable.length > 0) {
      this.route(model, model.queue[model.queueHead++] as TwinRequest)
    }
    if (model.queueHead === model.queue.length) {
      model.queue = []
      model.queueHead = 0
    }
  }

  private finishRequest(replica: Replica, req: TwinRequest, ok: boolean): void {
    const model = this.models[req.model] as ModelRuntime
    this.requestSink.add(this.clock, req.model, req.arrival, req.firstTokenAt, req.input, req.output, ok)
    this.finishedRequests++
    // A closed-loop client sends its next request when this one ends; after a failure it backs off a second, so a
    // request the engine can never take (longer than its KV cache) cannot spin the clock in place.
    if (req.client >= 0) this.queue.push(this.clock + (ok ? 0 : 1), {k: 'arrival', model, client: req.client})
    const pod = replica.owner as TwinPod
    if (pod.phase === 'terminating' && replica.outstanding === 0) {
      // The last in-flight request of a draining replica: the server exits and the pod goes.
      this.queue.push(this.clock, {k: 'podDrained', pod, version: pod.version})
    }
  }

  // ---- nodes ------------------------------------------------------------------------------------------------

  private requireGroup(name: string): GroupRuntime {
    const group = this.groups.get(name)
    if (!group) throw new Error(`no node group "${name}"`)
    return group
  }

  private jitter(seconds: number): number {
    const sigma = this.options.coldStartSigma ?? 0
    if (sigma <= 0 || seconds <= 0) return seconds
    // Lognormal with median = the configured value.
    const u = 1 - this.infraPrng.next()
    const v = this.infraPrng.next()
    return seconds * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
  }

  private launchNode(group: GroupRuntime, immediate: boolean): TwinNode {
    group.counter++
    const node: TwinNode = {
      name: `${group.config.name}-${String(group.counter).padStart(3, '0')}`,
      group,
      phase: 'provisioning',
      launchedAt: this.clock,
      state: null,
      pulled: new Set(),
      removing: false,
      migVersion: 0,
    }
    group.nodes.push(node)
    group.targetSize++
    this.emit({
      t: this.clock,
      type: 'node.launched',
      node: node.name,
      group: group.config.name,
      gpus: group.config.gpu.count,
      hourlyCost: group.config.hourlyCost,
    })
    if (immediate) return node
    const since = this.clock - this.start
    const capacityError = (this.options.capacityErrors ?? []).some(
      (w) => w.group === group.config.name && since >= w.fromSeconds && since < w.toSeconds,
    )
    if (capacityError) this.queue.push(this.clock + CAPACITY_ERROR_SECONDS, {k: 'capacityError', node})
    else this.queue.push(this.clock + this.jitter(group.config.coldStart.provisioningSeconds), {k: 'registered', node})
    return node
  }

  private registerNode(node: TwinNode, initialize = true): void {
    const group = node.group.config
    const info = findGpuModel(group.gpu.model)
    const gpus: GpuDevice[] = []
    for (let index = 0; index < group.gpu.count; index++) {
      gpus.push({
        index,
        uuid: `GPU-${node.name}-${index}`,
        model: info?.name ?? group.gpu.model,
        memoryMiB: info?.memoryMiB ?? 0,
        mig: {enabled: false, instances: []},
        pods: [],
      })
    }
    const labels: Record<string, string> = {
      ...group.labels,
      'nvidia.com/gpu.product': info?.aliases[0] ?? group.gpu.model,
      'nvidia.com/gpu.count': String(group.gpu.count),
    }
    node.state = {
      name: node.name,
      group: group.name,
      labels,
      taints: group.taints.map((t) => ({...t})),
      ready: true,
      cordoned: false,
      createdAt: this.clock,
      gpusAllocatable: false,
      capacityType: group.capacityType,
      gpus,
    }
    if (info?.migCapable) {
      const boot = group.migConfigs[0] ?? 'all-disabled'
      node.state.migConfig = boot
      labels['nvidia.com/mig.config'] = boot
    }
    node.phase = 'initializing'
    this.liveNodes.push(node)
    this.emit({t: this.clock, type: 'node.registered', node: node.name, group: group.name})
    if (initialize)
      this.queue.push(this.clock + this.jitter(group.coldStart.driverInitSeconds), {k: 'allocatable', node})
  }

  private makeAllocatable(node: TwinNode): void {
    const state = node.state as NodeState
    // The MIG manager applies the boot config before the device plugin starts advertising.
    if (state.migConfig !== undefined) {
      const layouts = this.layoutsFor(node, state.migConfig)
      if ('error' in layouts) {
        this.setMigState(node, state.migConfig, 'failed', layouts.error)
      } else {
        layouts.forEach((layout, i) => this.applyLayout(state.gpus[i] as GpuDevice, layout))
        this.setMigState(node, state.migConfig, 'success')
      }
    }
    state.gpusAllocatable = true
    node.phase = 'ready'
    this.emit({t: this.clock, type: 'node.gpus-allocatable', node: node.name, group: node.group.config.name})
    if (node.group.config.capacityType === 'spot' && this.spot.ratePerNodeHour > 0) {
      const at = this.clock + (-Math.log(1 - this.infraPrng.next()) / this.spot.ratePerNodeHour) * 3600
      this.queue.push(at, {k: 'notice', node})
    }
    this.queueSchedulePass()
  }

  private onCapacityError(node: TwinNode): void {
    if (node.phase !== 'provisioning') return
    node.phase = 'gone'
    node.endedAt = node.launchedAt
    node.group.nodes.splice(node.group.nodes.indexOf(node), 1)
    node.group.targetSize--
    node.group.failures.push({at: this.clock, reason: 'capacity'})
    this.emit({t: this.clock, type: 'node.capacity-error', node: node.name, group: node.group.config.name})
  }

  private deleteNode(node: TwinNode, reason: 'removed' | 'spot-reclaimed' | 'cancelled'): void {
    if (node.phase === 'gone') return
    for (const pod of this.podsOn(node)) this.deletePod(pod)
    node.phase = 'gone'
    node.endedAt = this.clock
    const group = node.group
    group.nodes.splice(group.nodes.indexOf(node), 1)
    const live = this.liveNodes.indexOf(node)
    if (live >= 0) this.liveNodes.splice(live, 1)
    if (!node.removing) group.targetSize--
    const seconds = this.clock - node.launchedAt
    this.billedGpuSeconds += seconds * group.config.gpu.count
    this.billedCost += (seconds / 3600) * group.config.hourlyCost
    this.emit({t: this.clock, type: 'node.deleted', node: node.name, group: group.config.name, reason})
    this.reconcileAll()
  }

  private maybeFinishRemoval(node: TwinNode): void {
    if (node.removing && node.phase !== 'gone' && this.podsOn(node).length === 0) this.deleteNode(node, 'removed')
  }

  private onStorm(groupName: string, count: number): void {
    const candidates = this.liveNodes.filter(
      (n) => n.group.config.name === groupName && n.state && n.state.interruptionNoticeAt === undefined && !n.removing,
    )
    for (const node of candidates.slice(0, count)) this.onNotice(node)
  }

  /** Spot interruption notice: the node is cordoned and drained (node termination handler), pods replaced. */
  private onNotice(node: TwinNode): void {
    if (node.phase === 'gone' || !node.state || node.state.interruptionNoticeAt !== undefined) return
    node.state.interruptionNoticeAt = this.clock
    node.state.cordoned = true
    const terminatesAt = this.clock + this.spot.noticeSeconds
    this.emit({
      t: this.clock,
      type: 'node.interruption-notice',
      node: node.name,
      group: node.group.config.name,
      terminatesAt,
    })
    for (const pod of this.podsOn(node)) {
      if (pod.phase !== 'terminating')
        this.terminatePod(
          pod,
          'spot-interruption',
          Math.min(pod.model.config.terminationGraceSeconds, this.spot.noticeSeconds),
        )
    }
    this.reconcileAll()
    this.queue.push(terminatesAt, {k: 'reclaim', node})
  }

  private onReclaim(node: TwinNode): void {
    if (node.phase === 'gone') return
    const group = node.group
    this.deleteNode(node, 'spot-reclaimed')
    if (this.spot.replace && group.targetSize < group.config.max) this.launchNode(group, false)
  }

  // ---- MIG --------------------------------------------------------------------------------------------------

  private layoutsFor(node: TwinNode, config: string): GpuLayout[] | {error: string} {
    const layouts: GpuLayout[] = []
    for (const gpu of (node.state as NodeState).gpus) {
      const layout = layoutForMigConfig(config, {index: gpu.index, model: gpu.model})
      if ('error' in layout) return layout
      layouts.push(layout)
    }
    return layouts
  }

  private applyLayout(gpu: GpuDevice, layout: GpuLayout): void {
    gpu.mig = {
      enabled: layout.enabled,
      instances: layout.instances.map((i) => ({profile: i.profile, start: i.start, size: i.size})),
    }
  }

  private setMigState(node: TwinNode, config: string, state: 'pending' | 'success' | 'failed', reason?: string): void {
    const ns = node.state as NodeState
    ns.migConfigState = state
    ns.labels['nvidia.com/mig.config.state'] = state
    this.emit({t: this.clock, type: 'mig.state', node: node.name, config, state, ...(reason ? {reason} : {})})
  }

  private applyMig(node: TwinNode): void {
    const state = node.state as NodeState
    const config = state.migConfig as string
    const layouts = this.layoutsFor(node, config)
    state.gpusAllocatable = true
    if ('error' in layouts) {
      this.setMigState(node, config, 'failed', layouts.error)
    } else {
      const busy = state.gpus.filter((gpu, i) => !sameLayout(gpu, layouts[i] as GpuLayout) && gpuHasPods(gpu))
      if (busy.length > 0) {
        this.setMigState(
          node,
          config,
          'failed',
          `GPU ${busy.map((g) => g.index).join(', ')} in use: the MIG manager needs every workload on a GPU it reconfigures stopped`,
        )
      } else {
        state.gpus.forEach((gpu, i) => {
          if (!sameLayout(gpu, layouts[i] as GpuLayout)) this.applyLayout(gpu, layouts[i] as GpuLayout)
        })
        this.setMigState(node, config, 'success')
      }
    }
    this.queueSchedulePass()
  }

  // ---- pods -------------------------------------------------------------------------------------------------

  /** The ReplicaSet: keeps active (not terminating) pods at spec, deleting the least useful first. */
  private reconcile(model: ModelRuntime): void {
    const active = model.pods.filter((p) => p.phase !== 'terminating' && p.phase !== 'gone')
    if (active.length < model.specReplicas) {
      for (let i = active.length; i < model.specReplicas; i++) this.createPod(model)
      this.queueSchedulePass()
    } else if (active.length > model.specReplicas) {
      // ReplicaSet deletion order: unscheduled first, then not ready, then ready; newest first within each.
      const rank = (p: TwinPod) => (p.phase === 'pending' ? 0 : p.phase === 'ready' ? 2 : 1)
      const victims = [...active]
        .sort((a, b) => rank(a) - rank(b) || b.seq - a.seq)
        .slice(0, active.length - model.specReplicas)
      for (const pod of victims) this.terminatePod(pod, 'scale-down', model.config.terminationGraceSeconds)
    }
  }

  private reconcileAll(): void {
    for (const model of this.models) this.reconcile(model)
  }

  private createPod(model: ModelRuntime): void {
    const seq = this.podSeq++
    model.podCounter++
    const {namespace, name, kind} = model.config.workload
    const podName = `${name}-${model.podCounter.toString(36).padStart(5, '0')}`
    const need = deviceNeedOf(model.config)
    const state: PodState = {
      name: podName,
      namespace,
      workload: {kind, name},
      phase: 'Pending',
      ready: false,
      deleting: false,
      createdAt: this.clock,
      gpuRequest:
        need.kind === 'mig'
          ? {
              resource:
                this.options.config.settings.migStrategy === 'single'
                  ? 'nvidia.com/gpu'
                  : `nvidia.com/mig-${need.profile}`,
              count: 1,
            }
          : {resource: 'nvidia.com/gpu', count: need.count},
      daemon: false,
    }
    const pod: TwinPod = {
      seq,
      key: `${namespace}/${podName}`,
      model,
      state,
      phase: 'pending',
      node: null,
      devices: null,
      replica: null,
      version: 0,
      loadingUntil: 0,
      loadSeconds: 0,
    }
    model.pods.push(pod)
    this.pending.push(pod)
    this.emit({t: this.clock, type: 'pod.created', pod: pod.key, model: model.config.name})
  }

  private queueSchedulePass(): void {
    if (this.schedulePassQueued) return
    this.schedulePassQueued = true
    this.queue.push(this.clock, {k: 'schedule'})
  }

  /** kube-scheduler's queue: Pending pods oldest first, each placed through the SchedulePod seam. */
  private schedulePending(): void {
    if (this.pending.length === 0) return
    const nodes = this.liveNodes.filter((n) => n.state && n.phase !== 'gone').map((n) => n.state as NodeState)
    const still: TwinPod[] = []
    for (const pod of this.pending) {
      if (pod.phase !== 'pending') continue
      const target = this.schedule(pod.state, nodes, {
        model: pod.model.config,
        migStrategy: this.options.config.settings.migStrategy,
      })
      const node = target === undefined ? undefined : this.liveNodes.find((n) => n.name === target)
      const devices = node?.state ? findFreeDevices(node.state, deviceNeedOf(pod.model.config)) : undefined
      if (!node || !devices) {
        still.push(pod)
        continue
      }
      this.bind(pod, node, devices)
    }
    this.pending.length = 0
    this.pending.push(...still)
  }

  private bind(pod: TwinPod, node: TwinNode, devices: {gpus: number[]} | {gpu: number; start: number}): void {
    const state = node.state as NodeState
    if ('gpus' in devices) {
      for (const index of devices.gpus) (state.gpus[index] as GpuDevice).pods.push(pod.key)
    } else {
      const instance = (state.gpus[devices.gpu] as GpuDevice).mig.instances.find((i) => i.start === devices.start)
      if (instance) instance.pod = pod.key
    }
    pod.node = node
    pod.devices = devices
    pod.state.node = node.name
    pod.phase = 'pulling'
    this.emit({t: this.clock, type: 'pod.scheduled', pod: pod.key, model: pod.model.config.name, node: node.name})
    const model = pod.model.config.name
    // The image is pulled once per node; later pods of the model start from the node's cache.
    const pull = node.pulled.has(model) ? 0 : this.jitter(node.group.config.coldStart.imagePullSeconds)
    node.pulled.add(model)
    pod.version++
    this.queue.push(this.clock + pull, {k: 'podStep', pod, version: pod.version})
  }

  private advancePod(pod: TwinPod): void {
    if (pod.phase === 'pulling') {
      pod.phase = 'loading'
      pod.state.phase = 'Running'
      pod.state.startedAt = this.clock
      const weights = pod.model.config.weights
      pod.loadSeconds = this.jitter(
        weights.loadSeconds ?? weights.sizeGiB / (weights.loadGiBps && weights.loadGiBps > 0 ? weights.loadGiBps : 1),
      )
      pod.loadingUntil = this.clock + pod.loadSeconds
      this.emit({
        t: this.clock,
        type: 'pod.loading',
        pod: pod.key,
        model: pod.model.config.name,
        node: (pod.node as TwinNode).name,
        seconds: pod.loadSeconds,
      })
      pod.version++
      this.queue.push(pod.loadingUntil, {k: 'podStep', pod, version: pod.version})
    } else if (pod.phase === 'loading') {
      pod.phase = 'ready'
      pod.state.ready = true
      pod.state.readyAt = this.clock
      const profile = this.profileFor(pod)
      pod.replica = pod.model.fluid
        ? new FluidReplica(this.fluidGroupFor(pod, profile), pod)
        : new Replica(
            profile,
            {
              wake: (replica, time, version) => this.queue.push(time, {k: 'wake', replica, version}),
              finish: (replica, req, _time, ok) => this.finishRequest(replica, req, ok),
            },
            this.clock,
            pod,
          )
      pod.model.routable.push(pod)
      this.emit({
        t: this.clock,
        type: 'pod.ready',
        pod: pod.key,
        model: pod.model.config.name,
        node: (pod.node as TwinNode).name,
      })
      this.drainGateway(pod.model)
    }
  }

  private profileFor(pod: TwinPod): ServingProfile {
    const node = pod.node as TwinNode
    const gpuModel = node.group.config.gpu.model
    const devices = pod.devices as {gpus: number[]} | {gpu: number; start: number}
    let migProfile: string | undefined
    if (!('gpus' in devices))
      migProfile = (node.state as NodeState).gpus[devices.gpu]?.mig.instances.find(
        (i) => i.start === devices.start,
      )?.profile
    const gpus = 'gpus' in devices ? devices.gpus.length : 1
    const key = `${gpuModel}|${gpus}|${migProfile ?? ''}`
    let profile = pod.model.profiles.get(key)
    if (!profile) {
      profile = resolveServingProfile(pod.model.spec.serving ?? {}, gpuModel, {
        gpus,
        ...(migProfile ? {migProfile} : {}),
      })
      pod.model.profiles.set(key, profile)
    }
    return profile
  }

  /**
   * Starts a pod's termination. A serving replica leaves the router at once, drains its in-flight requests and
   * is killed at the end of the grace period; a pod that never served goes at once.
   */
  private terminatePod(pod: TwinPod, reason: string, graceSeconds: number): void {
    if (pod.phase === 'terminating' || pod.phase === 'gone') return
    const wasServing = pod.phase === 'ready'
    pod.phase = 'terminating'
    pod.state.deleting = true
    pod.version++
    this.emit({
      t: this.clock,
      type: 'pod.terminating',
      pod: pod.key,
      model: pod.model.config.name,
      reason,
      graceSeconds,
    })
    const routable = pod.model.routable.indexOf(pod)
    if (routable >= 0) pod.model.routable.splice(routable, 1)
    if (!wasServing || !pod.replica || pod.replica.outstanding === 0) {
      this.deletePod(pod)
      return
    }
    pod.replica.draining = true
    this.queue.push(this.clock + graceSeconds, {k: 'podKill', pod, version: pod.version})
  }

  private deletePod(pod: TwinPod): void {
    if (pod.phase === 'gone') return
    let aborted = 0
    let requeue: TwinRequest[] = []
    if (pod.replica) {
      const before = this.finishedRequests
      requeue = pod.replica.abortAll(this.clock)
      aborted = this.finishedRequests - before
    }
    const routable = pod.model.routable.indexOf(pod)
    if (routable >= 0) pod.model.routable.splice(routable, 1)
    const node = pod.node
    if (node?.state && pod.devices) {
      if ('gpus' in pod.devices) {
        for (const index of pod.devices.gpus) {
          const gpu = node.state.gpus[index] as GpuDevice
          gpu.pods = gpu.pods.filter((k) => k !== pod.key)
        }
      } else {
        const instance = node.state.gpus[pod.devices.gpu]?.mig.instances.find((i) => i.pod === pod.key)
        if (instance) delete instance.pod
      }
    }
    pod.phase = 'gone'
    pod.version++
    pod.model.pods.splice(pod.model.pods.indexOf(pod), 1)
    const pendingIndex = this.pending.indexOf(pod)
    if (pendingIndex >= 0) this.pending.splice(pendingIndex, 1)
    this.emit({t: this.clock, type: 'pod.deleted', pod: pod.key, model: pod.model.config.name, aborted})
    // Requests that never started go back to the router (the gateway retries them elsewhere).
    for (const req of requeue) this.route(pod.model, req)
    if (node) this.maybeFinishRemoval(node)
    this.queueSchedulePass()
  }

  private podsOn(node: TwinNode): TwinPod[] {
    const out: TwinPod[] = []
    for (const model of this.models) for (const pod of model.pods) if (pod.node === node) out.push(pod)
    return out
  }

  /**
   * The first PDB that evicting these pods would break: allowed disruptions = healthy pods − (desired −
   * maxUnavailable), healthy = ready and not terminating (the disruption controller's arithmetic).
   */
  private pdbBlocking(pods: TwinPod[]): {pdb: string; workload: string; pods: number} | undefined {
    for (const pdb of this.options.pdbs ?? []) {
      const model = this.models.find(
        (m) =>
          `${m.config.workload.kind}/${m.config.workload.name}` === pdb.workload &&
          m.config.workload.namespace === pdb.namespace,
      )
      if (!model) continue
      const disrupted = pods.filter((p) => p.model === model && p.phase === 'ready').length
      if (disrupted === 0) continue
      const healthy = model.pods.filter((p) => p.phase === 'ready').length
      const allowed = healthy - (model.specReplicas - pdb.maxUnavailable)
      if (disrupted > allowed) return {pdb: `${pdb.namespace}/${pdb.name}`, workload: pdb.workload, pods: disrupted}
    }
    return undefined
  }

  // ---- telemetry --------------------------------------------------------------------------------------------

  private scrape(): void {
    const t = this.clock
    const first = this.scrapes === 0
    this.scrapes++
    this.lastScrape = t
    for (const model of this.models) {
      const {namespace, name} = model.config.workload
      this.telemetry.record(
        `gw|${namespace}|${name}`,
        'gateway_queue_depth',
        {namespace, workload: name},
        t,
        // Fluid: the backlog waits at the gateway while no replica serves, else at the replicas.
        model.fluid ? (model.routable.length === 0 ? model.fluid.backlog : 0) : model.queue.length - model.queueHead,
      )
      for (const pod of model.pods) {
        if (
          !pod.node?.state ||
          !pod.devices ||
          pod.phase === 'pending' ||
          pod.phase === 'pulling' ||
          pod.phase === 'gone'
        )
          continue
        this.scrapePod(pod, t, first)
      }
    }
    if (this.scrapes % 20 === 0) this.telemetry.trim(t)
  }

  private labelsOf(pod: TwinPod): PodLabels {
    if (pod.labels) return pod.labels
    const node = pod.node as TwinNode
    const state = node.state as NodeState
    const devices = pod.devices as {gpus: number[]} | {gpu: number; start: number}
    const podLabels = {namespace: pod.state.namespace, pod: pod.state.name, container: 'server'}
    const gpuIndices = 'gpus' in devices ? devices.gpus : [devices.gpu]
    const gpus = gpuIndices.map((index) => {
      const gpu = state.gpus[index] as GpuDevice
      const labels: Record<string, string> = {
        gpu: String(index),
        UUID: gpu.uuid ?? '',
        device: `nvidia${index}`,
        modelName: findGpuModel(gpu.model)?.aliases[0] ?? gpu.model,
        Hostname: node.name,
        ...podLabels,
      }
      const mig = !('gpus' in devices)
      if (!('gpus' in devices)) {
        const instance = gpu.mig.instances.find((i) => i.start === devices.start)
        labels.GPU_I_PROFILE = instance?.profile ?? ''
        labels.GPU_I_ID = String(devices.start)
      }
      return {gpu: index, labels, key: `${node.name}|${index}|${mig ? devices.start : ''}|${pod.key}`, mig}
    })
    const vllm = {...podLabels, model_name: pod.model.config.name}
    pod.labels = {gpus, vllm, vllmKey: pod.key, slots: []}
    return pod.labels
  }

  private scrapePod(pod: TwinPod, t: number, _first: boolean): void {
    const labels = this.labelsOf(pod)
    const replica = pod.replica
    const interval = this.scrapeInterval
    let util = 0
    let sm = 0
    let dram = 0
    let fbMiB = 0
    let pcieRx = 0
    const weightsMiB = pod.model.config.weights.sizeGiB * 1024
    if (replica) {
      const activity = replica.takeActivity(t)
      util = Math.min(1, activity.busy / interval)
      sm = Math.min(1, activity.sm / interval)
      dram = Math.min(1, activity.dram / interval)
      fbMiB = replica.profile.framebufferMiB
    } else if (pod.phase === 'loading') {
      // Weights stream host → GPU over PCIe while the server loads them; no kernels run yet.
      const done = pod.loadSeconds > 0 ? Math.min(1, 1 - (pod.loadingUntil - t) / pod.loadSeconds) : 1
      fbMiB = weightsMiB * Math.max(0, done)
      pcieRx = pod.loadSeconds > 0 ? (pod.model.config.weights.sizeGiB * 2 ** 30) / pod.loadSeconds : 0
    }
    const gpuCount = labels.gpus.length
    const slots = labels.slots
    let slot = 0
    const telemetry = this.telemetry
    // Series keys are `prefix|suffix`, built only the first time a slot is filled (a scrape is mostly pushes).
    const record = (
      prefix: string,
      suffix: string,
      metric: string,
      seriesLabels: Record<string, string>,
      value: number,
    ) => {
      let h = slots[slot]
      if (!h) slots[slot] = h = telemetry.handle(`${prefix}|${suffix}`, metric, seriesLabels)
      slot++
      telemetry.push(h, t, value)
    }
    for (const g of labels.gpus) {
      const k = g.key
      const l = g.labels
      // DCGM_FI_DEV_GPU_UTIL (percent of time a kernel ran) does not exist on MIG instances: GR_ENGINE_ACTIVE does.
      if (g.mig) record('DCGM_FI_PROF_GR_ENGINE_ACTIVE', k, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', l, round4(util))
      else record('DCGM_FI_DEV_GPU_UTIL', k, 'DCGM_FI_DEV_GPU_UTIL', l, Math.round(util * 100))
      record('DCGM_FI_PROF_SM_ACTIVE', k, 'DCGM_FI_PROF_SM_ACTIVE', l, round4(sm))
      record('DCGM_FI_PROF_DRAM_ACTIVE', k, 'DCGM_FI_PROF_DRAM_ACTIVE', l, round4(dram))
      record('DCGM_FI_DEV_FB_USED', k, 'DCGM_FI_DEV_FB_USED', l, Math.round(fbMiB / gpuCount))
      record('DCGM_FI_PROF_PCIE_RX_BYTES', k, 'DCGM_FI_PROF_PCIE_RX_BYTES', l, Math.round(pcieRx / gpuCount))
    }
    if (!replica) return
    const v = labels.vllm
    const key = labels.vllmKey
    record('w', key, 'vllm:num_requests_waiting', v, replica.waitingCount)
    record('r', key, 'vllm:num_requests_running', v, replica.runningCount)
    record('kv', key, 'vllm:kv_cache_usage_perc', v, round4(replica.kvUsageAt(t)))
    record('pt', key, 'vllm:prompt_tokens_total', v, replica.promptTokens)
    record('gt', key, 'vllm:generation_tokens_total', v, replica.generationTokens)
    record('ok', key, 'vllm:request_success_total', v, replica.succeeded)
    slot = this.recordHistogram('vllm:time_to_first_token_seconds', replica.ttft, v, key, t, slots, slot)
    slot = this.recordHistogram('vllm:inter_token_latency_seconds', replica.itl, v, key, t, slots, slot)
    this.recordHistogram('vllm:e2e_request_latency_seconds', replica.e2e, v, key, t, slots, slot)
  }

  /** Records a histogram's cumulative buckets, `_sum` and `_count` into consecutive slots; returns the next slot. */
  private recordHistogram(
    metric: string,
    h: Histogram,
    labels: Record<string, string>,
    key: string,
    t: number,
    slots: StoredSeries[],
    slot: number,
  ): number {
    const n = h.bounds.length
    let cumulative = 0
    for (let i = 0; i <= n; i++) {
      cumulative += h.counts[i] as number
      let handle = slots[slot]
      if (!handle)
        slots[slot] = handle = this.telemetry.handle(`${metric}|${key}|${i}`, `${metric}_bucket`, {
          ...labels,
          le: i < n ? String(h.bounds[i]) : '+Inf',
        })
      this.telemetry.push(handle, t, cumulative)
      slot++
    }
    let sum = slots[slot]
    if (!sum) slots[slot] = sum = this.telemetry.handle(`${metric}|${key}|sum`, `${metric}_sum`, labels)
    this.telemetry.push(sum, t, Math.round(h.sum * 1e6) / 1e6)
    slot++
    let count = slots[slot]
    if (!count) slots[slot] = count = this.telemetry.handle(`${metric}|${key}|count`, `${metric}_count`, labels)
    this.telemetry.push(count, t, h.count)
    return slot + 1
  }
}

/**
 * A deep copy of plain data (objects, arrays, primitives: what node and pod states are), several times cheaper
 * than structuredClone, which the loop paid for every node and pod on every tick. Keys holding undefined are kept,
 * as structuredClone keeps them.
 */
function clonePlain<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(clonePlain) as T
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) out[key] = clonePlain((value as Record<string, unknown>)[key])
  return out as T
}

/**
 * The events after `after` (all when undefined). Events are appended as the clock moves, so they are in time order
 * and the ones kept are a suffix: found from the end, without visiting a run's whole history.
 */
function eventsAfter(events: readonly ScaleEvent[], after: number | undefined): readonly ScaleEvent[] {
  if (after === undefined) return events
  let first = events.length
  while (first > 0 && (events[first - 1] as ScaleEvent).at > after) first--
  return first === 0 ? events : events.slice(first)
}

/** round(value, 4) with the power written out: the scrape calls it millions of times, and 10 ** 4 is exactly 1e4. */
function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4
}

function hashString(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}
