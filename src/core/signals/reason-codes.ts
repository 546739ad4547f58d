/** Diagnostic codes of the telemetry input boundary (./sanitize.ts). Stable and PascalCase; the plan schema documents them. */
export const SIGNAL_REASON_CODES = {
  ImpossibleSamplesDropped: 'samples that cannot be measurements (NaN, ±Inf, negative counts, utilization outside its range, stamped after the capture) were dropped; signals read from the series never scale down while one is in their window',
} as const
