/**
 * When the gpu-scale algorithm reads the bottleneck evidence (DCGM and vLLM series over the window): only when a
 * decision uses it. Each row names who would use it; the decision carries `bottleneck` exactly then. Reading it for
 * every model on every tick was a quarter of a plan's time in the closed loop, for output nobody used.
 */
import {describe, expect, test} from 'vitest'

import type {ModelConfig, SignalConfig} from '../../../../src/core/model/config.js'
import {recommendReplicas} from '../../../../src/core/policy/replicas/recommend.js'
import {gauge, makeInput, makeModel, perPod, pods, signal} from './scenario.js'

const WAITING = 'vllm:num_requests_waiting'
const UTIL = 'DCGM_FI_DEV_GPU_UTIL'
const DRAM = 'DCGM_FI_PROF_DRAM_ACTIVE'
const queue = signal({name: 'queue', metric: WAITING, target: 5, windowSeconds: 60})
const util = signal({name: 'gpu-util', metric: UTIL, source: 'gpu', target: 40})
const dcgm = (metric: string, podName: string, value: number) =>
  gauge(metric, podName, value, {labels: {gpu: '0', UUID: `GPU-${podName}`, Hostname: 'node-a', container: 'vllm'}})

describe('the bottleneck evidence is read only when a decision uses it', () => {
  test.each<{name: string; signals: SignalConfig[]; model?: Partial<ModelConfig>; util: number; reads: boolean}>([
    {
      name: 'queue signals only, sized by GPU count: nothing judges a utilization proposal, no evidence',
      signals: [queue],
      util: 30,
      reads: false,
    },
    {
      name: 'a utilization proposal that would lower the count: saturation may overrule it, so the evidence is read',
      signals: [queue, util],
      util: 10,
      reads: true,
    },
    {
      name: 'a utilization proposal that asks for more: nothing overrules a scale-up, no evidence',
      signals: [util],
      util: 95,
      reads: false,
    },
    {
      name: 'a model sized by memory: its GPU-share advice says whether it is bandwidth bound, so the evidence is read',
      signals: [queue],
      model: {gpu: {kind: 'memory', memoryGiB: 20}},
      util: 30,
      reads: true,
    },
  ])('$name', ({signals, model, util: value, reads}) => {
    const decision = recommendReplicas(
      makeInput({
        model: makeModel({signals, ...model}),
        pods: pods(3),
        series: [
          ...perPod(WAITING, [1, 1, 1]),
          ...['p0', 'p1', 'p2'].flatMap((p) => [dcgm(UTIL, p, value), dcgm(DRAM, p, 0.2)]),
        ],
      }),
    )
    expect(decision.bottleneck !== undefined).toBe(reads)
    if (reads) expect(decision.bottleneck?.kind).toEqual(expect.any(String))
  })
})
