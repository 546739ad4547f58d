/**
 * Token-length moments of a per-request trace, per model: count, mean and spread of prompt and output lengths,
 * summed as the rows stream by (a few numbers per model, whatever the trace's size). What the fluid request model
 * needs when it replays a per-request trace as its rate series: a length distribution with the trace's own mean
 * and coefficient of variation (src/core/simulate/world.ts, measuredTokens).
 */
import type {TraceRequest} from './types.js'

export interface LengthMoments {
  sum: number
  sumSquares: number
}

export interface TokenMoments {
  requests: number
  input: LengthMoments
  output: LengthMoments
}

/** Sums each model's token lengths; `build()` returns them by model name. */
export class TokenMomentsBuilder {
  private readonly byModel = new Map<string, TokenMoments>()

  add(r: TraceRequest): void {
    let m = this.byModel.get(r.model)
    if (!m) this.byModel.set(r.model, (m = emptyMoments()))
    m.requests++
    m.input.sum += r.inputTokens
    m.input.sumSquares += r.inputTokens * r.inputTokens
    m.output.sum += r.outputTokens
    m.output.sumSquares += r.outputTokens * r.outputTokens
  }

  build(): Record<string, TokenMoments> {
    return Object.fromEntries([...this.byModel].map(([model, m]) => [model, structuredClone(m)]))
  }
}

/** Moments of several traces added up per model. */
export function mergeTokenMoments(all: ReadonlyArray<Record<string, TokenMoments>>): Record<string, TokenMoments> {
  const out: Record<string, TokenMoments> = {}
  for (const moments of all)
    for (const [model, m] of Object.entries(moments)) {
      const to = (out[model] ??= emptyMoments())
      to.requests += m.requests
      for (const key of ['input', 'output'] as const) {
        to[key].sum += m[key].sum
        to[key].sumSquares += m[key].sumSquares
      }
    }
  return out
}

/** Mean and coefficient of variation of one length (mean 0 and cv 0 for no requests). */
export function lengthStats(m: LengthMoments, requests: number): {mean: number; cv: number} {
  if (!(requests > 0)) return {mean: 0, cv: 0}
  const mean = m.sum / requests
  const variance = Math.max(0, m.sumSquares / requests - mean * mean)
  return {mean, cv: mean > 0 ? Math.sqrt(variance) / mean : 0}
}

function emptyMoments(): TokenMoments {
  return {requests: 0, input: {sum: 0, sumSquares: 0}, output: {sum: 0, sumSquares: 0}}
}
