/**
 * Mutations of a parsed input document, as a careless user or a broken exporter makes them: deletions, type swaps,
 * extreme and non-finite numbers, impossible times, unicode, deep nesting; and text-level attacks after it is
 * written out: alias bombs, undefined aliases, duplicate keys, 1,000-deep brackets, truncation. Every choice comes
 * from fast-check, so a seed replays a run exactly.
 */
import fc from 'fast-check'
import {stringify} from 'yaml'

export const MUTATION_KINDS = ['delete', 'swapType', 'number', 'nudge', 'time', 'unicode', 'nest', 'renameKey'] as const
export const ATTACKS = ['aliasBomb', 'undefinedAlias', 'duplicateKey', 'deepNesting', 'truncate'] as const

export interface Mutation {
  kind: (typeof MUTATION_KINDS)[number]
  /** Which node of the document, as a fraction of the node list (the list depends on earlier mutations). */
  pick: number
  /** Which replacement value, modulo the list for the kind. */
  choice: number
}

export interface TextCase {
  format: 'yaml' | 'json'
  mutations: Mutation[]
  attack: (typeof ATTACKS)[number] | null
  /** Where truncation cuts, as a fraction of the text. */
  cut: number
}

export const EXTREME_NUMBERS = [
  NaN,
  Infinity,
  -Infinity,
  1e308,
  -1e308,
  1e-320,
  -1,
  0,
  -0,
  0.5,
  1e6,
  1e9,
  2 ** 53 + 1,
  16,
  17,
  100_001,
  1e15,
  1e-7,
  1764331200000,
]
export const BAD_TIMES = [
  '2026-13-01T00:00:00Z', // month 13
  '2026-02-30T12:00:00Z', // February 30
  '2026-11-28T23:59:60Z', // second 60
  '2026-11-28T24:00:00Z', // hour 24
  '2026-11-28T12:00:00+14:00', // the earliest offset: 14 h before the same UTC reading
  '2026-11-28T12:00:00-12:00',
  '1764331200000', // milliseconds
  '2026-11-28 12:00:00',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  `${'9'.repeat(400)}s`, // a 400-digit duration where a time or duration goes
  '1'.repeat(400),
]
export const UNICODE = [
  '💥',
  'ｍｏｄｅｌ',
  'e\u0301',
  '\u0000',
  '\u202Ename',
  'a'.repeat(10_000),
  '',
  ' ',
  'ß',
  '\uFFFD',
  'DCGM_FI_DEV_GPU_UTIL',
]

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  // Numbers more often: most of a snapshot is numbers, and they are what reaches the planner. A nudge keeps a number
  // plausible (× 0, ½, 2, 10, 100), so the planner sees stress rather than only the schema's refusals.
  kind: fc.constantFrom(...MUTATION_KINDS, 'number', 'nudge', 'nudge'),
  pick: fc.double({min: 0, max: 1, maxExcluded: true, noNaN: true}),
  choice: fc.nat(10_000),
})

export const textCaseArb: fc.Arbitrary<TextCase> = fc.record({
  // JSON mostly: YAML parsing is slow, and YAML-only attacks (aliases, .nan) get their share anyway.
  format: fc.constantFrom('yaml', 'json', 'json'),
  mutations: fc.array(mutationArb, {minLength: 1, maxLength: 2}),
  // One case in five is also attacked as text; the rest test what mutations alone do.
  attack: fc.oneof({weight: 4, arbitrary: fc.constant(null)}, {weight: 1, arbitrary: fc.constantFrom(...ATTACKS)}),
  cut: fc.double({min: 0, max: 1, noNaN: true}),
})

type Path = Array<string | number>

/** Every node below the root, as paths; `leaf` keeps only those whose value passes. */
function listPaths(doc: unknown, leaf: (value: unknown) => boolean = () => true): Path[] {
  const out: Path[] = []
  const stack: Array<{value: unknown; path: Path}> = [{value: doc, path: []}]
  while (stack.length > 0) {
    const {value, path} = stack.pop() as {value: unknown; path: Path}
    if (path.length > 0 && leaf(value)) out.push(path)
    if (Array.isArray(value)) value.forEach((item, i) => stack.push({value: item, path: [...path, i]}))
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) stack.push({value: v, path: [...path, k]})
  }
  return out
}

function at<T>(list: readonly T[], choice: number): T {
  return list[choice % list.length] as T
}

/** Applies one mutation in place. A kind with no node to act on (no numbers left, say) does nothing. */
export function applyMutation(doc: unknown, mutation: Mutation): void {
  const targets: Record<Mutation['kind'], (v: unknown) => boolean> = {
    delete: () => true,
    swapType: () => true,
    number: (v) => typeof v === 'number',
    nudge: (v) => typeof v === 'number',
    time: (v) => typeof v === 'string',
    unicode: (v) => typeof v === 'string',
    nest: () => true,
    renameKey: () => true,
  }
  const paths = listPaths(doc, targets[mutation.kind])
  if (paths.length === 0) return
  const path = paths[Math.floor(mutation.pick * paths.length)] as Path
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], doc) as
    Record<string | number, unknown> | unknown[]
  const key = path[path.length - 1] as string | number
  const current = (parent as Record<string | number, unknown>)[key]
  const set = (value: unknown) => ((parent as Record<string | number, unknown>)[key] = value)
  switch (mutation.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete parent[key as string]
      break
    case 'swapType':
      set(at([null, true, 'text', 42, -3, [], {}, [current], {value: current}, String(current)], mutation.choice))
      break
    case 'number':
      set(at(EXTREME_NUMBERS, mutation.choice))
      break
    case 'nudge': {
      const scaled = (current as number) * at([0, 0.5, 2, 10, 100, 1.5], mutation.choice)
      set(Number.isInteger(current) ? Math.round(scaled) : scaled)
      break
    }
    case 'time':
      set(at(BAD_TIMES, mutation.choice))
      break
    case 'unicode':
      set(at(UNICODE, mutation.choice))
      break
    case 'nest': {
      let value = current
      for (let i = 0, depth = at([3, 70, 1000], mutation.choice); i < depth; i++) value = [value]
      set(value)
      break
    }
    case 'renameKey':
      if (Array.isArray(parent)) break
      delete parent[key as string]
      parent[at(UNICODE, mutation.choice) || `${String(key)}x`] = current
      break
  }
}

const BOMB =
  'x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nx-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nx-e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n'

/** yaml's writer recurses and overflows on 1,000-deep values; JSON is YAML too, and JSON.stringify does not. */
function writeYaml(doc: unknown): string {
  try {
    return stringify(doc, {aliasDuplicateObjects: false})
  } catch (error) {
    if (error instanceof RangeError) return JSON.stringify(doc)
    throw error
  }
}

/** The mutated document written out, then attacked as text. */
export function renderCase(doc: unknown, c: TextCase): string {
  const copy = structuredClone(doc)
  for (const mutation of c.mutations) applyMutation(copy, mutation)
  let text = c.format === 'json' ? JSON.stringify(copy, null, 1) : writeYaml(copy)
  switch (c.attack) {
    case 'aliasBomb':
      text = c.format === 'json' ? text : BOMB + text
      break
    case 'undefinedAlias':
      text = c.format === 'json' ? text.replace(/: ("[^"]*"|-?\d[\d.e+-]*)/, ': *nope') : `${text}\nx-ref: *nope\n`
      break
    case 'duplicateKey':
      text = c.format === 'json' ? text.replace('{', '{"kind": "Duplicate",') : `${text}\nkind: Duplicate\n`
      break
    case 'deepNesting':
      text =
        c.format === 'json'
          ? text.replace('{', `{"deep": ${'['.repeat(1000)}${']'.repeat(1000)},`)
          : `${text}\ndeep: ${'['.repeat(1000)}${']'.repeat(1000)}\n`
      break
    case 'truncate':
      text = text.slice(0, Math.floor(c.cut * text.length))
      break
    case null:
      break
  }
  return text
}
