/**
 * JSON Schema of the plan (schemas/plan.schema.json is generated from this). The reason codes every layer emits
 * are listed in the schema's `$defs.reasonCodes` with their meaning, so users can rely on them.
 */
import {REASON_CODES} from '../model/reason-codes.js'
import {CONTROLLER_STATE_BODY} from './state-schema.js'
import {arrayOf, closedObject} from '../input/json-schema.js'

export {REASON_CODES}

const evidence = {type: 'object', additionalProperties: {type: ['string', 'number', 'boolean', 'null']}}
const reason = closedObject(['code', 'message', 'evidence'], {
  code: {type: 'string', pattern: '^[A-Z][A-Za-z0-9]+$'},
  message: {type: 'string', minLength: 1},
  evidence,
})
const target = closedObject(['kind', 'name'], {
  kind: {enum: ['Deployment', 'StatefulSet', 'NodeGroup', 'Node', 'GPU']},
  name: {type: 'string'},
  namespace: {type: 'string'},
  node: {type: 'string'},
  gpu: {type: 'integer'},
})
const layer = {enum: ['pod', 'node', 'gpu']}
const count = {type: 'integer', minimum: 0}
const precondition = {
  type: 'object',
  additionalProperties: false,
  required: ['resource', 'path', 'equals'],
  description: 'What must still hold in the cluster for the change to be safe: `apply` checks it per change.',
  properties: {
    resource: closedObject(['kind', 'name'], {
      kind: {enum: ['Deployment', 'StatefulSet', 'Node', 'NodeGroup']},
      name: {type: 'string'},
      namespace: {type: 'string'},
    }),
    path: {type: 'string'},
    equals: {type: ['string', 'number', 'boolean', 'null']},
  },
}
const proposal = closedObject(
  ['signal', 'metric', 'value', 'target', 'windowSeconds', 'aggregation', 'replicas', 'status'],
  {
    signal: {type: 'string'},
    metric: {type: 'string'},
    value: {type: ['number', 'null']},
    target: {type: 'number'},
    windowSeconds: {type: 'number'},
    aggregation: {type: 'string'},
    replicas: {type: ['integer', 'null']},
    status: {enum: ['ok', 'missing', 'stale', 'unreliable', 'idle']},
    note: {type: 'string'},
    partial: {type: 'boolean'},
    ratio: {type: ['number', 'null']},
  },
)

/** One branch per action: its layer, its from/to types and its typed payload. */
function changeOf(
  action: string,
  layerName: string,
  fromTo: object,
  payload: object,
  extra: Record<string, object> = {},
) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [
      'id',
      'layer',
      'action',
      'target',
      'from',
      'to',
      'status',
      'eta',
      'dependsOn',
      'reasons',
      'preconditions',
      'payload',
    ],
    properties: {
      id: {type: 'string'},
      layer: {const: layerName},
      action: {const: action},
      target,
      from: fromTo,
      to: fromTo,
      status: {enum: ['planned', 'blocked']},
      eta: {
        oneOf: [
          {type: 'null'},
          closedObject(['seconds', 'at'], {seconds: {type: 'number', minimum: 0}, at: {type: 'string'}}),
        ],
      },
      dependsOn: {type: 'array', items: {type: 'string'}},
      reasons: {type: 'array', minItems: 1, items: reason, description: 'A change with no reason does not exist.'},
      preconditions: {type: 'array', items: precondition},
      payload,
      steps: arrayOf(
        closedObject(['action', 'description'], {
          action: {enum: ['cordon', 'drain', 'set-mig-config', 'wait-mig-config', 'uncordon']},
          description: {type: 'string'},
          timeoutSeconds: {type: 'number'},
        }),
      ),
      details: {type: 'object', description: 'For people only; never read by the applier.'},
      ...extra,
    },
  }
}
const workloadRef = closedObject(['kind', 'namespace', 'name'], {
  kind: {enum: ['Deployment', 'StatefulSet']},
  namespace: {type: 'string'},
  name: {type: 'string'},
})
const strings = {type: 'array', items: {type: 'string'}}

export const PLAN_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gpu-scale.dev/schemas/plan.schema.json',
  title: 'gpu-scale Plan',
  description:
    "A dry run of replica, node and MIG changes with their reasons. Reasons explain; the applier acts on each change's action and typed payload, after checking its preconditions.",
  type: 'object',
  additionalProperties: false,
  required: [
    'apiVersion',
    'kind',
    'formatVersion',
    'plannedAt',
    'summary',
    'changes',
    'skipped',
    'diagnostics',
    'state',
  ],
  properties: {
    apiVersion: {const: 'gpu-scale.dev/v1alpha1'},
    kind: {const: 'Plan'},
    formatVersion: {const: 2},
    plannedAt: {type: 'string', format: 'date-time'},
    inputFingerprint: {type: 'string', pattern: '^sha256:[0-9a-f]{64}$'},
    summary: closedObject(['changes', 'blocked', 'byLayer'], {
      changes: {type: 'integer', minimum: 0},
      blocked: {type: 'integer', minimum: 0},
      byLayer: closedObject(['pod', 'node', 'gpu'], {
        pod: {type: 'integer'},
        node: {type: 'integer'},
        gpu: {type: 'integer'},
      }),
    }),
    changes: {
      type: 'array',
      items: {
        oneOf: [
          changeOf(
            'scale-replicas',
            'pod',
            count,
            closedObject(['workload', 'from', 'to'], {workload: workloadRef, from: count, to: count}),
            {
              signals: closedObject(['proposals', 'decidedBy'], {
                proposals: {type: 'array', items: proposal},
                decidedBy: {type: ['string', 'null']},
              }),
            },
          ),
          changeOf(
            'scale-node-group',
            'node',
            count,
            closedObject(['group', 'from', 'to', 'delta'], {
              group: {type: 'string'},
              from: count,
              to: count,
              delta: {type: 'integer', minimum: 1},
            }),
          ),
          changeOf(
            'remove-node',
            'node',
            count,
            closedObject(['group', 'node', 'groupFrom', 'groupTo', 'drain'], {
              group: {type: 'string'},
              node: {type: 'string'},
              groupFrom: count,
              groupTo: count,
              drain: strings,
            }),
          ),
          changeOf(
            'repartition-gpu',
            'gpu',
            {type: 'string'},
            closedObject(['node', 'migConfig', 'previousMigConfig', 'gpus', 'drain'], {
              node: {type: 'string'},
              migConfig: {type: 'string'},
              previousMigConfig: {type: ['string', 'null']},
              gpus: {type: 'array', items: count},
              drain: strings,
              migConfigEntry: {type: 'string'},
            }),
          ),
        ],
      },
    },
    skipped: arrayOf(
      closedObject(['layer', 'target', 'reasons'], {
        layer,
        target,
        reasons: {type: 'array', minItems: 1, items: reason},
      }),
    ),
    diagnostics: arrayOf(
      closedObject(['severity', 'code', 'message'], {
        severity: {enum: ['info', 'warning', 'error']},
        code: {type: 'string'},
        message: {type: 'string'},
        target,
        evidence,
      }),
    ),
    state: {...CONTROLLER_STATE_BODY, description: 'The controller state to persist and pass with the next snapshot.'},
  },
  $defs: {
    reasonCodes: {
      description: 'Every reason and diagnostic code gpu-scale emits, with its meaning.',
      enum: Object.keys(REASON_CODES).sort(),
      'x-descriptions': REASON_CODES,
    },
  },
} as const
