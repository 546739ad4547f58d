import {describe, expect, test} from 'vitest'

import {
  describeTimestampProblem,
  MAX_DURATION_SECONDS,
  parseDuration,
  parseTimestamp,
} from '../../../src/core/model/duration.js'

describe('parseTimestamp: RFC 3339, strictly, normalized to UTC', () => {
  test.each([
    {name: 'UTC', text: '2026-11-28T12:00:00Z', expected: Date.UTC(2026, 10, 28, 12) / 1000},
    {
      name: 'an offset is converted to UTC',
      text: '2026-11-28T12:00:00+14:00',
      expected: Date.UTC(2026, 10, 27, 22) / 1000,
    },
    {name: 'a negative offset', text: '2026-11-28T12:00:00-05:30', expected: Date.UTC(2026, 10, 28, 17, 30) / 1000},
    {name: 'fractional seconds', text: '2026-11-28T12:00:00.250Z', expected: Date.UTC(2026, 10, 28, 12) / 1000 + 0.25},
    {name: 'February 29 of a leap year', text: '2028-02-29T00:00:00Z', expected: Date.UTC(2028, 1, 29) / 1000},
  ])('accepts $name', ({text, expected}) => {
    expect(parseTimestamp(text)).toBe(expected)
  })

  test.each([
    {name: 'month 13', text: '2026-13-01T00:00:00Z', why: 'month 13 does not exist'},
    {
      name: 'February 30 (Date.parse rolls it into March)',
      text: '2026-02-30T00:00:00Z',
      why: 'day 30 does not exist in 2026-02 (it has 28 days)',
    },
    {
      name: 'February 29 of a common year',
      text: '2026-02-29T00:00:00Z',
      why: 'day 29 does not exist in 2026-02 (it has 28 days)',
    },
    {name: 'hour 24', text: '2026-11-28T24:00:00Z', why: 'hour 24 does not exist (00–23)'},
    {
      name: 'second 60 (leap seconds are not emitted by Kubernetes or Prometheus)',
      text: '2026-11-28T23:59:60Z',
      why: 'second 60 does not exist (00–59; leap seconds are not accepted)',
    },
    {name: 'an offset of 24 hours', text: '2026-11-28T12:00:00+24:00', why: 'offset +24:00 does not exist'},
    {
      name: 'milliseconds since 1970',
      text: '1764331200000',
      why: 'this looks like a count of milliseconds since 1970; write an RFC 3339 time such as 2026-11-28T12:00:00Z',
    },
    {name: 'no time zone', text: '2026-11-28T12:00:00', why: expect.stringContaining('expected an RFC 3339 time')},
  ])('rejects $name', ({text, why}) => {
    expect(parseTimestamp(text)).toBeUndefined()
    expect(describeTimestampProblem(text)).toEqual(why)
  })
})

describe('parseDuration', () => {
  test.each([
    {name: 'a 400-digit number of seconds does not fit a number', text: '9'.repeat(400)},
    {name: 'a 400-digit duration with a unit', text: `${'9'.repeat(400)}s`},
    {name: 'Infinity as a number', text: Infinity},
  ])('$name: not a duration, never Infinity', ({text}) => {
    expect(parseDuration(text)).toBeUndefined()
  })

  test('30 days is the bound every duration setting documents', () => {
    expect(MAX_DURATION_SECONDS).toBe(2_592_000)
    expect(parseDuration('30d')).toBe(MAX_DURATION_SECONDS)
  })
})
