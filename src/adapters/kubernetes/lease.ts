/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it (client-node has no
 * helper, facts §3): read the Lease; create it when absent (409 AlreadyExists: someone else was first); renew it or
 * take it over with a `replace` that carries the resourceVersion read, so of two contenders that read the same
 * version exactly one write succeeds and the other gets 409 Conflict — two replicas never both hold it.
 *
 * Expiry is judged as client-go judges it (tools/leaderelection/leaderelection.go `tryAcquireOrRenew`): by the
 * local clock, from when this replica last saw the record change (`observedTime + leaseDuration`), never by
 * comparing the holder's `renewTime` with the local clock, so clock skew between nodes cannot hand the lease to
 * two replicas. A replica that starts next to a live holder therefore waits one full duration before taking over.
 *
 * Fields: `holderIdentity`, `leaseDurationSeconds`, `acquireTime` and `renewTime` as MicroTime strings with exactly
 * six fraction digits (a real apiserver rejects client-node's 3-digit Date, facts §3), `leaseTransitions` counted
 * up on each change of holder. Release (on shutdown) clears the holder and sets a 1-second duration, as client-go's
 * `ReleaseOnCancel` does, so a follower takes over at its next try instead of waiting out the lease.
 */
import type {Clock, Lease, LeaseStatus} from '../../core/ports.js'
import {type ClusterConnection, firstLine} from './connection.js'

export interface LeaseRef {
  name: string
  namespace: string
}

interface LeaseObject {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string; namespace?: string; resourceVersion?: string}
  spec?: {
    holderIdentity?: string | null
    leaseDurationSeconds?: number | null
    acquireTime?: string | Date | null
    renewTime?: string | Date | null
    leaseTransitions?: number | null
  }
}

/** A Lease API failure, named by its URL, with the server's Retry-After when it sent one. */
export class LeaseApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
  }
}

/** Epoch seconds as metav1.MicroTime: RFC 3339 in UTC with exactly six fraction digits. */
export function formatMicroTime(epochSeconds: number): string {
  const micros = Math.round(epochSeconds * 1e6)
  const whole = Math.floor(micros / 1e6)
  const fraction = String(micros - whole * 1e6).padStart(6, '0')
  return new Date(whole * 1000).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`)
}

export class KubeLease implements Lease {
  private readonly api: import('@kubernetes/client-node').CoordinationV1Api
  private readonly path: string
  /** The last record seen, and when (local clock) it was first seen in that state. */
  private observed: {key: string; at: number} | undefined

  constructor(
    private readonly connection: ClusterConnection,
    private readonly ref: LeaseRef,
    private readonly clock: Clock,
  ) {
    this.api = connection.kc.makeApiClient(connection.k8s.CoordinationV1Api)
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${ref.namespace}/leases/${ref.name}`
  }

  async tryAcquireOrRenew(holder: string, durationSeconds: number): Promise<LeaseStatus> {
    const now = this.clock.now()
    const current = await this.read()
    if (!current) {
      const created = await this.write('create', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {name: this.ref.name, namespace: this.ref.namespace},
        spec: {
          holderIdentity: holder,
          leaseDurationSeconds: durationSeconds,
          acquireTime: formatMicroTime(now),
          renewTime: formatMicroTime(now),
          leaseTransitions: 0,
        },
      })
      // 409 AlreadyExists: another replica created it first; report what it holds.
      return created ? this.held(created, now, durationSeconds) : this.follow(now)
    }
    const spec = current.spec ?? {}
    const observedAt = this.observe(current, now)
    const duration = spec.leaseDurationSeconds ?? durationSeconds
    const currentHolder = spec.holderIdentity ?? ''
    if (currentHolder !== holder && currentHolder !== '' && observedAt + duration > now)
      return {held: false, holder: currentHolder, expiresAt: observedAt + duration}
    const takingOver = currentHolder !== holder
    const next: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {...current.metadata, name: this.ref.name, namespace: this.ref.namespace},
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: durationSeconds,
        acquireTime: takingOver ? formatMicroTime(now) : (microTimeText(spec.acquireTime) ?? formatMicroTime(now)),
        renewTime: formatMicroTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && currentHolder !== '' ? 1 : 0),
      },
    }
    const replaced = await this.write('replace', next)
    // 409 Conflict: someone wrote since our read (a renewal, or another contender won the takeover).
    return replaced ? this.held(replaced, now, durationSeconds) : this.follow(now)
  }

  async release(holder: string): Promise<void> {
    const current = await this.read()
    if (!current || current.spec?.holderIdentity !== holder) return
    const now = this.clock.now()
    await this.write('replace', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: current.metadata ?? {name: this.ref.name, namespace: this.ref.namespace},
      spec: {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: current.spec?.leaseTransitions ?? 0,
      },
    })
    this.observed = undefined
  }

  private held(lease: LeaseObject, now: number, durationSeconds: number): LeaseStatus {
    this.observe(lease, now)
    return {held: true, expiresAt: now + durationSeconds}
  }

  /** After losing a write race: read who holds it now. */
  private async follow(now: number): Promise<LeaseStatus> {
    const current = await this.read()
    const spec = current?.spec ?? {}
    const at = current ? this.observe(current, now) : now
    return {held: false, holder: spec.holderIdentity ?? '', expiresAt: at + (spec.leaseDurationSeconds ?? 0)}
  }

  /** When this record was first seen in its current state (a renewal changes it and restarts the wait). */
  private observe(lease: LeaseObject, now: number): number {
    const spec = lease.spec ?? {}
    const key = `${spec.holderIdentity ?? ''}|${microTimeText(spec.renewTime) ?? ''}|${spec.leaseTransitions ?? 0}`
    if (this.observed?.key !== key) this.observed = {key, at: now}
    return this.observed.at
  }

  private async read(): Promise<LeaseObject | undefined> {
    try {
      return (await this.api.readNamespacedLease({name: this.ref.name, namespace: this.ref.namespace})) as LeaseObject
    } catch (error) {
      if (statusOf(error) === 404) return undefined
      throw this.failure('GET', error)
    }
  }

  /** Creates or replaces; undefined when another writer won (409). */
  private async write(verb: 'create' | 'replace', body: LeaseObject): Promise<LeaseObject | undefined> {
    // MicroTime fields go out as the strings built above: client-node passes them through unchanged.
    const typed = body as unknown as import('@kubernetes/client-node').V1Lease
    try {
      return (
        verb === 'create'
          ? await this.api.createNamespacedLease({namespace: this.ref.namespace, body: typed})
          : await this.api.replaceNamespacedLease({name: this.ref.name, namespace: this.ref.namespace, body: typed})
      ) as LeaseObject
    } catch (error) {
      if (statusOf(error) === 409) return undefined
      throw this.failure(verb === 'create' ? 'POST' : 'PUT', error)
    }
  }

  private failure(method: string, error: unknown): LeaseApiError {
    const status = statusOf(error)
    const url = `${this.connection.server}${method === 'POST' ? this.path.replace(/\/[^/]+$/, '') : this.path}`
    const body = (error as {body?: unknown}).body
    let message = firstLine(error)
    if (typeof body === 'string') {
      try {
        message = (JSON.parse(body) as {message?: string}).message ?? body.trim()
      } catch {
        message = body.trim() || message
      }
    }
    const header = (error as {headers?: Record<string, string>}).headers?.['retry-after']
    const retryAfter = header === undefined ? undefined : Number(header)
    return new LeaseApiError(
      `${method} ${url}: ${status ? `${status} ` : ''}${message.split('\n')[0]}`,
      status,
      retryAfter !== undefined && Number.isFinite(retryAfter) ? retryAfter : undefined,
    )
  }
}

function statusOf(error: unknown): number | undefined {
  const code = (error as {code?: unknown}).code
  return typeof code === 'number' ? code : undefined
}

function microTimeText(value: string | Date | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined
  return typeof value === 'string' ? value : formatMicroTime(value.getTime() / 1000)
}
