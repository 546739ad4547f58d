/**
 * KubeLease against the twin's Kubernetes API server (which validates Lease MicroTime as a real apiserver does and
 * answers a stale resourceVersion with 409), two contenders with one fake clock: never both held, renewal, expiry
 * takeover measured from when the follower saw the last renewal, release, and races where both try at once.
 * kubectl judges what is stored.
 */
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'

import {FakeClock} from '../../../src/adapters/fake/recording-writers.js'
import {connectCluster} from '../../../src/adapters/kubernetes/connection.js'
import {formatMicroTime, KubeLease, LeaseApiError} from '../../../src/adapters/kubernetes/lease.js'
import type {LeaseStatus} from '../../../src/core/ports.js'
import {startTestTwin, type TestTwin} from '../../helpers/twin.js'

let twin: TestTwin
let name = 0
const DURATION = 45

beforeAll(async () => {
  twin = await startTestTwin()
})
afterAll(async () => {
  await twin.close()
})

let clock: FakeClock
let a: KubeLease
let b: KubeLease
let ref: {name: string; namespace: string}

beforeEach(async () => {
  clock = new FakeClock(1_800_000_000.123456)
  ref = {name: `gpu-scale-controller-${++name}`, namespace: 'default'}
  const connection = await connectCluster({kubeconfig: twin.kubeconfig})
  a = new KubeLease(connection, ref, clock)
  b = new KubeLease(await connectCluster({kubeconfig: twin.kubeconfig}), ref, clock)
})

const stored = () => twin.object('Lease', ref.namespace, ref.name) as {spec: Record<string, unknown>} | undefined
const neverBoth = (x: LeaseStatus, y: LeaseStatus) => expect(x.held && y.held).toBe(false)

describe('KubeLease on the twin', () => {
  test('the first contender creates and holds it; the second follows, naming the holder', async () => {
    const first = await a.tryAcquireOrRenew('a', DURATION)
    const second = await b.tryAcquireOrRenew('b', DURATION)
    expect(first).toEqual({held: true, expiresAt: clock.now() + DURATION})
    expect(second).toMatchObject({held: false, holder: 'a'})
    const spec = stored()?.spec
    expect(spec).toMatchObject({holderIdentity: 'a', leaseDurationSeconds: DURATION, leaseTransitions: 0})
    // MicroTime with exactly six fraction digits (facts §3), the clock's microseconds kept.
    expect(spec?.renewTime).toBe('2027-01-15T08:00:00.123456Z')
    const json = JSON.parse((await twin.kubectl('get', 'lease', ref.name, '-n', ref.namespace, '-o', 'json')).stdout)
    expect(json.spec.holderIdentity).toBe('a')
  })

  test.each([
    {wait: DURATION - 1, renewedMeanwhile: false, takesOver: false, why: 'still inside the duration since b saw it'},
    {wait: DURATION, renewedMeanwhile: false, takesOver: true, why: 'a full duration without a renewal: expired'},
    {
      wait: DURATION,
      renewedMeanwhile: true,
      takesOver: false,
      why: 'a renewal b observed restarts its wait (expiry is judged from observation, not from renewTime)',
    },
  ])('b tries after $wait s (a renewed meanwhile: $renewedMeanwhile): takes over = $takesOver — $why', async (row) => {
    await a.tryAcquireOrRenew('a', DURATION)
    expect(await b.tryAcquireOrRenew('b', DURATION)).toMatchObject({held: false}) // b observes the record now
    if (row.renewedMeanwhile) {
      clock.advance(row.wait / 2)
      expect(await a.tryAcquireOrRenew('a', DURATION)).toMatchObject({held: true})
      await b.tryAcquireOrRenew('b', DURATION)
      clock.advance(row.wait / 2)
    } else clock.advance(row.wait)
    const taken = await b.tryAcquireOrRenew('b', DURATION)
    expect(taken.held).toBe(row.takesOver)
    const renewed = await a.tryAcquireOrRenew('a', DURATION)
    neverBoth(taken, renewed)
    if (row.takesOver) {
      expect(renewed).toMatchObject({held: false, holder: 'b'})
      expect(stored()?.spec).toMatchObject({holderIdentity: 'b', leaseTransitions: 1})
    }
  })

  test('release clears the holder, and the other contender takes it at its next try without waiting', async () => {
    await a.tryAcquireOrRenew('a', DURATION)
    expect(await b.tryAcquireOrRenew('b', DURATION)).toMatchObject({held: false})
    await b.release('b') // not b's: a no-op
    expect(stored()?.spec.holderIdentity).toBe('a')
    await a.release('a')
    expect(stored()?.spec).toMatchObject({holderIdentity: '', leaseDurationSeconds: 1})
    expect(await b.tryAcquireOrRenew('b', DURATION)).toMatchObject({held: true})
    expect(stored()?.spec).toMatchObject({holderIdentity: 'b'})
  })

  test.each([
    {name: 'both create a missing Lease at once', setup: async () => undefined},
    {
      name: 'both take over an expired Lease at once',
      setup: async () => {
        const c = new KubeLease(await connectCluster({kubeconfig: twin.kubeconfig}), ref, clock)
        await c.tryAcquireOrRenew('c', DURATION)
        await Promise.all([a.tryAcquireOrRenew('a', DURATION), b.tryAcquireOrRenew('b', DURATION)])
        clock.advance(DURATION + 1)
      },
    },
  ])('$name: exactly one wins (resourceVersion concurrency), the other follows it', async ({setup}) => {
    await setup()
    twin.server.requests.length = 0
    const [x, y] = await Promise.all([a.tryAcquireOrRenew('a', DURATION), b.tryAcquireOrRenew('b', DURATION)])
    expect([x.held, y.held].filter(Boolean)).toHaveLength(1)
    const winner = x.held ? 'a' : 'b'
    expect(x.held ? y : x).toMatchObject({held: false, holder: winner})
    expect(stored()?.spec.holderIdentity).toBe(winner)
    // The loser's write was refused by the server, not by luck of timing.
    expect(twin.server.requests.some((r) => r.resource === 'leases' && r.code === 409)).toBe(true)
  })

  test('a server error is a one-line error naming the URL, with Retry-After kept for the backoff', async () => {
    await twin.server.faults.add({type: 'status', code: 429, retryAfterSeconds: 3, match: {path: '/leases/'}})
    const error = await a.tryAcquireOrRenew('a', DURATION).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LeaseApiError)
    expect((error as LeaseApiError).message).toMatch(
      new RegExp(`^GET ${twin.server.url}/apis/coordination.k8s.io/v1/namespaces/default/leases/${ref.name}: 429 `),
    )
    expect((error as LeaseApiError).message).not.toContain('\n')
    expect((error as LeaseApiError).retryAfterSeconds).toBe(3)
  })
})

test.each([
  {at: 1_800_000_000, text: '2027-01-15T08:00:00.000000Z', why: 'whole seconds still carry six zeros'},
  {at: 1_800_000_000.5, text: '2027-01-15T08:00:00.500000Z', why: 'half a second'},
  {at: 1_800_000_000.000001, text: '2027-01-15T08:00:00.000001Z', why: 'one microsecond survives'},
  {at: 1_800_000_000 + 0.9999996, text: '2027-01-15T08:00:01.000000Z', why: 'rounding carries into the next second'},
])('formatMicroTime($at) = $text — $why', ({at, text}) => {
  expect(formatMicroTime(at)).toBe(text)
})
