/**
 * JSON Schema of the cluster snapshot file (schemas/cluster-snapshot.schema.json is generated from this).
 * Times are RFC 3339 strings (any offset, read as UTC); telemetry samples are `[unixSeconds, value]` like
 * Prometheus' range API. Every number has both bounds (src/core/input/limits.ts): a snapshot is what a cluster can
 * physically be. Sample values are the exception: an exporter really sends NaN, ±Inf and nonsense, so the loader
 * drops those with a diagnostic (src/core/signals/sanitize.ts) instead of rejecting the file.
 */
import {CONTROLLER_STATE_BODY} from '../plan/state-schema.js'
import {TIMESTAMP_FORMAT} from '../input/formats.js'
import {arrayOf, closedObject} from '../input/json-schema.js'
import {
  MAX_EPOCH_SECONDS,
  MAX_GPU_MEMORY_MIB,
  MAX_GPUS_PER_NODE,
  MAX_GROUP_SIZE,
  MAX_SHARING_REPLICAS,
} from '../input/limits.js'

/** MIG puts at most 7 instances on a GPU, in 8 memory slices. */
const MIG_SLICES = 8
const MAX_MIG_INSTANCES = 7

const str = {type: 'string'}
const groupCount = {type: 'integer', minimum: 0, maximum: MAX_GROUP_SIZE, description: `0–${MAX_GROUP_SIZE}.`}
const timestamp = {
  type: 'string',
  format: TIMESTAMP_FORMAT,
  description: 'RFC 3339 timestamp, e.g. 2026-11-28T12:00:00Z; an offset is converted to UTC.',
}
const labels = {type: 'object', additionalProperties: {type: 'string'}}
const taint = closedObject(['key', 'effect'], {
  key: str,
  value: str,
  effect: {enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute']},
})

export const SNAPSHOT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gpu-scale.dev/schemas/cluster-snapshot.schema.json',
  title: 'gpu-scale ClusterSnapshot',
  description: 'Everything a gpu-scale plan is computed from, captured at one instant. Plans are reproducible from it.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'capturedAt', 'nodes', 'pods', 'workloads'],
  properties: {
    $schema: str,
    apiVersion: {const: 'gpu-scale.dev/v1alpha1'},
    kind: {const: 'ClusterSnapshot'},
    capturedAt: timestamp,
    migStrategy: {enum: ['none', 'single', 'mixed'], description: 'k8s-device-plugin MIG_STRATEGY of the cluster.'},
    nodeGroups: arrayOf(
      closedObject(['name', 'targetSize'], {
        name: str,
        targetSize: groupCount,
        lastScaleUpAt: timestamp,
        lastScaleDownAt: timestamp,
        failures: arrayOf(
          closedObject(['at', 'reason'], {at: timestamp, reason: {enum: ['capacity', 'timeout', 'quota']}}),
        ),
      }),
    ),
    nodes: arrayOf(
      closedObject(['name', 'group', 'ready', 'createdAt', 'gpus'], {
        name: str,
        group: str,
        labels,
        taints: {type: 'array', items: taint},
        ready: {type: 'boolean'},
        cordoned: {type: 'boolean'},
        createdAt: timestamp,
        gpusAllocatable: {type: 'boolean', description: 'False while drivers and the device plugin initialize.'},
        capacityType: {enum: ['on-demand', 'spot']},
        migConfig: {type: 'string', description: 'The nvidia.com/mig.config label.'},
        migConfigState: {
          enum: ['pending', 'rebooting', 'success', 'failed'],
          description: 'The nvidia.com/mig.config.state label.',
        },
        interruptionNoticeAt: timestamp,
        gpus: {
          type: 'array',
          maxItems: MAX_GPUS_PER_NODE,
          description: `The node's GPUs: at most ${MAX_GPUS_PER_NODE}.`,
          items: closedObject(['index', 'model'], {
            index: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_GPUS_PER_NODE - 1,
              description: `0–${MAX_GPUS_PER_NODE - 1}.`,
            },
            uuid: str,
            model: {
              type: 'string',
              description:
                'GPU model: alias or nvidia.com/gpu.product value (one gpu-scale knows: see `gpu-scale mig gpus`).',
            },
            memoryMiB: {
              type: 'number',
              minimum: 0,
              maximum: MAX_GPU_MEMORY_MIB,
              description: `0–${MAX_GPU_MEMORY_MIB}.`,
            },
            mig: closedObject(['enabled'], {
              enabled: {type: 'boolean'},
              instances: {
                type: 'array',
                maxItems: MAX_MIG_INSTANCES,
                items: closedObject(['profile', 'start'], {
                  profile: str,
                  start: {type: 'integer', minimum: 0, maximum: MIG_SLICES - 1},
                  size: {type: 'integer', minimum: 1, maximum: MIG_SLICES},
                  pod: str,
                }),
              },
            }),
            sharing: closedObject(['strategy', 'replicas'], {
              strategy: {enum: ['time-slicing', 'mps']},
              replicas: {type: 'integer', minimum: 1, maximum: MAX_SHARING_REPLICAS},
            }),
            pods: {type: 'array', items: str},
          }),
        },
      }),
    ),
    pods: arrayOf(
      closedObject(['name', 'namespace', 'phase'], {
        name: str,
        namespace: str,
        workload: closedObject(['kind', 'name'], {kind: str, name: str}),
        phase: {enum: ['Pending', 'Running', 'Succeeded', 'Failed']},
        node: str,
        ready: {type: 'boolean'},
        deleting: {type: 'boolean'},
        createdAt: timestamp,
        startedAt: timestamp,
        readyAt: timestamp,
        notReadySince: timestamp,
        containerRequests: {
          type: 'array',
          maxItems: 100,
          description: 'Per-container requests, for HPA Resource metrics: cpu in cores, memory in bytes.',
          items: closedObject(['name', 'requests'], {
            name: str,
            requests: closedObject([], {
              cpu: {type: 'number', minimum: 0, maximum: 1e6},
              memory: {type: 'number', minimum: 0, maximum: 1e15},
            }),
          }),
        },
        gpuRequest: closedObject(['resource', 'count'], {
          resource: {type: 'string', pattern: '^nvidia\\.com/(gpu|mig-.+)$'},
          count: {
            type: 'integer',
            minimum: 1,
            maximum: MAX_GPUS_PER_NODE * MAX_MIG_INSTANCES,
            description: `1–${MAX_GPUS_PER_NODE * MAX_MIG_INSTANCES}: no node has more GPUs (or MIG instances).`,
          },
        }),
        daemon: {type: 'boolean'},
      }),
    ),
    workloads: arrayOf(
      closedObject(['kind', 'namespace', 'name', 'specReplicas'], {
        kind: {enum: ['Deployment', 'StatefulSet']},
        namespace: str,
        name: str,
        specReplicas: groupCount,
        readyReplicas: groupCount,
        managedBy: str,
        scaleEvents: arrayOf(closedObject(['at', 'from', 'to'], {at: timestamp, from: groupCount, to: groupCount})),
        recommendations: arrayOf(closedObject(['at', 'replicas'], {at: timestamp, replicas: groupCount})),
      }),
    ),
    pdbs: arrayOf(
      closedObject(['namespace', 'name', 'workload', 'maxUnavailable'], {
        namespace: str,
        name: str,
        workload: str,
        maxUnavailable: groupCount,
      }),
    ),
    telemetry: arrayOf(
      closedObject(['metric', 'samples'], {
        metric: {
          type: 'string',
          minLength: 1,
          description: 'The real exported metric name, e.g. DCGM_FI_DEV_GPU_UTIL.',
        },
        labels,
        samples: {
          type: 'array',
          description:
            '[unixSeconds, value] pairs, ascending. Values may be NaN or ±Inf (YAML .nan/.inf, or "NaN", "+Inf", "-Inf" as Prometheus writes them): such samples are dropped with a diagnostic.',
          items: {
            type: 'array',
            minItems: 2,
            maxItems: 2,
            items: [
              {
                type: 'number',
                minimum: 0,
                maximum: MAX_EPOCH_SECONDS,
                description: `Unix time in seconds: 0–${MAX_EPOCH_SECONDS} (a larger number is milliseconds).`,
              },
              {
                type: ['number', 'string', 'null'],
                pattern: '^(NaN|[+-]?Inf)$',
                description: 'The value; null, "NaN" and "±Inf" are read as no value.',
              },
            ],
          },
        },
      }),
    ),
    state: {
      ...CONTROLLER_STATE_BODY,
      description: "The controller state the previous tick persisted (a plan's `state`).",
    },
  },
} as const
