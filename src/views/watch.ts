/**
 * `apply --watch` as it goes: one line per tick (what the fleet does, with --sim, and the first change decided),
 * one indented line per further change, one line per lease change or error; a short summary at the end.
 * `-o json` prints each update and the summary as one JSON object per line instead.
 */
import type {WatchDecision, WatchSummary, WatchUpdate} from '../core/loop/watch-result.js'
import {formatDuration} from '../core/model/duration.js'
import {paint} from './output.js'

/** One JSON object per line (`-o json`). */
export function renderJsonLine(value: WatchUpdate | WatchSummary): string {
  return JSON.stringify(value) + '\n'
}

export function renderWatchUpdate(update: WatchUpdate, color = false): string {
  const when = paint(`+${formatDuration(update.elapsedSeconds).padEnd(7)}`, 'dim', color)
  switch (update.type) {
    case 'tick': {
      const fleet = update.fleet
      const status = fleet
        ? [
            `nodes ${fleet.nodes.ready}/${fleet.nodes.total}`,
            `replicas ${fleet.replicas.ready}/${fleet.replicas.desired}` +
              (fleet.replicas.pending > 0 ? ` (${fleet.replicas.pending} pending)` : ''),
            `p95 ${fleet.requests.p95Seconds === null ? '-' : seconds(fleet.requests.p95Seconds)}`,
            `SLO ${fleet.requests.sloAttainment === null ? '-' : percent(fleet.requests.sloAttainment)}`,
          ].join('  ')
        : update.leader
          ? 'leader'
          : 'follower: another replica holds the lease'
      const [first, ...rest] = update.decisions
      const lines = [`${when} ${status}${first ? `  ${decision(first, color)}` : ''}`]
      for (const d of rest)
        lines.push(`${' '.repeat(9)}${' '.repeat(Math.min(status.length, 60))}  ${decision(d, color)}`)
      return lines.join('\n') + '\n'
    }
    case 'lease':
      return `${when} lease ${update.change}${update.change === 'following' ? ` (held by ${update.holder})` : `: ${update.holder}`}\n`
    case 'error':
      return `${when} ${paint('error', 'red', color)} in ${update.phase}: ${update.message} (attempt ${update.attempt}, retry in ${formatDuration(update.retryInSeconds)})\n`
    case 'state-conflict':
      return `${when} ${paint('state conflict', 'yellow', color)}: another writer saved the state (now version ${update.storedVersion ?? 'none'}); re-read, not overwritten\n`
  }
}

function decision(d: WatchDecision, color: boolean): string {
  const verb =
    d.status === 'blocked'
      ? paint('blocked', 'yellow', color)
      : d.outcome === 'applied'
        ? paint('applied', 'green', color)
        : d.outcome === undefined
          ? 'planned'
          : paint(d.outcome, 'yellow', color)
  const reason = d.reason ? ` — ${d.reason.code}` : ''
  // Why it was not applied (a refusal names the flag to pass), clipped: the JSON log carries it whole.
  const why = d.outcome !== undefined && d.outcome !== 'applied' && d.message ? `: ${clip(d.message, 90)}` : ''
  return `${d.action} ${d.target} ${d.from}→${d.to} ${verb}${why}${reason}`
}

export function renderWatchSummary(summary: WatchSummary, color = false): string {
  const lines: string[] = []
  const loop = summary.loop
  lines.push(
    paint(
      `apply --watch${summary.mode === 'sim' ? ' --sim' : ''}: ${summary.source}, policy ${summary.policy}`,
      'bold',
      color,
    ),
  )
  lines.push(
    `  ran ${formatDuration(summary.durationSeconds)}${summary.mode === 'sim' ? ' of virtual time' : ''}: ${loop.ticks} ticks every ${formatDuration(summary.intervalSeconds)}` +
      (summary.speed !== undefined ? ` at ${summary.speed === 0 ? 'full speed' : `${summary.speed}× speed`}` : '') +
      `, ${loop.ledTicks} as leader (${summary.identity}); stopped by ${loop.stoppedBy === 'until' ? '--for' : 'a signal'}`,
  )
  const applied = Object.entries(loop.applied)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`)
  lines.push(
    `  decided ${loop.decisions} change(s) (${loop.blocked} blocked); applied ${applied.length > 0 ? applied.join(', ') : 'none'}; ` +
      `refused ${loop.outcomes['precondition-failed']}, failed ${loop.outcomes.failed}, skipped ${loop.outcomes.skipped}, not started ${loop.outcomes['not-started']}`,
  )
  if (summary.fleet)
    lines.push(
      `  replicas ${summary.fleet.replicas.start} → peak ${summary.fleet.replicas.peak} → ${summary.fleet.replicas.end}; ` +
        `nodes ${summary.fleet.nodes.start} → peak ${summary.fleet.nodes.peak} → ${summary.fleet.nodes.end}`,
    )
  if (summary.twin) {
    const t = summary.twin
    lines.push(
      `  SLO ${percent(t.requests.sloAttainment)}  p95 latency ${seconds(t.requests.latency.p95)}  GPU-hours ${round(t.gpuHours)}  ` +
        `cost ${round(t.cost)}  scaling actions ${t.scalingActions.total}  flaps ${t.flaps}`,
    )
  }
  lines.push(
    `  errors ${loop.errors}, state conflicts ${loop.stateConflicts}; lease ${loop.releasedLease ? 'released' : 'not held at the end'}` +
      (summary.listen ? `; served /metrics and /healthz on ${summary.listen}` : ''),
  )
  return lines.join('\n') + '\n'
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}

function seconds(value: number): string {
  return value >= 10 ? `${value.toFixed(0)}s` : `${value.toFixed(1)}s`
}

function percent(value: number): string {
  return `${(Math.round(value * 1000) / 10).toFixed(1)}%`
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
