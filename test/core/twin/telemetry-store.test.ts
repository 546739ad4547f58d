/**
 * The telemetry store keeps samples in columns and builds `[t, value]` pairs only when a window reads them. Its
 * windows must be exactly what a plain list of pairs gives: each case drives a store and a naive reference (every
 * sample in one array, filtered on each read) through the same records, trims and windows, across the moments
 * where the columns compact or grow and where the pair cache is reset or cut.
 */
import {describe, expect, test} from 'vitest'

import type {Series} from '../../../src/core/model/snapshot.js'
import {createPrng} from '../../../src/core/mig/prng.js'
import {type StoredSeries, TelemetryStore, type WindowSelect} from '../../../src/core/twin/telemetry.js'

/** The store's contract written plainly: retention by the last trim, windows as the store documents them. */
class ReferenceStore {
  private readonly series = new Map<string, {metric: string; samples: Array<[number, number]>; cutoff: number}>()

  constructor(private readonly retention: number) {}

  record(key: string, metric: string, t: number, value: number): void {
    let s = this.series.get(key)
    if (!s) this.series.set(key, (s = {metric, samples: [], cutoff: -Infinity}))
    s.samples.push([t, value])
  }

  trim(now: number): void {
    for (const [key, s] of this.series) {
      s.cutoff = Math.max(s.cutoff, now - this.retention)
      s.samples = s.samples.filter(([t]) => t >= s.cutoff)
      if (s.samples.length === 0) this.series.delete(key)
    }
  }

  window(from: number, to: number, select?: WindowSelect): Array<{metric: string; samples: Array<[number, number]>}> {
    const out: Array<{metric: string; samples: Array<[number, number]>}> = []
    for (const s of this.series.values()) {
      const lookback = select ? select(s.metric) : Infinity
      if (lookback === undefined) continue
      const inRange = s.samples.filter(([t]) => t >= from && t <= to)
      const own = inRange.filter(([t]) => t >= to - lookback)
      // The newest sample before a short lookback stays (its age says stale), as the store documents.
      const older = s.samples.filter(([t]) => t >= from && t < to - lookback)
      const samples = own.length > 0 ? own : older.slice(-1)
      if (samples.length > 0) out.push({metric: s.metric, samples})
    }
    return out
  }
}

const plain = (series: Series[]) => series.map((s) => ({metric: s.metric, samples: s.samples}))

interface Case {
  why: string
  retention: number
  /** Seconds between samples, how long to record, how often to trim and to read a window. */
  every: number
  until: number
  trimEvery: number
  readEvery: number
  /** Window length read each time, and an optional per-metric lookback. */
  windowSeconds: number
  select?: WindowSelect
}

const cases: Case[] = [
  {
    why: 'a read every tick shares the pairs built by the previous read, through many compactions',
    retention: 600,
    every: 10,
    until: 20_000,
    trimEvery: 200,
    readEvery: 30,
    windowSeconds: 300,
  },
  {
    why: 'rare reads after long gaps reset the pair cache (the samples in between were never built)',
    retention: 600,
    every: 10,
    until: 20_000,
    trimEvery: 200,
    readEvery: 3000,
    windowSeconds: 300,
  },
  {
    why: 'a window longer than the retention reads back to the oldest kept sample, across growth of the columns',
    retention: 900,
    every: 7,
    until: 12_000,
    trimEvery: 1100,
    readEvery: 500,
    windowSeconds: 5000,
  },
  {
    why: 'a short lookback per metric keeps the newest older sample of a series that went quiet',
    retention: 1200,
    every: 15,
    until: 9000,
    trimEvery: 600,
    readEvery: 45,
    windowSeconds: 900,
    select: (metric) => (metric === 'quiet' ? 60 : metric === 'dropped' ? undefined : 900),
  },
]

describe('the columnar store reads exactly as a list of pairs', () => {
  test.each(cases)('$why', (c) => {
    const store = new TelemetryStore(c.retention)
    const reference = new ReferenceStore(c.retention)
    let reads = 0
    for (let t = 0; t <= c.until; t += c.every) {
      // "busy" every sample; "quiet" stops a third of the way and starts again at two thirds; "dropped" is never read.
      const quiet = t < c.until / 3 || t > (2 * c.until) / 3
      for (const [key, on] of [
        ['busy', true],
        ['quiet', quiet],
        ['dropped', true],
      ] as const) {
        if (!on) continue
        const value = key === 'busy' ? Math.sin(t) : t / 7
        store.record(key, key, {pod: 'a'}, t, value)
        reference.record(key, key, t, value)
      }
      if (t % c.trimEvery === 0) {
        store.trim(t)
        reference.trim(t)
      }
      if (t % c.readEvery === 0) {
        expect(plain(store.window(t - c.windowSeconds, t, c.select)), `window at ${t}`).toEqual(
          reference.window(t - c.windowSeconds, t, c.select),
        )
        reads++
      }
    }
    expect(reads).toBeGreaterThan(2)
  })

  test('two windows over the same samples hand out the same pair objects (built once, shared)', () => {
    const store = new TelemetryStore(3600)
    for (let t = 0; t <= 600; t += 30) store.record('q', 'm', {}, t, t)
    const first = store.window(0, 600)[0]?.samples ?? []
    const second = store.window(300, 600)[0]?.samples ?? []
    expect(second.length).toBe(11)
    expect(second[0]).toBe(first[10])
  })

  test.each([
    {
      why: 'a 5-minute window read every 100 s (the cache reaches back before the compaction point)',
      span: 300,
      every: 100,
    },
    {
      why: 'short windows far apart, each read again later (the cache restarts after the compaction point)',
      span: 30,
      every: 250,
    },
  ])('pairs stay shared across compactions of the columns: $why', ({span, every}) => {
    const store = new TelemetryStore(300)
    let previous = new Map<number, [number, number]>()
    let checked = 0
    for (let t = 0; t <= 5000; t += 10) {
      store.record('q', 'm', {}, t, t)
      if (t % 100 === 0) store.trim(t)
      if (t % every !== 0) continue
      // Every other read of the short case reaches back to the previous one.
      const from = span < every && t % (2 * every) !== 0 ? t - every - span : t - span
      const samples = store.window(from, t)[0]?.samples ?? []
      for (const pair of samples) {
        const before = previous.get(pair[0])
        if (before) {
          expect(pair, `sample ${pair[0]} read at ${t}`).toBe(before)
          checked++
        }
      }
      previous = new Map(samples.map((p) => [p[0], p]))
    }
    expect(checked).toBeGreaterThan(20)
  })

  test('latest() reads the newest sample from the columns, and a series trimmed empty is gone', () => {
    const store = new TelemetryStore(100)
    for (let t = 0; t <= 50; t += 10) store.record('a', 'm', {}, t, -t)
    store.record('b', 'old', {}, 0, 1)
    store.trim(150)
    expect(store.latest()).toEqual([{metric: 'm', labels: {}, t: 50, value: -50}])
    expect(store.seriesCount).toBe(1)
  })
})

/**
 * Windows start from where the last one did (a hint per series, mostly without reading the columns). Randomized
 * against the reference: irregular spacing, series that stop and come back, repeated instants, windows that move
 * forward by any step (the loop's case), jump back, reach past the retention, switch between selections, and
 * read the same window twice, across trims and compactions.
 */
describe('windows read from the last window on match the plain reading', () => {
  const selects: Array<WindowSelect | undefined> = [
    undefined,
    (metric) => (metric.startsWith('h') ? 120 : metric === 'skip' ? undefined : 1800),
    (metric) => (metric === 'skip' ? 30 : 600),
  ]
  test.each([
    {why: 'forward by one loop interval, one selection (the closed loop)', seed: 1, back: 0, switchSelect: 0},
    {why: 'forward by any step, sometimes back, switching selections', seed: 2, back: 0.1, switchSelect: 0.2},
    {why: 'mostly back and forth (hints forgotten and rebuilt)', seed: 3, back: 0.5, switchSelect: 0.5},
    {why: 'another seed of the loop case, with long gaps in the series', seed: 4, back: 0, switchSelect: 0},
  ])('$why', ({seed, back, switchSelect}) => {
    const prng = createPrng(seed)
    const retention = 900
    const store = new TelemetryStore(retention)
    const reference = new ReferenceStore(retention)
    const keys = ['hq', 'g1', 'g2', 'skip', 'rare']
    let select = selects[seed % selects.length]
    const held = new Map<string, StoredSeries>()
    let reads = 0
    let windowTo = 0
    for (let t = 0; t <= 30_000; t += 1 + prng.int(30)) {
      for (const key of keys) {
        // Each series is silent for stretches (a pod gone, then one of that name again); 'rare' mostly is.
        const off = key === 'rare' ? prng.next() < 0.9 : Math.floor(t / (1000 + keys.indexOf(key) * 700)) % 3 === 2
        if (off) continue
        const repeats = prng.next() < 0.05 ? 2 : 1
        for (let r = 0; r < repeats; r++) {
          const value = prng.int(100)
          // 'g…' series are held, as the twin holds its scrape's series: pushed to after a trim dropped them.
          if (key.startsWith('g')) {
            let handle = held.get(key)
            if (!handle) held.set(key, (handle = store.handle(key, key, {pod: key})))
            store.push(handle, t, value)
          } else {
            store.record(key, key, {pod: key}, t, value)
          }
          reference.record(key, key, t, value)
        }
      }
      if (prng.next() < 0.05) {
        store.trim(t)
        reference.trim(t)
      }
      if (prng.next() < 0.3) {
        if (prng.next() < switchSelect) select = selects[prng.int(selects.length)]
        windowTo = prng.next() < back ? Math.max(0, t - prng.int(1200)) : t
        const span = prng.next() < 0.1 ? 2000 : 300 + prng.int(600)
        const from = windowTo - span
        const times = prng.next() < 0.1 ? 2 : 1
        for (let i = 0; i < times; i++)
          expect(plain(store.window(from, windowTo, select)), `window [${from}, ${windowTo}] at ${t}`).toEqual(
            reference.window(from, windowTo, select),
          )
        reads++
      }
    }
    expect(reads).toBeGreaterThan(100)
  })
})

describe('the edges of a window read from the last one', () => {
  // A queue sampled every 30 s up to 120 s, then quiet; its short lookback (60 s) holds none of it after 180 s.
  const short: WindowSelect = () => 60
  test.each([
    {
      why: 'the newest sample exactly at `from` stays (it is in [from, to])',
      windows: [
        [100, 590],
        [120, 600],
      ],
      expected: [120],
    },
    {
      why: 'one second later it is out of the window',
      windows: [
        [100, 590],
        [121, 600],
      ],
      expected: undefined,
    },
    {
      why: 'a window back in time reads from the start again',
      windows: [
        [300, 600],
        [0, 90],
      ],
      expected: [30, 60, 90],
    },
    {
      why: 'the same window twice hands out the same samples',
      windows: [
        [0, 600],
        [0, 600],
      ],
      expected: [120],
    },
  ])('$why', ({windows, expected}) => {
    const store = new TelemetryStore(3600)
    for (let t = 0; t <= 120; t += 30) store.record('q', 'vllm:num_requests_waiting', {pod: 'a'}, t, t)
    let last: Series[] = []
    for (const [from, to] of windows) last = store.window(from as number, to as number, short)
    expect(last[0]?.samples.map(([t]) => t)).toEqual(expected)
  })
})
