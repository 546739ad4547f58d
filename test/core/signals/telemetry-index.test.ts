/**
 * The telemetry index keeps the last pod's map at hand (series usually come grouped by pod). It must index exactly
 * as a plain lookup per series: same maps, same order, for grouped, interleaved and mixed series, randomized with
 * a seeded generator.
 */
import {describe, expect, test} from 'vitest'

import {createPrng} from '../../../src/core/mig/prng.js'
import type {Series} from '../../../src/core/model/snapshot.js'
import {indexTelemetry} from '../../../src/core/signals/telemetry-index.js'

/** The pod part of the index written plainly: two lookups per series. */
function plainByPod(series: readonly Series[]): Map<string, Map<string, Map<string, Series[]>>> {
  const byPod = new Map<string, Map<string, Map<string, Series[]>>>()
  for (const s of series) {
    const pod = s.labels.pod
    if (!pod) continue
    const namespace = s.labels.namespace ?? ''
    if (!byPod.has(namespace)) byPod.set(namespace, new Map())
    const pods = byPod.get(namespace)!
    if (!pods.has(pod)) pods.set(pod, new Map())
    const metrics = pods.get(pod)!
    metrics.set(s.metric, [...(metrics.get(s.metric) ?? []), s])
  }
  return byPod
}

/** Nested maps as nested entry lists, so the comparison sees the order of every map. */
const entries = (map: Map<string, Map<string, Map<string, Series[]>>>) =>
  [...map].map(([ns, pods]) => [ns, [...pods].map(([pod, metrics]) => [pod, [...metrics]])])

function generate(seed: number, grouped: number): Series[] {
  const prng = createPrng(seed)
  const out: Series[] = []
  const pods = ['a', 'b', 'c', 'a-1']
  const namespaces = ['llm', 'other', undefined]
  let pod = 'a'
  let namespace: string | undefined = 'llm'
  for (let i = 0; i < 400; i++) {
    // `grouped`: how likely the next series is of the same pod as the last (an exporter's order).
    if (prng.next() > grouped) {
      pod = prng.pick(pods)
      namespace = prng.pick(namespaces)
    }
    const labels: Record<string, string> = prng.next() < 0.1 ? {workload: 'w'} : {pod}
    if (namespace !== undefined) labels.namespace = namespace
    if (prng.next() < 0.05) labels.pod = ''
    out.push({metric: prng.pick(['m1', 'm2', 'm3']), labels, samples: [[i, i]]})
  }
  return out
}

describe('the index reads as a plain lookup per series', () => {
  test.each([
    {why: 'grouped by pod, as the twin and exporters give them', seed: 1, grouped: 0.95},
    {why: 'pods interleaved at random (the cache misses each time)', seed: 2, grouped: 0},
    {why: 'mostly grouped, with namespaces changing under one pod name', seed: 3, grouped: 0.7},
  ])('$why', ({seed, grouped}) => {
    const series = generate(seed, grouped)
    const index = indexTelemetry(series)
    expect(entries(index.byPod)).toEqual(entries(plainByPod(series)))
    expect([...index.byMetric].map(([m, list]) => [m, list.length])).toEqual(
      ['m1', 'm2', 'm3']
        .filter((m) => series.some((s) => s.metric === m))
        .sort((x, y) => series.findIndex((s) => s.metric === x) - series.findIndex((s) => s.metric === y))
        .map((m) => [m, series.filter((s) => s.metric === m).length]),
    )
  })
})
