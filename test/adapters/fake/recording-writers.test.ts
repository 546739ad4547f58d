/**
 * The write-side fakes behave like the ports promise: preconditions are checked before acting, results are per
 * change (never a throw), node groups grow by a delta and shrink only by a named node, and a scripted failure
 * hits exactly the next call.
 */
import {describe, expect, test} from 'vitest'

import {
  FakeClock,
  fieldKey,
  InMemoryLease,
  InMemoryStateStore,
  RecordingClusterWriter,
  RecordingNodeGroupWriter,
} from '../../../src/adapters/fake/recording-writers.js'
import type {ExecutableChange, Precondition} from '../../../src/core/ports.js'

const chat = {kind: 'Deployment', namespace: 'llm', name: 'chat'} as const
const replicasAre = (n: number): Precondition => ({resource: chat, path: 'spec.replicas', equals: n})

/** A replica change as the planner's typed union will carry it: an id, preconditions, and its own payload. */
interface ScaleReplicas extends ExecutableChange {
  to: number
}

function scaleTo(to: number, from: number): ScaleReplicas {
  return {id: `pod/llm/chat`, preconditions: [replicasAre(from)], to}
}

function writer(replicas: number): RecordingClusterWriter<ScaleReplicas> {
  return new RecordingClusterWriter<ScaleReplicas>({
    fields: {[fieldKey(chat, 'spec.replicas')]: replicas},
    effect: (change) => [{resource: chat, path: 'spec.replicas', value: change.to}],
  })
}

describe('RecordingClusterWriter', () => {
  test.each([
    {
      why: 'preconditions hold: applied, and the field changes',
      replicas: 2,
      change: scaleTo(4, 2),
      status: 'applied',
      after: 4,
    },
    {
      why: 'someone scaled it meanwhile: refused, nothing changes',
      replicas: 3,
      change: scaleTo(4, 2),
      status: 'precondition-failed',
      after: 3,
    },
    {
      why: 'no preconditions: applied',
      replicas: 2,
      change: {id: 'x', preconditions: [], to: 5},
      status: 'applied',
      after: 5,
    },
  ])('$why', async ({replicas, change, status, after}) => {
    const fake = writer(replicas)
    const result = await fake.apply(change)
    expect(result.status).toBe(status)
    expect(fake.fields.get(fieldKey(chat, 'spec.replicas'))).toBe(after)
    expect(fake.calls).toEqual([change])
  })

  test('a failed precondition says which one and what the cluster holds', async () => {
    expect(await writer(3).apply(scaleTo(4, 2))).toEqual({
      changeId: 'pod/llm/chat',
      status: 'precondition-failed',
      precondition: replicasAre(2),
      actual: 3,
    })
  })

  test('failNext fails exactly the next call, recorded, then the writer works again', async () => {
    const fake = writer(2).failNext('the API server timed out', {retryable: true})
    expect(await fake.apply(scaleTo(4, 2))).toEqual({
      changeId: 'pod/llm/chat',
      status: 'failed',
      message: 'the API server timed out',
      retryable: true,
    })
    expect(fake.fields.get(fieldKey(chat, 'spec.replicas'))).toBe(2)
    expect((await fake.apply(scaleTo(4, 2))).status).toBe('applied')
    expect(fake.calls).toHaveLength(2)
  })
})

describe('RecordingNodeGroupWriter', () => {
  const groups = () => new RecordingNodeGroupWriter({spot: {nodes: ['spot-1', 'spot-2']}})

  test.each([
    {
      why: 'grow by a delta',
      run: (w: RecordingNodeGroupWriter) => w.increaseSize('spot', 2),
      status: 'done',
      size: 4,
      nodes: ['spot-1', 'spot-2', 'spot-new-1', 'spot-new-2'],
    },
    {
      why: 'remove the named node, and only it',
      run: (w: RecordingNodeGroupWriter) => w.removeNode('spot', 'spot-1'),
      status: 'done',
      size: 1,
      nodes: ['spot-2'],
    },
    {
      why: 'a node not in the group is not found, nothing changes',
      run: (w: RecordingNodeGroupWriter) => w.removeNode('spot', 'other-1'),
      status: 'failed',
      size: 2,
      nodes: ['spot-1', 'spot-2'],
    },
    {
      why: 'a delta that is not a positive integer is refused',
      run: (w: RecordingNodeGroupWriter) => w.increaseSize('spot', -1),
      status: 'failed',
      size: 2,
      nodes: ['spot-1', 'spot-2'],
    },
    {
      why: 'an unknown group is not found',
      run: (w: RecordingNodeGroupWriter) => w.increaseSize('gone', 1),
      status: 'failed',
      size: 2,
      nodes: ['spot-1', 'spot-2'],
    },
  ])('$why', async ({run, status, size, nodes}) => {
    const fake = groups()
    expect((await run(fake)).status).toBe(status)
    expect(fake.groups.get('spot')).toEqual({targetSize: size, nodes})
  })

  test('a scripted capacity error hits the next call only (the spot fallback path)', async () => {
    const fake = groups().failNext('capacity', 'InsufficientInstanceCapacity')
    expect(await fake.increaseSize('spot', 1)).toEqual({
      status: 'failed',
      failure: 'capacity',
      message: 'InsufficientInstanceCapacity',
    })
    expect(await fake.increaseSize('spot', 1)).toEqual({status: 'done'})
    expect(fake.calls).toEqual([
      {method: 'increaseSize', group: 'spot', delta: 1},
      {method: 'increaseSize', group: 'spot', delta: 1},
    ])
  })
})

describe('FakeClock', () => {
  test('sleep resolves only once time is advanced past it, earliest first', async () => {
    const clock = new FakeClock(1000)
    const woke: string[] = []
    const a = clock.sleep(30).then(() => woke.push('30s'))
    const b = clock.sleep(10).then(() => woke.push('10s'))
    clock.advance(9)
    await Promise.resolve()
    expect(woke).toEqual([])
    clock.advance(21)
    await Promise.all([a, b])
    expect(woke).toEqual(['10s', '30s'])
    expect(clock.now()).toBe(1030)
  })

  test('an aborted sleep rejects with the reason', async () => {
    const clock = new FakeClock(0)
    const controller = new AbortController()
    const sleeping = clock.sleep(60, controller.signal)
    controller.abort(new Error('shutting down'))
    await expect(sleeping).rejects.toThrow('shutting down')
  })
})

describe('InMemoryStateStore', () => {
  test.each([
    {why: 'first save expects nothing stored', expected: undefined, saved: true},
    {why: 'a stale version is a conflict', expected: '7', saved: false},
  ])('$why', async ({expected, saved}) => {
    expect((await new InMemoryStateStore<{n: number}>().save({n: 1}, expected)).saved).toBe(saved)
  })

  test('load returns what was saved with its version; the next save must name it', async () => {
    const store = new InMemoryStateStore<{n: number}>()
    await store.save({n: 1}, undefined)
    const loaded = await store.load()
    expect(loaded).toEqual({state: {n: 1}, version: '1'})
    expect(await store.save({n: 2}, loaded?.version)).toEqual({saved: true, version: '2'})
    expect(await store.conflictNext().save({n: 3}, '2')).toEqual({saved: false, reason: 'conflict'})
  })
})

describe('InMemoryLease', () => {
  test('one holder at a time until the lease expires; renewal extends it; release frees it', async () => {
    const clock = new FakeClock(0)
    const lease = new InMemoryLease(clock)
    expect(await lease.tryAcquireOrRenew('a', 15)).toEqual({held: true, expiresAt: 15})
    expect(await lease.tryAcquireOrRenew('b', 15)).toEqual({held: false, holder: 'a', expiresAt: 15})
    clock.advance(10)
    expect(await lease.tryAcquireOrRenew('a', 15)).toEqual({held: true, expiresAt: 25})
    clock.advance(16)
    expect(await lease.tryAcquireOrRenew('b', 15)).toEqual({held: true, expiresAt: 41})
    await lease.release('b')
    expect((await lease.tryAcquireOrRenew('a', 15)).held).toBe(true)
  })
})
