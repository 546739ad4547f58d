/**
 * `apply --watch` live, twice, against one twin behind a real Kubernetes API (`sim serve`): one Lease, one ConfigMap
 * of state, `apply`'s write ports. Only the holder acts — the other neither reads the cluster nor writes — and when
 * the holder stops (SIGTERM) it releases the Lease and the other takes over at its next tick, from the stored state.
 *
 * Time is virtual and turn-based, as a discrete-event scheduler keeps it: the twin's clock moves only when every
 * running replica is asleep, to the earliest wake-up. (A clock that any sleeper advanced would let one replica's
 * sleeps run out the other's Lease while it is busy in a tick, which no wall clock does.)
 */
import {afterEach, beforeEach, expect, test} from 'vitest'

import {connectCluster} from '../../src/adapters/kubernetes/connection.js'
import {KubeLease} from '../../src/adapters/kubernetes/lease.js'
import type {WatchSummary, WatchUpdate} from '../../src/core/loop/watch-result.js'
import type {Clock} from '../../src/core/ports.js'
import {watchLive, type WatchLiveRequest} from '../../src/services/watch.js'
import {waitFor} from '../helpers/twin.js'
import {startApplyTwin, type ApplyTwin} from './apply-helpers.js'

/** Virtual time that advances only when all `participants` sleep. */
class TurnClock implements Clock {
  participants = 0
  private sleepers: Array<{until: number; resolve: () => void}> = []
  constructor(private readonly twin: ApplyTwin) {}

  now(): number {
    return this.twin.serve.bound.twin.now
  }

  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper)
        reject(signal?.reason)
        this.step()
      }
      const sleeper = {
        until: this.now() + seconds,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      this.sleepers.push(sleeper)
      signal?.addEventListener('abort', onAbort, {once: true})
      this.step()
    })
  }

  /** Runs a replica as a participant for as long as it runs. */
  async join<T>(run: () => Promise<T>): Promise<T> {
    this.participants++
    try {
      return await run()
    } finally {
      this.participants--
      this.step()
    }
  }

  private step(): void {
    setImmediate(() => {
      if (this.sleepers.length === 0 || this.sleepers.length < this.participants) return
      const next = Math.min(...this.sleepers.map((s) => s.until))
      if (next > this.now()) this.twin.serve.bound.advance(next)
      const due = this.sleepers.filter((s) => s.until <= next)
      this.sleepers = this.sleepers.filter((s) => s.until > next)
      for (const s of due) s.resolve()
    })
  }
}

let twin: ApplyTwin
let clock: TurnClock
beforeEach(async () => {
  twin = await startApplyTwin()
  clock = new TurnClock(twin)
})
afterEach(async () => {
  await twin.close()
})

interface Replica {
  updates: WatchUpdate[]
  abort: AbortController
  done: Promise<WatchSummary>
}

function startReplica(identity: string, extra: Partial<WatchLiveRequest> = {}): Replica {
  const updates: WatchUpdate[] = []
  const abort = new AbortController()
  const done = clock.join(() =>
    watchLive({
      config: twin.config,
      kubeconfig: twin.serve.info.kubeconfig,
      clockPort: clock,
      identity,
      yes: true,
      signal: abort.signal,
      onUpdate: (u) => updates.push(u),
      log: () => undefined,
      ...extra,
    }).then((o) => o.summary),
  )
  return {updates, abort, done}
}

const ticks = (r: Replica, leader: boolean) =>
  r.updates.filter((u): u is Extract<WatchUpdate, {type: 'tick'}> => u.type === 'tick' && u.leader === leader)
const writes = () =>
  twin.serve.server.requests.filter(
    (r) => !['GET', 'HEAD'].includes(r.method) && r.resource !== 'leases' && r.resource !== 'configmaps',
  )

test('two instances against one cluster: only the Lease holder reads and writes; on SIGTERM the other takes over', async () => {
  // Demand the fleet cannot host: llama-8b asks for more replicas than the free A100s, so the leader scales the
  // `standard` MachineDeployment up (a write) on its first tick.
  await twin.kubectl('scale', 'deployment/llama-8b', '-n', 'llm', '--replicas=5')
  twin.serve.server.requests.length = 0
  const a = startReplica('replica-a')
  await waitFor('a to lead', () => a.updates.some((u) => u.type === 'lease' && u.change === 'acquired'))
  const b = startReplica('replica-b', {for: '30m'})
  await waitFor('b to follow a for 4 ticks', () => ticks(b, false).length >= 4)
  a.abort.abort(new Error('SIGTERM'))
  const summaryA = await a.done
  const summaryB = await b.done

  // a led every tick it ran, acted, and released the Lease on SIGTERM.
  expect(summaryA.loop).toMatchObject({stoppedBy: 'aborted', releasedLease: true, stateConflicts: 0})
  expect(summaryA.loop.ledTicks).toBe(summaryA.loop.ticks)
  // b only followed while a held it; every write the API served was a change a leader applied.
  expect(b.updates.find((u) => u.type === 'lease')).toMatchObject({change: 'following', holder: 'replica-a'})
  const applied = [a, b]
    .flatMap((r) => ticks(r, true).flatMap((t) => t.decisions))
    .filter((d) => d.outcome === 'applied')
  expect(applied.length).toBeGreaterThan(0)
  // Each applied node-group change is exactly one MachineDeployment scale write (a removal also annotates its node):
  // no write came from a follower, and none was made twice.
  const groupChanges = applied.filter((d) => d.action === 'scale-node-group' || d.action === 'remove-node')
  const scaleWrites = writes().filter((w) => w.resource === 'machinedeployments' && w.subresource === 'scale')
  expect(scaleWrites.length).toBe(groupChanges.length)
  expect(writes().every((w) => w.resource === 'machinedeployments' || w.resource === 'nodes')).toBe(true)
  // Then b took over, after a's last tick, never next to it.
  expect(summaryB.loop.ledTicks).toBeGreaterThan(0)
  const lastOfA = Math.max(...ticks(a, true).map((t) => Date.parse(t.at)))
  const firstOfB = Math.min(...ticks(b, true).map((t) => Date.parse(t.at)))
  expect(firstOfB).toBeGreaterThan(lastOfA)
  expect(ticks(b, false).every((t) => Date.parse(t.at) <= lastOfA + 30_000)).toBe(true)
  // One state, saved by compare-and-swap, continued by b; the Lease changed hands once and is free at the end.
  expect(summaryB.loop.stateConflicts).toBe(0)
  const cm = twin.object('ConfigMap', 'default', 'gpu-scale-state') as {data?: Record<string, string>} | undefined
  expect(JSON.parse(cm?.data?.['state.json'] ?? '{}').controllerState?.kind).toBe('ControllerState')
  const lease = twin.object('Lease', 'default', 'gpu-scale-controller') as unknown as {spec: Record<string, unknown>}
  expect(lease.spec).toMatchObject({holderIdentity: '', leaseTransitions: 0})
}, 120_000)

test('a follower sends nothing but Lease requests, tick after tick', async () => {
  // Another replica holds the Lease for an hour (and does nothing), so b follows for the whole run.
  const holder = new KubeLease(
    await connectCluster({kubeconfig: twin.serve.info.kubeconfig}),
    {name: 'gpu-scale-controller', namespace: 'default'},
    clock,
  )
  expect(await holder.tryAcquireOrRenew('replica-x', 3600)).toMatchObject({held: true})
  twin.serve.server.requests.length = 0
  const b = startReplica('replica-b', {for: '10m'})
  const summary = await b.done
  expect(summary.loop).toMatchObject({ticks: 20, ledTicks: 0, releasedLease: false})
  const resources = new Set(twin.serve.server.requests.map((r) => `${r.method} ${r.resource}`))
  expect([...resources]).toEqual(['GET leases'])
})
