/**
 * The error taxonomy, caught in one place (src/commands/base-command.ts) and mapped to exit codes. Core code throws
 * these; it never prints or exits.
 */
import {EXIT} from './exit-codes.js'

/** Where in an input file something is wrong. */
export interface SourceLocation {
  file: string
  line?: number
  column?: number
  /** JSON-pointer-like field path: `models[0].replicas.max`. */
  path?: string
}

export function formatLocation(loc: SourceLocation): string {
  let text = loc.file
  if (loc.line !== undefined) text += `:${loc.line}` + (loc.column !== undefined ? `:${loc.column}` : '')
  if (loc.path) text += ` ${loc.path}`
  return text
}

/** A problem the user can fix: bad input, unreachable endpoint. Exit 1 unless another code is given. */
export class UserError extends Error {
  readonly exitCode: number
  readonly hint?: string
  readonly location?: SourceLocation

  constructor(
    message: string,
    options: {hint?: string; location?: SourceLocation; exitCode?: number; cause?: unknown} = {},
  ) {
    super(message, {cause: options.cause})
    this.name = 'UserError'
    this.exitCode = options.exitCode ?? EXIT.error
    this.hint = options.hint
    this.location = options.location
  }
}

/** Several problems found at once (config validation reports every problem, not the first). */
export class ValidationError extends UserError {
  readonly problems: Problem[]

  constructor(summary: string, problems: Problem[]) {
    super(summary)
    this.name = 'ValidationError'
    this.problems = problems
  }
}

/** gpu-scale refused to act: stale plan, a workload owned by another autoscaler, a destructive step without consent. */
export class RefusedError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, {hint, exitCode: EXIT.refused})
    this.name = 'RefusedError'
  }
}

/** One problem in an input, with where it is and what was expected. */
export interface Problem {
  severity: 'error' | 'warning'
  code: string
  message: string
  location: SourceLocation
}
