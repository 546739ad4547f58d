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
