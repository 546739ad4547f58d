/**
 * What a live reader noticed and could not put into the snapshot itself: an API not installed, an autoscaler that
 * owns a workload, a telemetry query that answered nothing usable. Printed on stderr and returned in `snapshot`'s
 * result, so a person sees why a plan holds back; codes are PascalCase and stable.
 */
import type {ReasonCode} from '../core/model/reason-codes.js'

export interface LiveDiagnostic {
  severity: 'info' | 'warning' | 'error'
  /** A code of the dictionary (core/model/reason-codes.ts, LIVE_REASON_CODES mostly): a plan carries it. */
  code: ReasonCode
  message: string
}
