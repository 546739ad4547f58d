/**
 * Saves a plan as a file (`plan --out FILE`): the same bytes `-o json` prints, so a reviewed plan and a saved one
 * never differ; and reads one back for `apply --plan`. The only place a plan touches the file system.
 */
import {Ajv} from 'ajv'

import {UserError} from '../core/errors.js'
import {PLAN_API_VERSION, PLAN_FORMAT_VERSION, PLAN_KIND, type Plan} from '../core/model/plan.js'
import {addInputFormats} from '../core/input/formats.js'
import {PLAN_SCHEMA} from '../core/plan/schema.js'
import {readInputFile} from './read-input.js'
import {toJsonText} from '../core/serialize.js'
import {writeOutputFile} from './write-output.js'

export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  await writeOutputFile(path, toJsonText(plan), 'plan')
}

/**
 * Reads a saved plan (`apply --plan FILE`): JSON, validated against the plan schema, and only the format version
 * this gpu-scale writes (a plan of another version would be executed with the wrong meaning: refused, exit 1).
 */
export async function readPlanFile(path: string): Promise<Plan> {
  const file = path === '-' ? '<stdin>' : path
  const text = await readInputFile(path, {what: 'plan file', hint: 'save one with gpu-scale plan --out plan.json'})
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UserError(`plan file is not JSON: ${(error as Error).message}`, {
      location: {file},
      hint: 'pass the file `gpu-scale plan --out FILE` wrote',
    })
  }
  const plan = value as Partial<Plan>
  if (plan?.kind !== PLAN_KIND || plan.apiVersion !== PLAN_API_VERSION)
    throw new UserError(`not a gpu-scale plan (expected apiVersion ${PLAN_API_VERSION}, kind ${PLAN_KIND})`, {
      location: {file},
      hint: 'pass the file `gpu-scale plan --out FILE` wrote',
    })
  if (plan.formatVersion !== PLAN_FORMAT_VERSION)
    throw new UserError(
      `plan formatVersion ${String(plan.formatVersion)} is not ${PLAN_FORMAT_VERSION}, the version this gpu-scale applies`,
      {
        location: {file, path: 'formatVersion'},
        hint: 'plan again with this gpu-scale version (gpu-scale plan --out FILE)',
      },
    )
  const validate = planValidator()
  if (!validate(value)) {
    const first = validate.errors?.[0]
    throw new UserError(`plan does not match the plan schema: ${first?.instancePath || '/'} ${first?.message ?? ''}`, {
      location: {file, path: first?.instancePath ?? ''},
      hint: 'pass an unedited file `gpu-scale plan --out FILE` wrote',
    })
  }
  return value as Plan
}

let compiled: ReturnType<Ajv['compile']> | undefined

/** The plan schema, compiled once (with the date-time and duration formats the input schemas share). */
function planValidator(): ReturnType<Ajv['compile']> {
  if (!compiled) {
    const ajv = new Ajv({strict: false, allErrors: false})
    addInputFormats(ajv)
    compiled = ajv.compile(PLAN_SCHEMA)
  }
  return compiled
}
