/**
 * The plan use case: resolve the inputs, plan, and save the plan when asked (`--out`). Commands call this and
 * choose a view; they neither plan nor write files themselves.
 */
import type {Problem} from '../core/errors.js'
import type {Plan} from '../core/model/plan.js'
import {planCluster} from '../core/planner/plan-cluster.js'
import type {LiveDiagnostic} from '../adapters/live-diagnostic.js'
import {writePlanFile} from '../adapters/plan-file.js'
import {type InputFlags, resolveInputs} from './plan-inputs.js'

export interface PlanRequest extends InputFlags {
  /** Also save the plan as JSON to this path. */
  out?: string
}

export interface PlanOutcome {
  plan: Plan
  /** Where the inputs came from, in words (the table's heading). */
  source: string
  /** Warnings about the config, for stderr. */
  warnings: Problem[]
  /** The path the plan was saved to, when it was. */
  savedTo?: string
  /** What the live readers noticed (empty for --snapshot and --sim); the plan's diagnostics carry them too. */
  diagnostics: LiveDiagnostic[]
}

export async function createPlan(request: PlanRequest): Promise<PlanOutcome> {
  const inputs = await resolveInputs(request)
  const planned = planCluster({config: inputs.config, snapshot: inputs.snapshot, inputFingerprint: inputs.fingerprint})
  // What the readers noticed goes into the plan: a saved plan (and -o json) says what it was planned without,
  // e.g. no telemetry, which is why nothing scales down. The capture's notes come first, as they came first.
  const plan =
    inputs.diagnostics.length > 0 ? {...planned, diagnostics: [...inputs.diagnostics, ...planned.diagnostics]} : planned
  if (request.out) await writePlanFile(request.out, plan)
  return {
    plan,
    source: inputs.source,
    warnings: inputs.warnings,
    diagnostics: inputs.diagnostics,
    ...(request.out ? {savedTo: request.out} : {}),
  }
}

/** Whether the plan would change the cluster (what `--detailed-exitcode` reports). */
export function hasChanges(plan: Plan): boolean {
  return plan.summary.changes > 0
}
