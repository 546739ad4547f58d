/**
 * What a Prometheus answer may be turned into, rule by rule, so nothing is guessed (KEDA's Prometheus scaler
 * rejects empty, multi-series and NaN answers; STYLE.md). Pure; tested by table (test/adapters/prometheus/).
 *
 * 1. Empty (`result: []`): the metric is not exported or its target is gone → no series, `TelemetryEmpty`. The
 *    planner then sees missing telemetry and never scales down on it.
 * 2. Labels: `__name__` is dropped (the series is named by the metric asked for); `exported_pod` and
 *    `exported_namespace` become `pod`/`namespace` again — Prometheus renames the exporter's labels when they clash
 *    with target labels and `honor_labels` is off (facts §8), and the exporter's are the pod the sample is about.
 * 3. Duplicate series: two series equal in every label but the scrape's `job`/`instance` (one exporter scraped
 *    twice) → both dropped, `DuplicateSeries`: which one is right cannot be known, and summing would double.
 * 4. NaN and ±Inf values (Prometheus sends them as strings, facts §8) → dropped, `NonFiniteSamples`: a gap, never
 *    a zero.
 * 5. Impossible values: negative, outside the metric's physical range (utilization > 100 %, a ratio > 1), or
 *    stamped after the query's instant → dropped, `ImpossibleSamples`. The bounds are the core sanitizer's
 *    (src/core/signals/sanitize.ts `boundsOfMetric`), so a live answer and a snapshot file drop the same samples.
 * 6. Stale: the newest sample left is older than `settings.staleAfter` → kept (the planner's staleness rule
 *    refuses to scale down on it, per direction) and named, `StaleTelemetry`.
 */
import type {Series} from '../../core/model/snapshot.js'
import {boundsOfMetric} from '../../core/signals/sanitize.js'
import type {LiveDiagnostic} from '../live-diagnostic.js'
import type {RawMatrix} from './client.js'

/** Labels the scrape adds; two series that differ only in these are the same series scraped twice. */
const SCRAPE_LABELS = new Set(['job', 'instance'])

export function seriesFromMatrix(
  metric: string,
  query: string,
  matrix: RawMatrix,
  context: {at: number; staleAfterSeconds: number},
): {series: Series[]; diagnostics: LiveDiagnostic[]} {
  const diagnostics: LiveDiagnostic[] = []
  if (matrix.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'TelemetryEmpty',
      message: `${metric}: \`${query}\` returned no series (not exported, or its targets are down): read as missing, so nothing scales down on it`,
    })
    return {series: [], diagnostics}
  }
  const labelled = matrix.map((raw) => ({labels: normalizeLabels(raw.metric), values: raw.values}))
  const groups = new Map<string, typeof labelled>()
  for (const s of labelled) {
    const key = identityOf(s.labels)
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  const bounds = boundsOfMetric(metric)
  const series: Series[] = []
  let nonFinite = 0
  let impossible = 0
  for (const [key, group] of groups) {
    if (group.length > 1) {
      diagnostics.push({
        severity: 'warning',
        code: 'DuplicateSeries',
        message: `${metric}{${key}}: ${group.length} series differ only in ${[...SCRAPE_LABELS].join('/')} (${group.map((g) => `${g.labels.job ?? ''}/${g.labels.instance ?? ''}`).join(', ')}); all dropped, as which is right cannot be known`,
      })
      continue
    }
    const only = group[0] as (typeof labelled)[number]
    const samples: Array<[number, number]> = []
    for (const [t, text] of only.values) {
      const v = Number(text)
      if (!Number.isFinite(v) || !Number.isFinite(t)) nonFinite++
      else if (t > context.at || v < bounds.min || v > bounds.max) impossible++
      else samples.push([t, v])
    }
    if (samples.length === 0) continue
    const newest = (samples[samples.length - 1] as [number, number])[0]
    if (newest < context.at - context.staleAfterSeconds) {
      diagnostics.push({
        severity: 'warning',
        code: 'StaleTelemetry',
        message: `${metric}{${key}}: newest sample is ${Math.round(context.at - newest)} s old (stale after ${context.staleAfterSeconds} s): never used to scale down`,
      })
    }
    series.push({metric, labels: only.labels, samples})
  }
  if (nonFinite > 0)
    diagnostics.push({
      severity: 'warning',
      code: 'NonFiniteSamples',
      message: `${metric}: ${nonFinite} NaN or infinite sample${nonFinite === 1 ? '' : 's'} dropped (a gap, not a zero)`,
    })
  if (impossible > 0)
    diagnostics.push({
      severity: 'warning',
      code: 'ImpossibleSamples',
      message: `${metric}: ${impossible} sample${impossible === 1 ? '' : 's'} outside ${bounds.describe} or after the capture instant dropped`,
    })
  series.sort((a, b) => compare(identityOf(a.labels), identityOf(b.labels)))
  return {series, diagnostics}
}

/**
 * `recent` with the samples of `older` that come before each one's first sample, matched by labels (scrape labels
 * aside); series only in `older` are dropped (what they describe is gone). `added`: how many samples were merged.
 */
export function withHistory(recent: Series[], older: Series[]): {series: Series[]; added: number} {
  const byIdentity = new Map(older.map((s) => [identityOf(s.labels), s.samples]))
  let added = 0
  const series = recent.map((s) => {
    const first = s.samples[0]?.[0] ?? Infinity
    const before = (byIdentity.get(identityOf(s.labels)) ?? []).filter(([t]) => t < first)
    added += before.length
    return before.length > 0 ? {...s, samples: [...before, ...s.samples]} : s
  })
  return {series, added}
}

function normalizeLabels(raw: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) if (k !== '__name__' && !k.startsWith('exported_')) labels[k] = v
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('exported_')) labels[k.slice('exported_'.length)] = v
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => compare(a, b)))
}

function identityOf(labels: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k]) => !SCRAPE_LABELS.has(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
