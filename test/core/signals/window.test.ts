import {describe, expect, test} from 'vitest'

import {type Sample, selectWindow} from '../../../src/core/signals/window.js'

const series: Sample[] = [
  [10, 1],
  [20, 2],
  [30, Number.NaN],
  [40, 4],
  [50, 5],
]

describe('selectWindow: samples with from < t <= to, gaps dropped', () => {
  test.each([
    {name: 'from is exclusive, to inclusive', from: 20, to: 40, expected: [[40, 4]]},
    {
      name: 'NaN inside the window is a gap, not a zero',
      from: 10,
      to: 50,
      expected: [
        [20, 2],
        [40, 4],
        [50, 5],
      ],
    },
    {name: 'a window before every sample is empty', from: 0, to: 5, expected: []},
    {name: 'a window after every sample is empty', from: 50, to: 90, expected: []},
    {
      name: 'the whole series',
      from: -Infinity,
      to: Infinity,
      expected: [
        [10, 1],
        [20, 2],
        [40, 4],
        [50, 5],
      ],
    },
    {name: 'a window between two samples is empty', from: 41, to: 49, expected: []},
  ])('$name', ({from, to, expected}) => {
    expect(selectWindow(series, from, to)).toEqual(expected)
  })

  test('agrees with a linear filter on a long ascending series', () => {
    const long: Sample[] = Array.from({length: 2880}, (_, i) => [i * 30, i % 7 === 0 ? Number.NaN : i])
    for (const [from, to] of [
      [0, 180],
      [86_000, 86_400],
      [1_000, 1_000],
      [-5, 15],
    ] as const) {
      expect(selectWindow(long, from, to)).toEqual(long.filter(([t, v]) => t > from && t <= to && Number.isFinite(v)))
    }
  })
})
