import {describe, expect, test} from 'vitest'

import {EventQueue} from '../../../src/core/twin/event-queue.js'
import {createPrng} from '../../../src/core/mig/prng.js'

describe('EventQueue', () => {
  test.each([
    {
      name: 'earlier time first, whatever the insertion order',
      pushes: [
        [5, 'b'],
        [1, 'a'],
        [9, 'c'],
      ],
      expected: ['a', 'b', 'c'],
    },
    {
      name: 'equal times pop in insertion order, so runs never depend on heap internals',
      pushes: [
        [3, 'x'],
        [3, 'y'],
        [1, 'w'],
        [3, 'z'],
      ],
      expected: ['w', 'x', 'y', 'z'],
    },
  ] as const)('$name', ({pushes, expected}) => {
    const q = new EventQueue<string>()
    for (const [t, e] of pushes) q.push(t, e)
    const out: string[] = []
    for (let item = q.pop(); item; item = q.pop()) out.push(item.event)
    expect(out).toEqual(expected)
  })

  test('10,000 random pushes pop sorted by (time, sequence), as a stable sort would order them', () => {
    const prng = createPrng(3)
    const q = new EventQueue<number>()
    const items = Array.from({length: 10_000}, (_, i) => ({t: prng.int(100), i}))
    for (const item of items) q.push(item.t, item.i)
    const expected = [...items].sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.i)
    const out: number[] = []
    for (let item = q.pop(); item; item = q.pop()) out.push(item.event)
    expect(out).toEqual(expected)
  })

  test('refuses a non-finite time: an event at Infinity would never run and hide a bug', () => {
    expect(() => new EventQueue<number>().push(Infinity, 1)).toThrow(/finite/)
  })
})
