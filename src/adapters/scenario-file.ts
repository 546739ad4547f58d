/**
 * Reads a twin scenario for `sim serve --scenario`: a name of examples/scenarios/*.yaml (shipped with the package)
 * or a file path, checked by the pure parser (src/core/twin/scenario.ts). The only place scenarios touch the disk.
 */
import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {UserError, ValidationError} from '../core/errors.js'
import {parseScenario, type TwinScenario} from '../core/twin/index.js'

/** examples/scenarios of the package: found upward from this module (src/adapters or dist/src/adapters). */
const EXAMPLES = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'examples', 'scenarios')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'examples', 'scenarios')
})()

/** The shipped scenario names, sorted. */
export async function exampleScenarioNames(): Promise<string[]> {
  const files = await readdir(EXAMPLES).catch(() => [] as string[])
  return files.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort()
}

export async function loadScenario(nameOrFile: string): Promise<TwinScenario> {
  const byName = /^[a-z0-9-]+$/.test(nameOrFile)
  const path = byName ? join(EXAMPLES, `${nameOrFile}.yaml`) : nameOrFile
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const names = await exampleScenarioNames()
    throw new UserError(byName ? `no built-in scenario "${nameOrFile}"` : `cannot read scenario file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      hint: `pass a file, or one of: ${names.join(', ')}`,
      cause: error,
    })
  }
  const {scenario, problems} = parseScenario(text, byName ? `examples/scenarios/${nameOrFile}.yaml` : path)
  if (!scenario) throw new ValidationError(`${path} is not a valid scenario; fix the fields above`, problems)
  return scenario
}
