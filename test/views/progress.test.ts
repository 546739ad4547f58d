import {PassThrough} from 'node:stream'

import {afterEach, beforeEach, describe, expect, test, vi} from 'vitest'

import {startApplyProgress} from '../../src/views/apply.js'
import {canSpin, startProgress} from '../../src/views/progress.js'

/** A terminal stand-in: what ora needs of a TTY stream, recording every write. */
function terminal(opts: {isTTY: boolean; columns: number | undefined}): {stream: NodeJS.WriteStream; writes: string[]} {
  const writes: string[] = []
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & Record<string, unknown>
  Object.assign(stream, {
    isTTY: opts.isTTY,
    columns: opts.columns,
    write: (chunk: string | Uint8Array) => {
      writes.push(String(chunk))
      return true
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
  })
  return {stream, writes}
}

describe('progress on stderr', () => {
  // ora draws only on an interactive terminal: not under CI, not on TERM=dumb.
  beforeEach(() => {
    vi.stubEnv('CI', undefined)
    vi.stubEnv('TERM', 'xterm-256color')
  })
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  test.each([
    {name: 'a TTY with a width spins', isTTY: true, columns: 80, spins: true},
    {name: 'a TTY whose width is unknown spins (ora assumes 80)', isTTY: true, columns: undefined, spins: true},
    {name: 'a TTY of width 0 is a pipe: ora would count infinite rows to clear', isTTY: true, columns: 0, spins: false},
    {name: 'a pipe never spins', isTTY: false, columns: 80, spins: false},
  ])('$name', ({isTTY, columns, spins}) => {
    expect(canSpin(terminal({isTTY, columns}).stream)).toBe(spins)
  })

  test('a width-0 terminal gets no spinner frames, however many ticks report progress', () => {
    const {stream, writes} = terminal({isTTY: true, columns: 0})
    const progress = startProgress('simulating', stream)
    for (let i = 0; i <= 10_000; i++) progress.update(i / 10_000)
    progress.stop()
    expect(writes).toEqual([])
  })

  test('a TTY draws a frame when the percentage changes, not once per tick', () => {
    const {stream, writes} = terminal({isTTY: true, columns: 80})
    const progress = startProgress('simulating', stream)
    for (let i = 0; i <= 10_000; i++) progress.update(i / 10_000)
    progress.stop()
    const frames = writes.filter((w) => /simulating \d+%/.test(w))
    expect(frames.length).toBeGreaterThanOrEqual(101)
    // 101 percentages, each drawn once (ora's own timer may add a frame or two while the test runs).
    expect(frames.length).toBeLessThan(110)
    expect(frames.at(-1)).toContain('simulating 100%')
  })

  test("apply's progress on a width-0 terminal prints each step as a plain line", () => {
    const {stream, writes} = terminal({isTTY: true, columns: 0})
    const progress = startApplyProgress(stream)
    progress.line('scale-replicas default/llm 2 → 3')
    progress.stop()
    expect(writes).toEqual(['apply: scale-replicas default/llm 2 → 3\n'])
  })
})
