/**
 * Retries by what the API's answer means: conflicts re-run the read-then-write at once, overload and 5xx back off
 * (honouring Retry-After), a PodDisruptionBudget's 429 and every other code are final. Errors are built as
 * client-node 1.4 throws them: `code`, the body as a raw string, headers (facts §3).
 */
import {describe, expect, test} from 'vitest'

import {ApiCallError, classifyApiError, withRetry} from '../../../src/adapters/kubernetes/retry.js'

const call = {
  server: 'https://k8s.example:6443',
  method: 'PATCH',
  path: '/apis/apps/v1/namespaces/llm/deployments/x/scale',
}
const status = (code: number, reason: string, message: string, extra: object = {}) => ({
  code,
  body: JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra}),
  headers: {},
})
const conflict = status(
  409,
  'Conflict',
  'Operation cannot be fulfilled on deployments.apps "x": the object has been modified',
)
const overload = {code: 429, body: 'Too many requests, please try again later.\n', headers: {'Retry-After': '2'}}
const pdb = status(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
  details: {
    causes: [
      {reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 2 healthy pods and has 2 currently'},
    ],
  },
})
const internal = status(500, 'InternalError', 'etcdserver: leader changed')
const invalid = status(422, 'Invalid', 'Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1')
const notFound = status(404, 'NotFound', 'deployments.apps "x" not found')
const refused = Object.assign(new Error('request to https://k8s.example:6443 failed, reason: connect ECONNREFUSED'), {
  name: 'FetchError',
  code: 'ECONNREFUSED',
})

/** Fails with `errors` in order, then returns 'ok'; counts attempts and records sleeps. */
function scripted(errors: unknown[]) {
  const sleeps: number[] = []
  let attempts = 0
  const attempt = async () => {
    attempts++
    const next = errors.shift()
    if (next !== undefined) throw next
    return 'ok'
  }
  return {attempt, sleeps, attempts: () => attempts, sleep: async (s: number) => void sleeps.push(s)}
}

describe('withRetry', () => {
  test.each([
    {
      why: '409: re-run at once (the attempt re-reads), no sleep',
      errors: [conflict, conflict],
      attempts: 3,
      sleeps: [],
    },
    {why: '429 with Retry-After 2: wait at least 2 s', errors: [overload], attempts: 2, sleeps: [2]},
    {
      why: '500: back off with full jitter (random 0.5 of a 0.5 s ceiling)',
      errors: [internal],
      attempts: 2,
      sleeps: [0.25],
    },
    {
      why: 'two 5xx: the ceiling doubles (0.5, then 1 s)',
      errors: [internal, internal],
      attempts: 3,
      sleeps: [0.25, 0.5],
    },
    {why: 'a refused connection is transient', errors: [refused], attempts: 2, sleeps: [0.25]},
  ])('$why', async ({errors, attempts, sleeps}) => {
    const s = scripted([...errors])
    await expect(withRetry(call, s.attempt, {sleep: s.sleep, random: () => 0.5})).resolves.toBe('ok')
    expect(s.attempts()).toBe(attempts)
    expect(s.sleeps).toEqual(sleeps)
  })

  test.each([
    {
      why: '422 is final at once',
      error: invalid,
      kind: 'final',
      says: 'PATCH https://k8s.example:6443/apis/apps/v1/namespaces/llm/deployments/x/scale failed: HTTP 422 Invalid: Deployment.apps "x" is invalid',
    },
    {why: '404 is final, as not-found', error: notFound, kind: 'not-found', says: 'HTTP 404 NotFound'},
    {
      why: "a PDB's 429 is the drain's to wait out, never retried here",
      error: pdb,
      kind: 'budget',
      says: 'needs 2 healthy pods and has 2 currently',
    },
  ])('$why', async ({error, kind, says}) => {
    const s = scripted([error])
    const thrown = await withRetry(call, s.attempt, {sleep: s.sleep}).catch((e: unknown) => e)
    expect(thrown).toBeInstanceOf(ApiCallError)
    expect((thrown as ApiCallError).kind).toBe(kind)
    expect((thrown as ApiCallError).message).toContain(says)
    expect(s.attempts()).toBe(1)
  })

  test.each([
    {
      why: 'conflicts are bounded: a fight with another writer ends',
      errors: Array(10).fill(conflict),
      options: {maxConflicts: 3},
      attempts: 4,
      says: 'still conflicting after 3 fresh reads',
    },
    {
      why: '5xx are bounded',
      errors: Array(10).fill(internal),
      options: {maxAttempts: 3},
      attempts: 3,
      says: 'gave up after 3 attempts',
    },
  ])('$why', async ({errors, options, attempts, says}) => {
    const s = scripted([...errors])
    const thrown = (await withRetry(call, s.attempt, {sleep: s.sleep, ...options}).catch((e: unknown) => e)) as Error
    expect(thrown.message).toContain(says)
    expect(s.attempts()).toBe(attempts)
  })

  test("the attempt's own errors (not the API's) are never retried", async () => {
    const s = scripted([new Error('precondition failed')])
    await expect(withRetry(call, s.attempt, {sleep: s.sleep})).rejects.toThrow('precondition failed')
    expect(s.attempts()).toBe(1)
  })

  test('delays are capped, and Retry-After wins over a smaller jitter', async () => {
    const s = scripted(Array(5).fill(internal))
    await withRetry(call, s.attempt, {sleep: s.sleep, random: () => 0.999, maxDelaySeconds: 1, maxAttempts: 10})
    expect(Math.max(...s.sleeps)).toBeLessThanOrEqual(1)
  })
})

describe('classifyApiError', () => {
  test('AlreadyExists (409 on create) is final, not a conflict to re-run', () => {
    expect(classifyApiError(call, status(409, 'AlreadyExists', 'configmaps "s" already exists')).kind).toBe('final')
  })
})
