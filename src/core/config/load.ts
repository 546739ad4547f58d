/**
 * Text of `gpu-scale.yaml` → PolicyConfig plus every problem found, each with `file:line:col`, a field path and
 * what was expected. Pure: the caller reads the file (src/adapters/config-file.ts).
 *
 * Phases, each only on what the previous one accepted, because later phases assume earlier guarantees:
 *   1. YAML syntax (duplicate keys included: YAML allows the last to win silently, which hides mistakes);
 *   2. the JSON Schema (shapes, enums, unknown fields) — all its errors at once;
 *   3. normalization (defaults, durations, GPU model names);
 *   4. semantic checks across fields (./check.ts).
 */
import {Ajv, type ErrorObject} from 'ajv'
import {LineCounter, parseDocument} from 'yaml'

import type {Problem} from '../errors.js'
import type {PolicyConfig} from '../model/config.js'
import {checkConfig} from './check.js'
import {createLocator, type FieldPath, type Locate} from './locate.js'
import {normalizeConfig, type RawConfig} from './normalize.js'
import {CONFIG_SCHEMA, DURATION_PATTERN, MIG_PROFILE_PATTERN, NAME_PATTERN} from './schema.js'
import {suggestName} from './suggest.js'

export interface ParseResult {
  /** Present when there are no errors (warnings allowed). */
  config?: PolicyConfig
  /** Errors and warnings, in file order. */
  problems: Problem[]
}

// One compiled validator per process: compiling the schema costs more than validating a file.
const ajv = new Ajv({allErrors: true, strict: true, allowUnionTypes: true, verbose: true})
const validate = ajv.compile(CONFIG_SCHEMA)

export function parseConfig(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {lineCounter, prettyErrors: true, uniqueKeys: true})
  const locate = createLocator(file, document, lineCounter)

  if (document.errors.length > 0) {
    return {problems: document.errors.map((error) => describeYamlError(error, text, file))}
  }
  const data: unknown = document.toJS({maxAliasCount: 100})
  if (data === null || data === undefined) {
    return {problems: [{severity: 'error', code: 'EmptyConfig', message: 'the file is empty; expected a ScalingPolicy (start from examples/seed-production.yaml)', location: locate([])}]}
  }
  if (!validate(data)) {
    return {problems: sortProblems(dedupe(describeSchemaErrors(validate.errors ?? [], locate)))}
  }
  const normalized = normalizeConfig(data as unknown as RawConfig, locate)
  const problems = [...normalized.problems, ...checkConfig(normalized.config, locate)]
  const sorted = sortProblems(problems)
  return sorted.some((p) => p.severity === 'error') ? {problems: sorted} : {config: normalized.config, problems: sorted}
}

interface YamlErrorLike {
  code: string
  message: string
  pos: [number, number]
  linePos?: [{line: number; col: number}] | [{line: number; col: number}, {line: number; col: number}]
}

export function describeYamlError(error: YamlErrorLike, text: string, file: string): Problem {
  // yaml's pretty message is "<what> at line L, column C:\n<code frame>"; the location goes in the Problem instead.
  const what = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '')
  const pos = error.linePos?.[0]
  if (error.code === 'DUPLICATE_KEY') {
    const key = text.slice(error.pos[0], error.pos[1]).trim()
    return {
      severity: 'error',
      code: 'DuplicateKey',
      message: `duplicate key "${key}" in the same mapping; remove or merge one of them (YAML would silently keep the last)`,
      location: {file, ...(pos ? {line: pos.line, column: pos.col} : {})},
    }
  }
  return {
    severity: 'error',
    code: 'YamlSyntax',
    message: `${lowerFirst(what)}; fix the YAML syntax`,
    location: {file, ...(pos ? {line: pos.line, column: pos.col} : {})},
  }
}

/** ajv's `/models/0/replicas/max` → `['models', 0, 'replicas', 'max']`. */
function parsePointer(pointer: string): FieldPath {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
}

/**
 * A misspelled required field shows up twice in ajv (unknown `replica`, missing `replicas`); the unknown-field
 * problem already says "did you mean replicas?", so the missing-field one is dropped as noise.
 */
export function describeSchemaErrors(errors: ErrorObject[], locate: Locate): Problem[] {
  const suggested = new Set<string>()
  for (const error of errors) {
    if (error.keyword !== 'additionalProperties') continue
    const known = Object.keys(((error.parentSchema ?? {}) as {properties?: object}).properties ?? {})
    const suggestion = suggestName(String((error.params as {additionalProperty: unknown}).additionalProperty), known)
    if (suggestion) suggested.add(`${error.instancePath}/${suggestion}`)
  }
  return errors
    .filter((error) => !(error.keyword === 'required' && suggested.has(`${error.instancePath}/${String((error.params as {missingProperty: unknown}).missingProperty)}`)))
    .map((error) => describeSchemaError(error, locate))
}

function describeSchemaError(error: ErrorObject, locate: Locate): Problem {
  const path = parsePointer(error.instancePath)
  const problem = (code: string, message: string, at: FieldPath = path, key = false): Problem => ({severity: 'error', code, message, location: locate(at, {key})})
  const params = error.params as Record<string, unknown>
  const parentSchema = (error.parentSchema ?? {}) as {properties?: Record<string, unknown>; enum?: unknown[]}
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty)
      const known = Object.keys(parentSchema.properties ?? {})
      const suggestion = suggestName(field, known)
      const expected = suggestion ? `did you mean "${suggestion}"?` : `expected one of ${known.join(', ')}`
      return problem('UnknownField', `unknown field "${field}"; ${expected}`, [...path, field], true)
    }
    case 'required': {
      const field = String(params.missingProperty)
      return problem('MissingField', `missing required field "${field}"; add it`, [...path, field])
    }
    case 'type':
      return problem('WrongType', `expected ${article(String(params.type))}, got ${describeValue(error.data)}${quoteHint(String(params.type), error.data)}`)
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String)
      const suggestion = typeof error.data === 'string' ? suggestName(error.data, allowed) : undefined
      return problem('InvalidValue', `got ${describeValue(error.data)}; expected one of ${allowed.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`)
    }
    case 'const':
      return problem('InvalidValue', `got ${describeValue(error.data)}; expected "${String(params.allowedValue)}"`)
    case 'pattern':
      return problem('InvalidValue', `got ${describeValue(error.data)}; expected ${describePattern(String(params.pattern))}`)
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return problem('OutOfRange', `got ${describeValue(error.data)}; expected a number ${String(params.comparison)} ${String(params.limit)}`)
    case 'minItems':
      return problem('TooFewItems', `expected at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`)
    case 'uniqueItems':
      return problem('DuplicateItem', `items ${String(params.j)} and ${String(params.i)} are the same; list each once`)
    case 'minProperties':
    case 'maxProperties':
      // Only the GPU need uses these: exactly one of three ways to ask for a GPU.
      return problem('AmbiguousGpuNeed', `${describeKeys(error.data)}; expected exactly one of count, migProfile or memoryGiB`)
    case 'minLength':
      return problem('InvalidValue', 'expected a non-empty string')
    case 'maxLength':
      return problem('InvalidValue', `expected at most ${String(params.limit)} characters`)
    default:
      return problem('InvalidValue', error.message ?? 'invalid value')
  }
}

function describePattern(pattern: string): string {
  if (pattern === DURATION_PATTERN) return 'a duration like 30s, 3m, 1h, 500ms, or a number of seconds'
  if (pattern === MIG_PROFILE_PATTERN) return 'a MIG profile like 1g.10gb, 3g.40gb or 1g.10gb+me'
  if (pattern === NAME_PATTERN) return 'a Kubernetes name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit'
  return `text matching ${pattern}`
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return JSON.stringify(value)
  return `${typeof value} ${String(value)}`
}

function describeKeys(data: unknown): string {
  const keys = data !== null && typeof data === 'object' ? Object.keys(data) : []
  return keys.length === 0 ? 'got an empty mapping' : `got ${keys.join(' and ')}`
}

function article(type: string): string {
  const names: Record<string, string> = {object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', 'string,number': 'a string or number'}
  return names[type] ?? type
}

/** YAML reads `true`, `1` or `on` as non-strings; a label or taint value must be quoted to stay text. */
function quoteHint(expected: string, data: unknown): string {
  return expected === 'string' && (typeof data === 'boolean' || typeof data === 'number') ? ` (quote it: "${String(data)}")` : ''
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}

/** ajv can report the same field twice (type and pattern of a union); keep the first message per field and code. */
export function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.location.path ?? ''}|${p.code}|${p.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** File order, so the output reads top to bottom like the file. Stable for problems at the same spot. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((problem, index) => ({problem, index}))
    .sort((a, b) => (a.problem.location.line ?? 0) - (b.problem.location.line ?? 0) || (a.problem.location.column ?? 0) - (b.problem.location.column ?? 0) || a.index - b.index)
    .map(({problem}) => problem)
}
