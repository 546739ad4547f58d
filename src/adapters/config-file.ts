/**
 * Reads a policy config file and hands its text to the pure loader (src/core/config/load.ts). The only place the
 * config touches the file system.
 */
import {parseConfig} from '../core/config/load.js'
import {type Problem, ValidationError} from '../core/errors.js'
import type {PolicyConfig} from '../core/model/config.js'
import {readInputFile} from './read-input.js'

export interface ConfigFileCheck {
  /** The path as given (so problems read the way the user typed it). */
  file: string
  /** Present when there are no errors. */
  config?: PolicyConfig
  problems: Problem[]
  /** The file's text as read (the plan's input fingerprint hashes it). */
  text: string
}

/** Reads and checks a config file without throwing on validation problems (what `validate` reports). */
export async function checkConfigFile(path: string): Promise<ConfigFileCheck> {
  const text = await readInputFile(path, {
    what: 'config file',
    hint: 'pass -c FILE, or start from examples/seed-production.yaml',
  })
  return {file: path, text, ...parseConfig(text, path)}
}

/**
 * Loads a config for commands that act on it. Throws ValidationError with every problem when there is an error;
 * warnings come back for the caller to show.
 */
export async function loadConfigFile(path: string): Promise<{config: PolicyConfig; warnings: Problem[]; text: string}> {
  const {config, problems, text} = await checkConfigFile(path)
  const errors = problems.filter((p) => p.severity === 'error')
  if (!config || errors.length > 0) {
    throw new ValidationError(
      `${path} is not a valid gpu-scale config (${countText(errors.length, 'error')}); fix the fields above, then run \`gpu-scale validate -c ${path}\``,
      problems,
    )
  }
  return {config, warnings: problems, text}
}

function countText(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
