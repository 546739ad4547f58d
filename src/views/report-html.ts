/**
 * SimulationReport → one self-contained HTML file (`simulate --report report.html`, issue 12 item 4).
 *
 * Charts are hand-written SVG, drawn here at build time, not a chart library bundled into the page: the charts
 * needed (lines and steps over time, a stacked area, one scatter) take ~200 lines; the smallest well-kept
 * libraries (uPlot ~50 KB, Chart.js ~200 KB minified) would have to be inlined and run in the page. Static SVG
 * loads nothing, runs no script (so it cannot log a console error), prints, works with JavaScript disabled and
 * is deterministic, so a report diffs cleanly. Tooltips are SVG <title>s.
 *
 * Everything user-supplied (policy, model, group names) goes through `escapeHtml`. The page references no URL:
 * no external script, style, font or image; the report's data is embedded as JSON for machines, with `<`
 * escaped so no name can close the script element.
 */
import {formatDuration, formatTimestamp} from '../core/model/duration.js'
import type {FailIfEvaluation} from '../core/simulate/fail-if.js'
import {formatMetric, METRICS} from '../core/simulate/metrics.js'
import type {PolicyResult, SimulationReport} from '../core/simulate/report.js'
import {RECOVERY_OBJECTIVE} from '../core/simulate/recovery.js'
import {policyLabel, RESULT_COLUMNS} from './simulate.js'

/** Colour-blind-safe palette (Okabe–Ito), in policy order; the oracle is always black and dashed. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#999999']
const ORACLE_COLOR = '#000000'
/** A policy is marked wasteful above this many times the oracle's GPU-hours (issue 12's goal: ≤ 1.15 × oracle). */
export const WASTE_FACTOR = 1.15

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c] as string,
  )
}

interface Line {
  name: string
  color: string
  values: ReadonlyArray<number | null>
  dashed?: boolean
}

export function renderReportHtml(
  report: SimulationReport,
  options: {title?: string; failIf?: FailIfEvaluation} = {},
): string {
  const title = options.title ?? 'gpu-scale simulate report'
  const colors = new Map(
    report.policies.map((p, i) => [
      p.name,
      p.kind === 'oracle' ? ORACLE_COLOR : (PALETTE[i % PALETTE.length] as string),
    ]),
  )
  const runs = report.policies.filter((p) => p.series !== null)
  const first = runs[0]?.series
  const parts: string[] = []
  parts.push(
    `<header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(formatTimestamp(report.window.start))} → ${escapeHtml(formatTimestamp(report.window.end))} (${escapeHtml(formatDuration(report.window.end - report.window.start))}), step ${escapeHtml(formatDuration(report.stepSeconds))}, seed${report.seeds.length > 1 ? 's' : ''} ${escapeHtml(report.seeds.join(', '))}. ${escapeHtml(sloText(report))}</p></header>`,
  )
  if (options.failIf) parts.push(renderGates(options.failIf))
  parts.push(renderTable(report, colors))
  parts.push('<section class="charts">')
  parts.push(
    chartBox(
      'Attainment against GPU-hours (Pareto)',
      'Up and to the left is better. Filled points are on the frontier: no other policy has both more attainment and fewer GPU-hours.',
      paretoChart(report, colors),
    ),
  )
  if (first) {
    const times = first.times
    /** One line per policy, in its color, with the values `pick` takes from its run. */
    const policyLines = (pick: (p: (typeof runs)[number]) => Line['values']): Line[] =>
      runs.map((p) => ({name: p.name, color: colors.get(p.name) as string, values: pick(p)}))
    const loadModels = Object.keys(first.load)
    parts.push(
      chartBox(
        'Load',
        'Arrivals per second per model (the same traffic for every policy).',
        lineChart(
          times,
          loadModels.map((m, i) => ({
            name: m,
            color: PALETTE[i % PALETTE.length] as string,
            values: first.load[m] ?? [],
          })),
          {unit: 'req/s'},
        ),
      ),
    )
    const models = unique(runs.flatMap((p) => Object.keys(p.series?.replicas ?? {})))
    for (const model of models) {
      const lines: Line[] = policyLines((p) => p.series?.replicas[model] ?? [])
      const oracle = report.policies.find((p) => p.kind === 'oracle' && p.oracleReplicas?.[model])
      if (oracle)
        lines.push({
          name: `${oracle.name} (billed replicas)`,
          color: ORACLE_COLOR,
          dashed: true,
          values: stepValues(oracle.oracleReplicas?.[model] ?? [], times),
        })
      parts.push(
        chartBox(
          `Ready replicas: ${model}`,
          'Replicas serving at each step. The oracle line counts replicas it pays for, warming ones included.',
          lineChart(times, lines, {unit: 'replicas', step: true}),
        ),
      )
    }
    for (const group of unique(runs.flatMap((p) => Object.keys(p.series?.nodes ?? {})))) {
      parts.push(
        chartBox(
          `Nodes: ${group}`,
          'Billed nodes (launched, not yet deleted), cold start included.',
          lineChart(
            times,
            policyLines((p) => p.series?.nodes[group] ?? []),
            {unit: 'nodes', step: true},
          ),
        ),
      )
    }
    for (const p of runs) {
      const profiles = Object.keys(p.series?.gpusByProfile ?? {})
      if (profiles.length === 0) continue
      parts.push(
        chartBox(
          `GPUs by MIG profile: ${policyLabel(p)}`,
          "Allocatable GPUs stacked by profile; a MIG slice counts its share of the GPU's memory slices.",
          stackedChart(
            times,
            profiles.map((prof, i) => ({
              name: prof,
              color: PALETTE[(i + 2) % PALETTE.length] as string,
              values: p.series?.gpusByProfile[prof] ?? [],
            })),
          ),
        ),
      )
    }
    const ttft = report.slo.default.ttftSeconds
    parts.push(
      chartBox(
        'p95 TTFT against the SLO',
        'Per step, over the requests that arrived in it. The dashed line is the TTFT target.',
        lineChart(
          times,
          policyLines((p) => p.series?.latency.p95TtftSeconds ?? []),
          {
            unit: 's',
            ref: ttft === undefined ? undefined : {value: ttft, label: `SLO ${formatMetric('p95_ttft', ttft)}`},
          },
        ),
      ),
    )
    const tpot = report.slo.default.tpotSeconds
    if (tpot !== undefined)
      parts.push(
        chartBox(
          'p95 TPOT against the SLO',
          'Mean time per output token after the first, p95 per step. The dashed line is the TPOT target.',
          lineChart(
            times,
            policyLines((p) => p.series?.latency.p95TpotSeconds ?? []),
            {unit: 's', ref: {value: tpot, label: `SLO ${formatMetric('p95_tpot', tpot)}`}},
          ),
        ),
      )
    parts.push(
      chartBox(
        'Share of requests within SLO',
        `Per step. Shaded: steps under ${Math.round(RECOVERY_OBJECTIVE * 100)}% for some policy — where a policy was late.`,
        lineChart(
          times,
          policyLines((p) => (p.series?.latency.attainment ?? []).map((v) => (v === null ? null : v * 100))),
          {
            unit: '%',
            yMin: 0,
            yMax: 100,
            ref: {value: RECOVERY_OBJECTIVE * 100, label: `${Math.round(RECOVERY_OBJECTIVE * 100)}%`},
            shade: lateSteps(runs),
          },
        ),
      ),
    )
  }
  parts.push('</section>')
  const data = JSON.stringify(report).replace(/</g, '\\u003c')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
<script type="application/json" id="simulation-report">${data}</script>
</body>
</html>
`
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1a1a1a;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 2px}
header p,.note{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:12px 0 24px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4}
td.late{background:#fde2e1}td.waste{background:#fff1cc}td.best{font-weight:600}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.spread{display:block;color:#777;font-size:11px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:18px}
.chart{border:1px solid #e4e4e4;border-radius:6px;padding:10px}
.gates li.failed{color:#b00020}.gates li.held{color:#1b5e20}
.legend{font-size:12px;color:#333}.legend span{margin-right:12px;white-space:nowrap}
svg text{font:11px system-ui,sans-serif;fill:#444}
`

function sloText(report: SimulationReport): string {
  const s = report.slo.default
  const parts = [
    s.ttftSeconds !== undefined ? `TTFT ≤ ${formatMetric('p95_ttft', s.ttftSeconds)}` : '',
    s.tpotSeconds !== undefined ? `TPOT ≤ ${formatMetric('p95_tpot', s.tpotSeconds)}` : '',
    s.e2eSeconds !== undefined ? `latency ≤ ${formatMetric('p99_latency', s.e2eSeconds)}` : '',
  ].filter(Boolean)
  return parts.length
    ? `SLO: a request counts when ${parts.join(' and ')}.`
    : 'No SLO targets: every served request counts.'
}

function renderGates(evaluation: FailIfEvaluation): string {
  const items = evaluation.results.map(
    (r) =>
      `<li class="${r.passed ? 'held' : 'failed'}">${r.passed ? 'held' : 'FAILED'}: ${escapeHtml(r.passed ? r.expression : r.message)}</li>`,
  )
  return `<section class="gates"><h2>Gates</h2><p>${escapeHtml(evaluation.summary)}</p><ul>${items.join('')}</ul></section>`
}

/**
 * The results table. A cell is marked late (red) when its attainment is under the SLO objective's best row by
 * more than half a point or a burst took a policy more than one step to recover; wasteful (amber) when its
 * GPU-hours exceed WASTE_FACTOR × the oracle's. The best value of each column is bold.
 */
function renderTable(report: SimulationReport, colors: Map<string, string>): string {
  const oracle = report.policies.find((p) => p.kind === 'oracle')
  const best = new Map<string, number>()
  for (const c of RESULT_COLUMNS) {
    const values = report.policies
      .filter((p) => p.kind !== 'oracle')
      .map((p) => METRICS[c.metric].get(p.metrics))
      .filter((v): v is number => v !== null && Number.isFinite(v))
    if (values.length > 1)
      best.set(c.metric, METRICS[c.metric].better === 'higher' ? Math.max(...values) : Math.min(...values))
  }
  const bestSlo = best.get('slo')
  const head = `<tr><th>Policy</th><th>Kind</th>${RESULT_COLUMNS.map((c) => `<th title="${escapeHtml(METRICS[c.metric].label)}">${escapeHtml(c.head)}</th>`).join('')}</tr>`
  const rows = report.policies.map((p) => {
    const cells = RESULT_COLUMNS.map((c) => {
      const v = METRICS[c.metric].get(p.metrics)
      const classes: string[] = []
      if (p.kind !== 'oracle' && v !== null) {
        if (c.metric === 'slo' && bestSlo !== undefined && v < bestSlo - 0.005) classes.push('late')
        if (c.metric === 'recovery' && v > report.stepSeconds) classes.push('late')
        if (c.metric === 'gpu_hours' && oracle && v > WASTE_FACTOR * oracle.metrics.gpuHours) classes.push('waste')
        if (best.get(c.metric) === v) classes.push('best')
      }
      const s = p.spread?.[c.metric]
      const spread =
        s && s.min !== null && s.max !== null && s.min !== s.max
          ? `<span class="spread">${escapeHtml(formatMetric(c.metric, s.min))}–${escapeHtml(formatMetric(c.metric, s.max))}</span>`
          : ''
      return `<td${classes.length ? ` class="${classes.join(' ')}"` : ''}>${escapeHtml(formatMetric(c.metric, v))}${spread}</td>`
    })
    return `<tr><td><span class="swatch" style="background:${colors.get(p.name)}"></span>${escapeHtml(p.name)}</td><td>${escapeHtml(p.kind)}</td>${cells.join('')}</tr>`
  })
  return `<section><h2>Results</h2><p class="note">Red: late (attainment more than 0.5 points under the best policy, or a burst took more than one step to recover). Amber: wasteful (more than ${WASTE_FACTOR} × the oracle's GPU-hours). Bold: best of the column.</p><table>${head}${rows.join('')}</table></section>`
}

function chartBox(title: string, note: string, svg: string): string {
  return `<div class="chart"><h2>${escapeHtml(title)}</h2><p class="note">${escapeHtml(note)}</p>${svg}</div>`
}

// ---- SVG ----------------------------------------------------------------------------------------------------

const W = 520
const H = 220
const M = {left: 48, right: 12, top: 10, bottom: 26}

function lineChart(
  times: readonly number[],
  lines: Line[],
  options: {
    unit: string
    step?: boolean
    yMin?: number
    yMax?: number
    ref?: {value: number; label: string} | undefined
    shade?: boolean[]
  },
): string {
  const all = lines.flatMap((l) => l.values.filter((v): v is number => v !== null && Number.isFinite(v)))
  const yMin = options.yMin ?? 0
  // Against a target, the scale stops at 4 × the target: a start-up minute of 60 s TTFT would flatten the
  // whole run into the axis otherwise. Values above are drawn at the top edge.
  const top = Math.max(...all, options.ref?.value ?? 0, 1e-9)
  const yMax = options.yMax ?? niceMax(options.ref ? Math.min(top, 4 * options.ref.value) : top)
  const x = scale(
    times[0] ?? 0,
    (times.at(-1) ?? 1) + (times.length > 1 ? (times[1] as number) - (times[0] as number) : 1),
    M.left,
    W - M.right,
  )
  const y = scale(yMin, yMax, H - M.bottom, M.top)
  const out: string[] = [svgOpen()]
  if (options.shade) {
    const stepW = times.length > 1 ? x(times[1] as number) - x(times[0] as number) : 0
    options.shade.forEach((late, i) => {
      if (late)
        out.push(
          `<rect x="${f(x(times[i] as number))}" y="${M.top}" width="${f(stepW)}" height="${H - M.top - M.bottom}" fill="#fde2e1"/>`,
        )
    })
  }
  out.push(axes(times, x, y, yMin, yMax, options.unit))
  if (options.ref)
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${f(y(options.ref.value))}" y2="${f(y(options.ref.value))}" stroke="#b00020" stroke-dasharray="5 4"/><text x="${W - M.right - 4}" y="${f(y(options.ref.value) - 4)}" text-anchor="end" style="fill:#b00020">${escapeHtml(options.ref.label)}</text>`,
    )
  for (const line of lines) {
    const segments: string[] = []
    let d = ''
    line.values.forEach((v, i) => {
      const t = times[i] as number
      if (v === null || !Number.isFinite(v)) {
        if (d) segments.push(d)
        d = ''
        return
      }
      const px = f(x(t))
      const py = f(y(Math.min(yMax, Math.max(yMin, v))))
      if (!d) d = `M${px},${py}`
      else d += options.step ? `H${px}V${py}` : `L${px},${py}`
    })
    if (d) segments.push(d)
    out.push(
      `<path d="${segments.join(' ')}" fill="none" stroke="${line.color}" stroke-width="1.8"${line.dashed ? ' stroke-dasharray="6 3"' : ''}><title>${escapeHtml(line.name)}</title></path>`,
    )
  }
  out.push('</svg>')
  return out.join('') + legend(lines)
}

function stackedChart(times: readonly number[], layers: Line[]): string {
  const totals = times.map((_, i) => layers.reduce((s, l) => s + (l.values[i] ?? 0), 0))
  const yMax = niceMax(Math.max(...totals, 1e-9))
  const x = scale(times[0] ?? 0, times.at(-1) ?? 1, M.left, W - M.right)
  const y = scale(0, yMax, H - M.bottom, M.top)
  const out: string[] = [svgOpen(), axes(times, x, y, 0, yMax, 'GPUs')]
  const base = times.map(() => 0)
  for (const layer of layers) {
    const top = times.map((_, i) => (base[i] as number) + (layer.values[i] ?? 0))
    const upper = times.map((t, i) => `${f(x(t))},${f(y(top[i] as number))}`)
    const lower = times.map((t, i) => `${f(x(t))},${f(y(base[i] as number))}`).reverse()
    out.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="${layer.color}" fill-opacity="0.75"><title>${escapeHtml(layer.name)}</title></polygon>`,
    )
    top.forEach((v, i) => (base[i] = v))
  }
  out.push('</svg>')
  return out.join('') + legend(layers)
}

function paretoChart(report: SimulationReport, colors: Map<string, string>): string {
  const points = report.policies.map((p) => ({p, x: p.metrics.gpuHours, y: p.metrics.sloAttainment * 100}))
  const frontier = points.filter(
    (a) => !points.some((b) => b !== a && b.x <= a.x && b.y >= a.y && (b.x < a.x || b.y > a.y)),
  )
  const xMax = niceMax(Math.max(...points.map((q) => q.x), 1e-9) * 1.1)
  const yLow = Math.max(0, Math.floor(Math.min(...points.map((q) => q.y)) - 2))
  const x = scale(0, xMax, M.left, W - M.right)
  const y = scale(yLow, 100, H - M.bottom, M.top)
  const out: string[] = [svgOpen()]
  out.push(axesXY(x, y, 0, xMax, yLow, 100, 'GPU-hours', '%'))
  const sorted = [...frontier].sort((a, b) => a.x - b.x)
  if (sorted.length > 1)
    out.push(
      `<path d="${sorted.map((q, i) => `${i ? 'L' : 'M'}${f(x(q.x))},${f(y(q.y))}`).join('')}" fill="none" stroke="#888" stroke-dasharray="3 3"/>`,
    )
  for (const [i, q] of points.entries()) {
    const color = colors.get(q.p.name) as string
    const onFrontier = frontier.includes(q)
    out.push(
      `<circle cx="${f(x(q.x))}" cy="${f(y(q.y))}" r="6" fill="${onFrontier ? color : '#fff'}" stroke="${color}" stroke-width="2"><title>${escapeHtml(`${policyLabel(q.p)}: ${formatMetric('slo', q.p.metrics.sloAttainment)} at ${formatMetric('gpu_hours', q.x)} GPU-h`)}</title></circle>`,
    )
    // Labels alternate above and below their point, so two policies with equal attainment stay readable.
    out.push(`<text x="${f(x(q.x) + 9)}" y="${f(y(q.y) + (i % 2 ? -6 : 12))}">${escapeHtml(policyLabel(q.p))}</text>`)
  }
  out.push('</svg>')
  return out.join('')
}

function svgOpen(): string {
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img">`
}

/** The horizontal grid lines with their value labels, one per tick between yMin and yMax. */
function yGrid(y: (v: number) => number, yMin: number, yMax: number): string[] {
  return ticks(yMin, yMax).map(
    (v) =>
      `<line x1="${M.left}" x2="${W - M.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eee"/><text x="${M.left - 4}" y="${f(y(v) + 4)}" text-anchor="end">${escapeHtml(tickLabel(v))}</text>`,
  )
}

/** The left and bottom axis lines of a chart. */
const AXIS_LINES = `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#999"/><line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#999"/>`

function axes(
  times: readonly number[],
  x: (v: number) => number,
  y: (v: number) => number,
  yMin: number,
  yMax: number,
  unit: string,
): string {
  const out = yGrid(y, yMin, yMax)
  const t0 = times[0] ?? 0
  const span = (times.at(-1) ?? t0) - t0
  const every = DURATION_TICKS.find((d) => span / d <= 7) ?? niceStep(span / 6)
  for (let t = 0; t <= span; t += every)
    out.push(`<text x="${f(x(t0 + t))}" y="${H - 8}" text-anchor="middle">${escapeHtml(formatDuration(t))}</text>`)
  out.push(AXIS_LINES)
  out.push(`<text x="4" y="${M.top + 8}">${escapeHtml(unit)}</text>`)
  return out.join('')
}

function axesXY(
  x: (v: number) => number,
  y: (v: number) => number,
  xMin: number,
  xMax: number,
  yMin: number,
  yMax: number,
  xUnit: string,
  yUnit: string,
): string {
  const out = yGrid(y, yMin, yMax)
  for (const v of ticks(xMin, xMax))
    out.push(`<text x="${f(x(v))}" y="${H - 8}" text-anchor="middle">${escapeHtml(tickLabel(v))}</text>`)
  out.push(AXIS_LINES)
  out.push(
    `<text x="4" y="${M.top + 8}">${escapeHtml(yUnit)}</text><text x="${W - M.right}" y="${H - M.bottom - 4}" text-anchor="end">${escapeHtml(xUnit)}</text>`,
  )
  return out.join('')
}

function legend(lines: Line[]): string {
  return `<div class="legend">${lines.map((l) => `<span><span class="swatch" style="background:${l.color}"></span>${escapeHtml(l.name)}</span>`).join('')}</div>`
}

/** Steps where some policy's attainment fell under the recovery objective. */
function lateSteps(runs: PolicyResult[]): boolean[] {
  const n = runs[0]?.series?.times.length ?? 0
  return Array.from({length: n}, (_, i) =>
    runs.some((p) => {
      const v = p.series?.latency.attainment[i]
      return v !== null && v !== undefined && v < RECOVERY_OBJECTIVE
    }),
  )
}

/** The oracle's step function sampled at the series' times. */
function stepValues(steps: ReadonlyArray<{t: number; replicas: number}>, times: readonly number[]): number[] {
  let k = -1
  return times.map((t) => {
    while (k + 1 < steps.length && (steps[k + 1] as {t: number}).t <= t) k++
    return k >= 0 ? (steps[k] as {replicas: number}).replicas : 0
  })
}

/** Time ticks people read: minutes, quarter hours, hours, days. */
const DURATION_TICKS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1
  return (v) => r0 + ((v - d0) / span) * (r1 - r0)
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
}

function niceMax(v: number): number {
  const step = niceStep(v / 4)
  return Math.ceil(v / step) * step
}

function ticks(min: number, max: number): number[] {
  const step = niceStep((max - min) / 4 || 1)
  const out: number[] = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6)
  return out
}

function tickLabel(v: number): string {
  return Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 100) / 100)
}

function f(v: number): string {
  return String(Math.round(v * 10) / 10)
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort()
}
