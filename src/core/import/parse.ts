/**
 * Text of an HPA or ScaledObject (YAML or JSON, from a file or from the API server) → the validated object, through
 * the same hardened reader as every gpu-scale input (bounded nesting and aliases, duplicate keys refused, every
 * schema problem located at file:line:col). Then the translation, whose refusals are located the same way.
 */
import {Ajv} from 'ajv'

import {readValidYaml} from '../config/load.js'
import type {FieldPath, Locate} from '../config/locate.js'
import {type Problem, ValidationError} from '../errors.js'
import {HPA_SCHEMA, SCALED_OBJECT_SCHEMA} from './schema.js'
import {type GpuNeedDocument, ImportError, type Translation, translateHpa, translateScaledObject} from './translate.js'

export type AutoscalerKind = 'HorizontalPodAutoscaler' | 'ScaledObject'

const ajv = new Ajv({allErrors: true, strict: false, allowUnionTypes: true, verbose: true})
const VALIDATORS = {HorizontalPodAutoscaler: ajv.compile(HPA_SCHEMA), ScaledObject: ajv.compile(SCALED_OBJECT_SCHEMA)}

export interface ParsedAutoscaler {
  kind: AutoscalerKind
  /* eslint-disable-next-line @typescript-eslint/no-explicit-any -- schema-validated Kubernetes JSON */
  object: any
  namespace: string
  name: string
  /** The workload it scales: what the caller reads the GPU need from. */
  target: {kind: string; name: string}
  /** Where it was read from: a file, or the object's URL. */
  file: string
  locate: Locate
}

export function parseAutoscaler(text: string, file: string, kind: AutoscalerKind): ParsedAutoscaler {
  const read = readValidYaml(
    text,
    file,
    {code: 'EmptyInput', message: `the file is empty; expected a ${kind}`},
    VALIDATORS[kind],
  )
  if ('problems' in read) throw new ValidationError(`${file} is not a ${kind} gpu-scale can import`, read.problems)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const object = read.data as any
  return {
    kind,
    object,
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name,
    target: {kind: object.spec.scaleTargetRef.kind ?? 'Deployment', name: object.spec.scaleTargetRef.name},
    file,
    locate: read.locate,
  }
}

/** The translation of a parsed autoscaler; a refusal is a ValidationError located at the field that caused it. */
export function translateAutoscaler(parsed: ParsedAutoscaler, gpu?: GpuNeedDocument): Translation {
  try {
    return parsed.kind === 'HorizontalPodAutoscaler'
      ? translateHpa(parsed.object, gpu)
      : translateScaledObject(parsed.object, gpu)
  } catch (error) {
    if (!(error instanceof ImportError)) throw error
    const problem: Problem = {
      severity: 'error',
      code: 'CannotImport',
      message: error.message,
      location: parsed.locate(parseFieldPath(error.path)),
    }
    throw new ValidationError(`cannot import ${parsed.kind} ${parsed.namespace}/${parsed.name}`, [problem])
  }
}

/** `spec.metrics[0].pods` → ['spec', 'metrics', 0, 'pods']. */
function parseFieldPath(text: string): FieldPath {
  return text
    .split('.')
    .flatMap((part) => part.split(/\[(\d+)\]/).filter((p) => p !== ''))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
}
