/**
 * The apply result → human text: one row per change in execution order with its status and, when it was not
 * applied, why (expected vs actual for a stale precondition, the flag that consents, the owner that refused, the
 * node that stays cordoned). And the progress display: an `ora` spinner on a TTY, plain lines otherwise, both on
 * stderr so stdout stays the result.
 */
import ora from 'ora'

import type {ApplyOutcome} from '../core/apply/apply-result.js'
import {heading, paint, renderTable, wrapParagraph, type Style} from './output.js'
import {canSpin} from './progress.js'

const STYLE: Record<ApplyOutcome['changes'][number]['status'], Style> = {
  applied: 'green',
  skipped: 'yellow',
  'precondition-failed': 'red',
  failed: 'red',
}

export function renderApply(outcome: ApplyOutcome, options: {color?: boolean} = {}): string {
  const color = options.color ?? false
  const out: string[] = []
  out.push(heading(`Apply of the plan at ${outcome.plannedAt} to ${outcome.source}`, color))
  const {counts} = outcome
  out.push(
    wrapParagraph(
      `${counts.applied} applied, ${counts.skipped} skipped, ${counts['precondition-failed']} stale, ${counts.failed} failed.` +
        (outcome.resumed.length > 0 ? ` Resumed from a crashed run: ${outcome.resumed.join(', ')}.` : '') +
        (outcome.replanned ? ' Replanned after a stale precondition (--replan).' : ''),
    ) + '\n',
  )
  if (outcome.changes.length === 0) {
    out.push('\nNo changes: the cluster matches the policy.\n')
    return out.join('')
  }
  out.push(
    renderTable(
      ['Change', 'Target', 'From → to', 'Status', 'Detail'],
      outcome.changes.map((c) => [
        c.id,
        c.target,
        `${c.from} → ${c.to}`,
        paint(c.status, STYLE[c.status], color),
        c.detail || '-',
      ]),
      {color, wrap: [0, 1, 4], detail: 4},
    ),
  )
  if (outcome.exitCode === 4)
    out.push('\nSome changes were refused (exit 4): see Detail for what changed or which flag consents.\n')
  if (outcome.exitCode === 1)
    out.push('\nSome changes failed (exit 1): rerun apply to finish; finished changes are not repeated.\n')
  return out.join('')
}

export interface ApplyProgress {
  line(text: string): void
  stop(): void
}

/** A spinner whose text is the latest step on a TTY; each step as its own line on a pipe or in CI. */
export function startApplyProgress(stream: NodeJS.WriteStream = process.stderr): ApplyProgress {
  if (!canSpin(stream))
    return {
      line: (text) => {
        stream.write(`apply: ${text}\n`)
      },
      stop: () => undefined,
    }
  const spinner = ora({text: 'applying', stream}).start()
  return {
    line: (text) => {
      // Stopped while the user was asked for consent: spin again with the next step.
      if (spinner.isSpinning) spinner.text = text
      else spinner.start(text)
    },
    stop: () => {
      spinner.stop()
    },
  }
}
