/**
 * What a live read asks Prometheus for (planTelemetryQueries): HPA Resource signals read cAdvisor's container series
 * (containers only, one series each) over the signal's window, and no 30-minute trend (the HPA has none); a signal's
 * own `query` still wins.
 */
import {describe, expect, test} from 'vitest'

import {planTelemetryQueries} from '../../../src/adapters/prometheus/read-telemetry.js'
import type {PolicyConfig, SignalConfig} from '../../../src/core/model/config.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'

function configWith(signal: SignalConfig): PolicyConfig {
  const {config} = defaultScenario()
  const [first, ...rest] = config.models
  return {...config, models: [{...first!, algorithm: 'hpa', signals: [signal]}, ...rest]}
}

const cpu: SignalConfig = {
  name: 'cpu',
  metric: 'container_cpu_usage_seconds_total',
  source: 'pod',
  targetType: 'AverageValue',
  target: 60,
  windowSeconds: 60,
  aggregation: 'last',
  resource: {name: 'cpu', targetType: 'Utilization'},
}

describe('planTelemetryQueries for HPA Resource signals', () => {
  test.each([
    {
      why: 'cpu: the containers of cAdvisor, summed per container (no pause container, no pod cgroup)',
      signal: cpu,
      query: 'sum by (namespace, pod, container) (container_cpu_usage_seconds_total{container!="",container!="POD"})',
    },
    {
      why: 'memory: the working set, the same way',
      signal: {
        ...cpu,
        name: 'memory',
        metric: 'container_memory_working_set_bytes',
        resource: {name: 'memory' as const, targetType: 'Utilization' as const},
      },
      query: 'sum by (namespace, pod, container) (container_memory_working_set_bytes{container!="",container!="POD"})',
    },
    {
      why: "a signal's own query wins",
      signal: {...cpu, query: 'my_recording_rule'},
      query: 'my_recording_rule',
    },
  ])('$why', ({signal, query}) => {
    const queries = planTelemetryQueries(configWith(signal)).queries
    expect(queries.find((q) => q.metric === signal.metric)).toEqual({metric: signal.metric, query, windowSeconds: 60})
  })
})
