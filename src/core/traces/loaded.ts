/**
 * A trace read whole into replay form, and the one request stream the twin replays from one or several traces.
 */
import type {TokenMoments} from './moments.js'
import {expandRateSeries, type RateSeries} from './rates.js'
import type {TraceReadStats} from './reader.js'
import {iterateRequests, type TraceTable} from './table.js'
import type {TokenDistributions, TraceFormat, TraceKind, TraceRequest} from './types.js'

export interface LoadedTrace {
  file: string
  format: TraceFormat
  kind: TraceKind
  /** The requests, for per-request layouts; undefined for rate layouts (expand `series` instead). */
  table: TraceTable | undefined
  /** Per-model rate series (requests/s and tokens/s per bucket), for every layout. */
  series: RateSeries
  /** The rate scale applied (1, `rateScale`, or the one `peakReplicas` asked for). */
  rateScale: number
  stats: TraceReadStats
  /** Per-request layouts: each model's token-length moments (rate layouts carry no lengths). */
  tokens?: Record<string, TokenMoments>
}

/**
 * Alibaba's qps.csv samples about every 57 s and writes no row for an idle container, so a missing sample means
 * no traffic: its steps last at most 60 s (see RateSeriesOptions.maxStepSeconds). Other rate layouts hold a rate
 * until the next row.
 */
export function defaultMaxStepSeconds(format: TraceFormat): number | undefined {
  return format === 'alibaba-qps' ? 60 : undefined
}

/**
 * Every request of several traces on one clock, in time order: per-request traces as recorded, rate traces as a
 * seeded Poisson process per bucket (trace i uses seed + i, so traces do not share random streams).
 */
export function replayRequests(
  traces: readonly LoadedTrace[],
  options: {seed: number; tokens?: TokenDistributions},
): Generator<TraceRequest> {
  return mergeRequestStreams(
    traces.map((trace, i) =>
      trace.table
        ? iterateRequests(trace.table)
        : expandRateSeries(trace.series, {seed: options.seed + i, tokens: options.tokens}),
    ),
  )
}

/** A k-way merge of time-ordered request streams; equal times keep the order of `streams`. */
export function* mergeRequestStreams(streams: Array<Iterator<TraceRequest>>): Generator<TraceRequest> {
  const heads = streams.map((s) => s.next())
  for (;;) {
    let best = -1
    for (let k = 0; k < heads.length; k++) {
      const h = heads[k]!
      if (!h.done && (best < 0 || h.value.t < (heads[best]!.value as TraceRequest).t)) best = k
    }
    if (best < 0) return
    yield heads[best]!.value as TraceRequest
    heads[best] = streams[best]!.next()
  }
}
