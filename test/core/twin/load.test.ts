/** Open-loop arrivals (src/core/twin/load.ts): the twin asks for the next arrival with no end time. */
import {expect, test} from 'vitest'

import {createPrng} from '../../../src/core/mig/prng.js'
import {nextArrival, type ArrivalSpec} from '../../../src/core/twin/load.js'

test.each<{why: string; spec: ArrivalSpec; after: number; expected: 'none' | [number, number]}>([
  {
    why: 'a step process that ends at rate 0 has no arrival after its last step (it used to draw candidates forever)',
    spec: {
      kind: 'step',
      steps: [
        {atSeconds: 0, rate: 5},
        {atSeconds: 60, rate: 0},
      ],
    },
    after: 61,
    expected: 'none',
  },
  {
    why: 'before its last step it still arrives, never past the step where the rate drops to 0',
    spec: {
      kind: 'step',
      steps: [
        {atSeconds: 0, rate: 0},
        {atSeconds: 30, rate: 50},
        {atSeconds: 60, rate: 0},
      ],
    },
    after: 0,
    expected: [30, 60],
  },
  {
    why: 'a step process whose last rate is positive goes on',
    spec: {
      kind: 'step',
      steps: [
        {atSeconds: 0, rate: 0},
        {atSeconds: 100, rate: 2},
      ],
    },
    after: 500,
    expected: [500, 600],
  },
])('$why', ({spec, after, expected}) => {
  const t = nextArrival(spec, after, 0, Infinity, createPrng(1))
  if (expected === 'none') expect(t).toBe(Infinity)
  else {
    expect(t).toBeGreaterThanOrEqual(expected[0])
    expect(t).toBeLessThan(expected[1])
  }
})
