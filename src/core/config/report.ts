/** The typed result of `gpu-scale validate`: what `-o json|yaml` prints and the table view renders. */
import type {Problem} from '../errors.js'
import type {PolicyConfig} from '../model/config.js'
import {listDefaultSignals} from './default-signals.js'

export interface ValidationReport {
  file: string
  /** No errors (warnings allowed; `--strict` turns warnings into a failed gate, not into invalidity). */
  valid: boolean
  errors: number
  warnings: number
  problems: Problem[]
  /** Models that scale on gpu-scale's default signals, each default with its target and reason. */
  defaultSignals: DefaultedModel[]
}

export interface DefaultedModel {
  model: string
  signals: Array<{name: string; metric: string; target: number; secondary: boolean; reason: string}>
  /** Defaults left out, and why (a latency default without its SLO). */
  omitted: Array<{name: string; reason: string}>
}

export function summarizeProblems(file: string, problems: Problem[], config?: PolicyConfig): ValidationReport {
  const errors = problems.filter((p) => p.severity === 'error').length
  return {
    file,
    valid: errors === 0,
    errors,
    warnings: problems.length - errors,
    problems,
    defaultSignals: config ? listDefaultedModels(config) : [],
  }
}

function listDefaultedModels(config: PolicyConfig): DefaultedModel[] {
  const set = listDefaultSignals(config.settings)
  return config.models
    .filter((m) => m.signalsDefaulted === true)
    .map((m) => ({
      model: m.name,
      signals: set.defaults.map((d) => ({
        name: d.signal.name,
        metric: d.signal.metric,
        target: d.signal.target,
        secondary: d.signal.secondary === true,
        reason: d.reason,
      })),
      omitted: set.omitted.map((o) => ({...o})),
    }))
}
