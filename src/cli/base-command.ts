/**
 * The base of every command: shared flags, output formats, and the one place where errors become messages and
 * exit codes. Commands parse flags, call a use case in src/services, and hand the result to `this.output()` with
 * a view; they hold no policy logic and touch no files.
 */
import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {formatLocation, type Problem, UserError, ValidationError} from '../core/errors.js'
import {EXIT, type ExitCode, type ExitCodeMap, exitCodes, renderExitCodeHelp} from '../core/exit-codes.js'
import {
  describeDiagnostic,
  describeWarning,
  type OutputFormat,
  renderJson,
  renderYaml,
  useColor,
} from '../views/output.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * A command description followed by the exit codes that command returns (declared with `exitCodes()` from the one
 * map in src/core/exit-codes.ts; by default the two every command has), so --help never lists a code the command cannot produce. Single line breaks
 * inside a paragraph are joined (oclif wraps to the terminal itself); blank lines separate paragraphs.
 */
export function describe(text: string, codes: ExitCodeMap = exitCodes()): string {
  const paragraphs = text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' '))
  return `${paragraphs.join('\n\n')}\n\n${renderExitCodeHelp(codes)}`
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    output: Flags.option({
      char: 'o',
      summary: 'Output format.',
      options: ['table', 'json', 'yaml'] as const,
      default: 'table',
      env: 'GPU_SCALE_OUTPUT',
      helpGroup: 'GLOBAL',
    })(),
    json: Flags.boolean({summary: 'Same as -o json.', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({summary: 'Show stack traces on errors.', env: 'GPU_SCALE_DEBUG', helpGroup: 'GLOBAL'}),
  }

  static override enableJsonFlag = false

  /** The exit codes this command returns; its --help lists the same (see `describe`). */
  static exitCodes: ExitCodeMap = exitCodes()

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  protected get format(): OutputFormat {
    return this.flags.json ? 'json' : (this.flags.output as OutputFormat)
  }

  protected get color(): boolean {
    return useColor()
  }

  /** Prints the typed result: JSON/YAML exactly, or the human view. */
  protected output<R>(result: R, human: (result: R, color: boolean) => string): void {
    const text =
      this.format === 'json'
        ? renderJson(result)
        : this.format === 'yaml'
          ? renderYaml(result)
          : human(result, this.color)
    process.stdout.write(text)
  }

  /** Progress and logs go to stderr so stdout stays machine-readable. */
  protected info(message: string): void {
    process.stderr.write(message + '\n')
  }

  /** The config's warnings, then the live cluster's diagnostics, on stderr before the result. */
  protected reportProblems(
    warnings: readonly Problem[],
    diagnostics: ReadonlyArray<{severity: string; code: string; message: string}> = [],
  ): void {
    for (const w of warnings) this.info(describeWarning(w))
    for (const d of diagnostics) this.info(describeDiagnostic(d))
  }

  /**
   * Ends the command with an exit code after output was printed (e.g. --detailed-exitcode 2). A code the command
   * did not declare is a bug: its --help would not tell scripts about it.
   */
  protected exitWith(code: ExitCode): never {
    if (!(this.ctor as typeof BaseCommand).exitCodes.some(([declared]) => declared === code)) {
      throw new Error(`${this.id ?? 'command'} exits ${code} but does not declare it in exitCodes`)
    }
    throw new Errors.ExitError(code)
  }

  /** The one place errors become messages and exit codes. A stack trace only with --debug. */
  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    const debug = Boolean(this.flags?.debug) || process.argv.includes('--debug')
    let code: number = EXIT.error
    const lines: string[] = []
    if (error instanceof ValidationError) {
      for (const problem of error.problems) {
        lines.push(`${formatLocation(problem.location)}: ${problem.severity}: ${problem.message} [${problem.code}]`)
      }
      lines.push(`error: ${error.message}`)
      code = error.exitCode
    } else if (error instanceof UserError) {
      lines.push(`error: ${error.location ? formatLocation(error.location) + ': ' : ''}${error.message}`)
      if (error.hint) lines.push(`hint: ${error.hint}`)
      code = error.exitCode
    } else if (error instanceof Errors.CLIError || (error as {oclif?: unknown}).oclif) {
      // oclif's own parse errors: bad flag values, unknown flags, missing args.
      lines.push(`error: ${error.message.split('\n')[0]}`)
      const more = error.message
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '' && !l.includes('--help'))
      lines.push(...more.map((l) => `  ${l.trim()}`))
      lines.push(`hint: see \`gpu-scale ${this.id?.replaceAll(':', ' ') ?? ''} --help\``)
      code = EXIT.error
    } else {
      lines.push(`error: internal error: ${error.message}`)
      lines.push('hint: this is a bug in gpu-scale; rerun with --debug and report the stack trace')
    }
    if (debug && error.stack) lines.push(error.stack)
    process.stderr.write(lines.join('\n') + '\n')
    throw new Errors.ExitError(code)
  }
}
