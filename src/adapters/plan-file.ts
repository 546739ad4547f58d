/**
 * Saves a plan as a file (`plan --out FILE`): the same bytes `-o json` prints, so a reviewed plan and a saved one
 * never differ. The only place a plan touches the file system.
 */
import {writeFile} from 'node:fs/promises'

import {UserError} from '../core/errors.js'
import type {Plan} from '../core/model/plan.js'
import {toJsonText} from '../core/serialize.js'

export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  try {
    await writeFile(path, toJsonText(plan))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message
    throw new UserError(`cannot write the plan to ${path}: ${why}`, {
      hint: 'check the directory exists and is writable',
      location: {file: path},
      cause: error,
    })
  }
}
