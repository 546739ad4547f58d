/**
 * Saves a plan as a file (`plan --out FILE`): the same bytes `-o json` prints, so a reviewed plan and a saved one
 * never differ. The only place a plan touches the file system.
 */
import type {Plan} from '../core/model/plan.js'
import {toJsonText} from '../core/serialize.js'
import {writeOutputFile} from './write-output.js'

export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  await writeOutputFile(path, toJsonText(plan), 'plan')
}
