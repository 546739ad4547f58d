/**
 * HPA / ScaledObject → gpu-scale model config, field by field (src/core/import/translate.ts), and the refusals, each
 * located in the source. Every row says why it expects what it does.
 */
import {describe, expect, test} from 'vitest'
import {stringify} from 'yaml'

import {ValidationError} from '../../../src/core/errors.js'
import {parseAutoscaler, translateAutoscaler, type AutoscalerKind} from '../../../src/core/import/parse.js'
import type {ImportedConfig, ModelDocument} from '../../../src/core/import/translate.js'

function hpa(spec: Record<string, unknown>, apiVersion = 'autoscaling/v2'): string {
  return stringify({
    apiVersion,
    kind: 'HorizontalPodAutoscaler',
    metadata: {name: 'llama-8b', namespace: 'llm'},
    spec: {scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama-8b'}, maxReplicas: 8, ...spec},
  })
}

function scaledObject(spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: {name: 'llama-8b', namespace: 'llm'},
    spec: {scaleTargetRef: {name: 'llama-8b'}, ...spec},
  })
}

function translate(text: string, kind: AutoscalerKind = 'HorizontalPodAutoscaler') {
  return translateAutoscaler(parseAutoscaler(text, 'in.yaml', kind))
}

const model = (config: ImportedConfig): ModelDocument => config.models[0] as ModelDocument

describe('HorizontalPodAutoscaler', () => {
  test.each<{why: string; text: string; expected: Partial<ModelDocument>; warnings?: string[]}>([
    {
      why: 'no behavior: the controller legacy path, which legacyHpaBehavior reproduces',
      text: hpa({
        minReplicas: 2,
        metrics: [{type: 'Resource', resource: {name: 'cpu', target: {type: 'Utilization', averageUtilization: 60}}}],
      }),
      expected: {
        replicas: {min: 2, max: 8},
        legacyHpaBehavior: true,
        signals: [
          {
            name: 'cpu',
            metric: 'container_cpu_usage_seconds_total',
            source: 'pod',
            targetType: 'AverageValue',
            target: 60,
            window: '1m',
            aggregation: 'last',
            resource: {name: 'cpu', targetType: 'Utilization'},
          },
        ],
      },
    },
    {
      why: 'behavior copied field for field, tolerance (a quantity) included',
      text: hpa({
        metrics: [
          {
            type: 'Pods',
            pods: {metric: {name: 'vllm:num_requests_waiting'}, target: {type: 'AverageValue', averageValue: '500m'}},
          },
        ],
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: 30,
            selectPolicy: 'Min',
            policies: [{type: 'Pods', value: 2, periodSeconds: 60}],
          },
          scaleDown: {tolerance: '50m', policies: [{type: 'Percent', value: 10, periodSeconds: 120}]},
        },
      }),
      expected: {
        behavior: {
          scaleUp: {
            stabilizationWindow: '30s',
            selectPolicy: 'Min',
            policies: [{type: 'Pods', value: 2, period: '60s'}],
          },
          scaleDown: {policies: [{type: 'Percent', value: 10, period: '120s'}], tolerance: 0.05},
        },
        signals: [
          {
            name: 'vllm-num-requests-waiting',
            metric: 'vllm:num_requests_waiting',
            source: 'pod',
            targetType: 'AverageValue',
            target: 0.5,
            window: '1m',
            aggregation: 'last',
          },
        ],
      },
    },
    {
      why: 'ContainerResource memory with an AverageValue in binary units',
      text: hpa({
        behavior: {},
        metrics: [
          {
            type: 'ContainerResource',
            containerResource: {
              name: 'memory',
              container: 'server',
              target: {type: 'AverageValue', averageValue: '2Gi'},
            },
          },
        ],
      }),
      expected: {
        signals: [
          {
            name: 'memory-server',
            metric: 'container_memory_working_set_bytes',
            source: 'pod',
            targetType: 'AverageValue',
            target: 2 * 2 ** 30,
            window: '1m',
            aggregation: 'last',
            resource: {name: 'memory', container: 'server', targetType: 'AverageValue'},
          },
        ],
      },
    },
    {
      why: 'External with a selector: the series summed, labelled with the workload so gpu-scale finds it',
      text: hpa({
        behavior: {},
        metrics: [
          {
            type: 'External',
            external: {
              metric: {
                name: 'gateway_queue',
                selector: {
                  matchLabels: {route: 'chat'},
                  matchExpressions: [{key: 'zone', operator: 'In', values: ['a', 'b.c']}],
                },
              },
              target: {type: 'Value', value: '20'},
            },
          },
        ],
      }),
      expected: {
        signals: [
          {
            name: 'gateway-queue',
            metric: 'gateway_queue',
            source: 'workload',
            targetType: 'Value',
            target: 20,
            window: '1m',
            aggregation: 'last',
            query:
              'label_replace(label_replace(sum(gateway_queue{route="chat",zone=~"a|b\\\\.c"}), "namespace", "llm", "", ""), "workload", "llama-8b", "", "")',
          },
        ],
      },
    },
    {
      why: 'Object: the series of the described object, by the prometheus-adapter label convention',
      text: hpa({
        behavior: {},
        metrics: [
          {
            type: 'Object',
            object: {
              describedObject: {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main'},
              metric: {name: 'requests_per_second'},
              target: {type: 'AverageValue', averageValue: '10'},
            },
          },
        ],
      }),
      expected: {
        signals: [
          {
            name: 'requests-per-second',
            metric: 'requests_per_second',
            source: 'workload',
            targetType: 'AverageValue',
            target: 10,
            window: '1m',
            aggregation: 'last',
            query:
              'label_replace(label_replace(sum(requests_per_second{namespace="llm",ingress="main"}), "namespace", "llm", "", ""), "workload", "llama-8b", "", "")',
          },
        ],
      },
    },
    {
      why: 'autoscaling/v1: targetCPUUtilizationPercentage, and v1 has no behavior (legacy path)',
      text: hpa({targetCPUUtilizationPercentage: 70}, 'autoscaling/v1'),
      expected: {legacyHpaBehavior: true, replicas: {min: 1, max: 8}},
    },
    {
      why: 'v2 with no metrics: the API default, CPU at 80 %',
      text: hpa({behavior: {}}),
      expected: {signals: [expect.objectContaining({name: 'cpu', target: 80}) as never]},
    },
    {
      why: 'a resource other than cpu and memory is named in a warning, not silently dropped',
      text: hpa({
        behavior: {},
        metrics: [
          {
            type: 'Resource',
            resource: {name: 'ephemeral-storage', target: {type: 'Utilization', averageUtilization: 50}},
          },
          {type: 'Pods', pods: {metric: {name: 'qps'}, target: {type: 'AverageValue', averageValue: '10'}}},
        ],
      }),
      expected: {signals: [expect.objectContaining({name: 'qps'}) as never]},
      warnings: [
        'UnsupportedMetric: spec.metrics[0]: Resource ephemeral-storage: only cpu and memory are reproduced; not imported',
      ],
    },
  ])('$why', ({text, expected, warnings}) => {
    const result = translate(text)
    expect(model(result.config)).toMatchObject({
      name: 'llama-8b',
      workload: {kind: 'Deployment', namespace: 'llm', name: 'llama-8b'},
      algorithm: 'hpa',
      gpu: {count: 1},
      ...expected,
    })
    if (!('legacyHpaBehavior' in expected)) expect(model(result.config).legacyHpaBehavior).toBeUndefined()
    const codes = result.warnings.map((w) => `${w.code}: ${w.message}`)
    expect(codes.filter((c) => !c.startsWith('GpuNeedAssumed'))).toEqual(warnings ?? [])
    expect(result.warnings.map((w) => w.code)).toContain('GpuNeedAssumed')
  })

  test('the GPU need the caller read from the workload replaces the assumption', () => {
    const parsed = parseAutoscaler(hpa({}), 'in.yaml', 'HorizontalPodAutoscaler')
    const result = translateAutoscaler(parsed, {migProfile: '3g.40gb'})
    expect(model(result.config).gpu).toEqual({migProfile: '3g.40gb'})
    expect(result.warnings).toEqual([])
  })
})

describe('ScaledObject', () => {
  test('triggers, polling, cooldown and scale to zero; unsupported triggers are named', () => {
    const result = translate(
      scaledObject({
        pollingInterval: 15,
        cooldownPeriod: 600,
        maxReplicaCount: 6,
        advanced: {horizontalPodAutoscalerConfig: {behavior: {scaleDown: {stabilizationWindowSeconds: 120}}}},
        triggers: [
          {
            type: 'prometheus',
            metadata: {
              serverAddress: 'http://prometheus.monitoring:9090',
              query: 'sum(vllm:num_requests_waiting{namespace="llm"})',
              threshold: '4',
              activationThreshold: '1',
            },
          },
          {type: 'cpu', metricType: 'Utilization', metadata: {value: '70', containerName: 'server'}},
          {type: 'kafka', metadata: {topic: 'jobs'}},
        ],
      }),
      'ScaledObject',
    )
    expect(result.config.settings).toEqual({loopInterval: '15s'})
    expect(model(result.config)).toMatchObject({
      replicas: {min: 0, max: 6},
      scaleToZero: {idleTime: '600s'},
      behavior: {scaleDown: {stabilizationWindow: '120s'}},
      signals: [
        {
          name: 's0-prometheus',
          metric: 's0-prometheus',
          source: 'workload',
          targetType: 'AverageValue',
          target: 4,
          activationThreshold: 1,
          query:
            'label_replace(label_replace((sum(vllm:num_requests_waiting{namespace="llm"})), "namespace", "llm", "", ""), "workload", "llama-8b", "", "")',
        },
        {name: 'cpu-server', resource: {name: 'cpu', container: 'server', targetType: 'Utilization'}, target: 70},
      ],
    })
    expect(model(result.config).legacyHpaBehavior).toBeUndefined()
    expect(result.warnings.map((w) => w.code)).toEqual(['PrometheusAddress', 'UnsupportedTrigger', 'GpuNeedAssumed'])
    expect(result.warnings[1]?.message).toMatch(/spec\.triggers\[2\]: trigger type kafka has no gpu-scale equivalent/)
  })

  test("KEDA's defaults: 0..100 replicas, every 30 s, to zero after 300 s; no behavior is the legacy path", () => {
    const result = translate(scaledObject({triggers: [{type: 'memory', metadata: {value: '80'}}]}), 'ScaledObject')
    expect(result.config.settings).toEqual({loopInterval: '30s'})
    expect(model(result.config)).toMatchObject({
      replicas: {min: 0, max: 100},
      scaleToZero: {idleTime: '300s'},
      legacyHpaBehavior: true,
    })
  })
})

describe('refusals are located in the source', () => {
  test.each([
    {
      why: 'a target gpu-scale does not scale',
      text: hpa({scaleTargetRef: {kind: 'ReplicaSet', name: 'x'}}),
      kind: 'HorizontalPodAutoscaler' as const,
      expected:
        /^in\.yaml:8:11 spec\.scaleTargetRef\.kind: error: HorizontalPodAutoscaler llama-8b scales a ReplicaSet/,
    },
    {
      why: 'a quantity that is not one',
      text: hpa({
        metrics: [{type: 'Pods', pods: {metric: {name: 'qps'}, target: {type: 'AverageValue', averageValue: 'ten'}}}],
      }),
      kind: 'HorizontalPodAutoscaler' as const,
      expected: /^in\.yaml:\d+:\d+ spec\.metrics\[0\]: error: "ten" is not a quantity/,
    },
    {
      why: 'a key written twice (YAML would silently keep the last)',
      text: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nkind: HorizontalPodAutoscaler\n',
      kind: 'HorizontalPodAutoscaler' as const,
      expected: /^in\.yaml:3:1/,
    },
    {
      why: 'a ScaledObject given to import hpa',
      text: scaledObject({triggers: [{type: 'cpu', metadata: {value: '50'}}]}),
      kind: 'HorizontalPodAutoscaler' as const,
      expected: /^in\.yaml:1:\d+ apiVersion: error: /,
    },
    {
      why: 'maxReplicas beyond any group size',
      text: hpa({maxReplicas: 10_000_000}),
      kind: 'HorizontalPodAutoscaler' as const,
      expected: /spec\.maxReplicas: error: .*100000/,
    },
    {
      why: 'an alias bomb',
      text: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`,
      kind: 'ScaledObject' as const,
      expected: /^in\.yaml:\d+:\d+.*alias/,
    },
  ])('$why', ({text, kind, expected}) => {
    let caught: unknown
    try {
      translate(text, kind)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ValidationError)
    const problems = (caught as ValidationError).problems.map(
      (p) =>
        `${p.location.file}:${p.location.line}:${p.location.column}${p.location.path ? ` ${p.location.path}` : ''}: ${p.severity}: ${p.message}`,
    )
    expect(problems.join('\n')).toMatch(expected)
  })
})
