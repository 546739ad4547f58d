/** The result of one closed-loop run as `gpu-scale simulate` reports it: the service builds it, the view prints it. */
import type {FailIfEvaluation} from '../simulate/fail-if.js'
import type {TwinSummary} from '../twin/summary.js'
import type {LoopTotals} from './closed-loop.js'

/** What `simulate` prints (`-o json` prints exactly this). */
export interface SimulateResult {
  scenario: string
  file: string
  policy: string
  seed: number
  start: string
  end: string
  durationSeconds: number
  summary: TwinSummary
  loop: {
    ticks: number
    loopIntervalSeconds: number
    applied: LoopTotals['applied']
    outcomes: LoopTotals['outcomes']
    /** Distinct changes the planner had to block (no capacity, budget, max), and on how many ticks. */
    blockedChanges: string[]
    blockedTicks: number
    mig: LoopTotals['mig']
  }
  events?: {file: string; entries: number}
  /** `--fail-if` gates, judged on this run's metrics (the `user` row; a scenario run has no other row). */
  failIf?: FailIfEvaluation
}
