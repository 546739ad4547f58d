/**
 * The three patch formats kubectl and client-node send (facts §1, §3):
 * - JSON merge patch (RFC 7386, `application/merge-patch+json`): `kubectl label`, `kubectl scale`, `--type=merge`;
 * - strategic merge patch (`application/strategic-merge-patch+json`): `kubectl cordon`/`drain`, `kubectl patch`'s
 *   default. Like merge patch, except that lists carrying a merge key in the Go types are merged element by element
 *   and `$patch` directives apply (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go). The merge keys below are
 *   the `patchMergeKey` tags of k8s.io/api/core/v1/types.go for the fields the twin's objects have; other lists
 *   (taints, tolerations: no tag) are replaced whole, as upstream;
 * - JSON patch (RFC 6902, `application/json-patch+json`): `--type=json`; an object body is a 400, as upstream.
 */
import {badRequest, StatusError} from './status.js'
import {isObject, type Json} from './types.js'

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch)
  const result: Record<string, unknown> = isObject(target) ? {...target} : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = applyMergePatch(result[key], value)
  }
  return result
}

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  addresses: 'type',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
}

/** Primitive lists with `patchStrategy:"merge"`: entries are added as a set. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers'])

export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') {
    const {$patch: _ignored, ...rest} = patch
    return stripDirectives(rest)
  }
  if (patch.$patch === 'delete') return undefined
  const result: Record<string, unknown> = isObject(target) ? {...target} : {}
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length)
      const current = Array.isArray(result[field]) ? (result[field] as unknown[]) : []
      result[field] = current.filter((item) => !(value as unknown[]).includes(item))
      continue
    }
    if (value === null) {
      delete result[key]
      continue
    }
    const mergeKey = MERGE_KEYS[key]
    if (Array.isArray(value) && mergeKey) {
      result[key] = mergeListByKey(Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value, mergeKey)
    } else if (Array.isArray(value) && MERGED_PRIMITIVE_LISTS.has(key)) {
      const current = Array.isArray(result[key]) ? (result[key] as unknown[]) : []
      result[key] = [...current, ...value.filter((v) => !current.includes(v))]
    } else {
      const merged = applyStrategicMergePatch(result[key], value)
      if (merged === undefined) delete result[key]
      else result[key] = merged
    }
  }
  return result
}

function mergeListByKey(current: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  const out = [...current]
  for (const item of patch) {
    if (!isObject(item) || item[mergeKey] === undefined)
      throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`)
    const index = out.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey])
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1)
    } else if (index >= 0) out[index] = applyStrategicMergePatch(out[index], item)
    else out.push(stripDirectives(item))
  }
  return out
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives)
  if (!isObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v)
  return out
}

interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test'
  path: string
  value?: Json
  from?: string
}

/** RFC 6902. A failed `test` or a missing path is a 422, as the apiserver answers (jsonpatch errors → Invalid). */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch')
  let doc = structuredClone(target)
  for (const raw of patch as JsonPatchOp[]) {
    switch (raw.op) {
      case 'add':
        doc = setAt(doc, raw.path, structuredClone(raw.value), 'add')
        break
      case 'replace':
        getAt(doc, raw.path)
        doc = setAt(doc, raw.path, structuredClone(raw.value), 'replace')
        break
      case 'remove':
        doc = removeAt(doc, raw.path)
        break
      case 'move': {
        const value = getAt(doc, raw.from ?? '')
        doc = setAt(removeAt(doc, raw.from ?? ''), raw.path, value, 'add')
        break
      }
      case 'copy':
        doc = setAt(doc, raw.path, structuredClone(getAt(doc, raw.from ?? '')), 'add')
        break
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(raw.value))
          throw jsonPatchError(`testing value ${raw.path} failed`)
        break
      default:
        throw badRequest(`Unexpected kind: ${String((raw as {op: unknown}).op)}`)
    }
  }
  return doc
}

function jsonPatchError(message: string): StatusError {
  return new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`)
}

function tokens(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw jsonPatchError(`invalid path ${path}`)
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function getAt(doc: unknown, path: string): unknown {
  let node: unknown = doc
  for (const t of tokens(path)) {
    if (Array.isArray(node) && /^\d+$/.test(t) && Number(t) < node.length) node = node[Number(t)]
    else if (isObject(node) && t in node) node = node[t]
    else throw jsonPatchError(`doc is missing path: "${path}": missing value`)
  }
  return node
}

function parentOf(doc: unknown, path: string): {parent: unknown; last: string} {
  const parts = tokens(path)
  const last = parts.pop()
  if (last === undefined) return {parent: undefined, last: ''}
  const parentPath = parts.map((p) => '/' + p.replaceAll('~', '~0').replaceAll('/', '~1')).join('')
  return {parent: getAt(doc, parentPath), last}
}

function setAt(doc: unknown, path: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const {parent, last} = parentOf(doc, path)
  if (path === '') return value
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last)
    if (!Number.isInteger(index) || index > parent.length) throw jsonPatchError(`invalid index ${last} in ${path}`)
    if (mode === 'add') parent.splice(index, 0, value)
    else parent[index] = value
  } else if (isObject(parent)) parent[last] = value
  else throw jsonPatchError(`doc is missing path: "${path}": missing value`)
  return doc
}

function removeAt(doc: unknown, path: string): unknown {
  getAt(doc, path)
  const {parent, last} = parentOf(doc, path)
  if (Array.isArray(parent)) parent.splice(Number(last), 1)
  else if (isObject(parent)) delete parent[last]
  return doc
}
