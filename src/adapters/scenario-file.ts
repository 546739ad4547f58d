/**
 * Scenario files (`simulate --scenario NAME|FILE`, `plan --sim --scenario NAME`) and the event log (`--events FILE`):
 * the only place either touches the file system. A bare name is looked up in the scenarios shipped with gpu-scale
 * (examples/scenarios/NAME.yaml); anything with a slash or a .yaml/.yml/.json ending is a path.
 */
import {createWriteStream, existsSync, readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {UserError, ValidationError} from '../core/errors.js'
import {parseScenario, type LogEntry, type TwinScenario} from '../core/twin/index.js'
import {readInputFile} from './read-input.js'

/** examples/scenarios of this installation: found upward from this module (src/ under vitest, dist/src/ built). */
function shippedScenarioDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'examples', 'scenarios')
    if (existsSync(candidate)) return candidate
    dir = dirname(dir)
  }
  return undefined
}

/** The names `--scenario` accepts without a path. */
export function listShippedScenarios(): string[] {
  const dir = shippedScenarioDir()
  return dir
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.replace(/\.yaml$/, ''))
        .sort()
    : []
}

function isPath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || /\.(ya?ml|json)$/i.test(value)
}

/** Reads and checks a scenario by name or path; every problem at once, with file:line:col. */
export async function loadScenarioFile(nameOrPath: string): Promise<{scenario: TwinScenario; file: string}> {
  let file = nameOrPath
  if (!isPath(nameOrPath)) {
    const dir = shippedScenarioDir()
    file = dir ? join(dir, `${nameOrPath}.yaml`) : nameOrPath
    if (!existsSync(file)) {
      throw new UserError(`no scenario named "${nameOrPath}"`, {
        hint: `pick one of: ${listShippedScenarios().join(', ') || '(none shipped)'}; or pass a scenario file path`,
      })
    }
  }
  // Through the one input reader: the size limit (GPU_SCALE_MAX_INPUT_BYTES) and located read errors.
  const text = await readInputFile(file, {
    what: 'scenario file',
    hint: `pass a scenario name (${listShippedScenarios().join(', ')}) or a file path`,
  })
  const {scenario, problems} = parseScenario(text, file)
  const errors = problems.filter((p) => p.severity === 'error')
  if (!scenario || errors.length > 0)
    throw new ValidationError(
      `${file} is not a valid scenario (${errors.length} error${errors.length === 1 ? '' : 's'}); fix the fields above`,
      problems,
    )
  return {scenario, file}
}

/** Writes the event log as JSON lines, one entry per line, streamed (a day of a fleet is millions of requests). */
export async function writeEventLog(path: string, entries: Iterable<LogEntry>): Promise<number> {
  const stream = createWriteStream(path)
  const failed = new Promise<never>((_, reject) => stream.once('error', reject))
  failed.catch(() => undefined) // observed through the races below; never an unhandled rejection
  let count = 0
  try {
    let chunk = ''
    for (const entry of entries) {
      chunk += JSON.stringify(entry) + '\n'
      count++
      if (chunk.length > 1 << 16) {
        if (!stream.write(chunk))
          await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed])
        chunk = ''
      }
    }
    await Promise.race([new Promise<void>((resolve) => stream.end(chunk, () => resolve())), failed])
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(
      `cannot write the event log to ${path}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`,
      {hint: 'check the directory exists and is writable', location: {file: path}, cause: error},
    )
  }
  return count
}
