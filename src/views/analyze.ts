/** `gpu-scale analyze` as a human table: one row per model, then one per GPU, with evidence and advice. */
import type {AnalysisResult} from '../core/analyze/analyze-cluster.js'
import type {Evidence} from '../core/model/plan.js'
import {heading, paint, renderTable, terminalWidth, wrapParagraph} from './output.js'
import {describeSubject} from './plan.js'

const SHOWN: Array<[string, string, (v: number) => string]> = [
  ['gpuUtilPercent', 'util', (v) => `${Math.round(v)}%`],
  ['smActive', 'sm', pct],
  ['dramActive', 'dram', pct],
  ['pcieBytesPerSecond', 'pcie', (v) => `${(v / 1e9).toFixed(1)}GB/s`],
  ['kvCacheUsage', 'kv', pct],
  ['queuePerPod', 'queue', (v) => v.toFixed(1)],
  ['p95LatencySeconds', 'p95', (v) => `${v.toFixed(2)}s`],
]

export function renderAnalysis(result: AnalysisResult, options: {color?: boolean} = {}): string {
  const color = options.color ?? false
  const models = renderTable(
    ['MODEL', 'CLASS', 'EVIDENCE', 'REPLICAS', 'SCALE ON'],
    result.models.map((m) => [
      `${m.namespace}/${m.model}`,
      paint(
        m.classification,
        m.classification === 'healthy' ? 'green' : m.classification === 'underutilized' ? 'yellow' : 'red',
        color,
      ),
      formatEvidence(m.evidence),
      `${m.replicas.current}→${m.replicas.desired}${m.replicas.decidedBy ? ` (${m.replicas.decidedBy})` : ''}`,
      m.recommendation.message,
    ]),
    {color, wrap: [0, 1, 2, 3, 4], detail: 4},
  )
  const gpuRows = result.models.flatMap((m) =>
    m.gpus.map((g) => [
      m.model,
      `${g.node}/${g.gpu}${g.migProfile ? ` ${g.migProfile}` : ''}`,
      g.pod,
      g.classification,
      formatEvidence(g.evidence),
    ]),
  )
  const gpus =
    gpuRows.length > 0
      ? heading('\nGPUs', color) +
        renderTable(['MODEL', 'GPU', 'POD', 'CLASS', 'EVIDENCE'], gpuRows, {color, wrap: [0, 1, 2, 3, 4], detail: 4})
      : ''
  const why = result.models.map((m) => wrapParagraph(`  ${m.model}: ${m.message}`, terminalWidth(), '    ')).join('\n')
  const diags = result.diagnostics
    .map((d) =>
      wrapParagraph(`  ${d.severity}: ${describeSubject(d)}: ${d.message} [${d.code}]`, terminalWidth(), '    '),
    )
    .join('\n')
  return (
    heading(`Analysis at ${result.analyzedAt}`, color) +
    models +
    gpus +
    heading('\nWhy', color) +
    why +
    '\n' +
    (diags ? heading('\nDiagnostics', color) + diags + '\n' : '')
  )
}

function formatEvidence(e: Evidence): string {
  return (
    SHOWN.filter(([k]) => typeof e[k] === 'number')
      .map(([k, label, f]) => `${label} ${f(e[k] as number)}`)
      .join(', ') || '-'
  )
}

function pct(v: number): string {
  return `${Math.round(v * 100)}%`
}
