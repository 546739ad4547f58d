/**
 * The exporters' exposition, rendered from the twin's samples: label sets as dcgm-exporter and vLLM publish them
 * (facts §7), HELP/TYPE per family, `le` as prometheus_client prints it, idle devices at 0, and the metric faults.
 * Checked against the shape of the real samples in ../shared/data/metrics (read by eye, not by this test).
 */
import {describe, expect, test} from 'vitest'

import {formatLe, MetricFaults, metricsTargets, renderTarget, type Sample} from '../../../src/core/twin-serve/index.js'
import {builtinTwinScenario, createBoundTwin} from '../../../src/core/twin-serve/index.js'

const bound = createBoundTwin(builtinTwinScenario())
bound.advance(bound.twin.now + 600)
const at = bound.twin.lastScrapeAt
const samples = bound.twin.latestTelemetry()
const render = (target: string, faults = new MetricFaults()) =>
  renderTarget(target, bound.binding.snapshot, samples, at, faults) ?? ''

describe('dcgm-exporter per GPU node', () => {
  test.each([
    {
      name: 'a whole GPU with a pod: GPU_UTIL with the pod-resources labels',
      target: 'node/standard-001',
      line: /^DCGM_FI_DEV_GPU_UTIL\{gpu="0",UUID="GPU-standard-001-0",pci_bus_id="[0-9A-F:.]+",device="nvidia0",modelName="[^"]+",Hostname="standard-001",DCGM_FI_DRIVER_VERSION="550\.54\.15",container="server",namespace="llm",pod="llama-8b-\w+"\} \d+$/m,
    },
    {
      name: 'an idle whole GPU reads 0, without pod labels',
      target: 'node/standard-003',
      line: /^DCGM_FI_DEV_GPU_UTIL\{gpu="0",UUID="GPU-standard-003-0",[^}]*Hostname="standard-003",DCGM_FI_DRIVER_VERSION="550\.54\.15"\} 0$/m,
    },
    {
      name: 'a MIG instance: GR_ENGINE_ACTIVE (no GPU_UTIL on MIG) with GPU_I_PROFILE and GPU_I_ID',
      target: 'node/mig-pool-001',
      line: /^DCGM_FI_PROF_GR_ENGINE_ACTIVE\{gpu="0",[^}]*GPU_I_PROFILE="3g\.40gb",GPU_I_ID="\d+",Hostname="mig-pool-001",[^}]*pod="embed-bge-\w+"\} [\d.]+$/m,
    },
  ])('$name', ({target, line}) => {
    const text = render(target)
    expect(text).toMatch(line)
    expect(text).toContain('# TYPE DCGM_FI_PROF_SM_ACTIVE gauge')
  })

  test('a MIG node exports no DCGM_FI_DEV_GPU_UTIL for its instances', () => {
    expect(render('node/mig-pool-001')).not.toContain('DCGM_FI_DEV_GPU_UTIL{')
  })
})

describe('vLLM per ready pod', () => {
  const pod = bound.binding.snapshot.pods.find((p) => p.name.startsWith('llama-8b-') && p.ready)?.name as string
  const text = render(`pod/llm/${pod}`)

  test.each([
    {
      name: 'gauges carry model_name and engine only (pod and namespace are target labels)',
      line: /^vllm:num_requests_waiting\{engine="0",model_name="llama-8b"\} \d+$/m,
    },
    {name: 'counters are typed counter under their _total name', line: /^# TYPE vllm:prompt_tokens_total counter$/m},
    {
      name: 'histograms are typed by family, buckets cumulative with le as Python prints floats',
      line: /^# TYPE vllm:time_to_first_token_seconds histogram\n# HELP|^vllm:time_to_first_token_seconds_bucket\{engine="0",model_name="llama-8b",le="1\.0"\} \d+$/m,
    },
    {
      name: 'the +Inf bucket, _sum and _count',
      line: /^vllm:e2e_request_latency_seconds_bucket\{[^}]*le="\+Inf"\} \d+\nvllm:e2e_request_latency_seconds_sum\{[^}]*\} [\d.]+\nvllm:e2e_request_latency_seconds_count\{[^}]*\} \d+$/m,
    },
  ])('$name', ({line}) => {
    expect(text).toMatch(line)
  })

  test('buckets never decrease and +Inf equals _count', () => {
    const counts = [...text.matchAll(/^vllm:time_to_first_token_seconds_bucket\{[^}]*\} (\d+)$/gm)].map((m) =>
      Number(m[1]),
    )
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(counts.at(-1)).toBe(Number(text.match(/^vllm:time_to_first_token_seconds_count\{[^}]*\} (\d+)$/m)?.[1]))
  })

  test.each([
    {le: '0.001', want: '0.001'},
    {le: '1', want: '1.0'},
    {le: '2560', want: '2560.0'},
    {le: '+Inf', want: '+Inf'},
  ])('le $le renders as $want (prometheus_client float repr)', ({le, want}) => {
    expect(formatLe(le)).toBe(want)
  })
})

describe('targets', () => {
  test('every GPU node and every ready pod, nothing for a pod not yet ready or gone', () => {
    const targets = metricsTargets(bound.binding.snapshot)
    expect(targets.filter((t) => t.job === 'dcgm-exporter')).toHaveLength(12)
    expect(targets.filter((t) => t.job === 'vllm').map((t) => t.labels.pod)).toEqual(
      bound.binding.snapshot.pods
        .filter((p) => p.ready)
        .map((p) => p.name)
        .sort(),
    )
    expect(renderTarget('pod/llm/no-such-pod', bound.binding.snapshot, samples, at, new MetricFaults())).toBeUndefined()
  })
})

describe('metric faults', () => {
  const series: Sample[] = [
    {
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      labels: {gpu: '0', UUID: 'GPU-standard-001-0', device: 'nvidia0', modelName: 'A100', Hostname: 'standard-001'},
      t: at,
      value: 42,
    },
  ]
  test.each([
    {mode: 'vanish' as const, want: [], why: 'the exporter stops exporting the field'},
    {mode: 'nan' as const, want: ['NaN'], why: 'DCGM reports a field it cannot read as NaN'},
    {mode: 'duplicate' as const, want: ['42', '42'], why: 'a second exporter on the same GPU'},
    {mode: 'freeze' as const, want: ['42'], why: 'a stuck exporter keeps its value (the next render shows it)'},
  ])('$mode: $why', ({mode, want}) => {
    const faults = new MetricFaults()
    faults.add({mode, target: 'node/standard-001', metric: 'DCGM_FI_DEV_GPU_UTIL'})
    const text = renderTarget('node/standard-001', bound.binding.snapshot, series, at, faults) ?? ''
    expect(
      [...text.matchAll(/^DCGM_FI_DEV_GPU_UTIL\{[^}]*UUID="GPU-standard-001-0"[^}]*\} (\S+)$/gm)].map((m) => m[1]),
    ).toEqual(want)
    if (mode === 'freeze') {
      const later =
        renderTarget('node/standard-001', bound.binding.snapshot, [{...(series[0] as Sample), value: 7}], at, faults) ??
        ''
      expect(later).toMatch(/UUID="GPU-standard-001-0"[^}]*\} 42$/m)
    }
  })
})
