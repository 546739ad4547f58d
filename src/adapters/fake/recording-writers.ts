/**
 * Fakes of the write-side ports, for tests of `apply` and for `--sim` runs: they record every call, keep a small
 * in-memory cluster, and can be scripted to fail the next call, as Karpenter's fake cloud provider does
 * (`NextCreateErr`). Scripted failures are consumed in order, one per call, so a test says exactly which call
 * fails and how.
 */
import type {
  ChangeResult,
  Clock,
  ClusterWriter,
  ExecutableChange,
  Lease,
  LeaseStatus,
  NodeGroupFailure,
  NodeGroupWriter,
  NodeGroupWriteResult,
  Precondition,
  StateStore,
} from '../../core/ports.js'

/** `Kind/namespace/name path`, the key of one field of the fake cluster. */
export function fieldKey(resource: Precondition['resource'], path: string): string {
  return `${resource.kind}/${resource.namespace ?? ''}/${resource.name} ${path}`
}

/**
 * A ClusterWriter over a map of fields. `apply` checks each precondition against the map (a field never set reads
 * as undefined), then applies the change's effect, which the test describes (the writer does not interpret the
 * change's payload, so it works for every change type).
 */
export class RecordingClusterWriter<C extends ExecutableChange = ExecutableChange> implements ClusterWriter<C> {
  /** Every change passed to apply, in call order, including those that failed. */
  readonly calls: C[] = []
  readonly fields: Map<string, unknown>
  private readonly scripted: Array<{message: string; retryable: boolean}> = []
  private readonly effect: (change: C) => Array<{resource: Precondition['resource']; path: string; value: unknown}>

  constructor(
    options: {
      fields?: Record<string, unknown>
      effect?: (change: C) => Array<{resource: Precondition['resource']; path: string; value: unknown}>
    } = {},
  ) {
    this.fields = new Map(Object.entries(options.fields ?? {}))
    this.effect = options.effect ?? (() => [])
  }

  /** The next call fails with this message (after recording it), whatever its preconditions. */
  failNext(message: string, options: {retryable?: boolean} = {}): this {
    this.scripted.push({message, retryable: options.retryable ?? false})
    return this
  }

  async apply(change: C): Promise<ChangeResult> {
    this.calls.push(change)
    const failure = this.scripted.shift()
    if (failure) return {changeId: change.id, status: 'failed', ...failure}
    for (const precondition of change.preconditions) {
      const actual = this.fields.get(fieldKey(precondition.resource, precondition.path))
      if (!isEqual(actual, precondition.equals))
        return {changeId: change.id, status: 'precondition-failed', precondition, actual}
    }
    for (const {resource, path, value} of this.effect(change)) this.fields.set(fieldKey(resource, path), value)
    return {changeId: change.id, status: 'applied'}
  }
}

export type NodeGroupCall =
  {method: 'increaseSize'; group: string; delta: number} | {method: 'removeNode'; group: string; node: string}

/** A NodeGroupWriter over groups with a target size and named nodes; new nodes are named `<group>-new-<n>`. */
export class RecordingNodeGroupWriter implements NodeGroupWriter {
  readonly calls: NodeGroupCall[] = []
  readonly groups: Map<string, {targetSize: number; nodes: string[]}>
  private readonly scripted: Array<{failure: NodeGroupFailure; message: string}> = []
  private created = 0

  constructor(groups: Record<string, {nodes: string[]}> = {}) {
    this.groups = new Map(
      Object.entries(groups).map(([name, g]) => [name, {targetSize: g.nodes.length, nodes: [...g.nodes]}]),
    )
  }

  /** The next call fails this way (a spot group out of capacity: `failNext('capacity', ...)`). */
  failNext(failure: NodeGroupFailure, message = `scripted ${failure} failure`): this {
    this.scripted.push({failure, message})
    return this
  }

  async increaseSize(group: string, delta: number): Promise<NodeGroupWriteResult> {
    this.calls.push({method: 'increaseSize', group, delta})
    const scripted = this.takeScripted()
    if (scripted) return scripted
    if (!Number.isInteger(delta) || delta <= 0)
      return {status: 'failed', failure: 'other', message: `delta must be a positive integer, got ${delta}`}
    const state = this.groups.get(group)
    if (!state) return {status: 'failed', failure: 'not-found', message: `no node group ${group}`}
    state.targetSize += delta
    for (let i = 0; i < delta; i++) state.nodes.push(`${group}-new-${++this.created}`)
    return {status: 'done'}
  }

  async removeNode(group: string, node: string): Promise<NodeGroupWriteResult> {
    this.calls.push({method: 'removeNode', group, node})
    const scripted = this.takeScripted()
    if (scripted) return scripted
    const state = this.groups.get(group)
    if (!state || !state.nodes.includes(node))
      return {status: 'failed', failure: 'not-found', message: `no node ${node} in group ${group}`}
    state.nodes = state.nodes.filter((n) => n !== node)
    state.targetSize -= 1
    return {status: 'done'}
  }

  private takeScripted(): NodeGroupWriteResult | undefined {
    const next = this.scripted.shift()
    return next ? {status: 'failed', ...next} : undefined
  }
}

/** A Clock that only moves when told; `sleep` resolves once `advance` passes its deadline. */
export class FakeClock implements Clock {
  private sleepers: Array<{until: number; resolve: () => void}> = []

  constructor(private current: number) {}

  now(): number {
    return this.current
  }

  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const sleeper = {until: this.current + seconds, resolve}
      this.sleepers.push(sleeper)
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper)
          reject(signal.reason)
        },
        {once: true},
      )
    })
  }

  /** Moves time forward and wakes every sleeper whose deadline has come, earliest first. */
  advance(seconds: number): void {
    this.current += seconds
    const due = this.sleepers.filter((s) => s.until <= this.current).sort((a, b) => a.until - b.until)
    this.sleepers = this.sleepers.filter((s) => s.until > this.current)
    for (const sleeper of due) sleeper.resolve()
  }
}

/** A StateStore in memory with compare-and-swap versions, and a scriptable conflict (another writer won). */
export class InMemoryStateStore<S> implements StateStore<S> {
  readonly saves: S[] = []
  private stored: {state: S; version: string} | undefined
  private conflicts = 0

  conflictNext(): this {
    this.conflicts++
    return this
  }

  async load(): Promise<{state: S; version: string} | undefined> {
    return this.stored && {state: structuredClone(this.stored.state), version: this.stored.version}
  }

  async save(
    state: S,
    expectedVersion: string | undefined,
  ): Promise<{saved: true; version: string} | {saved: false; reason: 'conflict'}> {
    if (this.conflicts > 0) {
      this.conflicts--
      return {saved: false, reason: 'conflict'}
    }
    if (this.stored?.version !== expectedVersion) return {saved: false, reason: 'conflict'}
    const version = String(Number(this.stored?.version ?? '0') + 1)
    this.stored = {state: structuredClone(state), version}
    this.saves.push(state)
    return {saved: true, version}
  }
}

/** A Lease in memory, timed by a Clock. */
export class InMemoryLease implements Lease {
  private holder: {name: string; expiresAt: number} | undefined

  constructor(private readonly clock: Clock) {}

  async tryAcquireOrRenew(holder: string, durationSeconds: number): Promise<LeaseStatus> {
    const now = this.clock.now()
    if (this.holder && this.holder.name !== holder && this.holder.expiresAt > now) {
      return {held: false, holder: this.holder.name, expiresAt: this.holder.expiresAt}
    }
    this.holder = {name: holder, expiresAt: now + durationSeconds}
    return {held: true, expiresAt: this.holder.expiresAt}
  }

  async release(holder: string): Promise<void> {
    if (this.holder?.name === holder) this.holder = undefined
  }
}

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
