/** The analyze use case: resolve the inputs as `plan` does, then classify what limits each model and GPU. */
import {analyzeCluster, type AnalysisResult} from '../core/analyze/analyze-cluster.js'
import type {Problem} from '../core/errors.js'
import type {LiveDiagnostic} from '../adapters/live-diagnostic.js'
import {type InputFlags, resolveInputs} from './plan-inputs.js'

export interface AnalyzeOutcome {
  result: AnalysisResult
  source: string
  warnings: Problem[]
  /** What the live readers noticed (empty for --snapshot and --sim), for stderr. */
  diagnostics: LiveDiagnostic[]
}

export async function analyzeInputs(request: InputFlags): Promise<AnalyzeOutcome> {
  const inputs = await resolveInputs(request)
  return {
    result: analyzeCluster(inputs.config, inputs.snapshot),
    source: inputs.source,
    warnings: inputs.warnings,
    diagnostics: inputs.diagnostics,
  }
}
