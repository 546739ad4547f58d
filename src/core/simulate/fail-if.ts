/**
 * `--fail-if` gates (issue 12, item 5): each expression compares one metric of the user's policy with a number
 * or with another policy's same metric, and the gate fails when the comparison holds.
 *
 *   expression := METRIC OP value
 *   value      := NUMBER [UNIT]  |  [NUMBER '*'] POLICY
 *   OP         := '<' | '<=' | '>' | '>=' | '=='
 *   UNIT       := '%' | 'ms' | 's' | 'm' | 'h'        (which ones a metric takes: its dimension, ./metrics.ts)
 *   POLICY     := 'against' | 'oracle' | 'user' | 'baseline:' NAME
 *
 * Examples: `slo < 99.5`, `gpu_hours > 1.10 * against`, `p95_ttft > 2s`, `flaps > 0`,
 * `cost > 0.9 * baseline:hpa-gpu-util`. Whitespace is free. Errors name the 1-based column of the bad token and
 * draw a caret under it. Parsing and evaluation are pure: the command prints, and maps a failed gate to exit 3.
 */
import {UserError} from '../errors.js'
import {displayValue, formatMetric, isMetricName, METRIC_NAMES, METRICS, type MetricName} from './metrics.js'
import type {PolicyResult, SimulationReport} from './report.js'

export type Comparison = '<' | '<=' | '>' | '>=' | '=='

export type PolicyRef = {kind: 'user' | 'against' | 'oracle'} | {kind: 'baseline'; name: string}

export type FailIfValue = {kind: 'number'; value: number} | {kind: 'policy'; factor: number; policy: PolicyRef}

export interface FailIfExpression {
  source: string
  metric: MetricName
  op: Comparison
  /** Numbers are already in the metric's stored unit (a share for percent, seconds, minutes, ...). */
  value: FailIfValue
}

export interface FailIfSyntaxError {
  source: string
  /** 1-based column of the offending token (one past the end when something is missing). */
  column: number
  message: string
  /** `message at column N`, the expression, and a caret under the column: ready to print. */
  display: string
}

export type FailIfParse = {ok: true; expression: FailIfExpression} | {ok: false; error: FailIfSyntaxError}

interface Token {
  kind: 'ident' | 'number' | 'op' | 'star'
  text: string
  column: number
  /** Number tokens: the unit written right after it, and where it starts. */
  unit?: string
  unitColumn?: number
}

const UNIT_SECONDS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600}

export function parseFailIf(source: string): FailIfParse {
  const fail = (column: number, message: string): FailIfParse => ({
    ok: false,
    error: syntaxError(source, column, message),
  })
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const ch = source[i] as string
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const column = i + 1
    const ident = /^[A-Za-z_][A-Za-z0-9_.:-]*/.exec(source.slice(i))
    if (ident) {
      tokens.push({kind: 'ident', text: ident[0], column})
      i += ident[0].length
      continue
    }
    const num = /^(\d+(?:\.\d+)?|\.\d+)([A-Za-z%]*)/.exec(source.slice(i))
    if (num) {
      const token: Token = {kind: 'number', text: num[1] as string, column}
      if (num[2]) Object.assign(token, {unit: num[2], unitColumn: column + (num[1] as string).length})
      tokens.push(token)
      i += num[0].length
      continue
    }
    const op = /^(<=|>=|==|<|>)/.exec(source.slice(i))
    if (op) {
      tokens.push({kind: 'op', text: op[0], column})
      i += op[0].length
      continue
    }
    if (ch === '*') {
      tokens.push({kind: 'star', text: '*', column})
      i++
      continue
    }
    if (ch === '=' || ch === '!')
      return fail(column, `unknown comparison "${source.slice(i, i + 2).trim()}" (use <, <=, >, >= or ==)`)
    return fail(column, `unexpected "${ch}"`)
  }
  const end = source.length + 1
  const [metricTok, opTok, ...rest] = tokens
  if (!metricTok) return fail(1, 'empty expression: expected a metric name such as slo, gpu_hours or p95_ttft')
  if (metricTok.kind !== 'ident') return fail(metricTok.column, `expected a metric name, got "${metricTok.text}"`)
  if (!isMetricName(metricTok.text))
    return fail(
      metricTok.column,
      `unknown metric "${metricTok.text}"${suggest(metricTok.text, METRIC_NAMES)} (metrics: ${METRIC_NAMES.join(', ')})`,
    )
  const metric = metricTok.text
  if (!opTok) return fail(end, `expected a comparison (<, <=, >, >=, ==) after "${metric}"`)
  if (opTok.kind !== 'op') return fail(opTok.column, `expected a comparison (<, <=, >, >=, ==), got "${opTok.text}"`)
  const op = opTok.text as Comparison
  const [first, second, third, extra] = rest
  if (!first) return fail(end, `expected a number or a policy (against, oracle, baseline:NAME) after "${op}"`)

  let value: FailIfValue
  let last: Token
  if (first.kind === 'number' && second === undefined) {
    const number = readNumber(metric, first)
    if ('error' in number) return fail(number.column, number.error)
    value = {kind: 'number', value: number.value}
    last = first
  } else if (first.kind === 'number') {
    if (first.unit !== undefined)
      return fail(first.unitColumn as number, `a factor takes no unit ("${first.text}${first.unit}")`)
    if (second === undefined || second.kind !== 'star')
      return fail(second?.column ?? end, `expected "*" or the end after ${first.text}, got "${second?.text ?? ''}"`)
    if (!third) return fail(end, `expected a policy after "*" (against, oracle, user, baseline:NAME)`)
    const policy = readPolicy(third)
    if ('error' in policy) return fail(third.column, policy.error)
    value = {kind: 'policy', factor: Number(first.text), policy}
    last = third
  } else if (first.kind === 'ident') {
    const policy = readPolicy(first)
    if ('error' in policy) return fail(first.column, policy.error)
    value = {kind: 'policy', factor: 1, policy}
    last = first
  } else {
    return fail(first.column, `expected a number or a policy, got "${first.text}"`)
  }
  const trailing = value.kind === 'policy' && first.kind === 'ident' ? second : extra
  if (trailing) return fail(trailing.column, `unexpected "${trailing.text}" after "${last.text}"`)
  return {ok: true, expression: {source, metric, op, value}}
}

/** Parses every expression; all errors are returned, not only the first, so a user fixes them in one go. */
export function parseFailIfAll(sources: readonly string[]): {
  expressions: FailIfExpression[]
  errors: FailIfSyntaxError[]
} {
  const expressions: FailIfExpression[] = []
  const errors: FailIfSyntaxError[] = []
  for (const s of sources) {
    const r = parseFailIf(s)
    if (r.ok) expressions.push(r.expression)
    else errors.push(r.error)
  }
  return {expressions, errors}
}

/**
 * The `--fail-if` flags of a run, parsed before anything is simulated (a typo should cost nothing, not a replay):
 * every expression that does not parse is reported at once, with its column and a caret.
 */
export function parseFailIfFlags(sources: readonly string[]): FailIfExpression[] {
  const {expressions, errors} = parseFailIfAll(sources)
  if (errors.length > 0)
    throw new UserError(`--fail-if: ${errors.map((e) => e.display).join('\n')}`, {
      hint: 'expressions look like "slo < 99.5" or "gpu_hours > 1.1 * against" (see gpu-scale simulate --help)',
    })
  return expressions
}

function readNumber(metric: MetricName, token: Token): {value: number} | {error: string; column: number} {
  const n = Number(token.text)
  const unit = token.unit
  const dimension = METRICS[metric].dimension
  const bad = (allowed: string) => ({
    error: `${metric} takes ${allowed}, not "${unit}"`,
    column: token.unitColumn as number,
  })
  switch (dimension) {
    case 'percent':
      if (unit !== undefined && unit !== '%') return bad('a percentage (99.5 or 99.5%)')
      return {value: n / 100}
    case 'seconds':
      if (unit === undefined) return {value: n}
      if (!(unit in UNIT_SECONDS)) return bad('a duration (ms, s, m, h)')
      return {value: n * (UNIT_SECONDS[unit] as number)}
    case 'minutes':
      if (unit === undefined) return {value: n}
      if (!(unit in UNIT_SECONDS)) return bad('a duration (s, m, h; a bare number is minutes)')
      return {value: (n * (UNIT_SECONDS[unit] as number)) / 60}
    default:
      if (unit !== undefined) return bad('a plain number')
      return {value: n}
  }
}

function readPolicy(token: Token): PolicyRef | {error: string} {
  if (token.kind !== 'ident')
    return {error: `expected a policy (against, oracle, user, baseline:NAME), got "${token.text}"`}
  const t = token.text
  if (t === 'against' || t === 'oracle' || t === 'user') return {kind: t}
  if (t.startsWith('baseline:')) {
    const name = t.slice('baseline:'.length)
    return name
      ? {kind: 'baseline', name}
      : {error: 'expected a baseline name after "baseline:" (for example baseline:hpa-gpu-util)'}
  }
  if (isMetricName(t))
    return {
      error: `"${t}" is a metric; the right side compares with the same metric of a policy (against, oracle, baseline:NAME)`,
    }
  return {
    error: `unknown policy "${t}"${suggest(t, ['against', 'oracle', 'user', 'baseline:'])} (against, oracle, user, baseline:NAME)`,
  }
}

function syntaxError(source: string, column: number, message: string): FailIfSyntaxError {
  return {
    source,
    column,
    message,
    display: `${message} at column ${column}\n  ${source}\n  ${' '.repeat(Math.max(0, column - 1))}^`,
  }
}

/** "did you mean" for a close name (edit distance ≤ 2), so a typo names its fix. */
function suggest(word: string, names: readonly string[]): string {
  let best: string | undefined
  let bestDistance = 3
  for (const name of names) {
    const d = editDistance(word.toLowerCase(), name)
    if (d < bestDistance) [best, bestDistance] = [name, d]
  }
  return best ? ` (did you mean ${best}?)` : ''
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    prev = cur
  }
  return prev[b.length] as number
}

// ---- evaluation ---------------------------------------------------------------------------------------------

export interface FailIfResult {
  expression: string
  /** True when the gate holds (the failure condition is false). An expression that cannot be evaluated fails. */
  passed: boolean
  /** The user's policy's value, and what it was compared with (in stored units: shares, seconds, ...). */
  lhs: number | null
  rhs: number | null
  message: string
  /** Set when the expression could not be evaluated (a policy missing from the run, a metric it has no value for). */
  error?: string
}

export interface FailIfEvaluation {
  results: FailIfResult[]
  failed: number
  passed: boolean
  /** One line for the CI log: what failed, or that every gate held. */
  summary: string
}

export function evaluateFailIf(expressions: readonly FailIfExpression[], report: SimulationReport): FailIfEvaluation {
  const results = expressions.map((e) => evaluateOne(e, report))
  const failedResults = results.filter((r) => !r.passed)
  const summary =
    failedResults.length === 0
      ? `fail-if: all ${results.length} gate(s) held`
      : `fail-if: ${failedResults.length} of ${results.length} gate(s) failed: ${failedResults.map((r) => r.message).join('; ')}`
  return {results, failed: failedResults.length, passed: failedResults.length === 0, summary}
}

function evaluateOne(e: FailIfExpression, report: SimulationReport): FailIfResult {
  const fail = (error: string, lhs: number | null = null, rhs: number | null = null): FailIfResult => ({
    expression: e.source,
    passed: false,
    lhs,
    rhs,
    message: `${e.source}: ${error}`,
    error,
  })
  const user = findPolicy(report, {kind: 'user'})
  if (!user) return fail('the run has no user policy to gate')
  const lhs = METRICS[e.metric].get(user.metrics)
  if (lhs === null || !Number.isFinite(lhs)) return fail(`${user.name} has no value for ${e.metric}`)
  let rhs: number
  let rhsText: string
  if (e.value.kind === 'number') {
    rhs = e.value.value
    rhsText = formatMetric(e.metric, rhs)
  } else {
    const other = findPolicy(report, e.value.policy)
    const ref = e.value.policy.kind === 'baseline' ? `baseline:${e.value.policy.name}` : e.value.policy.kind
    if (!other)
      return fail(
        `the run has no policy ${ref} (it has ${report.policies.map((p) => `${p.kind === 'baseline' ? 'baseline:' : ''}${p.name}`).join(', ')})`,
        lhs,
      )
    const base = METRICS[e.metric].get(other.metrics)
    if (base === null || !Number.isFinite(base)) return fail(`${ref} has no value for ${e.metric}`, lhs)
    rhs = e.value.factor * base
    rhsText = `${e.value.factor === 1 ? '' : `${e.value.factor} × `}${ref} ${formatMetric(e.metric, base)}${e.value.factor === 1 ? '' : ` = ${formatMetric(e.metric, rhs)}`}`
  }
  const holds = compare(displayValue(e.metric, lhs), e.op, displayValue(e.metric, rhs))
  const lhsText = `${e.metric} ${formatMetric(e.metric, lhs)}`
  return {
    expression: e.source,
    passed: !holds,
    lhs,
    rhs,
    message: holds ? `${lhsText} ${e.op} ${rhsText}` : `${lhsText} is not ${e.op} ${rhsText}`,
  }
}

/**
 * Compares in the units people wrote (percent, not shares) and rounds away float noise at 1e-9 relative, so
 * `slo < 99.5` with an attainment of exactly 0.995 does not fail on 99.49999999999999.
 */
function compare(a: number, op: Comparison, b: number): boolean {
  const eps = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
  switch (op) {
    case '<':
      return a < b - eps
    case '<=':
      return a <= b + eps
    case '>':
      return a > b + eps
    case '>=':
      return a >= b - eps
    case '==':
      return Math.abs(a - b) <= eps
  }
}

function findPolicy(report: SimulationReport, ref: PolicyRef): PolicyResult | undefined {
  if (ref.kind === 'baseline') return report.policies.find((p) => p.kind === 'baseline' && p.name === ref.name)
  return report.policies.find((p) => p.kind === ref.kind)
}
