/** The apply result as a table: each change's status and, when it was not applied, why; the exit code explained. */
import {describe, expect, test} from 'vitest'

import type {ApplyOutcome} from '../../src/core/apply/apply-result.js'
import {renderApply} from '../../src/views/apply.js'

const outcome = (changes: ApplyOutcome['changes'], exitCode: ApplyOutcome['exitCode']): ApplyOutcome => ({
  apiVersion: 'gpu-scale.dev/v1alpha1',
  kind: 'ApplyResult',
  source: 'plan.json → kubeconfig k (https://api:6443)',
  plannedAt: '2026-11-30T01:00:00Z',
  planId: 'sha256:x',
  resumed: [],
  replanned: false,
  changes,
  counts: {
    applied: changes.filter((c) => c.status === 'applied').length,
    skipped: changes.filter((c) => c.status === 'skipped').length,
    'precondition-failed': changes.filter((c) => c.status === 'precondition-failed').length,
    failed: changes.filter((c) => c.status === 'failed').length,
  },
  exitCode,
})
const change = (status: ApplyOutcome['changes'][number]['status'], detail = '') => ({
  id: 'pod:llm/chat',
  action: 'scale-replicas' as const,
  target: 'Deployment/llm/chat',
  from: 3,
  to: 4,
  status,
  detail,
})

describe('renderApply', () => {
  test.each([
    {
      why: 'all applied: the counts, no footer',
      o: outcome([change('applied')], 0),
      has: ['1 applied, 0 skipped, 0 stale, 0 failed.', 'pod:llm/chat', '3 → 4'],
      hasNot: ['exit'],
    },
    {
      why: 'a stale precondition: what changed, and exit 4 explained',
      o: outcome([change('precondition-failed', 'spec.replicas changed: expected 3, found 2')], 4),
      has: ['expected 3, found 2', 'refused (exit 4)'],
      hasNot: [],
    },
    {
      why: 'a failure: exit 1 and that a rerun finishes',
      o: outcome([change('failed', 'node n stays cordoned')], 1),
      has: ['stays cordoned', 'failed (exit 1)', 'rerun apply'],
      hasNot: [],
    },
    {why: 'no changes: says the cluster matches', o: outcome([], 0), has: ['No changes'], hasNot: ['Change']},
  ])('$why', ({o, has, hasNot}) => {
    const text = renderApply(o)
    for (const s of has) expect(text).toContain(s)
    for (const s of hasNot) expect(text).not.toContain(s)
    expect(text.includes('\u001B[')).toBe(false)
  })
})
