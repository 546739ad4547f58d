/**
 * What `apply --watch` shows as it goes and at the end: the service builds these from the controller's events
 * (./controller.ts) and the twin's state (./sim-world.ts), the view prints them, and `-o json` prints each as one
 * JSON line (the updates as they happen, the summary last).
 */
import type {TwinSummary} from '../twin/summary.js'
import type {ControllerRun, DecidedChange, TickPhase} from './controller.js'
import type {FleetStatus} from './sim-world.js'

export interface WatchDecision extends DecidedChange {
  /** What happened when it was executed (absent for blocked changes and on follower ticks). */
  outcome?: string
  message?: string
}

export type WatchUpdate =
  | {
      type: 'tick'
      tick: number
      /** RFC 3339, the loop's clock (virtual time with --sim). */
      at: string
      /** Seconds since the run started, on the loop's clock. */
      elapsedSeconds: number
      leader: boolean
      decisions: WatchDecision[]
      /** The twin's fleet after the tick (--sim only). */
      fleet?: FleetStatus
    }
  | {
      type: 'lease'
      at: string
      elapsedSeconds: number
      change: 'acquired' | 'lost' | 'following' | 'released'
      holder: string
    }
  | {
      type: 'error'
      tick: number
      at: string
      elapsedSeconds: number
      phase: TickPhase
      message: string
      attempt: number
      retryInSeconds: number
    }
  | {type: 'state-conflict'; tick: number; at: string; elapsedSeconds: number; storedVersion: string | null}

/** The run's end (`-o json`: the last line, `{"type":"summary", ...}`). */
export interface WatchSummary {
  type: 'summary'
  mode: 'sim' | 'live'
  /** The scenario (sim) or the cluster (live). */
  source: string
  policy: string
  identity: string
  start: string
  end: string
  durationSeconds: number
  intervalSeconds: number
  /** Virtual seconds per wall second (sim). */
  speed?: number
  loop: Pick<
    ControllerRun,
    'ticks' | 'ledTicks' | 'errors' | 'outcomes' | 'applied' | 'stateConflicts' | 'stoppedBy' | 'releasedLease'
  > & {decisions: number; blocked: number}
  /** Total desired replicas and live nodes at the start, at their peak and at the end (sim). */
  fleet?: {
    replicas: {start: number; peak: number; end: number}
    nodes: {start: number; peak: number; end: number}
  }
  /** The twin's run summary (sim): SLO attainment, latency, GPU-hours, cost, scaling actions and flaps. */
  twin?: TwinSummary
  /** Where /metrics and /healthz were served, when --listen was given. */
  listen?: string
}
