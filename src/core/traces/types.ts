/**
 * Trace input: the shapes every trace layout is read into. A trace is either per-request (one row per request:
 * when it arrived and how many tokens it read and wrote) or a rate series (requests per second over time, with
 * token lengths drawn from a distribution). The twin consumes requests `{t, model, inputTokens, outputTokens}`
 * and per-model rate series; the Traces section of README.md lists the layouts and options.
 */

/**
 * The supported layouts (issue 12, item 1):
 * - `requests-csv`: `timestamp,model,input_tokens,output_tokens` (timestamp in seconds or ISO-8601; model optional);
 * - `azure-llm`: Azure LLM inference trace 2023, `TIMESTAMP,ContextTokens,GeneratedTokens` (Patel et al., Splitwise);
 * - `mooncake-jsonl`: Mooncake FAST'25 JSON lines, `timestamp` in ms, `input_length`, `output_length`;
 * - `rate-csv`: `time,model,requests_per_second` (model optional);
 * - `alibaba-qps`: Alibaba GenAI serving telemetry `qps.csv`, `timestamp_anon,value,container_ip,request_type`.
 */
export const TRACE_FORMATS = ['requests-csv', 'azure-llm', 'mooncake-jsonl', 'rate-csv', 'alibaba-qps'] as const
export type TraceFormat = (typeof TRACE_FORMATS)[number]

/** Whether a layout lists requests or a rate over time. */
export type TraceKind = 'requests' | 'rates'

export function traceKindOf(format: TraceFormat): TraceKind {
  return format === 'rate-csv' || format === 'alibaba-qps' ? 'rates' : 'requests'
}

/** One request as the twin replays it. `t` is in seconds on the replay clock (see TraceReadOptions for how). */
export interface TraceRequest {
  t: number
  model: string
  inputTokens: number
  outputTokens: number
}

/**
 * One rate reading: `rps` requests per second for `model` from `t` on. Readings that share a time form one step;
 * the step lasts until the next distinct time (see RateSeriesBuilder for the exact rule).
 */
export interface RateSample {
  t: number
  model: string
  rps: number
}

/** A token-length distribution, for layouts that carry no lengths (rate series) and for synthetic traces. */
export type LengthDistribution =
  | {kind: 'fixed'; value: number}
  | {kind: 'uniform'; min: number; max: number}
  /** Log-normal with this median and log-space standard deviation, clamped to [1, max]. */
  | {kind: 'lognormal'; median: number; sigma: number; max?: number}

export interface TokenDistributions {
  input: LengthDistribution
  output: LengthDistribution
}

/**
 * Token lengths assumed for rate series when none are given: the Azure LLM 2023 conversation trace's medians,
 * 1,020 context and 129 generated tokens (/work/shared/data/README.md §1.1). The spread (sigma 1.0 in log space)
 * is our assumption, not a published figure; pass `tokens` to use your own.
 */
export const DEFAULT_TOKEN_DISTRIBUTIONS: TokenDistributions = {
  input: {kind: 'lognormal', median: 1020, sigma: 1.0, max: 32768},
  output: {kind: 'lognormal', median: 129, sigma: 1.0, max: 8192},
}

/** Mean of a length distribution (the clamp of a log-normal is ignored: it moves the mean by well under 1%). */
export function meanLength(d: LengthDistribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.value
    case 'uniform':
      return (d.min + d.max) / 2
    case 'lognormal':
      return d.median * Math.exp((d.sigma * d.sigma) / 2)
  }
}
