/**
 * Text of `gpu-scale.yaml` → PolicyConfig plus every problem found, each with `file:line:col`, a field path and
 * what was expected. Pure: the caller reads the file (src/adapters/config-file.ts).
 *
 * Phases, each only on what the previous one accepted, because later phases assume earlier guarantees:
 *   1. YAML syntax (duplicate keys included: YAML allows the last to win silently, which hides mistakes), with
 *      nesting depth and alias expansion bounded (src/core/input/yaml.ts);
 *   2. the JSON Schema (shapes, enums, unknown fields) — all its errors at once;
 *   3. normalization (defaults, durations, GPU model names);
 *   4. semantic checks across fields (./check.ts).
 */
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'

import type {Problem} from '../errors.js'
import {addInputFormats, DURATION_FORMAT, TIMESTAMP_FORMAT} from '../input/formats.js'
import {MAX_EPOCH_SECONDS} from '../input/limits.js'
import {convertYaml, parseYamlSafely} from '../input/yaml.js'
import type {PolicyConfig} from '../model/config.js'
import {describeTimestampProblem, formatDuration, MAX_DURATION_SECONDS, parseDuration} from '../model/duration.js'
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
const ajv = addInputFormats(new Ajv({allErrors: true, strict: true, allowUnionTypes: true, verbose: true}))
const validate = ajv.compile(CONFIG_SCHEMA)

/**
 * YAML text → its data and a locator of fields in it, through the hardened parser (bounded nesting and alias
 * expansion, duplicate keys refused), checked against the compiled schema `validate`; an empty file is the problem
 * `empty`. Shared by every YAML input (configs, scenarios) so each refuses the same hostile or invalid text the
 * same way.
 */
export function readValidYaml(
  text: string,
  file: string,
  empty: {code: string; message: string},
  validate: ValidateFunction,
): {data: unknown; locate: Locate} | {problems: Problem[]} {
  const {document, lineCounter, problems: syntax} = parseYamlSafely(text, file)
  if (!document || syntax.length > 0) return {problems: syntax}
  const locate = createLocator(file, document, lineCounter)
  const converted = convertYaml(document, lineCounter, file)
  if (converted.problems.length > 0) return {problems: converted.problems}
  if (converted.data === null || converted.data === undefined)
    return {problems: [{severity: 'error', ...empty, location: locate([])}]}
  if (!validate(converted.data))
    return {problems: sortProblems(dedupe(describeSchemaErrors(validate.errors ?? [], locate)))}
  return {data: converted.data, locate}
}

export function parseConfig(text: string, file: string): ParseResult {
  const read = readValidYaml(
    text,
    file,
    {
      code: 'EmptyConfig',
      message: 'the file is empty; expected a ScalingPolicy (start from examples/seed-production.yaml)',
    },
    validate,
  )
  if ('problems' in read) return read
  const {data, locate} = read
  const normalized = normalizeConfig(data as unknown as RawConfig, locate)
  const problems = [...normalized.problems, ...checkConfig(normalized.config, locate)]
  const sorted = sortProblems(problems)
  return sorted.some((p) => p.severity === 'error') ? {problems: sorted} : {config: normalized.config, problems: sorted}
}

// Shared with the snapshot loader, which imports these from here.
export {describeYamlError} from '../input/yaml.js'

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
    .filter(
      (error) =>
        !(
          error.keyword === 'required' &&
          suggested.has(`${error.instancePath}/${String((error.params as {missingProperty: unknown}).missingProperty)}`)
        ),
    )
    .map((error) => describeSchemaError(error, locate))
}

function describeSchemaError(error: ErrorObject, locate: Locate): Problem {
  const path = parsePointer(error.instancePath)
  const problem = (code: string, message: string, at: FieldPath = path, key = false): Problem => ({
    severity: 'error',
    code,
    message,
    location: locate(at, {key}),
  })
  const params = error.params as Record<string, unknown>
  const parentSchema = (error.parentSchema ?? {}) as {properties?: Record<string, unknown>; enum?: unknown[]}
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty)
      const known = Object.keys(parentSchema.properties ?? {})
      const suggestion = suggestName(field, known)
      const expected = suggestion ? `did you mean "${suggestion}"?` : `expected one of ${known.join(', ')}`
      return problem('UnknownField', `unknown field ${describeValue(field)}; ${expected}`, [...path, field], true)
    }
    case 'required': {
      const field = String(params.missingProperty)
      return problem('MissingField', `missing required field "${field}"; add it`, [...path, field])
    }
    case 'type':
      return problem(
        'WrongType',
        `expected ${article(String(params.type))}, got ${describeValue(error.data)}${quoteHint(String(params.type), error.data)}`,
      )
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String)
      const suggestion = typeof error.data === 'string' ? suggestName(error.data, allowed) : undefined
      return problem(
        'InvalidValue',
        `got ${describeValue(error.data)}; expected one of ${allowed.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      )
    }
    case 'const':
      return problem('InvalidValue', `got ${describeValue(error.data)}; expected "${String(params.allowedValue)}"`)
    case 'pattern':
      return problem(
        'InvalidValue',
        `got ${describeValue(error.data)}; expected ${describePattern(String(params.pattern))}`,
      )
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      // An epoch in milliseconds is the one out-of-range number with an obvious fix.
      const hint =
        params.limit === MAX_EPOCH_SECONDS
          ? ' (this looks like milliseconds; samples are [unixSeconds, value]: divide by 1000)'
          : ''
      return problem(
        'OutOfRange',
        `got ${describeValue(error.data)}; expected a number ${String(params.comparison)} ${String(params.limit)}${hint}`,
      )
    }
    case 'format':
      if (params.format === TIMESTAMP_FORMAT)
        return problem(
          'InvalidValue',
          `got ${describeValue(error.data)}; ${describeTimestampProblem(String(error.data)) ?? 'expected an RFC 3339 time'}`,
        )
      if (params.format === DURATION_FORMAT) {
        const seconds = parseDuration(String(error.data))
        const what = seconds === undefined ? 'too large to be a number' : `${formatDuration(seconds)}`
        return problem(
          'OutOfRange',
          `got ${describeValue(error.data)} (${what}); expected a duration of at most ${formatDuration(MAX_DURATION_SECONDS)} (30 days)`,
        )
      }
      return problem('InvalidValue', error.message ?? 'invalid value')
    case 'minItems':
      return problem('TooFewItems', `expected at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`)
    case 'uniqueItems':
      return problem('DuplicateItem', `items ${String(params.j)} and ${String(params.i)} are the same; list each once`)
    case 'minProperties':
    case 'maxProperties':
      // Only the GPU need uses these: exactly one of three ways to ask for a GPU.
      return problem(
        'AmbiguousGpuNeed',
        `${describeKeys(error.data)}; expected exactly one of count, migProfile or memoryGiB`,
      )
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
  if (pattern === NAME_PATTERN)
    return 'a Kubernetes name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit'
  return `text matching ${pattern}`
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  // A hostile value (400 digits, 10,000 characters) is shown by its ends, so the message stays one readable line.
  if (typeof value === 'string')
    return value.length > 60
      ? `${JSON.stringify(value.slice(0, 24)).slice(0, -1)}…${JSON.stringify(value.slice(-8)).slice(1)} (${value.length} characters)`
      : JSON.stringify(value)
  return `${typeof value} ${String(value)}`
}

function describeKeys(data: unknown): string {
  const keys = data !== null && typeof data === 'object' ? Object.keys(data) : []
  return keys.length === 0 ? 'got an empty mapping' : `got ${keys.join(' and ')}`
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    'string,number': 'a string or number',
  }
  return names[type] ?? type
}

/** YAML reads `true`, `1` or `on` as non-strings; a label or taint value must be quoted to stay text. */
function quoteHint(expected: string, data: unknown): string {
  return expected === 'string' && (typeof data === 'boolean' || typeof data === 'number')
    ? ` (quote it: "${String(data)}")`
    : ''
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
    .sort(
      (a, b) =>
        (a.problem.location.line ?? 0) - (b.problem.location.line ?? 0) ||
        (a.problem.location.column ?? 0) - (b.problem.location.column ?? 0) ||
        a.index - b.index,
    )
    .map(({problem}) => problem)
}
