/**
 * A live read gives the daily forecast yesterday around now, as the closed loop does: the metrics the forecast's
 * trend reads get a second range query a day back (SEASONAL_HISTORY), merged into the same series by labels. Checked
 * against a real Prometheus whose TSDB holds a backfilled day (promtool), and by table for the merge rule.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {PrometheusClient} from '../../../src/adapters/prometheus/client.js'
import {planTelemetryQueries, readTelemetry} from '../../../src/adapters/prometheus/read-telemetry.js'
import {withHistory} from '../../../src/adapters/prometheus/results.js'
import type {PolicyConfig, SignalConfig} from '../../../src/core/model/config.js'
import type {Series} from '../../../src/core/model/snapshot.js'
import {SEASONAL_HISTORY} from '../../../src/core/policy/nodes/forecast.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'
import {startPrometheus, type RunningPrometheus} from '../../helpers/prometheus.js'

const {config} = defaultScenario()

describe('which metrics are read a day back', () => {
  const queries = planTelemetryQueries(config).queries
  test.each([
    {why: 'the queue depth: an AverageValue signal the trend reads', metric: 'vllm:num_requests_waiting', dayAgo: true},
    {
      why: 'a latency histogram: quantiles are not projected (they do not scale with replicas)',
      metric: 'vllm:time_to_first_token_seconds_bucket',
      dayAgo: false,
    },
    {
      why: 'SM activity: only the bottleneck evidence reads it, over minutes',
      metric: 'DCGM_FI_PROF_SM_ACTIVE',
      dayAgo: false,
    },
  ])('$why', ({metric, dayAgo}) => {
    const q = queries.find((x) => x.metric === metric)
    expect(q, `${metric} is queried`).toBeDefined()
    expect(q?.dayAgo).toEqual(dayAgo ? SEASONAL_HISTORY : undefined)
  })

  test('the range reaches a day before the trend window, and a day before now + the longest seasonal lead', () => {
    expect(SEASONAL_HISTORY.fromSecondsAgo).toBeGreaterThan(24 * 3600 + 30 * 60)
    expect(SEASONAL_HISTORY.toSecondsAgo).toBe(23 * 3600)
  })
})

const series = (pod: string, times: number[], labels: Record<string, string> = {}): Series => ({
  metric: 'vllm:num_requests_waiting',
  labels: {namespace: 'llm', pod, ...labels},
  samples: times.map((t) => [t, 1] as [number, number]),
})

describe('withHistory', () => {
  test.each([
    {
      why: 'the same pod then and now: yesterday goes before today',
      recent: [series('a', [1000, 1030])],
      older: [series('a', [100, 400])],
      times: {a: [100, 400, 1000, 1030]},
      added: 2,
    },
    {
      why: 'older samples at or after the first recent one are not repeated',
      recent: [series('a', [1000, 1030])],
      older: [series('a', [900, 1000, 1030])],
      times: {a: [900, 1000, 1030]},
      added: 1,
    },
    {
      why: 'a pod gone since yesterday is dropped: the forecast reads serving pods only',
      recent: [series('a', [1000])],
      older: [series('gone', [100])],
      times: {a: [1000]},
      added: 0,
    },
    {
      why: 'a pod new since yesterday keeps its recent samples',
      recent: [series('a', [1000]), series('new', [1000])],
      older: [series('a', [100])],
      times: {a: [100, 1000], new: [1000]},
      added: 1,
    },
    {
      why: 'scrape labels (job, instance) differ after a restart: still the same series',
      recent: [series('a', [1000], {instance: '10.0.0.2:8000'})],
      older: [series('a', [100], {instance: '10.0.0.1:8000'})],
      times: {a: [100, 1000]},
      added: 1,
    },
  ])('$why', ({recent, older, times, added}) => {
    const merged = withHistory(recent, older)
    expect(merged.added).toBe(added)
    expect(Object.fromEntries(merged.series.map((s) => [s.labels.pod, s.samples.map(([t]) => t)]))).toEqual(times)
  })
})

describe('a live read against a Prometheus holding yesterday', () => {
  // A fixed past instant on the hour: the TSDB holds only backfilled blocks, no scrapes.
  const at = Math.floor(Date.now() / 1000 / 3600) * 3600 - 6 * 3600
  let prometheus: RunningPrometheus
  let result: Awaited<ReturnType<typeof readTelemetry>>

  beforeAll(async () => {
    const lines = ['# TYPE vllm:num_requests_waiting gauge', '# TYPE vllm:kv_cache_usage_perc gauge']
    // Pod `old` served all of the last 26 h; pod `young` started 40 minutes ago; pod `gone` served only yesterday.
    for (let t = at - 26 * 3600; t <= at; t += 60) {
      lines.push(`vllm:num_requests_waiting{namespace="llm",pod="old"} ${t < at - 12 * 3600 ? 7 : 2} ${t}`)
      if (t >= at - 40 * 60) lines.push(`vllm:num_requests_waiting{namespace="llm",pod="young"} 1 ${t}`)
      if (t <= at - 20 * 3600) lines.push(`vllm:num_requests_waiting{namespace="llm",pod="gone"} 3 ${t}`)
      // The KV cache is only exported since 40 minutes ago (say, a vLLM upgrade): no day-ago history.
      if (t >= at - 40 * 60) lines.push(`vllm:kv_cache_usage_perc{namespace="llm",pod="old"} 0.2 ${t}`)
    }
    // promtool wants the samples of a series in time order, series after series.
    const header = lines.slice(0, 2)
    const body = lines.slice(2).sort((a, b) => {
      const [sa, ta] = [a.slice(0, a.lastIndexOf('} ') + 1), Number(a.slice(a.lastIndexOf(' ') + 1))]
      const [sb, tb] = [b.slice(0, b.lastIndexOf('} ') + 1), Number(b.slice(b.lastIndexOf(' ') + 1))]
      return sa < sb ? -1 : sa > sb ? 1 : ta - tb
    })
    prometheus = await startPrometheus([], {history: [...header, ...body, '# EOF', ''].join('\n')})
    const client = new PrometheusClient({url: prometheus.url, attempts: 1})
    // One model scaling on both gauges (AverageValue: the forecast's trend reads them).
    const gauge = (name: string, metric: string, target: number): SignalConfig => ({
      name,
      metric,
      source: 'pod',
      targetType: 'AverageValue',
      target,
      windowSeconds: 60,
      aggregation: 'avg',
    })
    const [first] = config.models
    const only: PolicyConfig = {
      ...config,
      models: [
        {
          ...first!,
          signals: [gauge('queue', 'vllm:num_requests_waiting', 5), gauge('kv', 'vllm:kv_cache_usage_perc', 0.5)],
        },
      ],
    }
    result = await readTelemetry(client, only, at)
  }, 60_000)

  afterAll(async () => {
    await prometheus?.stop()
  })

  const samplesOf = (metric: string, pod: string) =>
    result.series.find((s) => s.metric === metric && s.labels.pod === pod)?.samples ?? []

  test('a pod that served then and now carries yesterday around now, at 5-minute steps, and today', () => {
    const samples = samplesOf('vllm:num_requests_waiting', 'old')
    const dayAgo = samples.filter(([t]) => t <= at - SEASONAL_HISTORY.toSecondsAgo)
    expect(dayAgo.length).toBe(
      (SEASONAL_HISTORY.fromSecondsAgo - SEASONAL_HISTORY.toSecondsAgo) / SEASONAL_HISTORY.stepSeconds + 1,
    )
    expect(dayAgo[0]![0]).toBeLessThanOrEqual(at - SEASONAL_HISTORY.fromSecondsAgo + SEASONAL_HISTORY.stepSeconds)
    expect(dayAgo.every(([t]) => t % SEASONAL_HISTORY.stepSeconds === 0)).toBe(true)
    expect(dayAgo.every(([, v]) => v === 7)).toBe(true)
    expect(samples.at(-1)).toEqual([at, 2])
  })

  test('a pod new since yesterday keeps only its recent samples; one gone since is not read', () => {
    expect(Math.min(...samplesOf('vllm:num_requests_waiting', 'young').map(([t]) => t))).toBeGreaterThanOrEqual(
      at - 40 * 60,
    )
    expect(samplesOf('vllm:num_requests_waiting', 'gone')).toEqual([])
  })

  test('a metric with no history a day back says so, as info; nothing is called stale', () => {
    const codes = result.diagnostics.map((d) => `${d.code} ${d.severity} ${d.message.split(': ')[0]}`)
    expect(codes).toContain('NoDailyHistory info vllm:kv_cache_usage_perc')
    expect(codes.filter((c) => c.startsWith('NoDailyHistory'))).toHaveLength(1)
    expect(codes.filter((c) => c.startsWith('StaleTelemetry'))).toEqual([])
  })
})
