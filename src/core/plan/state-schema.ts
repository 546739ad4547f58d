/**
 * JSON Schema of the controller state (schemas/controller-state.schema.json is generated from this): what one
 * tick persists for the next (`Plan.state`, `ClusterSnapshot.state`). Times are epoch seconds.
 */
import {arrayOf, closedObject} from '../input/json-schema.js'

const epochSeconds = {type: 'number', minimum: 0, description: 'Epoch seconds.'}
const count = {type: 'integer', minimum: 0}

/** The state's shape without `$schema`/`$id`, for embedding in the plan and snapshot schemas. */
export const CONTROLLER_STATE_BODY = {
  description:
    'What one planning tick hands to the next: stabilization history and scale events per model, last scale-up and backoff per node group, changes in flight.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'formatVersion', 'updatedAt', 'models', 'nodeGroups', 'changes'],
  properties: {
    apiVersion: {const: 'gpu-scale.dev/v1alpha1'},
    kind: {const: 'ControllerState'},
    formatVersion: {const: 1},
    updatedAt: epochSeconds,
    models: {
      type: 'object',
      description: 'Keyed by workload, `namespace/Kind/name`.',
      additionalProperties: closedObject(['recommendations', 'scaleEvents'], {
        recommendations: arrayOf(closedObject(['at', 'replicas'], {at: epochSeconds, replicas: count})),
        scaleEvents: arrayOf(closedObject(['at', 'from', 'to'], {at: epochSeconds, from: count, to: count})),
      }),
    },
    nodeGroups: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          lastScaleUpAt: epochSeconds,
          lastScaleDownAt: epochSeconds,
          backoff: closedObject(['until', 'consecutiveFailures'], {until: epochSeconds, consecutiveFailures: count}),
        },
      },
    },
    changes: arrayOf(
      closedObject(['id', 'action', 'since', 'status'], {
        id: {type: 'string'},
        action: {enum: ['scale-replicas', 'scale-node-group', 'remove-node', 'repartition-gpu']},
        since: epochSeconds,
        status: {enum: ['pending', 'in-progress', 'succeeded', 'failed']},
      }),
    ),
  },
} as const

export const CONTROLLER_STATE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gpu-scale.dev/schemas/controller-state.schema.json',
  title: 'gpu-scale ControllerState',
  ...CONTROLLER_STATE_BODY,
} as const
