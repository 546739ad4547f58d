/**
 * The one rounding rule for numbers in reason and diagnostic messages, so the same quantity reads the same way in
 * every layer: percentages as whole numbers, queues, seconds and other quantities with at most one decimal.
 * Evidence keeps full precision: these helpers are for the words only.
 */

/** A ratio (0..1) as a whole percentage: `0.856` → `86%`. */
export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`
}

/** A value already in percent as a whole percentage: `85.6` → `86%`. */
export function formatPercentValue(percent: number): string {
  return `${Math.round(percent)}%`
}

/** A quantity (queue length, seconds, GiB, cost) with at most one decimal: `9.25` → `9.3`, `4.0` → `4`. */
export function roundForMessage(value: number): number {
  return Math.round(value * 10) / 10
}
