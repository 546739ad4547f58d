/**
 * The JSON Schema of `gpu-scale.yaml` (draft-07, what ajv 8's default class validates). It is the single source
 * of truth for the file's shape: the loader validates with it, and schemas/gpu-scale-config.schema.json is written
 * from it so editors (yaml-language-server) show the same help and errors as `gpu-scale validate`.
 *
 * Every object sets `additionalProperties: false` so a misspelled field is an error instead of a silently ignored
 * setting. Every number has both bounds (src/core/input/limits.ts says why each is where it is): counts are
 * integers, durations are at most 30 days, so nothing the planner computes from a valid config overflows. Defaults are documented here (`default`) and filled in by ./normalize.ts, which is what the planner reads.
 */
import {DURATION_FORMAT, DURATION_PATTERN} from '../input/formats.js'
import {object, type Schema} from '../input/json-schema.js'
import {
  MAX_FLEET_GPUS,
  MAX_GPUS_PER_NODE,
  MAX_GROUP_SIZE,
  MAX_HOURLY_COST,
  MAX_MEMORY_GIB,
  MAX_SIGNAL_VALUE,
  MIN_LOAD_GIBPS,
} from '../input/limits.js'
import {CONFIG_API_VERSION, CONFIG_KIND} from '../model/config.js'
import {MAX_DURATION_SECONDS} from '../model/duration.js'

export {DURATION_PATTERN} from '../input/formats.js'
export const MIG_PROFILE_PATTERN = '^\\d+g\\.\\d+gb(?:\\+me)?$'
/** Kubernetes object names (RFC 1123 DNS subdomain, lower case). */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'

function duration(description: string, defaultValue?: string): Schema {
  return {
    type: ['string', 'number'],
    pattern: DURATION_PATTERN,
    format: DURATION_FORMAT,
    minimum: 0,
    maximum: MAX_DURATION_SECONDS,
    description: `${description} A duration: 30s, 3m, 1h, 500ms, or a number of seconds; at most 30 days.`,
    ...(defaultValue === undefined ? {} : {default: defaultValue}),
  }
}

const stringMap = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: {type: 'string'},
  default: {},
})
const name = (description: string): Schema => ({type: 'string', pattern: NAME_PATTERN, maxLength: 253, description})
const count = (description: string, minimum: number, maximum: number): Schema => ({
  type: 'integer',
  minimum,
  maximum,
  description: `${description} ${minimum}–${maximum}.`,
})
const amount = (description: string, maximum: number, minimum = 0): Schema => ({
  type: 'number',
  minimum,
  maximum,
  description: `${description} ${minimum}–${maximum}.`,
})

const taintEffect: Schema = {
  type: 'string',
  enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
  description: 'Kubernetes taint effect.',
}

const scalingRules = (direction: 'up' | 'down'): Schema =>
  object(
    `How fast replicas may move ${direction} (HPA autoscaling/v2 behavior.scale${direction === 'up' ? 'Up' : 'Down'}, plus gpu-scale's tolerance and cooldown).`,
    {
      stabilizationWindow: duration(
        direction === 'up'
          ? 'Use the lowest recommendation of this window before scaling up (HPA default 0s).'
          : 'Use the highest recommendation of this window before scaling down (HPA default 300s). Keep it longer than node cold start to avoid oscillation.',
        direction === 'up' ? '0s' : '300s',
      ),
      selectPolicy: {
        type: 'string',
        enum: ['Max', 'Min', 'Disabled'],
        default: 'Max',
        description: 'Which policy wins when several allow different changes; Disabled forbids this direction.',
      },
      policies: {
        type: 'array',
        minItems: 1,
        description:
          direction === 'up'
            ? 'Rate limits. HPA default: 4 pods or 100% per 15s, whichever is more.'
            : 'Rate limits. HPA default: 100% per 15s.',
        items: object(
          'One rate limit: at most `value` pods (or percent of current replicas) per `period`.',
          {
            type: {
              type: 'string',
              enum: ['Pods', 'Percent'],
              description: 'Pods: an absolute number; Percent: of the current replicas.',
            },
            value: count('How many pods, or what percent, per period.', 1, MAX_GROUP_SIZE),
            period: duration('The window the limit applies to (HPA allows up to 30m).'),
          },
          ['type', 'value', 'period'],
        ),
      },
      tolerance: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        default: 0.1,
        description: 'Ignore a desired/current ratio within this fraction of 1 (HPA default 0.1).',
      },
      cooldown: duration('No move in this direction within this long after the last scale event.', '0s'),
    },
  )

const signal: Schema = object(
  'A scaling signal: a metric and the value per replica (or for the whole workload) to hold it at.',
  {
    name: name('Unique within the model; shown in plans as the signal that decided.'),
    metric: {
      type: 'string',
      minLength: 1,
      description: 'The exported metric name: DCGM_FI_DEV_GPU_UTIL, vllm:num_requests_waiting, ...',
    },
    source: {
      type: 'string',
      enum: ['pod', 'gpu', 'workload'],
      default: 'pod',
      description: 'What one series describes: a pod, a GPU (DCGM), or the whole workload.',
    },
    // Not just > 0: a target of 1e-300 turns any load into Infinity replicas.
    target: {
      type: 'number',
      minimum: 1e-6,
      maximum: MAX_SIGNAL_VALUE,
      description: `The value to hold the metric at (per replica for AverageValue). 1e-6–${MAX_SIGNAL_VALUE}.`,
    },
    targetType: {
      type: 'string',
      enum: ['AverageValue', 'Value'],
      default: 'AverageValue',
      description: 'AverageValue: target per replica; Value: target for the whole workload.',
    },
    window: duration(
      'Smoothing window: the seed uses 3 minutes so a batch spike does not cause a scale-up and -down.',
      '3m',
    ),
    aggregation: {
      type: 'string',
      enum: ['avg', 'ewma', 'max', 'p50', 'p90', 'p95', 'p99', 'last'],
      default: 'avg',
      description: 'How samples in the window become one value.',
    },
    quantile: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description: 'For histogram latency metrics: the quantile to read (0.95 for p95).',
    },
    query: {
      type: 'string',
      minLength: 1,
      description: 'PromQL that overrides the query gpu-scale builds from `metric`.',
    },
    activationThreshold: amount(
      'Below this workload total a model at 0 replicas stays at 0 (KEDA activation threshold).',
      MAX_SIGNAL_VALUE,
    ),
    resource: object(
      "With algorithm hpa: an HPA Resource metric (ContainerResource with `container`), read from cAdvisor (metric container_cpu_usage_seconds_total for cpu, container_memory_working_set_bytes for memory) and the pods' requests, with HPA's CPU readiness rules.",
      {
        name: {type: 'string', enum: ['cpu', 'memory'], description: 'The resource.'},
        container: {type: 'string', minLength: 1, description: 'ContainerResource: only this container counts.'},
        targetType: {
          type: 'string',
          enum: ['Utilization', 'AverageValue'],
          default: 'Utilization',
          description:
            "Utilization: target is a percentage of the pods' requests; AverageValue: target is per pod, in cores or bytes.",
        },
      },
      ['name'],
    ),
  },
  ['name', 'metric', 'target'],
)

const toleration: Schema = object('A Kubernetes toleration, as in a PodSpec.', {
  key: {type: 'string', description: 'Taint key; empty with operator Exists tolerates everything.'},
  operator: {
    type: 'string',
    enum: ['Equal', 'Exists'],
    default: 'Equal',
    description: 'Equal matches key and value; Exists matches the key only.',
  },
  value: {type: 'string', description: 'Taint value (operator Equal).'},
  effect: {...taintEffect, description: 'Only tolerate taints with this effect; empty tolerates every effect.'},
  tolerationSeconds: {
    type: 'integer',
    minimum: -2147483648,
    maximum: 2147483647,
    description: 'Accepted for copy-paste from PodSpecs; gpu-scale does not use it. A 32-bit integer.',
  },
})

const nodeGroup: Schema = object(
  'A group of identical GPU nodes the cluster autoscaler (or gpu-scale) can resize.',
  {
    name: name('The node group (cluster-autoscaler / Karpenter node pool) name.'),
    gpu: object(
      'The GPUs on each node.',
      {
        model: {
          type: 'string',
          minLength: 1,
          description:
            'GPU model: a short name (A100-80GB, H100-80GB, L4) or a GPU Feature Discovery product label (NVIDIA-A100-SXM4-80GB).',
        },
        count: {...count('GPUs per node.', 1, MAX_GPUS_PER_NODE), default: 1},
      },
      ['model'],
    ),
    capacityType: {
      type: 'string',
      enum: ['on-demand', 'spot'],
      default: 'on-demand',
      description: 'Spot is cheaper but can be reclaimed; critical models never run on it.',
    },
    min: {...count('Fewest nodes; 0 lets the group scale to zero when idle.', 0, MAX_GROUP_SIZE), default: 0},
    max: count('Most nodes.', 0, MAX_GROUP_SIZE),
    labels: stringMap('Labels every node of the group carries (matched against model nodeSelectors).'),
    taints: {
      type: 'array',
      default: [],
      description: 'Taints every node of the group carries.',
      items: object(
        'A Kubernetes node taint.',
        {
          key: {type: 'string', minLength: 1, description: 'Taint key.'},
          value: {type: 'string', description: 'Taint value.'},
          effect: taintEffect,
        },
        ['key', 'effect'],
      ),
    },
    hourlyCost: {
      ...amount('Price of one node for one hour, in your currency (price expander, budget).', MAX_HOURLY_COST),
      default: 0,
    },
    coldStart: object('How long a new node takes before a pod can use its GPUs (model weight load is per model).', {
      provisioning: duration('Cloud instance start until the node registers.', '120s'),
      driverInit: duration('NVIDIA driver, device plugin and GPU Feature Discovery becoming ready.', '60s'),
      imagePull: duration('Pulling the serving image onto a fresh node.', '0s'),
    }),
    migConfigs: {
      type: 'array',
      minItems: 1,
      default: ['all-disabled'],
      description:
        'mig-parted config names the nodes may be set to (all-disabled, all-balanced, all-<profile>); the first is what a new node boots with.',
      items: {type: 'string', minLength: 1},
    },
    priority: {
      type: 'integer',
      minimum: -1_000_000,
      maximum: 1_000_000,
      default: 0,
      description: 'Higher wins with the priority expander. -1000000–1000000.',
    },
    maxNodeProvisionTime: duration('A node not ready after this long counts as failed and backs the group off.', '15m'),
    actuator: object(
      "How `gpu-scale apply` resizes this group. Without one, apply refuses the group's node changes (plans still show them).",
      {
        kind: {
          type: 'string',
          enum: ['machine-deployment', 'headroom', 'command'],
          description:
            "machine-deployment: a Cluster API MachineDeployment (scale subresource; removal marks the Machine with cluster.x-k8s.io/delete-machine); headroom: negative-priority placeholder pods asking for the group's GPUs so Cluster Autoscaler or Karpenter adds nodes; command: an external program, the change as JSON on stdin.",
        },
        namespace: {
          ...name("machine-deployment: the MachineDeployment's namespace; headroom: where placeholder pods run."),
          default: 'default',
        },
        name: name('machine-deployment: the MachineDeployment; defaults to the group name.'),
        priorityClassName: {
          ...name('headroom: the PriorityClass of the placeholder pods (negative value, e.g. -10).'),
          default: 'gpu-scale-headroom',
        },
        command: {
          type: 'array',
          minItems: 1,
          maxItems: 64,
          description: 'command: the program and its arguments, run without a shell (argv).',
          items: {type: 'string', minLength: 1},
        },
        timeout: duration('command: how long the program may run before it is killed and the change fails.', '60s'),
      },
      ['kind'],
    ),
  },
  ['name', 'gpu', 'max'],
)

const model: Schema = object(
  'A model served by a Deployment or StatefulSet whose replicas gpu-scale plans.',
  {
    name: name('The model name, unique in the file.'),
    workload: object('The workload that serves the model.', {
      kind: {type: 'string', enum: ['Deployment', 'StatefulSet'], default: 'Deployment', description: 'Workload kind.'},
      namespace: {...name('Namespace.'), default: 'default'},
      name: name('Workload name; defaults to the model name.'),
    }),
    replicas: object(
      'Replica bounds.',
      {
        min: count('Fewest replicas (0 with scaleToZero).', 0, MAX_GROUP_SIZE),
        max: count('Most replicas.', 1, MAX_GROUP_SIZE),
      },
      ['min', 'max'],
    ),
    gpu: {
      ...object('What one replica needs: exactly one of count, migProfile or memoryGiB.', {
        count: count('Whole GPUs per replica (nvidia.com/gpu).', 1, MAX_GPUS_PER_NODE),
        migProfile: {
          type: 'string',
          pattern: MIG_PROFILE_PATTERN,
          description: 'One MIG instance of this profile per replica (nvidia.com/mig-3g.40gb).',
        },
        memoryGiB: amount('GPU memory per replica, in GiB.', MAX_MEMORY_GIB, 0.01),
      }),
      minProperties: 1,
      maxProperties: 1,
    },
    weights: object(
      'Model weights: their size bounds memory and their load time bounds how fast a new replica serves.',
      {
        sizeGiB: amount('Weights size in GiB.', MAX_MEMORY_GIB),
        // Not just > 0: size / 1e-320 GiB/s is Infinity seconds, which no ETA can hold.
        loadGiBps: {...amount('Load speed in GiB/s (storage to GPU).', 10_000, MIN_LOAD_GIBPS), default: 1},
        loadTime: duration('Measured load time; wins over sizeGiB / loadGiBps.'),
      },
      ['sizeGiB'],
    ),
    kvCacheGiB: {
      ...amount('KV-cache and activation headroom on top of the weights, in GiB.', MAX_MEMORY_GIB),
      default: 0,
    },
    tolerations: {type: 'array', default: [], description: "Tolerations of the workload's pods.", items: toleration},
    nodeSelector: stringMap("The workload's nodeSelector."),
    algorithm: {
      type: 'string',
      enum: ['gpu-scale', 'hpa'],
      default: 'gpu-scale',
      description:
        'hpa reproduces autoscaling/v2 exactly; gpu-scale adds smoothing, signal reliability and cross-layer checks.',
    },
    legacyHpaBehavior: {
      type: 'boolean',
      default: false,
      description:
        'With algorithm hpa: reproduce an HPA without spec.behavior (legacy max-of-window scale-down stabilization and the max(2×current, 4) scale-up cap).',
    },
    signals: {
      type: ['array', 'string'],
      pattern: '^default$',
      description:
        "Scaling signals; the one asking for the most replicas wins (as in HPA). Absent (on a model that scales) or `default`: gpu-scale's multi-signal defaults (README, Default signals).",
      items: signal,
    },
    behavior: object('Scaling behavior per direction (HPA defaults when absent).', {
      scaleUp: scalingRules('up'),
      scaleDown: scalingRules('down'),
    }),
    healthCheckGrace: duration('How long a new replica may take to become healthy; must cover weight loading.', '180s'),
    terminationGrace: duration('How long a stopping replica may drain in-flight requests.', '30s'),
    critical: {type: 'boolean', default: false, description: 'Critical models are never placed on spot capacity.'},
    scaleToZero: object('Let the model go to 0 replicas when idle (needs replicas.min 0).', {
      idleTime: duration('Idle this long before going to zero.', '15m'),
      keepWarmFactor: {
        ...amount('Stay warm when the expected gap to the next request is shorter than cold start × this factor.', 100),
        default: 2,
      },
    }),
  },
  ['name', 'replicas', 'gpu'],
)

const settings: Schema = object('Settings for the whole control loop; all optional.', {
  loopInterval: duration('How often `apply --watch` plans.', '30s'),
  slo: object('Service-level objectives that latency signals and explanations refer to.', {
    p95Latency: duration('p95 end-to-end request latency.'),
    ttft: duration('Time to first token.'),
    tpot: duration(
      'Mean time per output token after the first ((e2e − TTFT) ÷ (output tokens − 1), as vLLM reports TPOT); `simulate` counts a request within SLO only when it holds.',
    ),
  }),
  budget: object('Hard limits the planner never exceeds.', {
    maxGpus: count('Most GPUs across all node groups.', 0, MAX_FLEET_GPUS),
    maxHourlyCost: amount('Most spend per hour across all node groups.', MAX_HOURLY_COST * MAX_GROUP_SIZE),
  }),
  migStrategy: {
    type: 'string',
    enum: ['none', 'single', 'mixed'],
    default: 'mixed',
    description: 'How the NVIDIA device plugin advertises MIG instances (MIG_STRATEGY).',
  },
  expanders: {
    type: 'array',
    minItems: 1,
    uniqueItems: true,
    default: ['least-waste'],
    description: 'Ordered expander chain for choosing a node group; later entries break ties of earlier ones.',
    items: {type: 'string', enum: ['least-waste', 'price', 'priority', 'spot-first']},
  },
  scaleDown: object('When a node counts as unneeded (cluster-autoscaler semantics).', {
    unneededTime: duration(
      "A node must be unneeded this long before removal. Unset: the node group's cold start in predictive node mode (ski rental), Cluster Autoscaler's 10m in reactive mode.",
    ),
    gpuUtilizationThreshold: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'A node whose GPUs are allocated below this fraction is a scale-down candidate.',
    },
    delayAfterAdd: duration(
      "No scale-down this long after a scale-up. Unset: the node group's cold start in predictive node mode, Cluster Autoscaler's 10m in reactive mode.",
    ),
  }),
  staleAfter: duration('Telemetry older than this is stale and never used to scale down.', '2m'),
  warmHeadroomGpus: {...amount('Extra GPUs kept warm ahead of forecast demand.', MAX_FLEET_GPUS), default: 0},
  nodes: object('How the node layer adds nodes.', {
    mode: {
      type: 'string',
      enum: ['predictive', 'reactive'],
      default: 'predictive',
      description:
        'predictive: nodes for replicas that must start and ahead of the demand forecast (warming); reactive: only for replicas that must start, like Cluster Autoscaler for Pending pods (no warming, no warm headroom).',
    },
  }),
})

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gpu-scale.dev/schemas/gpu-scale-config.schema.json',
  title: 'gpu-scale ScalingPolicy',
  description: 'gpu-scale policy config (gpu-scale.yaml): node groups, models and how to scale them.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'nodeGroups', 'models'],
  properties: {
    apiVersion: {type: 'string', const: CONFIG_API_VERSION, description: `Always ${CONFIG_API_VERSION}.`},
    kind: {type: 'string', const: CONFIG_KIND, description: `Always ${CONFIG_KIND}.`},
    metadata: object(
      'Kubernetes-style metadata.',
      {
        name: name('The policy name.'),
        labels: stringMap('Free-form labels.'),
        annotations: stringMap('Free-form annotations.'),
      },
      ['name'],
    ),
    settings,
    nodeGroups: {
      type: 'array',
      minItems: 1,
      description: 'GPU node groups gpu-scale may place models on and resize.',
      items: nodeGroup,
    },
    models: {type: 'array', minItems: 1, description: 'Models whose replicas gpu-scale plans.', items: model},
  },
} as const
