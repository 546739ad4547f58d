/**
 * Runs gpu-scale commands the way a shell would see them, two ways:
 * - `cli()`: in this process, through oclif's own `run` (command lookup, hooks, help, version) with one oclif
 *   config loaded once per test worker. Loading the config and importing the commands dominated the suite when
 *   each call did it, so every call after the first costs only the command itself.
 * - `cliProcess()`: the real binary in a child process. Only for what needs a real process: the exit status a
 *   shell sees, stdout/stderr as separate pipes, stdin, and the environment. Each spawn costs about a second on
 *   these 2-core machines, so keep them few.
 */
import {Config, Errors, run} from '@oclif/core'
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

let config: Promise<Config> | undefined

/** The oclif config of this package (commands compiled to dist/ by the global setup), loaded once. */
function loadConfig(): Promise<Config> {
  config ??= Config.load({root})
  return config
}

/**
 * Runs `gpu-scale ...args` in process. stdout and stderr are captured; the exit code is what `bin/run.js` would
 * exit with. `env` is set for the duration of the call only (tests in a file run one at a time).
 */
export async function cli(args: string[], options: {env?: Record<string, string>} = {}): Promise<CliResult> {
  // oclif's help renames the cached command it shows (`mig:check` becomes `mig check`), after which that config no
  // longer finds it; a help call gets a config of its own (cheap: the command modules are already imported).
  const showsHelp = args.includes('help') || args.includes('--help')
  const loaded = showsHelp ? await Config.load({root}) : await loadConfig()
  const out: string[] = []
  const err: string[] = []
  const writes = {stdout: process.stdout.write, stderr: process.stderr.write}
  const savedEnv = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]))
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined
      callback?.()
      return true
    }) as typeof process.stdout.write
  process.stdout.write = capture(out)
  process.stderr.write = capture(err)
  Object.assign(process.env, options.env)
  let exitCode = 0
  try {
    await run(args, loaded)
  } catch (error) {
    const e = error as Error & {oclif?: {exit?: number}}
    exitCode = e.oclif?.exit ?? 1
    // What oclif's handle() prints for errors that no command caught (commands print their own, then ExitError).
    if (!(error instanceof Errors.ExitError)) err.push(`${e.message}\n`)
  } finally {
    process.stdout.write = writes.stdout
    process.stderr.write = writes.stderr
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  return {stdout: out.join(''), stderr: err.join(''), exitCode}
}

/**
 * Runs the real binary in a child process: for exit codes, pipes, stdin and environment as a shell sees them.
 * Asynchronous on purpose: a test file starts its spawns first (in beforeAll) and awaits them in its tests, so the
 * child runs on the core the single test worker leaves free while the in-process tests go on.
 */
export function cliProcess(
  args: string[],
  options: {cwd?: string; env?: Record<string, string>; input?: string} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${root}/bin/run.js`, ...args], {
      cwd: options.cwd ?? root,
      env: {...process.env, NO_COLOR: '1', ...options.env},
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code ?? 1,
      }),
    )
    child.stdin.end(options.input ?? '')
  })
}

export const repoRoot = root
