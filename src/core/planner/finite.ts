/**
 * Plans are finite by construction: no NaN, no Infinity, no negative count, size or ETA. An actuator that reads
 * `to: NaN` or `to: -1` has no safe interpretation, so the builder refuses such a change before the plan exists:
 * the change is dropped, nothing is planned for its target, and a bug diagnostic (`PlanInvariantViolated`) names
 * the field. Evidence must be finite too (it may be negative: a falling trend's slope is); non-finite evidence in
 * reasons of targets left alone becomes null with the same diagnostic.
 */
import type {Change, Diagnostic, Evidence, Skipped} from '../model/plan.js'
import type {ControllerState} from '../model/state.js'

/** The first field of the change that breaks the invariant, or undefined when the change is sound. */
export function findNonFiniteField(change: Change): string | undefined {
  const counts: Array<[string, unknown]> =
    change.action === 'repartition-gpu'
      ? [['payload.gpus', change.payload.gpus.every((g) => isCount(g)) ? 0 : NaN]]
      : [
          ['from', change.from],
          ['to', change.to],
          ...Object.entries(change.payload)
            .filter(([, v]) => typeof v === 'number')
            .map(([k, v]) => [`payload.${k}`, k === 'delta' ? Math.abs(v as number) : v] as [string, unknown]),
        ]
  for (const [field, value] of counts) if (!isCount(value)) return field
  if (change.eta && !isCount(change.eta.seconds)) return 'eta.seconds'
  for (const precondition of change.preconditions)
    if (typeof precondition.equals === 'number' && !isCount(precondition.equals))
      return `preconditions.${precondition.path}`
  for (const reason of change.reasons) {
    const bad = findNonFiniteEvidence(reason.evidence)
    if (bad) return `reasons.${reason.code}.evidence.${bad}`
  }
  return undefined
}

/**
 * Splits changes into sound ones and bug diagnostics for the rest. Nothing is planned for a target with a broken
 * change (its other changes go too), nor for changes that depend on a dropped one (replicas waiting for a node
 * that will not be asked for would stay pending).
 */
export function guardChanges(changes: readonly Change[]): {changes: Change[]; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  const targetKey = (c: Change) => `${c.target.kind}/${c.target.namespace ?? ''}/${c.target.name}`
  const badTargets = new Set<string>()
  for (const change of changes) {
    const field = findNonFiniteField(change)
    if (field === undefined) continue
    badTargets.add(targetKey(change))
    diagnostics.push(
      bug(
        `change ${change.id} had a non-finite or negative ${field}: nothing is planned for ${change.target.name} (a gpu-scale bug; please report it with the snapshot)`,
        change.target,
        field,
      ),
    )
  }
  if (badTargets.size === 0) return {changes: [...changes], diagnostics}
  const dropped = new Set(changes.filter((c) => badTargets.has(targetKey(c))).map((c) => c.id))
  for (let grew = true; grew;) {
    grew = false
    for (const change of changes) {
      if (dropped.has(change.id) || !change.dependsOn.some((id) => dropped.has(id))) continue
      dropped.add(change.id)
      grew = true
      diagnostics.push(
        bug(`change ${change.id} depends on a change dropped as broken: not planned`, change.target, 'dependsOn'),
      )
    }
  }
  return {changes: changes.filter((c) => !dropped.has(c.id)), diagnostics}
}

/** Replaces non-finite evidence of targets left alone with null, reporting each as a bug. */
export function guardSkipped(skipped: readonly Skipped[]): {skipped: Skipped[]; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  const cleaned = skipped.map((s) => ({
    ...s,
    reasons: s.reasons.map((r) => {
      const bad = findNonFiniteEvidence(r.evidence)
      if (!bad) return r
      diagnostics.push(
        bug(
          `reason ${r.code} for ${s.target.name} had non-finite evidence ${bad}: shown as null (a gpu-scale bug)`,
          s.target,
          bad,
        ),
      )
      return {
        ...r,
        evidence: Object.fromEntries(
          Object.entries(r.evidence).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : v]),
        ),
      }
    }),
  }))
  return {skipped: cleaned, diagnostics}
}

/**
 * The next state holds counts and times only: a recommendation or scale event with a non-finite or negative
 * number (a signal read as Infinity proposes Infinity replicas) is dropped, reported as a bug, so the next tick
 * never stabilizes against it.
 */
export function guardState(state: ControllerState): {state: ControllerState; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  const models: ControllerState['models'] = {}
  for (const [key, entry] of Object.entries(state.models)) {
    const recommendations = entry.recommendations.filter((r) => isCount(r.replicas) && isCount(r.at))
    const scaleEvents = entry.scaleEvents.filter((e) => isCount(e.from) && isCount(e.to) && isCount(e.at))
    const dropped =
      entry.recommendations.length - recommendations.length + entry.scaleEvents.length - scaleEvents.length
    if (dropped > 0)
      diagnostics.push({
        severity: 'error',
        code: 'PlanInvariantViolated',
        message: `${dropped} non-finite or negative record(s) of ${key} left out of the next state (a gpu-scale bug; a signal read as non-finite)`,
        evidence: {field: `state.models.${key}`},
      })
    models[key] = {recommendations, scaleEvents}
  }
  return {state: {...state, models}, diagnostics}
}

function findNonFiniteEvidence(evidence: Evidence): string | undefined {
  for (const [key, value] of Object.entries(evidence))
    if (typeof value === 'number' && !Number.isFinite(value)) return key
  return undefined
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function bug(message: string, target: Change['target'], field: string): Diagnostic {
  return {severity: 'error', code: 'PlanInvariantViolated', message, target, evidence: {field}}
}
