/**
 * From a field path (`['models', 0, 'replicas', 'max']`) to where it is written in the YAML source, so every
 * problem points at `file:line:col` and reads as `models[0].replicas.max`. A field that is absent (a default)
 * points at its nearest written ancestor: the user edits there to set it.
 */
import {isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node} from 'yaml'

import type {SourceLocation} from '../errors.js'

export type FieldPath = ReadonlyArray<string | number>

/** `models[0].replicas.max`; keys that are not identifiers are quoted: `labels["nvidia.com/gpu"]`. */
export function formatFieldPath(path: FieldPath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(segment)}]`
  }
  return text
}

/** Finds where a field is written; `key: true` points at the key (for unknown fields) instead of the value. */
export type Locate = (path: FieldPath, options?: {key?: boolean}) => SourceLocation

export function createLocator(file: string, document: Document | undefined, lineCounter: LineCounter): Locate {
  return (path, options = {}) => {
    const location: SourceLocation = {file}
    if (path.length > 0) location.path = formatFieldPath(path)
    const offset = document ? findOffset(document.contents, path, options.key ?? false) : undefined
    if (offset !== undefined) {
      const {line, col} = lineCounter.linePos(offset)
      location.line = line
      location.column = col
    }
    return location
  }
}

function findOffset(root: unknown, path: FieldPath, wantKey: boolean): number | undefined {
  let node: unknown = root
  let best = startOf(root)
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment))
      if (!pair) return best
      if (last && wantKey) return startOf(pair.key) ?? best
      node = pair.value
      best = startOf(pair.value) ?? startOf(pair.key) ?? best
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment]
      if (item === undefined) return best
      node = item
      best = startOf(item) ?? best
    } else {
      return best
    }
  }
  return best
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value)
  return undefined
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range
  return range ? range[0] : undefined
}
