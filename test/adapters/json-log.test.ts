/** JSON-lines logs: one parseable object per line with ts, level and event first, the fields flat after them. */
import {expect, test} from 'vitest'

import {createJsonLog} from '../../src/adapters/json-log.js'

function capture() {
  const lines: string[] = []
  const log = createJsonLog({write: (text: string) => lines.push(text)}, () => Date.UTC(2026, 10, 30, 1, 2, 3, 456))
  return {lines, log}
}

test.each([
  {
    name: 'a decision',
    fields: {changeId: 'pod:llm/chat', from: 1, to: 3},
    expected: {changeId: 'pod:llm/chat', from: 1, to: 3},
    why: 'fields are flat, so jq and log pipelines index them without unnesting',
  },
  {
    name: 'a number that is not JSON',
    fields: {p95: NaN, limit: Infinity},
    expected: {p95: 'NaN', limit: '+Inf'},
    why: 'written as Prometheus spells them, so the line still parses',
  },
  {
    name: 'a field named like a reserved key',
    fields: {event: 'spoofed', level: 'debug', ok: true},
    expected: {ok: true},
    why: 'ts, level and event are never overwritten by a field',
  },
])('$name — $why', ({fields, expected}) => {
  const {lines, log} = capture()
  log('warn', 'decision', fields)
  expect(lines).toHaveLength(1)
  expect(lines[0]?.endsWith('\n')).toBe(true)
  expect(lines[0]?.slice(0, -1)).not.toContain('\n')
  const object = JSON.parse(lines[0] as string)
  expect(Object.keys(object).slice(0, 3)).toEqual(['ts', 'level', 'event'])
  expect(object).toEqual({ts: '2026-11-30T01:02:03.456Z', level: 'warn', event: 'decision', ...expected})
})
