/**
 * Label and field selectors as the apiserver parses them.
 *
 * Labels follow k8s.io/apimachinery/pkg/labels/selector.go: comma-separated requirements `k`, `!k`, `k=v`,
 * `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`. `k!=v` and `notin` also match objects without
 * the label, as upstream does. Fields support `=`, `==`, `!=` on the field labels each resource registers
 * (pkg/registry/core/pod/strategy.go `ToSelectableFields`; kubectl drain needs `spec.nodeName`, facts §1).
 */
import {badRequest} from './status.js'
import type {KubeObject} from './types.js'

type Op = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt'

export interface Requirement {
  key: string
  op: Op
  values: string[]
}

export type Selector = Requirement[]

/** Parses a label selector; an empty string selects everything. Throws 400 on malformed input. */
export function parseLabelSelector(text: string): Selector {
  const requirements: Selector = []
  for (const part of splitTopLevel(text)) {
    const s = part.trim()
    if (s === '') continue
    let m: RegExpMatchArray | null
    if ((m = s.match(/^([^\s!=<>(),]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      requirements.push({
        key: m[1]!,
        op: m[2] as 'in' | 'notin',
        values: m[3]!
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      })
    } else if ((m = s.match(/^([^\s!=<>(),]+)\s*(==|!=|=)\s*([^\s!=<>(),]*)$/))) {
      requirements.push({key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!]})
    } else if ((m = s.match(/^([^\s!=<>(),]+)\s*([<>])\s*(-?\d+)$/))) {
      requirements.push({key: m[1]!, op: m[2] === '>' ? 'gt' : 'lt', values: [m[3]!]})
    } else if ((m = s.match(/^!\s*([^\s!=<>(),]+)$/))) {
      requirements.push({key: m[1]!, op: '!exists', values: []})
    } else if ((m = s.match(/^([^\s!=<>(),]+)$/))) {
      requirements.push({key: m[1]!, op: 'exists', values: []})
    } else {
      throw badRequest(`unable to parse requirement: found '${s}', expected: a label selector requirement`)
    }
  }
  return requirements
}

/** Commas inside `in (...)` do not separate requirements. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += ch
  }
  parts.push(current)
  return parts
}

export function matchesLabels(selector: Selector, labels: Record<string, string> | undefined): boolean {
  return selector.every((r) => {
    const value = labels?.[r.key]
    switch (r.op) {
      case 'exists':
        return value !== undefined
      case '!exists':
        return value === undefined
      case '=':
        return value === r.values[0]
      case '!=':
        return value !== r.values[0]
      case 'in':
        return value !== undefined && r.values.includes(value)
      case 'notin':
        return value === undefined || !r.values.includes(value)
      case 'gt':
      case 'lt': {
        const n = Number(value)
        if (value === undefined || !Number.isFinite(n)) return false
        return r.op === 'gt' ? n > Number(r.values[0]) : n < Number(r.values[0])
      }
    }
  })
}

/** Label selector from a `{matchLabels, matchExpressions}` object (PDBs, Deployments). */
export function selectorFromObject(
  selector:
    | {
        matchLabels?: Record<string, string>
        matchExpressions?: Array<{key: string; operator: string; values?: string[]}>
      }
    | undefined,
): Selector {
  const out: Selector = []
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) out.push({key, op: '=', values: [value]})
  for (const e of selector?.matchExpressions ?? []) {
    const op = ({In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists'} as Record<string, Op>)[e.operator]
    if (op) out.push({key: e.key, op, values: e.values ?? []})
  }
  return out
}

/** `app=x,tier=y`: how a Scale's `status.selector` and a Deployment's selector print. */
export function formatSelector(selector: Selector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key
        case '!exists':
          return `!${r.key}`
        case '=':
        case '!=':
          return `${r.key}${r.op}${r.values[0]}`
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${r.values.join(',')})`
        case 'gt':
          return `${r.key}>${r.values[0]}`
        case 'lt':
          return `${r.key}<${r.values[0]}`
      }
    })
    .join(',')
}

export interface FieldRequirement {
  field: string
  equal: boolean
  value: string
}

/** Field labels each kind can select on, beyond metadata.name and metadata.namespace (every kind has those). */
const FIELD_GETTERS: Record<string, Record<string, (o: KubeObject) => string | undefined>> = {
  Pod: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'status.phase': (o) => o.status?.phase ?? '',
    'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'status.podIP': (o) => o.status?.podIP ?? '',
  },
  Node: {'spec.unschedulable': (o) => String(Boolean(o.spec?.unschedulable))},
  Event: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    reason: (o) => o.reason ?? '',
    type: (o) => o.type ?? '',
  },
}

function fieldGetter(kind: string, field: string): ((o: KubeObject) => string | undefined) | undefined {
  if (field === 'metadata.name') return (o) => o.metadata.name
  if (field === 'metadata.namespace') return (o) => o.metadata.namespace ?? ''
  return FIELD_GETTERS[kind]?.[field]
}

/** Parses a field selector for a kind; an unsupported field is a 400, as upstream. */
export function parseFieldSelector(text: string, kind: string): FieldRequirement[] {
  const out: FieldRequirement[] = []
  for (const part of text.split(',')) {
    const s = part.trim()
    if (s === '') continue
    const m = s.match(/^([^=!]+?)\s*(==|!=|=)\s*(.*)$/)
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${s}'`)
    if (!fieldGetter(kind, m[1]!)) throw badRequest(`field label not supported: ${m[1]}`)
    out.push({field: m[1]!, equal: m[2] !== '!=', value: m[3]!})
  }
  return out
}

export function matchesFields(requirements: FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => {
    const actual = fieldGetter(object.kind, r.field)?.(object) ?? ''
    return r.equal ? actual === r.value : actual !== r.value
  })
}
