/** Every published JSON Schema, by its file name under schemas/ (written by scripts/write-schemas.ts). */
import {CONFIG_SCHEMA} from './config/schema.js'
import {PLAN_SCHEMA} from './plan/schema.js'
import {CONTROLLER_STATE_SCHEMA} from './plan/state-schema.js'
import {SNAPSHOT_SCHEMA} from './snapshot/schema.js'
import {SCENARIO_SCHEMA} from './twin/schema.js'

export const SCHEMAS: Record<string, object> = {
  'gpu-scale-config.schema.json': CONFIG_SCHEMA,
  'cluster-snapshot.schema.json': SNAPSHOT_SCHEMA,
  'plan.schema.json': PLAN_SCHEMA,
  'scenario.schema.json': SCENARIO_SCHEMA,
  'controller-state.schema.json': CONTROLLER_STATE_SCHEMA,
}

export function renderSchema(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n'
}
