import {readFileSync, writeFileSync} from 'node:fs'
import {beforeAll, describe, expect, test} from 'vitest'

import {evaluateFailIf, parseFailIfAll, type SimulationReport} from '../../src/core/simulate/index.js'
import {escapeHtml, renderReportHtml} from '../../src/views/report-html.js'
import {renderSimulation} from '../../src/views/simulate.js'
import {burstComparison} from '../core/simulate/runs.js'

const NASTY = '<script>alert("x")</script>&\'quoted\''

let report: SimulationReport
let html: string
beforeAll(() => {
  const base = burstComparison(3).report
  // A user-chosen policy name with markup in it: the report must show it as text.
  report = {...base, policies: base.policies.map((p) => (p.kind === 'against' ? {...p, name: NASTY} : p))}
  const {expressions} = parseFailIfAll(['slo < 99.5', 'flaps > 0'])
  html = renderReportHtml(report, {failIf: evaluateFailIf(expressions, report)})
})

describe('the HTML report', () => {
  test.each([
    {what: 'http(s) URLs', pattern: /https?:\/\//i, why: 'nothing loads from the network, not even an SVG namespace'},
    {what: 'protocol-relative URLs', pattern: /(src|href)\s*=\s*["']?\/\//i, why: '//host is the network too'},
    {what: 'external scripts', pattern: /<script[^>]*\bsrc=/i, why: 'no script file'},
    {what: 'stylesheets by link', pattern: /<link\b/i, why: 'styles are inline'},
    {what: 'images', pattern: /<img\b|url\(/i, why: 'charts are inline SVG'},
    {what: '@import and @font-face', pattern: /@import|@font-face/i, why: 'system fonts only'},
    {what: 'the raw policy name', pattern: /<script>alert/, why: 'user text is escaped'},
  ])('contains no $what ($why)', ({pattern}) => {
    expect(html).not.toMatch(pattern)
  })

  test('one results row per policy, the user name escaped where it appears', () => {
    const table = html.slice(html.indexOf('<table>'), html.indexOf('</table>'))
    expect(table.match(/<tr>/g)).toHaveLength(report.policies.length + 1)
    expect(html).toContain(escapeHtml(NASTY))
    // The embedded JSON cannot close its script element: every < in it is escaped.
    const json = html.slice(
      html.indexOf('id="simulation-report">') + 'id="simulation-report">'.length,
      html.lastIndexOf('</script>'),
    )
    expect(json).not.toContain('<')
    expect(JSON.parse(json)).toEqual(report)
  })

  test.each([
    ['Attainment against GPU-hours (Pareto)', 'the trade-off at a glance'],
    ['Load', 'the traffic every policy saw'],
    ['Ready replicas: llama-8b', "replicas per model, the oracle's schedule beside them"],
    ['Nodes: standard', 'nodes per group'],
    ['GPUs by MIG profile: mine (yours)', 'GPUs by profile, per policy'],
    ['p95 TTFT against the SLO', 'latency against its target'],
    ['Share of requests within SLO', 'where a policy was late'],
  ])('has the chart "%s" (%s)', (title) => {
    expect(html).toContain(`<h2>${escapeHtml(title)}</h2>`)
  })

  test('marks the never-scaling policy late and the gates that failed', () => {
    const rowOf = (name: string) => html.split('<tr>').find((r) => r.includes(`</span>${escapeHtml(name)}</td>`)) ?? ''
    expect(rowOf(NASTY)).toContain('class="late"')
    expect(rowOf('mine')).not.toContain('class="late"')
    expect(html).toMatch(/<li class="failed">FAILED: slo [\d.]+% &lt; 99.5%<\/li>/)
    expect(html).toContain('<li class="held">held: flaps &gt; 0</li>')
  })

  test('is deterministic: the same report renders byte for byte the same', () => {
    expect(renderReportHtml(report)).toBe(renderReportHtml(structuredClone(report)))
  })
})

describe('the terminal table', () => {
  test('one row per policy with the label of its kind, the regret split, and the gates', () => {
    const {expressions} = parseFailIfAll(['slo < 99.5'])
    const text = renderSimulation(report, {failIf: evaluateFailIf(expressions, report)})
    for (const label of [
      'mine (yours)',
      'baseline:reactive',
      'oracle',
      'Regret against the oracle',
      'Gates (--fail-if)',
      'FAILED slo',
    ])
      expect(text).toContain(label)
    expect(text).toMatch(/fail-if: 1 of 1 gate\(s\) failed: slo [\d.]+% < 99.5%\n$/)
    expect(text).not.toContain('\u001B[')
  })

  test('the burst comparison prints the table the golden file holds (seed 3 is deterministic)', () => {
    const golden = new URL('../golden/simulate-burst.txt', import.meta.url)
    const {expressions} = parseFailIfAll(['slo < 99.5', 'gpu_hours > 1.10 * against', 'flaps > 0'])
    const base = burstComparison(3).report
    const text = renderSimulation(base, {failIf: evaluateFailIf(expressions, base)})
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text)
    expect(text).toBe(readFileSync(golden, 'utf8'))
  })
})
