/**
 * Human view of `gpu-scale validate`: one line per problem, `file:line:col field: severity: message [Code]`, the
 * format compilers use so editors and CI annotate the right line. Plus the one-line summary for stderr.
 */
import type {ValidationReport} from '../core/config/report.js'
import {formatLocation} from '../core/errors.js'
import {paint} from './output.js'

export function renderValidation(report: ValidationReport, color: boolean): string {
  return report.problems
    .map((problem) => {
      const severity = paint(problem.severity, problem.severity === 'error' ? 'red' : 'yellow', color)
      return `${formatLocation(problem.location)}: ${severity}: ${problem.message} [${problem.code}]\n`
    })
    .join('')
}

export function summarizeValidation(report: ValidationReport, strict: boolean): string {
  const counts = `${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`
  if (!report.valid) return `${report.file}: invalid (${counts})`
  if (strict && report.warnings > 0) return `${report.file}: valid, but --strict fails on warnings (${counts})`
  return `${report.file}: valid (${counts})`
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
