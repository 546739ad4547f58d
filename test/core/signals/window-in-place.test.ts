/**
 * The planner's in-place window reductions must equal building the window and reducing it (the reference they
 * replace on the hot path), for every aggregation and edge of the window.
 */
import {describe, expect, test} from 'vitest'

import type {Aggregation} from '../../../src/core/model/config.js'
import {
  aggregateSamples,
  aggregateWindow,
  computeCounterRate,
  computeCounterRateInWindow,
  type Sample,
  selectWindow,
} from '../../../src/core/signals/window.js'

const gauge: Sample[] = [
  [0, 3],
  [30, 7],
  [60, Number.NaN],
  [90, 1],
  [120, 9],
  [150, 4],
]
const counter: Sample[] = [
  [0, 10],
  [30, 14],
  [60, Number.POSITIVE_INFINITY],
  [90, 20],
  [120, 2], // a reset: the counter restarted from zero
  [150, 8],
]

describe('in-place reductions equal the built window', () => {
  const windows = [
    {why: 'the whole series', from: -1, to: 150},
    {why: 'from is exclusive: a sample at `from` is out', from: 30, to: 150},
    {why: 'to is inclusive and later samples are out', from: 0, to: 90},
    {why: 'a window holding only a NaN sample is empty', from: 30, to: 60},
    {why: 'a window past the last sample is empty', from: 150, to: 300},
  ]
  const aggregations: Aggregation[] = ['avg', 'max', 'last', 'ewma', 'p50', 'p95']
  test.each(windows.flatMap((w) => aggregations.map((aggregation) => ({...w, aggregation}))))(
    '$aggregation over $why',
    ({from, to, aggregation}) => {
      expect(aggregateWindow(gauge, from, to, aggregation, 180)).toBe(
        aggregateSamples(selectWindow(gauge, from, to), aggregation, 180),
      )
    },
  )
  test.each(windows)('counter rate over $why (non-finite samples skipped, resets counted)', ({from, to}) => {
    expect(computeCounterRateInWindow(counter, from, to)).toBe(computeCounterRate(selectWindow(counter, from, to)))
  })
})
