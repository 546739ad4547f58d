/**
 * The controller loop of `apply --watch`, driven through fakes only (no real sleeping: a FakeClock the test
 * advances). Each case names what it guards: only the Lease holder acts and a lost lease stops the next write;
 * failures back off exponentially, capped, and reset on success; a state conflict is re-read, never overwritten;
 * SIGTERM mid-apply finishes the write in flight, saves the journal and releases the Lease; a restart resumes from
 * the stored state and decides exactly as an uninterrupted run (no flap), where a restart that forgot its state
 * does not.
 */
import {describe, expect, test} from 'vitest'

import {
  FakeClock,
  InMemoryLease,
  InMemoryStateStore,
  RecordingClusterWriter,
  RecordingNodeGroupWriter,
} from '../../../src/adapters/fake/recording-writers.js'
import {loadConfigFile} from '../../../src/adapters/config-file.js'
import {loadScenarioFile} from '../../../src/adapters/scenario-file.js'
import {
  backoffSeconds,
  DEFAULT_BACKOFF,
  journal,
  runController,
  type ControllerEvent,
  type ControllerOptions,
  type ControllerPorts,
} from '../../../src/core/loop/controller.js'
import {SimWorld} from '../../../src/core/loop/sim-world.js'
import type {Change, Plan, ReplicaChange} from '../../../src/core/model/plan.js'
import type {ClusterSnapshot} from '../../../src/core/model/snapshot.js'
import {emptyControllerState, type ControllerState} from '../../../src/core/model/state.js'
import type {Lease, LeaseStatus} from '../../../src/core/ports.js'
import {summarizeLog} from '../../../src/core/twin/index.js'

const T0 = 1_800_000_000
const INTERVAL = 30

function replicaChange(name: string, from: number, to: number): ReplicaChange {
  const workload = {kind: 'Deployment', namespace: 'llm', name} as const
  return {
    id: `pod:llm/${name}`,
    layer: 'pod',
    action: 'scale-replicas',
    target: {kind: 'Deployment', name, namespace: 'llm'},
    status: 'planned',
    eta: null,
    dependsOn: [],
    reasons: [{code: 'ScaleUpSignal', message: 'queue over target', evidence: {}}],
    preconditions: [],
    from,
    to,
    payload: {workload, from, to},
  }
}

/** A plan as planCluster returns it: the changes, and a next state where each starts `pending`. */
function planOf(changes: Change[], at: number): Plan {
  const state = emptyControllerState(at)
  state.changes = changes.map((c) => ({id: c.id, action: c.action, since: at, status: 'pending'}))
  return {
    apiVersion: 'gpu-scale.dev/v1alpha1',
    kind: 'Plan',
    formatVersion: 2,
    plannedAt: new Date(at * 1000).toISOString(),
    summary: {changes: changes.length, blocked: 0, byLayer: {pod: changes.length, node: 0, gpu: 0}},
    changes,
    skipped: [],
    diagnostics: [],
    state,
  }
}

/** The fields of a snapshot the loop itself reads (the fake planner reads none). */
function snapshotAt(at: number): ClusterSnapshot {
  return {
    capturedAt: at,
    nodes: [],
    nodeGroups: [],
    pods: [],
    workloads: [],
    telemetry: [],
  } as unknown as ClusterSnapshot
}

/** A Lease in memory that another replica can take by force (as if our renewals had stopped reaching it). */
class StealableLease implements Lease {
  readonly inner: InMemoryLease
  private stolenBy: string | undefined
  constructor(private readonly clock: FakeClock) {
    this.inner = new InMemoryLease(clock)
  }
  steal(holder: string): void {
    this.stolenBy = holder
  }
  async tryAcquireOrRenew(holder: string, duration: number): Promise<LeaseStatus> {
    if (this.stolenBy && this.stolenBy !== holder)
      return {held: false, holder: this.stolenBy, expiresAt: this.clock.now() + duration}
    return this.inner.tryAcquireOrRenew(holder, duration)
  }
  async release(holder: string): Promise<void> {
    await this.inner.release(holder)
  }
}

interface Harness {
  clock: FakeClock
  store: InMemoryStateStore<ControllerState>
  writer: RecordingClusterWriter<Change>
  events: ControllerEvent[]
  reads: number
  abort: AbortController
  ports: ControllerPorts
  lease: StealableLease
}

function harness(
  options: {
    snapshot?: (h: Harness) => ClusterSnapshot | Promise<ClusterSnapshot>
    onWrite?: (h: Harness, change: Change) => void
  } = {},
): Harness {
  const clock = new FakeClock(T0)
  const lease = new StealableLease(clock)
  const store = new InMemoryStateStore<ControllerState>()
  const h = {} as Harness
  const inner = new RecordingClusterWriter<Change>()
  const writer = {
    calls: inner.calls,
    apply: async (change: Change) => {
      const result = await inner.apply(change)
      options.onWrite?.(h, change)
      return result
    },
  } as unknown as RecordingClusterWriter<Change>
  Object.assign(h, {
    clock,
    store,
    writer,
    events: [],
    reads: 0,
    abort: new AbortController(),
    lease,
    ports: {
      clock,
      lease,
      state: store,
      reader: {
        snapshot: async () => {
          h.reads++
          return options.snapshot ? options.snapshot(h) : snapshotAt(clock.now())
        },
      },
      apply: {cluster: writer, nodeGroups: new RecordingNodeGroupWriter(), read: () => undefined},
    },
  })
  return h
}

function start(h: Harness, changes: (tick: number) => Change[], extra: Partial<ControllerOptions> = {}) {
  let tick = 0
  return runController(h.ports, {
    config: {} as ControllerOptions['config'],
    identity: 'me',
    intervalSeconds: INTERVAL,
    signal: h.abort.signal,
    emit: (e) => h.events.push(e),
    plan: ({snapshot}) => planOf(changes(++tick), snapshot.capturedAt),
    ...extra,
  })
}

/** Lets every pending promise of the in-memory fakes settle. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Advances the fake clock in steps, flushing in between, up to `seconds` later. */
async function advance(clock: FakeClock, seconds: number, step = 1): Promise<void> {
  await flush()
  for (let t = 0; t < seconds; t += step) {
    clock.advance(step)
    await flush()
  }
}

const of = <K extends ControllerEvent['event']>(events: ControllerEvent[], kind: K) =>
  events.filter((e): e is Extract<ControllerEvent, {event: K}> => e.event === kind)

describe('backoff', () => {
  test.each([
    {attempt: 1, seconds: 5, why: 'the first failure waits the initial delay'},
    {attempt: 2, seconds: 10, why: 'each consecutive failure doubles it'},
    {attempt: 4, seconds: 40, why: '5 × 2³'},
    {attempt: 7, seconds: 300, why: '5 × 2⁶ = 320 is capped at 5 minutes'},
    {attempt: 50, seconds: 300, why: 'stays at the cap, never overflows'},
  ])('attempt $attempt waits $seconds s: $why', ({attempt, seconds}) => {
    expect(backoffSeconds(DEFAULT_BACKOFF, attempt)).toBe(seconds)
  })

  test.each([
    {
      name: '429 three times, then the API answers',
      failures: 3,
      error: () => Object.assign(new Error('429 Too Many Requests'), {}),
      delays: [5, 10, 20, 30],
      why: '5, 10, 20 s of backoff, then the plain interval once a tick succeeds (reset)',
    },
    {
      name: '500 eight times',
      failures: 8,
      error: () => new Error('500 Internal Server Error'),
      delays: [5, 10, 20, 40, 80, 160, 300, 300, 30],
      why: 'doubling up to the 5-minute cap, and back to the interval after',
    },
    {
      name: '429 with Retry-After 45',
      failures: 1,
      error: () => Object.assign(new Error('429 Too Many Requests'), {retryAfterSeconds: 45}),
      delays: [45, 30],
      why: "the server's Retry-After is a floor over the 5 s backoff",
    },
  ])('$name: sleeps $delays — $why', async ({failures, error, delays}) => {
    let failing = failures
    const h = harness({
      snapshot: (hh) => {
        if (failing-- > 0) throw error()
        return snapshotAt(hh.clock.now())
      },
    })
    const run = start(h, () => [])
    await advance(
      h.clock,
      delays.reduce((a, b) => a + b, 0),
    )
    h.abort.abort()
    await flush()
    const result = await run
    const starts = of(h.events, 'tick.started').map((e) => e.at)
    expect(starts.slice(1).map((t, i) => t - (starts[i] as number))).toEqual(delays)
    expect(of(h.events, 'error').map((e) => e.retryInSeconds)).toEqual(delays.slice(0, failures))
    expect(of(h.events, 'error').every((e) => e.phase === 'snapshot')).toBe(true)
    expect(result.errors).toBe(failures)
  })

  test('a failing lease call backs off too, and never crashes the loop', async () => {
    const h = harness()
    let failing = 2
    const lease = h.ports.lease
    h.ports.lease = {
      tryAcquireOrRenew: async (holder, duration) => {
        if (failing-- > 0) throw new Error('503 Service Unavailable')
        return lease.tryAcquireOrRenew(holder, duration)
      },
      release: (holder) => lease.release(holder),
    }
    const run = start(h, () => [])
    await advance(h.clock, 15)
    h.abort.abort()
    const result = await run
    expect(of(h.events, 'error').map((e) => [e.phase, e.retryInSeconds])).toEqual([
      ['lease', 5],
      ['lease', 10],
    ])
    expect(result.ledTicks).toBe(1)
  })
})

describe('leader election', () => {
  test('only the holder acts: a follower reads and writes nothing', async () => {
    const h = harness()
    await h.lease.inner.tryAcquireOrRenew('other', 300)
    const run = start(h, () => [replicaChange('chat', 1, 2)])
    await advance(h.clock, 90)
    h.abort.abort()
    const result = await run
    expect(result.ledTicks).toBe(0)
    expect(h.reads).toBe(0)
    expect(h.writer.calls).toHaveLength(0)
    expect(of(h.events, 'lease.following')).toHaveLength(1) // said once, not every tick
    expect(result.releasedLease).toBe(false)
  })

  test('a lease lost in the middle of an apply stops the next write at once', async () => {
    const h = harness({onWrite: (hh) => hh.lease.steal('other')})
    const changes = [replicaChange('a', 1, 2), replicaChange('b', 1, 2), replicaChange('c', 1, 2)]
    const run = start(h, () => changes)
    await advance(h.clock, 60)
    h.abort.abort()
    const result = await run
    expect(h.writer.calls.map((c) => c.id)).toEqual(['pod:llm/a'])
    expect(of(h.events, 'lease.lost')).toEqual([expect.objectContaining({holder: 'other', during: 'apply'})])
    expect(h.reads).toBe(1) // the next ticks follow: they neither read nor plan
    // Saving the state is acting too: it is left to the new leader, which reads the cluster as it is.
    expect(await h.store.load()).toBeUndefined()
    expect(result.releasedLease).toBe(false)
  })
})

describe('state', () => {
  test('a conflict (another writer saved since the load) is re-read, never overwritten', async () => {
    const other = {...emptyControllerState(T0), updatedAt: 42}
    const h = harness({
      snapshot: async (hh) => {
        // Another writer saves between this tick's load and its save.
        if (hh.reads === 1) await hh.store.save(other, undefined)
        return snapshotAt(hh.clock.now())
      },
    })
    const run = start(h, () => [replicaChange('chat', 1, 2)])
    await advance(h.clock, 1)
    const afterConflict = await h.store.load()
    await advance(h.clock, 30)
    h.abort.abort()
    const result = await run
    expect(of(h.events, 'state.conflict')).toEqual([
      expect.objectContaining({tick: 1, expectedVersion: null, storedVersion: '1'}),
    ])
    expect(afterConflict?.state.updatedAt).toBe(42) // the other writer's state stands
    expect(result.stateConflicts).toBe(1)
    // The next tick loads that version and saves on top of it.
    expect(of(h.events, 'state.saved')).toEqual([expect.objectContaining({tick: 2, version: '2'})])
  })

  test.each([
    {status: 'applied', expected: 'in-progress', why: 'the world takes time to follow an accepted write'},
    {status: 'not-started', expected: 'pending', why: 'planned, never begun: the journal keeps it for the next run'},
    {status: 'failed', expected: undefined, why: 'decided afresh next tick from what it then sees'},
    {status: 'precondition-failed', expected: undefined, why: 'the plan was stale for it: decided afresh'},
    {status: 'skipped', expected: undefined, why: 'nothing was written'},
  ] as const)('journal: a change $status is $expected — $why', ({status, expected}) => {
    const state = emptyControllerState(T0)
    state.changes = [
      {id: 'earlier', action: 'scale-node-group', since: T0 - 30, status: 'in-progress'},
      {id: 'now', action: 'scale-replicas', since: T0, status: 'pending'},
    ]
    const next = journal(state, new Map([['now', status]]))
    expect(next.changes.find((c) => c.id === 'earlier')?.status).toBe('in-progress') // earlier ticks untouched
    expect(next.changes.find((c) => c.id === 'now')?.status).toBe(expected)
  })
})

describe('shutdown', () => {
  test('SIGTERM in the middle of an apply: the write in flight finishes, the rest never starts, the journal is saved and the lease released', async () => {
    const h = harness({onWrite: (hh) => hh.abort.abort(new Error('SIGTERM'))})
    const changes = [replicaChange('a', 1, 2), replicaChange('b', 1, 3), replicaChange('c', 2, 1)]
    const run = start(h, () => changes)
    await advance(h.clock, 1)
    const result = await run
    expect(h.writer.calls.map((c) => c.id)).toEqual(['pod:llm/a'])
    expect(result.stoppedBy).toBe('aborted')
    expect(result.outcomes).toMatchObject({applied: 1, 'not-started': 2})
    const saved = (await h.store.load())?.state
    expect(saved?.changes.map((c) => [c.id, c.status])).toEqual([
      ['pod:llm/a', 'in-progress'],
      ['pod:llm/b', 'pending'],
      ['pod:llm/c', 'pending'],
    ])
    expect(result.releasedLease).toBe(true)
    expect(await h.lease.inner.tryAcquireOrRenew('successor', 60)).toMatchObject({held: true})
    const order = h.events.map((e) => e.event).filter((e) => ['state.saved', 'lease.released', 'stopped'].includes(e))
    expect(order).toEqual(['state.saved', 'lease.released', 'stopped'])
  })

  test('SIGTERM while sleeping: stops at once and releases the lease', async () => {
    const h = harness()
    const run = start(h, () => [])
    await advance(h.clock, 10)
    h.abort.abort()
    const result = await run
    expect(result).toMatchObject({ticks: 1, stoppedBy: 'aborted', releasedLease: true})
  })
})

describe('restart on the twin (burst, queue-driven policy)', async () => {
  const {scenario} = await loadScenarioFile('burst')
  const {config} = await loadConfigFile('test/fixtures/watch/burst-queue.yaml')
  // After the burst, once the recommendations have fallen but before the 10-minute window lets the replicas go.
  const RESTART = 20 * 60
  const END = 30 * 60

  /** Runs the loop on a fresh twin; `restartAt` stops it there and starts a second replica (`keepState`: same store). */
  async function replicaDecisions(restart?: {at: number; keepState: boolean}) {
    const world = new SimWorld({twin: scenario.options, config, intervalSeconds: INTERVAL})
    const start = world.twin.now
    const lease = new InMemoryLease(world.clock)
    const decisions: string[] = []
    const emit = (e: ControllerEvent) => {
      if (e.event === 'decision' && e.action === 'scale-replicas') decisions.push(`${e.at - start}s ${e.from}→${e.to}`)
    }
    const portsWith = (state: InMemoryStateStore<ControllerState>): ControllerPorts => ({
      clock: world.clock,
      lease,
      state,
      reader: world.reader,
      apply: world.apply,
    })
    const first = new InMemoryStateStore<ControllerState>()
    const common = {config, intervalSeconds: INTERVAL, signal: new AbortController().signal, emit}
    await runController(portsWith(first), {...common, identity: 'a', until: start + (restart?.at ?? END)})
    if (restart) {
      const second = restart.keepState ? first : new InMemoryStateStore<ControllerState>()
      await runController(portsWith(second), {...common, identity: 'b', until: start + END})
    }
    const summary = summarizeLog(world.twin.logEntries(), {start, end: start + END})
    return {decisions, flaps: summary.flaps}
  }

  const uninterrupted = await replicaDecisions()

  test('the uninterrupted run goes up for the burst and back down, without a flap', () => {
    const steps = uninterrupted.decisions.map((d) => d.split(' ')[1]!.split('→').map(Number))
    const up = steps.findIndex(([from, to]) => to! > from!)
    const down = steps.findIndex(([from, to]) => to! < from!)
    expect(up).toBeGreaterThanOrEqual(0)
    expect(down).toBeGreaterThan(up)
    expect(uninterrupted.flaps).toBe(0)
  })

  test.each([
    {
      name: 'a restart that resumes from the stored state',
      keepState: true,
      sameAsUninterrupted: true,
      flaps: 0,
      why: 'the stabilization history survives: the replica after the restart decides exactly as one that never stopped',
    },
    {
      name: 'a restart that lost its state (the counter-example)',
      keepState: false,
      sameAsUninterrupted: false,
      flaps: 1,
      why: 'without the last 10 minutes of recommendations it scales down at the restart, 8 minutes after scaling up',
    },
  ])('$name: flaps $flaps — $why', async ({keepState, sameAsUninterrupted, flaps}) => {
    const restarted = await replicaDecisions({at: RESTART, keepState})
    expect(restarted.decisions.join(', ') === uninterrupted.decisions.join(', ')).toBe(sameAsUninterrupted)
    expect(restarted.flaps).toBe(flaps)
  })
})
