/**
 * Snapshot text (JSON or YAML) → ClusterSnapshot, or a ValidationError listing every problem with file:line:col
 * and field path. JSON takes a fast path (JSON.parse + a linear scan for duplicate keys and deep nesting + the
 * compiled schema); the slower YAML parse that knows line positions runs only to locate problems, so large valid
 * snapshots load quickly.
 *
 * In order, each step only on what the previous accepted:
 *   1. syntax, duplicate keys, nesting depth, aliases (src/core/input/);
 *   2. the schema: shapes and every number's bounds, RFC 3339 times checked strictly;
 *   3. decoding (times to epoch seconds, defaults), then impossible samples dropped (src/core/signals/sanitize.ts);
 *   4. consistency across fields (./check.ts).
 */
import {Ajv} from 'ajv'
import type {Document, LineCounter} from 'yaml'

import {describeSchemaErrors, sortProblems} from '../config/load.js'
import {createLocator, type FieldPath, formatFieldPath, type Locate} from '../config/locate.js'
import {type Problem, ValidationError} from '../errors.js'
import {addInputFormats} from '../input/formats.js'
import {describeJsonPosition, findJsonOffset, hasDuplicateKeyOrDeepNesting} from '../input/json.js'
import {convertYaml, parseYamlSafely} from '../input/yaml.js'
import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import {sanitizeTelemetry} from '../signals/sanitize.js'
import {checkSnapshot, checkSnapshotAgainstConfig} from './check.js'
import {decodeSnapshot} from './codec.js'
import {SNAPSHOT_SCHEMA} from './schema.js'

const ajv = addInputFormats(new Ajv({allErrors: true, strict: false, verbose: true}))
const validate = ajv.compile(SNAPSHOT_SCHEMA)

export function parseSnapshot(text: string, file: string): ClusterSnapshot {
  let data: unknown
  let json = false
  if (text.trimStart().startsWith('{')) {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined // located below by the YAML parser, which reports line:col
    }
    // JSON.parse keeps the last of two equal keys silently; the YAML parser below names both at line:col.
    if (data !== undefined && hasDuplicateKeyOrDeepNesting(text)) data = undefined
    json = data !== undefined
    // Well-formed JSON that breaks the schema is located by a scan of the JSON itself: a YAML parse of a large
    // snapshot to place one error would take minutes.
    if (data !== undefined && !validate(data))
      throw invalid(file, sortProblems(describeSchemaErrors(validate.errors ?? [], createJsonLocator(file, text))))
  }
  if (data === undefined || !validate(data)) {
    const located = parseLocated(text, file)
    if (located.problems.length > 0) throw invalid(file, located.problems)
    data = located.data
  }
  const decoded = decodeSnapshot(data as Record<string, unknown>)
  const snapshot: ClusterSnapshot = {
    ...decoded,
    telemetry: sanitizeTelemetry(decoded.telemetry, decoded.capturedAt).series,
  }
  const problems = [...checkSnapshot(snapshot, file), ...checkSampleOrder(snapshot, file)]
  if (problems.some((p) => p.severity === 'error')) throw invalid(file, locateProblems(text, file, problems, json))
  return snapshot
}

/**
 * What a snapshot must also satisfy to be planned with this policy (./check.ts checkSnapshotAgainstConfig); throws a
 * ValidationError with each problem at file:line:col. `text` is the snapshot's text as parsed, for the positions.
 */
export function assertSnapshotFitsConfig(
  snapshot: ClusterSnapshot,
  config: PolicyConfig,
  text: string,
  file: string,
): void {
  const problems = checkSnapshotAgainstConfig(snapshot, config, file)
  if (problems.length > 0) throw invalid(file, locateProblems(text, file, problems, looksLikeJson(text)))
}

function invalid(file: string, problems: Problem[]): ValidationError {
  const errors = problems.filter((p) => p.severity === 'error').length
  return new ValidationError(
    `${file} is not a valid cluster snapshot (${errors} problem${errors === 1 ? '' : 's'})`,
    problems,
  )
}

/** YAML (or JSON that failed the fast path), parsed with positions so every problem gets file:line:col. */
function parseLocated(text: string, file: string): {data?: unknown; problems: Problem[]} {
  const {document, lineCounter, problems} = parseYamlSafely(text, file)
  if (!document || problems.length > 0) return {problems}
  const converted = convertYaml(document, lineCounter, file)
  if (converted.problems.length > 0) return {problems: converted.problems}
  const data = converted.data
  if (data === null || data === undefined)
    return {
      problems: [
        {
          severity: 'error',
          code: 'EmptySnapshot',
          message: 'the file is empty; expected a ClusterSnapshot (see schemas/cluster-snapshot.schema.json)',
          location: {file},
        },
      ],
    }
  writeNonFiniteSamplesAsText(data)
  if (validate(data)) return {data, problems: []}
  return {
    problems: sortProblems(describeSchemaErrors(validate.errors ?? [], createLocator(file, document, lineCounter))),
  }
}

/**
 * YAML's `.nan` and `.inf` are numbers JSON Schema cannot describe; written as Prometheus writes them ("NaN",
 * "+Inf", "-Inf") they pass the schema, and the sanitizer drops them with a diagnostic instead of an error.
 */
function writeNonFiniteSamplesAsText(data: unknown): void {
  const telemetry = (data as {telemetry?: unknown}).telemetry
  if (!Array.isArray(telemetry)) return
  for (const series of telemetry) {
    const samples = (series as {samples?: unknown} | null)?.samples
    if (!Array.isArray(samples)) continue
    for (const sample of samples) {
      if (!Array.isArray(sample) || typeof sample[1] !== 'number' || Number.isFinite(sample[1])) continue
      sample[1] = Number.isNaN(sample[1]) ? 'NaN' : sample[1] > 0 ? '+Inf' : '-Inf'
    }
  }
}

/** Samples must ascend in time: windows and rates assume it, and a shuffled series usually means a bad export. */
function checkSampleOrder(snapshot: ClusterSnapshot, file: string): Problem[] {
  const problems: Problem[] = []
  snapshot.telemetry.forEach((series, i) => {
    for (let j = 1; j < series.samples.length; j++) {
      if ((series.samples[j] as [number, number])[0] <= (series.samples[j - 1] as [number, number])[0]) {
        problems.push({
          severity: 'error',
          code: 'SamplesOutOfOrder',
          message: `samples of ${series.metric} must ascend in time; sample ${j} is not after sample ${j - 1}`,
          location: {file, path: `telemetry[${i}].samples[${j}]`},
        })
        break
      }
    }
  })
  return problems
}

/**
 * Consistency problems carry a field path only (the fast JSON path has no positions); when there are any, each is
 * placed at its file:line:col by a scan of the JSON, or by parsing the YAML once more with positions.
 */
function locateProblems(text: string, file: string, problems: Problem[], json: boolean): Problem[] {
  let locate: Locate
  if (json) {
    locate = createJsonLocator(file, text)
  } else {
    const {document, lineCounter} = parseYamlSafely(text, file)
    if (!document) return problems
    locate = createLocator(file, document as Document, lineCounter as LineCounter)
  }
  return sortProblems(
    problems.map((p) =>
      p.location.path === undefined
        ? p
        : {...p, location: {...locate(parseFieldPath(p.location.path)), path: p.location.path}},
    ),
  )
}

/** `nodes[0].gpus[1].mig` → ['nodes', 0, 'gpus', 1, 'mig']. */
function parseFieldPath(path: string): FieldPath {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)))
}

/** Whether the JSON locator may read this text: only text JSON.parse accepts. */
function looksLikeJson(text: string): boolean {
  if (!text.trimStart().startsWith('{')) return false
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** A Locate over JSON text (see findJsonOffset), for text JSON.parse accepted. */
function createJsonLocator(file: string, text: string): Locate {
  return (path, options = {}) => {
    const {line, col} = describeJsonPosition(text, findJsonOffset(text, path, options.key ?? false))
    return {file, line, column: col, ...(path.length > 0 ? {path: formatFieldPath(path)} : {})}
  }
}
