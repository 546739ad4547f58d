import {Ajv} from 'ajv'
import {readdirSync, readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {addInputFormats} from '../src/core/input/formats.js'
import {planCluster} from '../src/core/planner/plan-cluster.js'
import {PLAN_SCHEMA} from '../src/core/plan/schema.js'
import {renderSchema, SCHEMAS} from '../src/core/schemas.js'
import {defaultScenario} from '../src/core/sim/default-scenario.js'
import {encodeSnapshot} from '../src/core/snapshot/codec.js'
import {SNAPSHOT_SCHEMA} from '../src/core/snapshot/schema.js'
import {repoRoot} from './helpers/cli.js'

describe('published JSON Schemas', () => {
  test.each(Object.keys(SCHEMAS))('schemas/%s is up to date with src/core (run `npm run schemas`)', (name) => {
    const committed = readFileSync(`${repoRoot}/schemas/${name}`, 'utf8')
    expect(committed).toBe(renderSchema(SCHEMAS[name] as object))
  })

  test('the simulated plan validates against the plan schema, and every reason code is documented', () => {
    const ajv = new Ajv({strict: false, allErrors: true})
    const validate = ajv.compile(PLAN_SCHEMA)
    const plan = planCluster(defaultScenario())
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true)
    const documented = new Set<string>(PLAN_SCHEMA.$defs.reasonCodes.enum)
    const used = [...plan.changes, ...plan.skipped].flatMap((c) => c.reasons.map((r) => r.code))
    expect(used.filter((code) => !documented.has(code))).toEqual([])
  })

  test('every reason code the plan-producing layers can emit is documented in the plan schema', () => {
    // Scans the source rather than one plan, so a code that only rare situations produce is covered too.
    const documented = new Set<string>(PLAN_SCHEMA.$defs.reasonCodes.enum)
    const missing = new Set<string>()
    for (const dir of ['planner', 'policy/nodes', 'policy/replicas', 'mig', 'signals']) {
      for (const file of readdirSync(`${repoRoot}/src/core/${dir}`, {recursive: true}) as string[]) {
        if (!file.endsWith('.ts') || file.endsWith('reason-codes.ts')) continue
        const text = readFileSync(`${repoRoot}/src/core/${dir}/${file}`, 'utf8')
        for (const match of text.matchAll(
          /\bcode: '([A-Z][A-Za-z0-9]+)'|\bkeep\('([A-Z][A-Za-z0-9]+)'|reason\('([A-Z][A-Za-z0-9]+)'/g,
        )) {
          const code = (match[1] ?? match[2] ?? match[3]) as string
          if (!documented.has(code)) missing.add(`${code} (src/core/${dir}/${file})`)
        }
      }
    }
    expect([...missing]).toEqual([])
  })

  test('a plan without reasons is rejected by the schema', () => {
    const validate = new Ajv({strict: false}).compile(PLAN_SCHEMA)
    const plan = planCluster(defaultScenario())
    const broken = {...plan, changes: [{...plan.changes[0], reasons: []}]}
    expect(validate(broken)).toBe(false)
  })

  test('the simulated snapshot, encoded as a file, validates against the snapshot schema', () => {
    const validate = addInputFormats(new Ajv({strict: false, allErrors: true})).compile(SNAPSHOT_SCHEMA)
    const doc = encodeSnapshot(defaultScenario().snapshot)
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
  })
})
