/** The apply journal's rules, each row naming why: what a rerun skips, resumes or starts afresh. */
import {describe, expect, test} from 'vitest'

import type {ChangeStatus} from '../../../src/core/apply/index.js'
import {
  clearProgress,
  emptyJournal,
  openJournal,
  planIdOf,
  reached,
  recordProgress,
  recordResult,
  resumableChanges,
} from '../../../src/core/apply/journal.js'
import {repartition, replicas} from '../../services/apply-helpers.js'

const at = '2026-11-30T01:00:00Z'
const hash = (text: string) => text
const mig = repartition('mig-pool-002', 'all-disabled', 'all-1g.10gb')
const scale = replicas('llama-8b', 2, 3)
const applied = (changeId: string): ChangeStatus => ({changeId, action: 'scale-replicas', status: 'applied'})

describe('openJournal', () => {
  const stored = {
    ...recordProgress(emptyJournal('plan-a', at), mig, {step: 'labelled', cordonedByUs: true}, at),
    done: ['pod:llm/llama-8b'],
  }
  test.each([
    {why: 'nothing stored: a fresh journal', stored: undefined, planId: 'plan-a', done: [], inProgress: 0},
    {
      why: 'the same plan again: what is done stays done (skipped on rerun)',
      stored,
      planId: 'plan-a',
      done: ['pod:llm/llama-8b'],
      inProgress: 1,
    },
    {
      why: 'another plan (live replans every run): nothing is done, but the half-done MIG change is kept to finish',
      stored,
      planId: 'plan-b',
      done: [],
      inProgress: 1,
    },
  ])('$why', ({stored, planId, done, inProgress}) => {
    const journal = openJournal(stored, planId, at)
    expect(journal.planId).toBe(planId)
    expect(journal.done).toEqual(done)
    expect(journal.inProgress).toHaveLength(inProgress)
  })
})

describe('recording', () => {
  test.each([
    {
      why: 'applied: done, and no longer in progress',
      status: applied('gpu:mig-pool-002'),
      done: ['gpu:mig-pool-002'],
      inProgress: 0,
    },
    {
      why: 'failed: stays in progress, so the rerun resumes it',
      status: {
        changeId: 'gpu:mig-pool-002',
        action: 'repartition-gpu',
        status: 'failed',
        message: 'stuck',
        retryable: true,
      } as ChangeStatus,
      done: [],
      inProgress: 1,
    },
    {
      why: 'refused: not done, tried again next run',
      status: {
        changeId: 'pod:llm/llama-8b',
        action: 'scale-replicas',
        status: 'skipped',
        reason: 'refused',
        message: 'no consent',
      } as ChangeStatus,
      done: [],
      inProgress: 1,
    },
  ])('$why', ({status, done, inProgress}) => {
    const started = recordProgress(emptyJournal('p', at), mig, {step: 'labelled', cordonedByUs: true}, at)
    const journal = recordResult(started, status, at)
    expect(journal.done).toEqual(done)
    expect(journal.inProgress).toHaveLength(inProgress)
  })

  test('an applied change is recorded once, however often it is reported', () => {
    const once = recordResult(emptyJournal('p', at), applied('pod:llm/llama-8b'), at)
    expect(recordResult(once, applied('pod:llm/llama-8b'), at).done).toEqual(['pod:llm/llama-8b'])
  })

  test('a step replaces the previous step of the same change; clearing forgets it (the node was put back)', () => {
    let journal = recordProgress(emptyJournal('p', at), mig, {step: 'cordoned', cordonedByUs: true}, at)
    journal = recordProgress(journal, mig, {step: 'drained', cordonedByUs: true}, at)
    expect(journal.inProgress.map((p) => p.progress.step)).toEqual(['drained'])
    expect(clearProgress(journal, mig.id, at).inProgress).toEqual([])
  })
})

describe('what a run resumes', () => {
  test.each([
    {
      why: 'a MIG change the new plan does not hold: resumed first from its own copy',
      plan: [scale],
      resumes: ['gpu:mig-pool-002'],
    },
    {why: 'the plan holds it itself: resumed in the plan run (started), not twice', plan: [scale, mig], resumes: []},
  ])('$why', ({plan, resumes}) => {
    const journal = recordProgress(emptyJournal('p', at), mig, {step: 'labelled', cordonedByUs: false}, at)
    expect(resumableChanges(journal, plan).map((c) => c.id)).toEqual(resumes)
  })

  test.each([
    {step: 'cordoned' as const, check: 'drained' as const, reached: false},
    {step: 'drained' as const, check: 'drained' as const, reached: true},
    {step: 'labelled' as const, check: 'drained' as const, reached: true},
    {step: 'drained' as const, check: 'labelled' as const, reached: false},
  ])('after $step, $check is reached: $reached (steps are ordered)', ({step, check, reached: expected}) => {
    expect(reached({step, cordonedByUs: true}, check)).toBe(expected)
  })
})

describe('planIdOf', () => {
  test.each([
    {why: 'the same changes: the same id', a: [scale], b: [replicas('llama-8b', 2, 3)], same: true},
    {why: 'another target count: another plan', a: [scale], b: [replicas('llama-8b', 2, 4)], same: false},
    {why: 'reasons do not count (they explain, never steer)', a: [scale], b: [{...scale, reasons: []}], same: true},
  ])('$why', ({a, b, same}) => {
    expect(planIdOf(a, hash) === planIdOf(b, hash)).toBe(same)
  })
})
