/** What `apply` returns and `apply -o json` prints: one entry per change, in execution order. */
import type {Change} from '../model/plan.js'
import type {ApplyResult, ChangeStatus} from './apply-plan.js'

export interface AppliedChange {
  id: string
  action: Change['action']
  target: string
  from: string | number
  to: string | number
  status: ChangeStatus['status']
  /** Why it was not applied, or what was done instead (an HPA driven). */
  detail: string
}

/** The typed result `apply -o json` prints. */
export interface ApplyOutcome {
  apiVersion: 'gpu-scale.dev/v1alpha1'
  kind: 'ApplyResult'
  source: string
  plannedAt: string
  planId: string
  /** Changes a crashed run left mid-way, finished first. */
  resumed: string[]
  replanned: boolean
  changes: AppliedChange[]
  counts: ApplyResult['counts']
  exitCode: 0 | 1 | 4
}
