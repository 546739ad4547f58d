import {beforeAll, describe, expect, test} from 'vitest'

import {
  evaluateFailIf,
  METRICS,
  parseFailIf,
  parseFailIfAll,
  type FailIfExpression,
  type SimulationReport,
} from '../../../src/core/simulate/index.js'
import {burstComparison} from './runs.js'

describe('parseFailIf: accepted expressions', () => {
  test.each([
    {
      src: 'slo < 99.5',
      metric: 'slo',
      op: '<',
      value: {kind: 'number', value: 0.995},
      why: 'a bare number on a percent metric is a percentage',
    },
    {
      src: 'slo<99.5%',
      metric: 'slo',
      op: '<',
      value: {kind: 'number', value: 0.995},
      why: 'the % unit says the same; whitespace is optional',
    },
    {
      src: 'gpu_hours > 1.10 * against',
      metric: 'gpu_hours',
      op: '>',
      value: {kind: 'policy', factor: 1.1, policy: {kind: 'against'}},
      why: "a factor times the --against config's same metric",
    },
    {
      src: 'cost >= 0.9*baseline:hpa-gpu-util',
      metric: 'cost',
      op: '>=',
      value: {kind: 'policy', factor: 0.9, policy: {kind: 'baseline', name: 'hpa-gpu-util'}},
      why: 'a baseline by name, dashes included',
    },
    {src: 'p95_ttft > 2s', metric: 'p95_ttft', op: '>', value: {kind: 'number', value: 2}, why: 'seconds'},
    {
      src: 'p99_latency > 1500ms',
      metric: 'p99_latency',
      op: '>',
      value: {kind: 'number', value: 1.5},
      why: 'milliseconds convert to seconds',
    },
    {
      src: 'recovery > 5m',
      metric: 'recovery',
      op: '>',
      value: {kind: 'number', value: 300},
      why: 'minutes convert to seconds',
    },
    {
      src: 'pending_minutes > 1h',
      metric: 'pending_minutes',
      op: '>',
      value: {kind: 'number', value: 60},
      why: 'a minutes metric reads an hour as 60',
    },
    {
      src: 'pending_minutes > 30',
      metric: 'pending_minutes',
      op: '>',
      value: {kind: 'number', value: 30},
      why: 'a bare number on a minutes metric is minutes',
    },
    {src: 'flaps > 0', metric: 'flaps', op: '>', value: {kind: 'number', value: 0}, why: 'a count'},
    {
      src: 'gpu_hours <= oracle',
      metric: 'gpu_hours',
      op: '<=',
      value: {kind: 'policy', factor: 1, policy: {kind: 'oracle'}},
      why: 'a policy alone means 1 ×',
    },
    {
      src: '  stranded_pods == 0  ',
      metric: 'stranded_pods',
      op: '==',
      value: {kind: 'number', value: 0},
      why: 'surrounding spaces',
    },
  ])('"$src" ($why)', ({src, metric, op, value}) => {
    const r = parseFailIf(src)
    expect(r).toEqual({ok: true, expression: {source: src, metric, op, value}})
  })
})

describe('parseFailIf: errors name the column of the bad token', () => {
  test.each([
    {
      src: 'slp < 99.5',
      column: 1,
      message: /unknown metric "slp" \(did you mean slo\?\)/,
      why: 'a typo of a metric gets a suggestion',
    },
    {src: 'slo 99.5', column: 5, message: /expected a comparison/, why: 'the operator is missing'},
    {src: 'slo =< 99.5', column: 5, message: /unknown comparison "=<"/, why: '=< is not an operator'},
    {
      src: 'slo != 99.5',
      column: 5,
      message: /unknown comparison "!="/,
      why: 'no inequality: a gate fails on a direction',
    },
    {
      src: 'slo <',
      column: 6,
      message: /expected a number or a policy/,
      why: 'nothing after the operator: the caret sits one past the end',
    },
    {
      src: 'p95_ttft > 2kg',
      column: 13,
      message: /p95_ttft takes a duration \(ms, s, m, h\), not "kg"/,
      why: 'the caret points at the unit, not the number',
    },
    {src: 'slo < 99.5s', column: 11, message: /slo takes a percentage/, why: 'a duration on a percent metric'},
    {src: 'flaps > 2%', column: 10, message: /flaps takes a plain number/, why: 'a count takes no unit'},
    {
      src: 'gpu_hours > 1.1 * agianst',
      column: 19,
      message: /unknown policy "agianst" \(did you mean against\?\)/,
      why: 'a typo of a policy',
    },
    {src: 'gpu_hours > 1.1 against', column: 17, message: /expected "\*"/, why: 'the * is missing'},
    {src: 'gpu_hours > 1.1 *', column: 18, message: /expected a policy after "\*"/, why: 'the policy is missing'},
    {
      src: 'gpu_hours > 1.1s * against',
      column: 16,
      message: /a factor takes no unit/,
      why: 'a factor is a plain number',
    },
    {
      src: 'gpu_hours > against * 2',
      column: 21,
      message: /unexpected "\*" after "against"/,
      why: 'the factor goes first',
    },
    {src: 'gpu_hours > baseline:', column: 13, message: /expected a baseline name/, why: 'baseline: needs a name'},
    {
      src: 'gpu_hours > cost',
      column: 13,
      message: /"cost" is a metric/,
      why: 'metrics are not compared with other metrics',
    },
    {
      src: 'slo < 99 & flaps > 0',
      column: 10,
      message: /unexpected "&"/,
      why: 'one comparison per --fail-if; repeat the flag for more',
    },
    {src: '', column: 1, message: /empty expression/, why: 'an empty flag'},
  ])('"$src": column $column ($why)', ({src, column, message}) => {
    const r = parseFailIf(src)
    if (r.ok) throw new Error(`parsed: ${JSON.stringify(r.expression)}`)
    expect(r.error.column).toBe(column)
    expect(r.error.message).toMatch(message)
    // The display shows the expression and a caret under the column, each indented two spaces.
    const [first, expr, caret] = r.error.display.split('\n')
    expect(first).toBe(`${r.error.message} at column ${column}`)
    expect(expr).toBe(`  ${src}`)
    expect(caret).toBe(`  ${' '.repeat(column - 1)}^`)
  })

  test('parseFailIfAll returns every error at once, and the good expressions', () => {
    const {expressions, errors} = parseFailIfAll(['slo < 99.5', 'slp < 1', 'flaps > x'])
    expect(expressions.map((e) => e.source)).toEqual(['slo < 99.5'])
    expect(errors.map((e) => [e.source, e.column])).toEqual([
      ['slp < 1', 1],
      ['flaps > x', 9],
    ])
  })
})

describe('evaluateFailIf on a real comparison (burst scenario: mine warms early, old never scales, reactive is late)', () => {
  let report: SimulationReport
  beforeAll(() => {
    report = burstComparison(3).report
  })
  const value = (name: string, metric: keyof typeof METRICS) =>
    METRICS[metric].get(report.policies.find((p) => p.name === name)!.metrics)
  const parse = (src: string): FailIfExpression => {
    const r = parseFailIf(src)
    if (!r.ok) throw new Error(r.error.display)
    return r.expression
  }

  test.each([
    {
      src: 'slo < against',
      passed: true,
      rhs: () => value('old', 'slo'),
      why: 'warming before the bursts keeps more requests within SLO than never scaling',
    },
    {
      src: 'gpu_hours > 1.10 * against',
      passed: false,
      rhs: () => 1.1 * (value('old', 'gpu_hours') as number),
      why: 'two warm nodes through each burst cost more than 10% over two static replicas',
    },
    {
      src: 'gpu_hours < oracle',
      passed: true,
      rhs: () => value('oracle', 'gpu_hours'),
      why: "nothing beats the oracle's lower bound",
    },
    {
      src: 'flaps > 0',
      passed: true,
      rhs: () => 0,
      why: 'mine changes direction 20 minutes apart, outside the 10-minute flap window',
    },
    {src: 'p95_ttft > 2s', passed: true, rhs: () => 2, why: 'p95 TTFT stays far under 2 s with the warm replicas'},
    {
      src: 'slo < baseline:reactive',
      passed: true,
      rhs: () => value('reactive', 'slo'),
      why: 'the late scale-up does not help the baseline during the burst',
    },
    {
      src: 'slo < 100%',
      passed: false,
      rhs: () => 1,
      why: 'the first minute of the run has no ready replica yet, so 100% is out of reach',
    },
    {
      src: 'recovery > 0s',
      passed: true,
      rhs: () => 0,
      why: 'warm before each burst: no step falls under the recovery objective',
    },
  ])('"$src" → passed=$passed ($why)', ({src, passed, rhs}) => {
    const {results, passed: all, failed} = evaluateFailIf([parse(src)], report)
    const [r] = results
    expect(r?.passed).toBe(passed)
    expect(r?.lhs).toBe(METRICS[parse(src).metric].get(report.policies.find((p) => p.kind === 'user')!.metrics))
    expect(r?.rhs).toBeCloseTo(rhs() as number, 12)
    expect(r?.error).toBeUndefined()
    expect([all, failed]).toEqual([passed, passed ? 0 : 1])
  })

  test.each([
    {src: 'p95_ttft > oracle', error: /oracle has no value for p95_ttft/, why: 'the oracle has no run, so no latency'},
    {
      src: 'slo < baseline:hpa-gpu-util',
      error: /the run has no policy baseline:hpa-gpu-util \(it has mine, old, baseline:reactive, oracle\)/,
      why: 'a baseline not in this run',
    },
  ])('"$src" cannot be evaluated and fails the gate ($why)', ({src, error}) => {
    const {results, passed} = evaluateFailIf([parse(src)], report)
    expect(passed).toBe(false)
    expect(results[0]?.error).toMatch(error)
    expect(results[0]?.message).toMatch(error)
  })

  test('the one-line summary names only what failed, with the values compared', () => {
    const exprs = ['slo < 90', 'gpu_hours > 1.10 * against', 'slo < 100%'].map(parse)
    const {summary, failed} = evaluateFailIf(exprs, report)
    expect(failed).toBe(2)
    expect(summary.split('\n')).toHaveLength(1)
    const gpu = (value('mine', 'gpu_hours') as number).toFixed(2).replace(/\.?0+$/, '')
    expect(summary).toBe(
      `fail-if: 2 of 3 gate(s) failed: gpu_hours ${gpu} > 1.1 × against ${Math.round((value('old', 'gpu_hours') as number) * 100) / 100} = ${Math.round(1.1 * (value('old', 'gpu_hours') as number) * 100) / 100}; slo ${Math.round((value('mine', 'slo') as number) * 10000) / 100}% < 100%`,
    )
    expect(evaluateFailIf([parse('flaps > 0')], report).summary).toBe('fail-if: all 1 gate(s) held')
  })

  test('a report without a user policy cannot be gated', () => {
    const {results} = evaluateFailIf([parse('slo < 99')], {
      ...report,
      policies: report.policies.filter((p) => p.kind !== 'user'),
    })
    expect(results[0]?.error).toBe('the run has no user policy to gate')
  })
})
