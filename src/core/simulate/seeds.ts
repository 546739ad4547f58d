/**
 * `--seeds N`: the same comparison run with N seeds, reported as one report whose metrics are the mean over the
 * seeds, with each METRICS entry's mean, min and max in `spread`. Series stay those of the first seed: a chart of
 * a mean run would draw a fleet that never existed.
 */
import {METRIC_NAMES, METRICS} from './metrics.js'
import type {PolicyMetrics, PolicyResult, SimulationReport, Spread} from './report.js'

export function aggregateSeeds(reports: readonly SimulationReport[]): SimulationReport {
  const [first] = reports
  if (!first) throw new RangeError('aggregateSeeds needs at least one report')
  const names = first.policies.map((p) => p.name).join(',')
  for (const r of reports) {
    if (r.policies.map((p) => p.name).join(',') !== names)
      throw new RangeError(`every seed must compare the same policies in the same order (${names})`)
    if (r.window.start !== first.window.start || r.window.end !== first.window.end)
      throw new RangeError('every seed must cover the same window')
  }
  const policies: PolicyResult[] = first.policies.map((policy, i) => {
    const runs = reports.map((r) => (r.policies[i] as PolicyResult).metrics)
    const spread: Record<string, Spread> = {}
    for (const name of METRIC_NAMES) spread[name] = spreadOf(runs.map((m) => METRICS[name].get(m)))
    // A mean of approximate percentiles is approximate too.
    const approx = reports.find((r) => (r.policies[i] as PolicyResult).percentiles)?.policies[i]?.percentiles
    return {...policy, metrics: meanOf(runs) as PolicyMetrics, ...(approx ? {percentiles: approx} : {}), spread}
  })
  return {...first, seeds: reports.flatMap((r) => r.seeds), policies}
}

/** Mean, min and max; null when any seed has no value (a metric either exists for a policy or not). */
export function spreadOf(values: ReadonlyArray<number | null>): Spread {
  if (values.length === 0 || values.some((v) => v === null || !Number.isFinite(v)))
    return {mean: null, min: null, max: null}
  const xs = values as number[]
  return {mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs)}
}

/**
 * The mean of structurally equal values, leaf by leaf: numbers average, a null in any seed stays null, arrays
 * (per-burst lists) are those of the first seed since bursts differ between seeds only in their recovery.
 */
function meanOf(values: readonly unknown[]): unknown {
  const [head] = values
  if (typeof head === 'number') return spreadOf(values as Array<number | null>).mean
  if (head === null || head === undefined || Array.isArray(head) || typeof head !== 'object') return head
  if (values.some((v) => v === null)) return null
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(head)) out[key] = meanOf(values.map((v) => (v as Record<string, unknown>)[key]))
  return out
}
