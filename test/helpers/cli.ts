/**
 * Runs a gpu-scale command in-process through oclif (as `bin/run.js` would) and returns what a shell would see:
 * stdout, stderr and the exit code.
 */
import {runCommand} from '@oclif/test'
import {fileURLToPath} from 'node:url'
import {spawnSync} from 'node:child_process'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

export async function cli(args: string[]): Promise<CliResult> {
  const {stdout, stderr, error} = await runCommand(args, {root})
  const exitCode = error ? (error.oclif?.exit ?? 1) : 0
  return {stdout, stderr, exitCode}
}

/** Runs the real binary in a child process: for exit codes and output as a shell sees them. */
export function cliProcess(args: string[], options: {cwd?: string; env?: Record<string, string>; input?: string} = {}): CliResult {
  const result = spawnSync(process.execPath, [`${root}/bin/run.js`, ...args], {
    cwd: options.cwd ?? root,
    env: {...process.env, NO_COLOR: '1', ...options.env},
    input: options.input,
    encoding: 'utf8',
  })
  return {stdout: result.stdout, stderr: result.stderr, exitCode: result.status ?? 1}
}

export const repoRoot = root
