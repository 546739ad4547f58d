/**
 * Time to recover from a burst, read off a run's series (./log-replay.ts).
 *
 * A burst starts at a step whose total arrival rate is at least BURST_FACTOR × the median of the
 * BASELINE_SECONDS before it (a median, so one earlier spike does not hide the next). Every policy replays the
 * same traffic, so every policy sees the same bursts. Recovery for a burst is the time from its start to the end
 * of the first run of steps, before the next burst, whose attainment is under RECOVERY_OBJECTIVE — 0 when the
 * policy absorbed the burst. A burst still unrecovered when the run ends counts to the end and is flagged.
 */
import type {RunSeries} from './log-replay.js'

export const BURST_FACTOR = 1.5
/** Ten minutes: longer than a cold start, so the baseline is what the fleet had settled to before the burst. */
export const BASELINE_SECONDS = 600
/** A step is healthy again when 95% of its arrivals met the SLO (one late request in a small step is noise). */
export const RECOVERY_OBJECTIVE = 0.95

export interface BurstRecovery {
  bursts: number
  /** Longest recovery, seconds; null without bursts. */
  worstSeconds: number | null
  meanSeconds: number | null
  /** Bursts still not recovered when the run ended. */
  unrecovered: number
  /** Start time (epoch seconds) and recovery of each burst. */
  perBurst: Array<{at: number; seconds: number; recovered: boolean}>
}

export function detectBursts(series: RunSeries): BurstRecovery {
  const n = series.times.length
  const step = series.stepSeconds
  const total = new Array<number>(n).fill(0)
  for (const values of Object.values(series.load)) values.forEach((v, i) => (total[i] = (total[i] as number) + v))
  const window = Math.max(1, Math.round(BASELINE_SECONDS / step))
  const starts: number[] = []
  let inBurst = false
  for (let i = 1; i < n; i++) {
    const base = median(total.slice(Math.max(0, i - window), i))
    const high = base > 0 && (total[i] as number) >= BURST_FACTOR * base
    if (high && !inBurst) starts.push(i)
    // A burst lasts while the rate stays over the threshold, so a long burst is one burst, not many.
    inBurst = high
  }
  const att = series.latency.attainment
  const perBurst = starts.map((b, k) => {
    const limit = starts[k + 1] ?? n
    let i = b
    while (i < limit && !late(att[i])) i++
    if (i === limit) return {at: series.times[b] as number, seconds: 0, recovered: true}
    while (i < n && late(att[i])) i++
    return {at: series.times[b] as number, seconds: (i - b) * step, recovered: i < n}
  })
  const seconds = perBurst.map((p) => p.seconds)
  return {
    bursts: perBurst.length,
    worstSeconds: seconds.length ? Math.max(...seconds) : null,
    meanSeconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null,
    unrecovered: perBurst.filter((p) => !p.recovered).length,
    perBurst,
  }
}

/** A step with no arrivals says nothing, so it is not late. */
function late(attainment: number | null | undefined): boolean {
  return attainment !== null && attainment !== undefined && attainment < RECOVERY_OBJECTIVE
}

function median(values: number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}
