/**
 * One pod's vLLM counters scraped every 30 s up to `end`, as a replica following the step law τ = a ÷ (1 − λ·w)
 * would export them at the given per-interval request rates: a = 6 ms, w = 32 ms (Azure-conv-like), 211 output
 * tokens, a KV cache that holds 355 running sequences. `waiting` gives the queue at each scrape (the last repeats).
 */
import type {Series} from '../../../../src/core/model/snapshot.js'
import {ITL_COUNT, ITL_SUM} from '../../../../src/core/policy/replicas/capacity-at-slo.js'
import {VLLM} from '../../../../src/core/signals/metric-names.js'

export const A = 0.006
export const W = 0.032
export const OUT = 211
export const BMAX = 355

export function stepLawSeries(
  pod: string,
  rates: number[],
  opts: {waiting?: number[]; end?: number; namespace?: string} = {},
): Series[] {
  const waiting = opts.waiting ?? []
  const start = (opts.end ?? rates.length * 30) - rates.length * 30
  const labels = {namespace: opts.namespace ?? 'llm', pod}
  const ok: Array<[number, number]> = [[start, 0]]
  const gen: Array<[number, number]> = [[start, 0]]
  const sum: Array<[number, number]> = [[start, 0]]
  const count: Array<[number, number]> = [[start, 0]]
  const running: Array<[number, number]> = []
  const kv: Array<[number, number]> = []
  const queue: Array<[number, number]> = [[start, waiting[0] ?? 0]]
  rates.forEach((rate, i) => {
    const t = start + (i + 1) * 30
    const tau = A / (1 - rate * W)
    const batch = rate * OUT * tau
    const n = rate * 30
    ok.push([t, ok[i]![1] + n])
    gen.push([t, gen[i]![1] + n * OUT])
    count.push([t, count[i]![1] + n * OUT])
    sum.push([t, sum[i]![1] + n * OUT * tau])
    running.push([t, batch])
    kv.push([t, batch / BMAX])
    queue.push([t, waiting[i + 1] ?? waiting[waiting.length - 1] ?? 0])
  })
  return [
    {metric: VLLM.requestSuccess, labels, samples: ok},
    {metric: VLLM.generationTokens, labels, samples: gen},
    {metric: ITL_SUM, labels, samples: sum},
    {metric: ITL_COUNT, labels, samples: count},
    {metric: VLLM.running, labels, samples: running},
    {metric: VLLM.kvCache, labels, samples: kv},
    {metric: VLLM.waiting, labels, samples: queue},
  ]
}
