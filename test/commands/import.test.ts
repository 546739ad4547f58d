/**
 * `gpu-scale import hpa|scaledobject`, in process: from a file (YAML by default, -o json the typed result), from the
 * twin's Kubernetes API (an HPA created with kubectl; the GPU need read from the workload it scales), and the errors
 * a user can make, each one line saying what and where.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parse, stringify} from 'yaml'

import {parseConfig} from '../../src/core/config/load.js'
import {defaultScenario} from '../../src/core/sim/default-scenario.js'
import {cli} from '../helpers/cli.js'
import {startTestTwin, type TestTwin} from '../helpers/twin.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-import-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function file(name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : stringify(content))
  return path
}

const HPA = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: {name: 'llama-8b', namespace: 'llm'},
  spec: {
    scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama-8b'},
    minReplicas: 1,
    maxReplicas: 6,
    metrics: [{type: 'Resource', resource: {name: 'cpu', target: {type: 'Utilization', averageUtilization: 60}}}],
    behavior: {scaleDown: {stabilizationWindowSeconds: 600}},
  },
}

describe('import hpa -f', () => {
  test('prints YAML to paste into gpu-scale.yaml, which then validates', async () => {
    const result = await cli(['import', 'hpa', '-f', file('hpa.yaml', HPA)])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^# gpu-scale config imported from HorizontalPodAutoscaler llm\/llama-8b/)
    expect(result.stderr).toMatch(/^warning: .*\[GpuNeedAssumed\]$/m)
    const fragment = parse(result.stdout) as {models: unknown[]}
    const config = stringify({
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'ScalingPolicy',
      metadata: {name: 'imported'},
      nodeGroups: [{name: 'a100', gpu: {model: 'A100-80GB'}, max: 6}],
      models: fragment.models,
    })
    const parsed = parseConfig(config, 'gpu-scale.yaml')
    expect(parsed.problems.filter((p) => p.severity === 'error')).toEqual([])
    expect(parsed.config?.models[0]).toMatchObject({
      algorithm: 'hpa',
      behavior: {scaleDown: {stabilizationWindowSeconds: 600}},
      signals: [{resource: {name: 'cpu', targetType: 'Utilization'}, target: 60}],
    })
  })

  test('-o json prints exactly the typed result; JSON input reads as well as YAML', async () => {
    const path = file('hpa.json', JSON.stringify(HPA))
    const result = await cli(['import', 'hpa', 'llama-8b', '-f', path, '-o', 'json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json.source).toEqual({kind: 'HorizontalPodAutoscaler', namespace: 'llm', name: 'llama-8b', from: path})
    expect(json.config.models[0].signals[0].metric).toBe('container_cpu_usage_seconds_total')
    expect(json.warnings.map((w: {code: string}) => w.code)).toEqual(['GpuNeedAssumed'])
  })

  test('import scaledobject names the triggers it cannot reproduce', async () => {
    const path = file('so.yaml', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: {name: 'llama-8b', namespace: 'llm'},
      spec: {
        scaleTargetRef: {name: 'llama-8b'},
        triggers: [
          {type: 'prometheus', metadata: {query: 'sum(vllm:num_requests_waiting)', threshold: '4'}},
          {type: 'rabbitmq', metadata: {queueName: 'jobs'}},
        ],
      },
    })
    const result = await cli(['import', 'scaledobject', '-f', path, '-o', 'yaml'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/warning: spec\.triggers\[1\]: trigger type rabbitmq .* \[UnsupportedTrigger\]/)
    const out = parse(result.stdout)
    expect(out.config.settings).toEqual({loopInterval: '30s'})
    expect(out.config.models[0].scaleToZero).toEqual({idleTime: '300s'})
  })
})

describe('import errors: exit 1, one line with what and where', () => {
  test.each([
    {
      why: 'neither NAME nor -f',
      args: () => ['import', 'hpa', '--kubeconfig', join(dir, 'none')],
      message: /^error: which HorizontalPodAutoscaler\? pass its NAME \(from the cluster\) or -f FILE$/m,
    },
    {
      why: 'a file that does not exist',
      args: () => ['import', 'hpa', '-f', join(dir, 'missing.yaml')],
      message: /^error: .*missing\.yaml: HorizontalPodAutoscaler file not found$/m,
    },
    {
      why: 'NAME that is not the object in the file',
      args: () => ['import', 'hpa', 'other', '-f', file('named.yaml', HPA)],
      message: /^error: .*named\.yaml holds HorizontalPodAutoscaler llama-8b, not other$/m,
    },
    {
      why: 'a field of the wrong type, located',
      args: () => ['import', 'hpa', '-f', file('bad.yaml', {...HPA, spec: {...HPA.spec, maxReplicas: 'many'}})],
      message: /bad\.yaml:\d+:\d+ spec\.maxReplicas: error: expected an integer/,
    },
  ])('$why', async ({args, message}) => {
    const result = await cli(args())
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.stdout).toBe('')
  })
})

describe('import hpa NAME from the cluster (the twin API server)', () => {
  let twin: TestTwin
  const model = defaultScenario().config.models.find((m) => m.name === 'llama-70b')
  const namespace = model?.workload.namespace ?? 'default'
  beforeAll(async () => {
    twin = await startTestTwin()
    const manifest = {
      ...HPA,
      metadata: {name: 'llama-70b', namespace},
      spec: {...HPA.spec, scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama-70b'}},
    }
    const applied = await twin.kubectl('create', '--validate=false', '-f', file('cluster-hpa.yaml', manifest))
    expect(applied.code, applied.stderr).toBe(0)
  })
  afterAll(() => twin?.close())

  test('reads the HPA and the GPUs its Deployment requests (4 per replica)', async () => {
    const result = await cli(['import', 'hpa', 'llama-70b', '--kubeconfig', twin.kubeconfig, '-n', namespace, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json.source.from).toBe(
      `${twin.server.url}/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/llama-70b`,
    )
    expect(json.config.models[0]).toMatchObject({
      name: 'llama-70b',
      workload: {kind: 'Deployment', namespace, name: 'llama-70b'},
      gpu: {count: 4},
    })
    expect(json.warnings).toEqual([])
  })

  test('an HPA that does not exist is named with its URL', async () => {
    const result = await cli(['import', 'hpa', 'nope', '--kubeconfig', twin.kubeconfig, '-n', namespace])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: HorizontalPodAutoscaler ${namespace}/nope not found at http://127\\.0\\.0\\.1:\\d+/apis/`,
        'm',
      ),
    )
  })
})
