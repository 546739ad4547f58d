/**
 * What JSON.parse lets through silently: a key written twice in one object (the last wins, so an edit to the first
 * is ignored) and nesting deep enough to break whatever walks the result recursively. A snapshot of a 2,000-node
 * fleet is 18.7 MB, so this is one linear scan with no allocation per value; when it finds either, the caller
 * re-reads the text with the located YAML parser (JSON is YAML), which reports the problem at file:line:col.
 */
import {MAX_NESTING_DEPTH} from './limits.js'

const QUOTE = 34
const BACKSLASH = 92
const OPEN_OBJECT = 123
const CLOSE_OBJECT = 125
const OPEN_ARRAY = 91
const CLOSE_ARRAY = 93
const COMMA = 44

/** For text JSON.parse accepted: true when some object repeats a key or collections nest beyond MAX_NESTING_DEPTH. */
export function hasDuplicateKeyOrDeepNesting(text: string): boolean {
  // One entry per open collection: the keys seen so far (objects) or null (arrays).
  const open: Array<Set<string> | null> = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1)
      while (isEscaped(text, end)) end = text.indexOf('"', end + 1)
      if (expectKey) {
        const raw = text.slice(i + 1, end)
        // Two spellings of one key ("a" and "\u0061") are the same key: compare decoded text when escapes occur.
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw
        const keys = open[open.length - 1] as Set<string>
        if (keys.has(key)) return true
        keys.add(key)
        expectKey = false
      }
      i = end
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      open.push(c === OPEN_OBJECT ? new Set() : null)
      if (open.length > MAX_NESTING_DEPTH) return true
      expectKey = c === OPEN_OBJECT
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop()
      expectKey = false
    } else if (c === COMMA) {
      expectKey = open[open.length - 1] != null
    }
  }
  return false
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0
  for (let j = quote - 1; j >= 0 && text.charCodeAt(j) === BACKSLASH; j--) backslashes++
  return backslashes % 2 === 1
}

/**
 * Where a field is written in JSON text: the offset of its value (or of its key, with `wantKey`), or of its nearest
 * written ancestor when it is absent. A linear scan that skips every value not on the path, so locating a problem
 * in an 18.7 MB snapshot costs one pass instead of a YAML parse of the whole file. For text JSON.parse accepted.
 */
export function findJsonOffset(text: string, path: ReadonlyArray<string | number>, wantKey = false): number {
  let pos = skipSpace(text, 0)
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1
    const open = text.charCodeAt(pos)
    if (open === OPEN_OBJECT) {
      let at = skipSpace(text, pos + 1)
      let found: number | undefined
      while (text.charCodeAt(at) === QUOTE) {
        const keyStart = at
        const keyEnd = endOfString(text, at)
        const raw = text.slice(at + 1, keyEnd - 1)
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw
        const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1)
        if (key === String(segment)) {
          found = last && wantKey ? keyStart : valueStart
          break
        }
        at = skipSpace(text, endOfValue(text, valueStart))
        if (text.charCodeAt(at) === COMMA) at = skipSpace(text, at + 1)
      }
      if (found === undefined) return pos
      pos = found
    } else if (open === OPEN_ARRAY && typeof segment === 'number') {
      let at = skipSpace(text, pos + 1)
      for (let i = 0; i < segment; i++) {
        if (text.charCodeAt(at) === CLOSE_ARRAY) return pos
        at = skipSpace(text, endOfValue(text, at))
        if (text.charCodeAt(at) === COMMA) at = skipSpace(text, at + 1)
      }
      if (text.charCodeAt(at) === CLOSE_ARRAY) return pos
      pos = at
    } else {
      return pos
    }
  }
  return pos
}

/** 1-based line and column of an offset, as yaml's LineCounter reports them. */
export function describeJsonPosition(text: string, offset: number): {line: number; col: number} {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return {line, col: offset - lineStart + 1}
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length && /\s/.test(text.charAt(pos))) pos++
  return pos
}

/** The offset just after the string that starts at `pos`. */
function endOfString(text: string, pos: number): number {
  let end = text.indexOf('"', pos + 1)
  while (isEscaped(text, end)) end = text.indexOf('"', end + 1)
  return end + 1
}

/** The offset just after the value that starts at `pos` (strings and nested collections included). */
function endOfValue(text: string, pos: number): number {
  const c = text.charCodeAt(pos)
  if (c === QUOTE) return endOfString(text, pos)
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0
    for (let i = pos; i < text.length; i++) {
      const d = text.charCodeAt(i)
      if (d === QUOTE) i = endOfString(text, i) - 1
      else if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++
      else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return i + 1
    }
    return text.length
  }
  let i = pos
  while (i < text.length && !/[,}\]\s]/.test(text.charAt(i))) i++
  return i
}
