/**
 * JSON Schema of the plan (schemas/plan.schema.json is generated from this). The reason codes every layer emits
 * are listed in the schema's `$defs.reasonCodes` with their meaning, so users can rely on them.
 */
import {MIG_REASON_CODES} from '../mig/reason-codes.js'
import {NODE_REASON_CODES} from '../policy/nodes/reason-codes.js'
import {REPLICA_REASON_CODES} from '../policy/replicas/reason-codes.js'
import {SIGNAL_REASON_CODES} from '../signals/reason-codes.js'
import {PLANNER_REASON_CODES} from './reason-codes.js'

export const REASON_CODES: Record<string, string> = {...PLANNER_REASON_CODES, ...REPLICA_REASON_CODES, ...NODE_REASON_CODES, ...MIG_REASON_CODES, ...SIGNAL_REASON_CODES}

const evidence = {type: 'object', additionalProperties: {type: ['string', 'number', 'boolean', 'null']}}
const reason = {
  type: 'object', additionalProperties: false, required: ['code', 'message', 'evidence'],
  properties: {code: {type: 'string', pattern: '^[A-Z][A-Za-z0-9]+$'}, message: {type: 'string', minLength: 1}, evidence},
}
const target = {
  type: 'object', additionalProperties: false, required: ['kind', 'name'],
  properties: {kind: {enum: ['Deployment', 'StatefulSet', 'NodeGroup', 'Node', 'GPU']}, name: {type: 'string'}, namespace: {type: 'string'}, node: {type: 'string'}, gpu: {type: 'integer'}},
}
const layer = {enum: ['pod', 'node', 'gpu']}

export const PLAN_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gpu-scale.dev/schemas/plan.schema.json',
  title: 'gpu-scale Plan',
  description: 'A dry run of replica, node and MIG changes with their reasons. Reasons explain; the applier acts on action/target/from/to only.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'formatVersion', 'plannedAt', 'inputFingerprint', 'summary', 'changes', 'skipped', 'diagnostics'],
  properties: {
    apiVersion: {const: 'gpu-scale.dev/v1alpha1'},
    kind: {const: 'Plan'},
    formatVersion: {const: 1},
    plannedAt: {type: 'string', format: 'date-time'},
    inputFingerprint: {type: 'string', pattern: '^sha256:[0-9a-f]{64}$'},
    summary: {
      type: 'object', additionalProperties: false, required: ['changes', 'blocked', 'byLayer'],
      properties: {
        changes: {type: 'integer', minimum: 0}, blocked: {type: 'integer', minimum: 0},
        byLayer: {type: 'object', additionalProperties: false, required: ['pod', 'node', 'gpu'], properties: {pod: {type: 'integer'}, node: {type: 'integer'}, gpu: {type: 'integer'}}},
      },
    },
    changes: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false,
        required: ['id', 'layer', 'action', 'target', 'from', 'to', 'status', 'eta', 'dependsOn', 'reasons'],
        properties: {
          id: {type: 'string'}, layer,
          action: {enum: ['scale-replicas', 'scale-node-group', 'remove-node', 'repartition-gpu']},
          target, from: {type: ['integer', 'string']}, to: {type: ['integer', 'string']},
          status: {enum: ['planned', 'blocked']},
          eta: {oneOf: [{type: 'null'}, {type: 'object', additionalProperties: false, required: ['seconds', 'at'], properties: {seconds: {type: 'number', minimum: 0}, at: {type: 'string'}}}]},
          dependsOn: {type: 'array', items: {type: 'string'}},
          reasons: {type: 'array', minItems: 1, items: reason, description: 'A change with no reason does not exist.'},
          steps: {type: 'array', items: {type: 'object', additionalProperties: false, required: ['action', 'description'], properties: {action: {enum: ['cordon', 'drain', 'set-mig-config', 'wait-mig-config', 'uncordon']}, description: {type: 'string'}, timeoutSeconds: {type: 'number'}}}},
          details: {type: 'object'},
        },
      },
    },
    skipped: {type: 'array', items: {type: 'object', additionalProperties: false, required: ['layer', 'target', 'reasons'], properties: {layer, target, reasons: {type: 'array', minItems: 1, items: reason}}}},
    diagnostics: {
      type: 'array',
      items: {type: 'object', additionalProperties: false, required: ['severity', 'code', 'message'], properties: {severity: {enum: ['info', 'warning', 'error']}, code: {type: 'string'}, message: {type: 'string'}, target, evidence}},
    },
  },
  $defs: {
    reasonCodes: {
      description: 'Every reason and diagnostic code gpu-scale emits, with its meaning.',
      enum: Object.keys(REASON_CODES).sort(),
      'x-descriptions': REASON_CODES,
    },
  },
} as const
