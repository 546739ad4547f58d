/**
 * Human view of `gpu-scale validate`: one line per problem, `file:line:col field: severity: message [Code]`, the
 * format compilers use so editors and CI annotate the right line. Plus the one-line summary for stderr.
 */
import type {ValidationReport} from '../core/config/report.js'
import {formatLocation} from '../core/errors.js'
import {paint} from './output.js'

export function renderValidation(report: ValidationReport, color: boolean): string {
  const problems = report.problems
    .map((problem) => {
      const severity = paint(problem.severity, problem.severity === 'error' ? 'red' : 'yellow', color)
      return `${formatLocation(problem.location)}: ${severity}: ${problem.message} [${problem.code}]\n`
    })
    .join('')
  return problems + renderDefaultSignals(report)
}

/** One line per model on gpu-scale's default signals: which ones (secondary marked), and which were left out. */
function renderDefaultSignals(report: ValidationReport): string {
  return report.defaultSignals
    .map((m) => {
      const used = m.signals
        .map((s) => `${s.name} (${s.metric} ${s.target}${s.secondary ? ', secondary' : ''})`)
        .join(', ')
      const omitted = m.omitted.map((o) => `; ${o.name} off: ${o.reason}`).join('')
      return `model ${m.model}: default signals: ${used}${omitted}\n`
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
