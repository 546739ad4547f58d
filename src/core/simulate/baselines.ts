/**
 * Built-in baselines for `gpu-scale simulate --baseline NAME` (issue 12, item 2): what users run today, as policy
 * configs that replay through the same twin and the same closed loop as the user's own config. Each is the
 * user's world (node groups, models, weights, bounds) with the *controller* replaced by the real defaults of the
 * system it stands for; every default is a row of BASELINE_DEFAULTS with its source, which the tests read.
 *
 *   hpa-gpu-util    the seed's setup: an autoscaling/v2 HPA on DCGM GPU utilization (40% over 3 minutes) with
 *                   HPA's default behavior (300 s scale-down stabilization), nodes like Cluster Autoscaler;
 *   keda-queue      KEDA on queue depth: 30 s polling, 300 s cooldown, scale to zero; nodes like CA;
 *   reactive-nodes  the user's pod policy, nodes like CA (only for Pending pods, removed after 10 min unneeded);
 *   static-peak     replicas and nodes fixed at what the trace's peak needs at SLO capacity;
 *   oracle          not a config: the layer-decomposition optimum (src/core/oracle), no run.
 *
 * "Nodes like CA" is `settings.nodes.mode: reactive` with CA's scale-down defaults. One difference remains and
 * favours the baselines: the planner asks for nodes in the same tick the replicas are added, where CA notices the
 * Pending pods on its next 10 s scan (and GPU scale-ups 30 s later, kubernetes/autoscaler#9126).
 */
import type {ModelConfig, PolicyConfig, SignalConfig} from '../model/config.js'
import {DEFAULT_BEHAVIOR} from '../config/normalize.js'
import {replicasPerNode} from '../policy/nodes/scale-up.js'
import {homeGroupOf} from './world.js'

export const BASELINE_NAMES = ['hpa-gpu-util', 'keda-queue', 'reactive-nodes', 'static-peak', 'oracle'] as const
export type BaselineName = (typeof BASELINE_NAMES)[number]
/** Baselines that run through the twin (all but the oracle). */
export type RunBaselineName = Exclude<BaselineName, 'oracle'>

export function isBaselineName(name: string): name is BaselineName {
  return (BASELINE_NAMES as readonly string[]).includes(name)
}

/** One default a baseline reproduces: where it lands in the config, its value, and where the value comes from. */
export interface BaselineDefault {
  baseline: RunBaselineName
  /** Config path (per model: `models[].…`). */
  field: string
  value: string | number | boolean
  source: string
}

const HPA_SOURCE =
  'Kubernetes HPA (k8s.io/kubernetes pkg/apis/autoscaling/v2/defaults.go; kube-controller-manager flags)'
const CA_SOURCE = 'Cluster Autoscaler FAQ defaults (kubernetes/autoscaler cluster-autoscaler/FAQ.md)'
const KEDA_SOURCE = 'KEDA ScaledObject defaults (keda.sh/docs/2.x/reference/scaledobject-spec)'

/** Cluster Autoscaler's node behaviour, shared by every baseline that runs (static-peak never scales down). */
const CA_ROWS = (baseline: RunBaselineName): BaselineDefault[] => [
  {baseline, field: 'settings.nodes.mode', value: 'reactive', source: `${CA_SOURCE}: nodes only for Pending pods`},
  {baseline, field: 'settings.warmHeadroomGpus', value: 0, source: `${CA_SOURCE}: no capacity buffer by default`},
  {
    baseline,
    field: 'settings.scaleDown.unneededTime',
    value: 600,
    source: `${CA_SOURCE}: --scale-down-unneeded-time=10m`,
  },
  {
    baseline,
    field: 'settings.scaleDown.delayAfterAdd',
    value: 600,
    source: `${CA_SOURCE}: --scale-down-delay-after-add=10m`,
  },
  {
    baseline,
    field: 'settings.scaleDown.gpuUtilizationThreshold',
    value: 0.5,
    source: `${CA_SOURCE}: --scale-down-utilization-threshold=0.5`,
  },
]

/** HPA's default behavior (the stabilization and rate limits every HPA gets without `spec.behavior`). */
const HPA_BEHAVIOR_ROWS = (baseline: RunBaselineName): BaselineDefault[] => [
  {baseline, field: 'models[].algorithm', value: 'hpa', source: `${HPA_SOURCE}: the controller's replica math`},
  {
    baseline,
    field: 'models[].behavior.scaleDown.stabilizationWindow',
    value: 300,
    source: `${HPA_SOURCE}: scaleDown stabilizationWindowSeconds 300`,
  },
  {
    baseline,
    field: 'models[].behavior.scaleUp.policies',
    value: 'max(4 pods, 100%) per 15s',
    source: `${HPA_SOURCE}: scaleUp policies`,
  },
  {baseline, field: 'models[].behavior.scaleDown.policies', value: '100% per 15s', source: HPA_SOURCE},
  {
    baseline,
    field: 'models[].behavior.tolerance',
    value: 0.1,
    source: `${HPA_SOURCE}: --horizontal-pod-autoscaler-tolerance=0.1`,
  },
]

export const BASELINE_DEFAULTS: readonly BaselineDefault[] = [
  // hpa-gpu-util: the seed document's production setup.
  {
    baseline: 'hpa-gpu-util',
    field: 'settings.loopInterval',
    value: 15,
    source: `${HPA_SOURCE}: --horizontal-pod-autoscaler-sync-period=15s`,
  },
  {
    baseline: 'hpa-gpu-util',
    field: 'models[].signals[gpu-util].metric',
    value: 'DCGM_FI_DEV_GPU_UTIL',
    source: 'seed document: per-pod GPU utilization from dcgm-exporter (DCGM_FI_PROF_GR_ENGINE_ACTIVE on MIG slices)',
  },
  {
    baseline: 'hpa-gpu-util',
    field: 'models[].signals[gpu-util].target',
    value: 40,
    source: 'seed document: 40% target',
  },
  {
    baseline: 'hpa-gpu-util',
    field: 'models[].signals[gpu-util].window',
    value: 180,
    source: 'seed document: averaged over 3 minutes',
  },
  {
    baseline: 'hpa-gpu-util',
    field: 'models[].replicas.min',
    value: 'max(1, yours)',
    source: `${HPA_SOURCE}: minReplicas defaults to 1 and cannot be 0 without the HPAScaleToZero gate`,
  },
  ...HPA_BEHAVIOR_ROWS('hpa-gpu-util'),
  ...CA_ROWS('hpa-gpu-util'),
  // keda-queue.
  {
    baseline: 'keda-queue',
    field: 'settings.loopInterval',
    value: 30,
    source: `${KEDA_SOURCE}: pollingInterval 30`,
  },
  {
    baseline: 'keda-queue',
    field: 'models[].replicas.min',
    value: 0,
    source: `${KEDA_SOURCE}: minReplicaCount 0 (scale to zero)`,
  },
  {
    baseline: 'keda-queue',
    field: 'models[].behavior.scaleDown.stabilizationWindow',
    value: 300,
    source: `${KEDA_SOURCE}: cooldownPeriod 300 before the last replica goes (and HPA's 300 s for the others)`,
  },
  {
    baseline: 'keda-queue',
    field: 'models[].signals[queue].metric',
    value: 'vllm:num_requests_waiting',
    source: "KEDA prometheus trigger on vLLM's queue, per replica (kedacore/keda#7538)",
  },
  {
    baseline: 'keda-queue',
    field: 'models[].signals[queue].target',
    value: 5,
    source:
      'KEDA has no default threshold; 5 waiting requests per replica is llm-d WVA queueLengthThreshold (reference §2)',
  },
  {
    baseline: 'keda-queue',
    field: 'models[].signals[gateway-queue].activationThreshold',
    value: 0,
    source: `${KEDA_SOURCE}: activationThreshold 0 (a request waiting at the gateway wakes a model at zero)`,
  },
  {baseline: 'keda-queue', field: 'models[].algorithm', value: 'hpa', source: 'KEDA scales 1↔N through an HPA it owns'},
  ...HPA_BEHAVIOR_ROWS('keda-queue').filter((r) => r.field !== 'models[].algorithm'),
  ...CA_ROWS('keda-queue'),
  // reactive-nodes: only the node layer changes.
  ...CA_ROWS('reactive-nodes'),
  // static-peak.
  {
    baseline: 'static-peak',
    field: 'models[].replicas',
    value: 'min = max = ceil(peak demand ÷ capacity at SLO)',
    source: "provisioned for the trace's busiest minute, as a fleet sized by hand for its peak",
  },
  {
    baseline: 'static-peak',
    field: 'nodeGroups[].min',
    value: 'the nodes those replicas need',
    source: 'nodes are never released (no scale-down below them)',
  },
]

/** What a baseline config needs to know about the run: each model's peak replicas at SLO (static-peak). */
export interface BaselineContext {
  peakReplicas: Record<string, number>
}

/**
 * The config of a baseline over the user's world. Pure: the user's config is never modified. `oracle` has no
 * config (it does not run); ask for it and you get a RangeError.
 */
export function baselineConfig(name: RunBaselineName, user: PolicyConfig, context: BaselineContext): PolicyConfig {
  const base: PolicyConfig = structuredClone(user)
  base.name = `baseline:${name}`
  switch (name) {
    case 'hpa-gpu-util':
      withReactiveNodes(base)
      base.settings.loopIntervalSeconds = 15
      base.models = base.models.map((m) => ({
        ...hpaModel(m),
        replicas: {min: Math.max(1, m.replicas.min), max: Math.max(1, m.replicas.max)},
        signals: [gpuUtilSignal(m)],
      }))
      return base
    case 'keda-queue':
      withReactiveNodes(base)
      base.settings.loopIntervalSeconds = 30
      base.models = base.models.map((m) => ({
        ...hpaModel(m),
        replicas: {min: 0, max: Math.max(1, m.replicas.max)},
        signals: kedaQueueSignals(),
      }))
      return base
    case 'reactive-nodes':
      withReactiveNodes(base)
      return base
    case 'static-peak': {
      base.settings.nodes = {mode: 'reactive'}
      base.settings.warmHeadroomGpus = 0
      const nodes = new Map<string, number>()
      base.models = base.models.map((m) => {
        const peak = Math.min(m.replicas.max, Math.max(1, m.replicas.min, context.peakReplicas[m.name] ?? 0))
        const group = homeGroupOf(base, m)
        if (group) nodes.set(group.name, (nodes.get(group.name) ?? 0) + Math.ceil(peak / replicasPerNode(m, group)))
        const {scaleToZero: _, ...rest} = m
        return {...rest, replicas: {min: peak, max: peak}}
      })
      base.nodeGroups = base.nodeGroups.map((g) => ({
        ...g,
        min: Math.min(g.max, Math.max(g.min, nodes.get(g.name) ?? 0)),
      }))
      return base
    }
  }
}

function withReactiveNodes(config: PolicyConfig): void {
  config.settings.nodes = {mode: 'reactive'}
  config.settings.warmHeadroomGpus = 0
  config.settings.scaleDown = {unneededSeconds: 600, delayAfterAddSeconds: 600, gpuUtilizationThreshold: 0.5}
}

/** HPA semantics with its default behavior; scale-to-zero and gpu-scale's own options do not exist there. */
function hpaModel(model: ModelConfig): ModelConfig {
  const {scaleToZero: _, ...rest} = model
  return {
    ...rest,
    algorithm: 'hpa',
    legacyHpaBehavior: false,
    behavior: {
      scaleUp: {...DEFAULT_BEHAVIOR.scaleUp, policies: DEFAULT_BEHAVIOR.scaleUp.policies.map((p) => ({...p}))},
      scaleDown: {...DEFAULT_BEHAVIOR.scaleDown, policies: DEFAULT_BEHAVIOR.scaleDown.policies.map((p) => ({...p}))},
    },
  }
}

/** DCGM utilization: DCGM_FI_DEV_GPU_UTIL (percent) on whole GPUs; on MIG it does not exist, GR_ENGINE_ACTIVE (0–1) does. */
function gpuUtilSignal(model: ModelConfig): SignalConfig {
  const mig = model.gpu.kind === 'mig'
  return {
    name: 'gpu-util',
    metric: mig ? 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' : 'DCGM_FI_DEV_GPU_UTIL',
    source: 'gpu',
    targetType: 'AverageValue',
    target: mig ? 0.4 : 40,
    windowSeconds: 180,
    aggregation: 'avg',
  }
}

/**
 * KEDA with two prometheus triggers, as a vLLM deployment that scales to zero needs: the engines' waiting
 * requests per replica (absent at zero replicas; an AverageValue over the pods is the workload sum ÷ target, as
 * KEDA's default metricType computes it), and the gateway's queue, the only signal that exists while no replica
 * runs. The HPA KEDA owns takes the larger; a model at zero wakes when the gateway queue is above 0. As in KEDA,
 * a queue that stays empty for the cooldown scales the model to zero even while its replicas serve requests:
 * queue depth says nothing about load that fits.
 */
function kedaQueueSignals(): SignalConfig[] {
  return [
    {
      name: 'queue',
      metric: 'vllm:num_requests_waiting',
      source: 'pod',
      targetType: 'AverageValue',
      target: 5,
      windowSeconds: 30,
      aggregation: 'last',
    },
    {
      name: 'gateway-queue',
      metric: 'gateway_queue_depth',
      source: 'workload',
      targetType: 'AverageValue',
      target: 5,
      windowSeconds: 30,
      aggregation: 'last',
      activationThreshold: 0,
    },
  ]
}
