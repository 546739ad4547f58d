/**
 * Snapshot text (JSON or YAML) → ClusterSnapshot, or a ValidationError listing every problem with file:line:col
 * and field path. JSON takes a fast path (JSON.parse + compiled schema); the slower YAML parse that knows line
 * positions runs only to locate errors, so large valid snapshots load quickly.
 */
import {Ajv} from 'ajv'
import {LineCounter, parseDocument} from 'yaml'

import {describeSchemaErrors, describeYamlError, sortProblems} from '../config/load.js'
import {createLocator} from '../config/locate.js'
import {type Problem, ValidationError} from '../errors.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import {checkSnapshot} from './check.js'
import {decodeSnapshot} from './codec.js'
import {SNAPSHOT_SCHEMA} from './schema.js'

const ajv = new Ajv({allErrors: true, strict: false, verbose: true})
const validate = ajv.compile(SNAPSHOT_SCHEMA)

export function parseSnapshot(text: string, file: string): ClusterSnapshot {
  let data: unknown
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{')) {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined // located below by the YAML parser, which reports line:col
    }
  }
  if (data === undefined || !validate(data)) {
    const located = parseLocated(text, file)
    const problems = located.problems
    if (problems.length > 0) throw new ValidationError(`${file} is not a valid cluster snapshot (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems)
    data = located.data
  }
  const snapshot = decodeSnapshot(data as Record<string, unknown>)
  const problems = [...checkSnapshot(snapshot, file), ...checkSampleOrder(snapshot, file)]
  if (problems.length > 0) throw new ValidationError(`${file} is not a valid cluster snapshot (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems)
  return snapshot
}

/** YAML (or JSON that failed the fast path), parsed with positions so every problem gets file:line:col. */
function parseLocated(text: string, file: string): {data?: unknown; problems: Problem[]} {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {lineCounter, prettyErrors: true, uniqueKeys: true})
  if (document.errors.length > 0) return {problems: document.errors.map((e) => describeYamlError(e, text, file))}
  const locate = createLocator(file, document, lineCounter)
  const data: unknown = document.toJS({maxAliasCount: 100})
  if (data === null || data === undefined) return {problems: [{severity: 'error', code: 'EmptySnapshot', message: 'the file is empty; expected a ClusterSnapshot (capture one with `gpu-scale snapshot`)', location: {file}}]}
  if (validate(data)) return {data, problems: []}
  return {problems: sortProblems(describeSchemaErrors(validate.errors ?? [], locate))}
}

/** Samples must ascend in time: windows and rates assume it, and a shuffled series usually means a bad export. */
function checkSampleOrder(snapshot: ClusterSnapshot, file: string): Problem[] {
  const problems: Problem[] = []
  snapshot.telemetry.forEach((series, i) => {
    for (let j = 1; j < series.samples.length; j++) {
      if ((series.samples[j] as [number, number])[0] <= (series.samples[j - 1] as [number, number])[0]) {
        problems.push({severity: 'error', code: 'SamplesOutOfOrder', message: `samples of ${series.metric} must ascend in time; sample ${j} is not after sample ${j - 1}`, location: {file, path: `telemetry[${i}].samples[${j}]`}})
        break
      }
    }
  })
  return problems
}
