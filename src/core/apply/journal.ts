/**
 * The apply journal: which changes of which plan are finished, and how far a multi-step change got, so a run
 * after a crash finishes the job without repeating finished steps (PRODUCT.md: "nothing is half-applied without a
 * status that says so and a rerun that finishes it"). Pure: the service loads it from and saves it to the
 * controller-state store (a ConfigMap) after every change, before the next one starts.
 *
 * Rules, in the order the service applies them:
 * 1. A plan is known by its id (a hash of its changes' ids, actions and payloads): a rerun of the same saved plan
 *    skips the ids in `done`. Another plan (a live `apply -c` replans every run) starts with nothing done: its
 *    changes were computed from the cluster as it is now, after the earlier run's writes.
 * 2. A change `inProgress` (a MIG repartition that cordoned, drained or relabelled before the crash) is kept with
 *    its own copy of the change, whatever the plan: the next run resumes it first, at the step it reached, so a
 *    node is never left cordoned because the new plan no longer mentions it.
 * 3. `done` grows only on `applied`; a change that failed or was refused stays to be tried again.
 */
import type {Change, MigChange} from '../model/plan.js'
import type {ControllerState} from '../model/state.js'
import type {ChangeStatus} from './apply-plan.js'

/**
 * What gpu-scale keeps in its state ConfigMap (`gpu-scale-state`, key `state.json`): the planner's controller state
 * (read back by the next live plan, so consecutive runs stabilize like one HPA controller) and the apply journal.
 */
export interface PersistedState {
  controllerState?: ControllerState
  applyJournal?: ApplyJournal
}

/** The steps of a MIG repartition already done (in this order), and whether it was apply that cordoned the node. */
export interface MigProgress {
  step: 'cordoned' | 'drained' | 'labelled'
  /** False when the node was already cordoned before: then apply leaves it cordoned at the end. */
  cordonedByUs: boolean
}

export interface ApplyJournal {
  planId: string
  done: string[]
  inProgress: Array<{change: MigChange; progress: MigProgress}>
  /** RFC 3339 instant of the last write, for people reading the ConfigMap. */
  updatedAt: string
}

export const MIG_STEPS: ReadonlyArray<MigProgress['step']> = ['cordoned', 'drained', 'labelled']

/** Whether `progress` has reached (or passed) `step`. */
export function reached(progress: MigProgress | undefined, step: MigProgress['step']): boolean {
  return progress !== undefined && MIG_STEPS.indexOf(progress.step) >= MIG_STEPS.indexOf(step)
}

/** The id of a plan's executable content: equal changes, equal id (reasons and telemetry details do not count). */
export function planIdOf(changes: readonly Change[], hash: (text: string) => string): string {
  return hash(JSON.stringify(changes.map((c) => [c.id, c.action, c.status, c.payload])))
}

export function emptyJournal(planId: string, at: string): ApplyJournal {
  return {planId, done: [], inProgress: [], updatedAt: at}
}

/** The journal to run `planId` with: the stored one when it is the same plan, else a fresh one keeping what is in progress. */
export function openJournal(stored: ApplyJournal | undefined, planId: string, at: string): ApplyJournal {
  if (!stored) return emptyJournal(planId, at)
  if (stored.planId === planId) return {...stored, updatedAt: at}
  return {planId, done: [], inProgress: stored.inProgress, updatedAt: at}
}

export function progressOf(journal: ApplyJournal, changeId: string): MigProgress | undefined {
  return journal.inProgress.find((p) => p.change.id === changeId)?.progress
}

/** Records a step of a multi-step change. */
export function recordProgress(
  journal: ApplyJournal,
  change: MigChange,
  progress: MigProgress,
  at: string,
): ApplyJournal {
  return {
    ...journal,
    inProgress: [...journal.inProgress.filter((p) => p.change.id !== change.id), {change, progress}],
    updatedAt: at,
  }
}

/** Forgets a multi-step change's progress (it was undone: the node is back as it was). */
export function clearProgress(journal: ApplyJournal, changeId: string, at: string): ApplyJournal {
  return {...journal, inProgress: journal.inProgress.filter((p) => p.change.id !== changeId), updatedAt: at}
}

/** Records one change's outcome: applied ⇒ done (and no longer in progress); anything else leaves the journal as the writer left it. */
export function recordResult(journal: ApplyJournal, status: ChangeStatus, at: string): ApplyJournal {
  if (status.status !== 'applied') return journal
  return {
    ...journal,
    done: journal.done.includes(status.changeId) ? journal.done : [...journal.done, status.changeId],
    inProgress: journal.inProgress.filter((p) => p.change.id !== status.changeId),
    updatedAt: at,
  }
}

/**
 * The changes a run must resume before its plan: those in progress that the plan does not hold itself (when it
 * does, the plan's own run resumes them through `started`).
 */
export function resumableChanges(journal: ApplyJournal, plan: readonly Change[]): MigChange[] {
  const ids = new Set(plan.map((c) => c.id))
  return journal.inProgress.filter((p) => !ids.has(p.change.id)).map((p) => p.change)
}
