/**
 * The one map of exit codes, shown in every command's --help (see PRODUCT conventions and README).
 * Scripts and CI gates depend on these numbers: never renumber.
 */
export const EXIT = {
  /** Success; with --detailed-exitcode: the plan has no changes. */
  ok: 0,
  /** Error: bad input, unreachable cluster or telemetry, failed apply. */
  error: 1,
  /** --detailed-exitcode: the plan has changes. */
  changes: 2,
  /** A gate failed: `simulate --fail-if`, `validate --strict` warnings. */
  gateFailed: 3,
  /** Refused: stale plan, a workload owned by another autoscaler, a destructive step without consent. */
  refused: 4,
} as const

export const EXIT_CODE_HELP = [
  'EXIT CODES',
  '  0  success (with --detailed-exitcode: no changes)',
  '  1  error: bad input, unreachable cluster or telemetry, failed apply',
  '  2  --detailed-exitcode: the plan has changes',
  '  3  a gate failed (validate --strict warnings, simulate --fail-if)',
  '  4  refused: stale plan, workload owned by another autoscaler, destructive step without consent',
].join('\n')
