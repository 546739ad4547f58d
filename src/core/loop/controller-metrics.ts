/**
 * The controller's own metrics, folded from its events (./controller.ts) and rendered as Prometheus text
 * exposition 0.0.4 for `/metrics`, plus the `/healthz` verdict. Pure: the time of a scrape is passed in.
 *
 * Names follow Prometheus' conventions (https://prometheus.io/docs/practices/naming/): a `gpu_scale_controller_`
 * prefix, `_total` on counters, base units (`_seconds`), one `# HELP` and `# TYPE` per family, label values
 * escaped.
 */
import type {ControllerEvent, TickPhase} from './controller.js'

/**
 * Loop latency buckets, seconds: a tick is a snapshot read, a plan (tens of ms for a small fleet, ~1 s for 2,000
 * nodes) and a few API writes, except when a write waits (a MIG drain), hence the long tail.
 */
export const LOOP_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export interface HealthVerdict {
  healthy: boolean
  message: string
}

export class ControllerMetrics {
  private readonly decisions = new Map<string, number>()
  private readonly actions = new Map<string, number>()
  private readonly errors = new Map<TickPhase, number>()
  private readonly ticks = {leader: 0, follower: 0}
  private readonly latency = {buckets: LOOP_LATENCY_BUCKETS.map(() => 0), count: 0, sum: 0}
  private leader = false
  private conflicts = 0
  private lastTickAt: number
  private lastPlanAt: number | undefined

  /** `startedAt`: the loop's start, which counts as its first sign of life. */
  constructor(
    private readonly intervalSeconds: number,
    startedAt: number,
  ) {
    this.lastTickAt = startedAt
  }

  observe(event: ControllerEvent): void {
    switch (event.event) {
      case 'lease.acquired':
        this.leader = true
        break
      case 'lease.lost':
      case 'lease.following':
      case 'lease.released':
        this.leader = false
        break
      case 'decision':
        increment(this.decisions, `${event.action}|${event.status}`)
        break
      case 'outcome':
        increment(this.actions, `${event.action}|${event.status}`)
        break
      case 'state.conflict':
        this.conflicts++
        break
      case 'error':
        increment(this.errors, event.phase)
        this.lastTickAt = event.at
        break
      case 'tick.finished': {
        this.ticks[event.leader ? 'leader' : 'follower']++
        this.lastTickAt = event.at
        if (event.plannedAt !== null) this.lastPlanAt = event.plannedAt
        this.latency.count++
        this.latency.sum += event.latencySeconds
        LOOP_LATENCY_BUCKETS.forEach((le, i) => {
          if (event.latencySeconds <= le) this.latency.buckets[i]!++
        })
        break
      }
    }
  }

  /** Healthy while the loop finished a tick (or backed off from one) within 3 intervals of `now`. */
  health(now: number): HealthVerdict {
    const since = now - this.lastTickAt
    const limit = 3 * this.intervalSeconds
    return since <= limit
      ? {healthy: true, message: `ok: last tick ${round(since)}s ago`}
      : {healthy: false, message: `no tick for ${round(since)}s (more than 3 intervals, ${limit}s)`}
  }

  /** Prometheus text exposition at `now` (epoch seconds of the loop's clock). */
  render(now: number): string {
    const out: string[] = []
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    family('gpu_scale_controller_ticks_total', 'counter', 'Loop ticks, by whether this replica led them.')
    out.push(`gpu_scale_controller_ticks_total{role="leader"} ${this.ticks.leader}`)
    out.push(`gpu_scale_controller_ticks_total{role="follower"} ${this.ticks.follower}`)
    family(
      'gpu_scale_controller_decisions_total',
      'counter',
      'Changes the planner decided, by action and status (planned or blocked).',
    )
    for (const [key, value] of sorted(this.decisions)) {
      const [action, status] = key.split('|')
      out.push(`gpu_scale_controller_decisions_total${labels({action, status})} ${value}`)
    }
    family('gpu_scale_controller_actions_total', 'counter', 'Changes executed, by action and outcome status.')
    for (const [key, value] of sorted(this.actions)) {
      const [action, status] = key.split('|')
      out.push(`gpu_scale_controller_actions_total${labels({action, status})} ${value}`)
    }
    family('gpu_scale_controller_errors_total', 'counter', 'Failed ticks, by the phase that failed.')
    for (const [phase, value] of sorted(this.errors))
      out.push(`gpu_scale_controller_errors_total${labels({phase})} ${value}`)
    family(
      'gpu_scale_controller_state_conflicts_total',
      'counter',
      'State saves refused because another writer saved first (the state was re-read, never overwritten).',
    )
    out.push(`gpu_scale_controller_state_conflicts_total ${this.conflicts}`)
    family('gpu_scale_controller_loop_duration_seconds', 'histogram', 'Time one loop tick took.')
    LOOP_LATENCY_BUCKETS.forEach((le, i) =>
      out.push(`gpu_scale_controller_loop_duration_seconds_bucket{le="${le}"} ${this.latency.buckets[i]}`),
    )
    out.push(`gpu_scale_controller_loop_duration_seconds_bucket{le="+Inf"} ${this.latency.count}`)
    out.push(`gpu_scale_controller_loop_duration_seconds_sum ${number(this.latency.sum)}`)
    out.push(`gpu_scale_controller_loop_duration_seconds_count ${this.latency.count}`)
    family(
      'gpu_scale_controller_plan_age_seconds',
      'gauge',
      'Seconds since the last plan this replica made (NaN before the first).',
    )
    out.push(
      `gpu_scale_controller_plan_age_seconds ${this.lastPlanAt === undefined ? 'NaN' : number(now - this.lastPlanAt)}`,
    )
    family('gpu_scale_controller_is_leader', 'gauge', '1 while this replica holds the Lease and acts, else 0.')
    out.push(`gpu_scale_controller_is_leader ${this.leader ? 1 : 0}`)
    family('gpu_scale_controller_last_tick_timestamp_seconds', 'gauge', 'When the loop last finished a tick.')
    out.push(`gpu_scale_controller_last_tick_timestamp_seconds ${number(this.lastTickAt)}`)
    return out.join('\n') + '\n'
  }
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

function sorted<K extends string>(map: Map<K, number>): Array<[K, number]> {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Label values escaped as the exposition format requires: backslash, double quote and newline. */
function labels(values: Record<string, string | undefined>): string {
  const parts = Object.entries(values).map(
    ([k, v]) => `${k}="${(v ?? '').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  )
  return `{${parts.join(',')}}`
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  return String(Math.round(value * 1e6) / 1e6)
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
