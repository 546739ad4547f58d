/**
 * JSON Schema of the cluster snapshot file (schemas/cluster-snapshot.schema.json is generated from this).
 * Times are RFC 3339 strings in UTC; telemetry samples are `[unixSeconds, value]` like Prometheus' range API.
 */
import {CONTROLLER_STATE_BODY} from '../plan/state-schema.js'

const str = {type: 'string'}
const nonNegInt = {type: 'integer', minimum: 0}
const timestamp = {type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$', description: 'RFC 3339 timestamp, e.g. 2026-11-28T12:00:00Z'}
const labels = {type: 'object', additionalProperties: {type: 'string'}}
const taint = {
  type: 'object', additionalProperties: false, required: ['key', 'effect'],
  properties: {key: str, value: str, effect: {enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute']}},
}

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
    nodeGroups: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'targetSize'],
        properties: {
          name: str, targetSize: nonNegInt, lastScaleUpAt: timestamp, lastScaleDownAt: timestamp,
          failures: {type: 'array', items: {type: 'object', additionalProperties: false, required: ['at', 'reason'], properties: {at: timestamp, reason: {enum: ['capacity', 'timeout', 'quota']}}}},
        },
      },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'group', 'ready', 'createdAt', 'gpus'],
        properties: {
          name: str, group: str, labels, taints: {type: 'array', items: taint},
          ready: {type: 'boolean'}, cordoned: {type: 'boolean'}, createdAt: timestamp,
          gpusAllocatable: {type: 'boolean', description: 'False while drivers and the device plugin initialize.'},
          capacityType: {enum: ['on-demand', 'spot']},
          migConfig: {type: 'string', description: 'The nvidia.com/mig.config label.'},
          migConfigState: {enum: ['pending', 'rebooting', 'success', 'failed'], description: 'The nvidia.com/mig.config.state label.'},
          interruptionNoticeAt: timestamp,
          gpus: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['index', 'model'],
              properties: {
                index: nonNegInt, uuid: str, model: {type: 'string', description: 'GPU model: alias or nvidia.com/gpu.product value.'},
                memoryMiB: {type: 'number', minimum: 0},
                mig: {
                  type: 'object', additionalProperties: false, required: ['enabled'],
                  properties: {
                    enabled: {type: 'boolean'},
                    instances: {type: 'array', items: {type: 'object', additionalProperties: false, required: ['profile', 'start'], properties: {profile: str, start: nonNegInt, size: {type: 'integer', minimum: 1}, pod: str}}},
                  },
                },
                sharing: {type: 'object', additionalProperties: false, required: ['strategy', 'replicas'], properties: {strategy: {enum: ['time-slicing', 'mps']}, replicas: {type: 'integer', minimum: 1}}},
                pods: {type: 'array', items: str},
              },
            },
          },
        },
      },
    },
    pods: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'namespace', 'phase'],
        properties: {
          name: str, namespace: str,
          workload: {type: 'object', additionalProperties: false, required: ['kind', 'name'], properties: {kind: str, name: str}},
          phase: {enum: ['Pending', 'Running', 'Succeeded', 'Failed']},
          node: str, ready: {type: 'boolean'}, deleting: {type: 'boolean'},
          createdAt: timestamp, startedAt: timestamp, readyAt: timestamp,
          gpuRequest: {type: 'object', additionalProperties: false, required: ['resource', 'count'], properties: {resource: {type: 'string', pattern: '^nvidia\\.com/(gpu|mig-.+)$'}, count: {type: 'integer', minimum: 1}}},
          daemon: {type: 'boolean'},
        },
      },
    },
    workloads: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['kind', 'namespace', 'name', 'specReplicas'],
        properties: {
          kind: {enum: ['Deployment', 'StatefulSet']}, namespace: str, name: str,
          specReplicas: nonNegInt, readyReplicas: nonNegInt, managedBy: str,
          scaleEvents: {type: 'array', items: {type: 'object', additionalProperties: false, required: ['at', 'from', 'to'], properties: {at: timestamp, from: nonNegInt, to: nonNegInt}}},
          recommendations: {type: 'array', items: {type: 'object', additionalProperties: false, required: ['at', 'replicas'], properties: {at: timestamp, replicas: nonNegInt}}},
        },
      },
    },
    pdbs: {
      type: 'array',
      items: {type: 'object', additionalProperties: false, required: ['namespace', 'name', 'workload', 'maxUnavailable'], properties: {namespace: str, name: str, workload: str, maxUnavailable: nonNegInt}},
    },
    telemetry: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['metric', 'samples'],
        properties: {
          metric: {type: 'string', minLength: 1, description: 'The real exported metric name, e.g. DCGM_FI_DEV_GPU_UTIL.'},
          labels,
          samples: {type: 'array', items: {type: 'array', minItems: 2, maxItems: 2, items: {type: 'number'}}, description: '[unixSeconds, value] pairs, ascending.'},
        },
      },
    },
    state: {...CONTROLLER_STATE_BODY, description: 'The controller state the previous tick persisted (a plan\'s `state`).'},
  },
} as const
