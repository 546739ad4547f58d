/** The typed result of `gpu-scale validate`: what `-o json|yaml` prints and the table view renders. */
import type {Problem} from '../errors.js'

export interface ValidationReport {
  file: string
  /** No errors (warnings allowed; `--strict` turns warnings into a failed gate, not into invalidity). */
  valid: boolean
  errors: number
  warnings: number
  problems: Problem[]
}

export function summarizeProblems(file: string, problems: Problem[]): ValidationReport {
  const errors = problems.filter((p) => p.severity === 'error').length
  return {file, valid: errors === 0, errors, warnings: problems.length - errors, problems}
}
