/**
 * YAML that cannot be weaponized, for every input file (config, snapshot, mig-parted). The `yaml` package composes
 * documents recursively and expands aliases on toJS, so three inputs break it: deep nesting (a stack overflow, or at
 * 10,000 levels an out-of-memory crash of the whole process), an alias bomb (exponential expansion) and an alias to
 * an anchor that does not exist (a thrown ReferenceError). Each becomes a located Problem here, before any of that
 * code runs on it.
 *
 * Nesting is measured on yaml's CST, which its Parser builds with an explicit stack (no recursion), so measuring
 * is safe at any depth; only inputs within MAX_NESTING_DEPTH reach the recursive composer.
 */
import {Composer, type CST, type Document, LineCounter, Parser, visit, YAMLParseError} from 'yaml'

import type {Problem} from '../errors.js'
import {MAX_ALIAS_COUNT, MAX_NESTING_DEPTH} from './limits.js'

export interface YamlErrorLike {
  code: string
  message: string
  pos: [number, number]
  linePos?: [{line: number; col: number}] | [{line: number; col: number}, {line: number; col: number}]
}

export interface SafeYaml {
  /** Absent when the text is too deeply nested to compose. */
  document?: Document
  lineCounter: LineCounter
  /** Syntax, nesting and duplicate-key problems; when any is present, `document` must not be converted. */
  problems: Problem[]
}

/**
 * Parses YAML text into a Document, refusing nesting deeper than MAX_NESTING_DEPTH before composing it. The text is
 * tokenized once (yaml's Parser) and the same tokens are measured and then composed: what parseDocument does, with
 * the depth check in between.
 */
export function parseYamlSafely(text: string, file: string): SafeYaml {
  const lineCounter = new LineCounter()
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text))
  const deep = findDeepNesting(tokens)
  if (deep !== undefined) {
    const {line, col} = lineCounter.linePos(deep)
    return {lineCounter, problems: [nestingProblem(file, line, col)]}
  }
  let document: Document | undefined
  for (const composed of new Composer({uniqueKeys: true}).compose(tokens, true, text.length)) {
    if (document === undefined) {
      document = composed
    } else {
      document.errors.push(
        new YAMLParseError(
          [composed.range[0], composed.range[1]],
          'MULTIPLE_DOCS',
          'the file holds several YAML documents (---); expected one',
        ),
      )
      break
    }
  }
  const doc = document as Document
  for (const error of doc.errors) error.linePos ??= [lineCounter.linePos(error.pos[0])]
  return {document: doc, lineCounter, problems: doc.errors.map((error) => describeYamlError(error, text, file))}
}

export function nestingProblem(file: string, line?: number, column?: number): Problem {
  return {
    severity: 'error',
    code: 'TooDeeplyNested',
    message: `collections are nested more than ${MAX_NESTING_DEPTH} levels deep; a gpu-scale input is at most about 10 deep, so this file is not one`,
    location: {file, ...(line !== undefined ? {line} : {}), ...(column !== undefined ? {column} : {})},
  }
}

/**
 * Document → plain data with alias expansion bounded. An undefined alias and an alias bomb are located problems;
 * any other failure is left to throw (a bug, reported as one).
 */
export function convertYaml(
  document: Document,
  lineCounter: LineCounter,
  file: string,
): {data?: unknown; problems: Problem[]} {
  try {
    return {data: document.toJS({maxAliasCount: MAX_ALIAS_COUNT}), problems: []}
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error
    const unresolved = /Unresolved alias/i.test(error.message)
    let at: number | undefined
    let name = ''
    visit(document, {
      Alias(_, node) {
        if (unresolved && node.resolve(document) !== undefined) return undefined
        at = node.range?.[0]
        name = node.source
        return visit.BREAK
      },
    })
    const pos = at === undefined ? undefined : lineCounter.linePos(at)
    const location = {file, ...(pos ? {line: pos.line, column: pos.col} : {})}
    return unresolved
      ? {
          problems: [
            {
              severity: 'error',
              code: 'UndefinedAlias',
              message: `alias *${name} refers to no anchor &${name} defined before it; define the anchor first or write the value out`,
              location,
            },
          ],
        }
      : {
          problems: [
            {
              severity: 'error',
              code: 'TooManyAliases',
              message: `aliases expand to more than ${MAX_ALIAS_COUNT} copies (an alias bomb?); write the values out instead of nesting aliases`,
              location,
            },
          ],
        }
  }
}

/** yaml's error → a Problem at its line:col. Duplicate keys get their own code: YAML would keep the last silently. */
export function describeYamlError(error: YamlErrorLike, text: string, file: string): Problem {
  // yaml's pretty message is "<what> at line L, column C:\n<code frame>"; the location goes in the Problem instead.
  const what = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '')
  const pos = error.linePos?.[0]
  const location = {file, ...(pos ? {line: pos.line, column: pos.col} : {})}
  if (error.code === 'DUPLICATE_KEY') {
    // The error's range may cover only the opening quote of a JSON-style key: read the whole key from there.
    const written = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^:\n]*)/.exec(text.slice(error.pos[0]))?.[1]?.trim() ?? ''
    const key = /^["']/.test(written) ? written.slice(1, -1) : written
    return {
      severity: 'error',
      code: 'DuplicateKey',
      message: `duplicate key "${key}" in the same mapping; remove or merge one of them (YAML would silently keep the last)`,
      location,
    }
  }
  if (error.code === 'RESOURCE_EXHAUSTION') return nestingProblem(file, pos?.line, pos?.col)
  return {
    severity: 'error',
    code: 'YamlSyntax',
    message: `${what.charAt(0).toLowerCase()}${what.slice(1)}; fix the YAML syntax`,
    location,
  }
}

/** The offset of the first collection nested deeper than MAX_NESTING_DEPTH, or undefined. Iterative: any depth. */
export function findDeepNesting(tokens: readonly CST.Token[]): number | undefined {
  const stack: Array<{token: CST.Token | undefined; depth: number}> = tokens.map((token) => ({token, depth: 0}))
  while (stack.length > 0) {
    const {token, depth} = stack.pop() as {token: CST.Token | undefined; depth: number}
    if (!token) continue
    switch (token.type) {
      case 'document':
        stack.push({token: token.value, depth})
        break
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth + 1 > MAX_NESTING_DEPTH) return token.offset
        for (const item of token.items) {
          const entry = item as {key?: CST.Token | null; value?: CST.Token}
          if (entry.key) stack.push({token: entry.key, depth: depth + 1})
          if (entry.value) stack.push({token: entry.value, depth: depth + 1})
        }
        break
      default:
        break
    }
  }
  return undefined
}
