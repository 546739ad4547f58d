/**
 * The one map of exit codes (see PRODUCT conventions and README). Scripts and CI gates depend on these numbers:
 * never renumber. Each command declares the subset it can return (`exitCodes()`), and its --help lists exactly
 * that subset, so a user never reads about a code that command cannot produce.
 */
export const EXIT = {
  /** Success; with --detailed-exitcode: the plan has no changes. */
  ok: 0,
  /** Error: bad input, unreachable cluster or telemetry, failed apply, an unknown command. */
  error: 1,
  /** --detailed-exitcode: the plan has changes. Never used for anything else, so a CI gate can trust it. */
  changes: 2,
  /** A gate failed: `validate --strict` warnings, `mig check` of an invalid layout. */
  gateFailed: 3,
  /** Refused: stale plan, a workload owned by another autoscaler, a destructive step without consent. */
  refused: 4,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** What each code means in general; a command may say what it means for that command instead. */
export const EXIT_MEANING: Record<ExitCode, string> = {
  0: 'success',
  1: 'error: bad input, unreadable file, unreachable cluster or telemetry',
  2: '--detailed-exitcode: the plan has changes',
  3: 'a gate failed',
  4: 'refused: stale plan, workload owned by another autoscaler, destructive step without consent',
}

/** The codes one command can return, each with its meaning for that command (in code order). */
export type ExitCodeMap = ReadonlyArray<readonly [ExitCode, string]>

/**
 * Declares the codes a command returns. A bare code takes the general meaning; a pair gives the command's own.
 * 0 and 1 are always possible (success, and bad input or a parse error), so they are always listed.
 */
export function exitCodes(...codes: Array<ExitCode | readonly [ExitCode, string]>): ExitCodeMap {
  const byCode = new Map<ExitCode, string>([
    [EXIT.ok, EXIT_MEANING[0]],
    [EXIT.error, EXIT_MEANING[1]],
  ])
  for (const entry of codes) {
    const [code, meaning] = typeof entry === 'number' ? [entry, EXIT_MEANING[entry]] : entry
    byCode.set(code, meaning)
  }
  return [...byCode.entries()].sort(([a], [b]) => a - b)
}

/** The EXIT CODES section of a command's --help. */
export function renderExitCodeHelp(codes: ExitCodeMap): string {
  return ['EXIT CODES', ...codes.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n')
}
