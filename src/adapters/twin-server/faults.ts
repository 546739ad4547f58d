/**
 * Faults the twin's API server injects on request, for the live adapters' tests (issue 10 §4). Each fault
 * applies to the next `count` API requests it matches (method and a path substring; /_twin, /metrics and the
 * health endpoints are never affected), in the order faults were added:
 *
 * - `status`: answer with a code instead of serving. 409 is a Conflict Status; 429 is what the apiserver's
 *   max-inflight filter sends, plain text with `Retry-After` (apiserver/pkg/server/filters/maxinflight.go, facts
 *   §2: client-go retries it, client-node does not); 500 and 503 are InternalError / ServiceUnavailable Statuses;
 * - `delay`: serve, but only after `ms`;
 * - `watch-drop` acts at once on the watches open now: `close` ends the stream cleanly (clients re-watch from
 *   their last resourceVersion), `reset` destroys the connection mid-stream, `expire` sends the 410 Expired
 *   ERROR event first (clients relist);
 * - `metrics`, `mig-stuck` and `spot-interruption` act on the twin bound behind the server (sim serve), which
 *   answers them; a server without one answers 501.
 */

export interface FaultMatch {
  /** HTTP method, any when absent. */
  method?: string
  /** A substring of the request path, any when absent. */
  path?: string
}

export type Fault =
  | {type: 'status'; code: 409 | 429 | 500 | 503; count?: number; retryAfterSeconds?: number; match?: FaultMatch}
  | {type: 'delay'; ms: number; count?: number; match?: FaultMatch}
  | {type: 'watch-drop'; mode?: 'close' | 'reset' | 'expire'; match?: FaultMatch}

  /** Metrics faults, handed to the bound twin (src/core/twin-serve/exposition.ts): `clear` removes them all. */
  | {type: 'metrics'; mode: 'vanish' | 'freeze' | 'nan' | 'duplicate' | 'clear'; target?: string; metric?: string}
  /** The MIG manager on `node` stays in `pending` until released (`release: true`). */
  | {type: 'mig-stuck'; node: string; release?: boolean}
  /** A spot interruption notice for `node` now. */
  | {type: 'spot-interruption'; node: string}

export type RequestFault = Extract<Fault, {type: 'status' | 'delay'}>
export type TwinFault = Extract<Fault, {type: 'metrics' | 'mig-stuck' | 'spot-interruption'}>

export function parseFault(body: unknown): Fault {
  if (typeof body !== 'object' || body === null) throw new Error('a fault is a JSON object with a "type"')
  const f = body as Record<string, unknown>
  const match = typeof f.match === 'object' && f.match !== null ? (f.match as FaultMatch) : undefined
  const count = f.count === undefined ? 1 : Number(f.count)
  if (!Number.isInteger(count) || count < 1) throw new Error('"count" must be a positive integer')
  switch (f.type) {
    case 'status': {
      const code = Number(f.code)
      if (![409, 429, 500, 503].includes(code)) throw new Error('"code" must be 409, 429, 500 or 503')
      const retryAfterSeconds = f.retryAfterSeconds === undefined ? undefined : Number(f.retryAfterSeconds)
      return {
        type: 'status',
        code: code as 409,
        count,
        ...(retryAfterSeconds !== undefined ? {retryAfterSeconds} : {}),
        ...(match ? {match} : {}),
      }
    }
    case 'delay': {
      const ms = Number(f.ms)
      if (!Number.isFinite(ms) || ms < 0) throw new Error('"ms" must be a non-negative number')
      return {type: 'delay', ms, count, ...(match ? {match} : {})}
    }
    case 'watch-drop': {
      const mode = f.mode ?? 'close'
      if (!['close', 'reset', 'expire'].includes(String(mode))) throw new Error('"mode" must be close, reset or expire')
      return {type: 'watch-drop', mode: mode as 'close', ...(match ? {match} : {})}
    }
    case 'metrics': {
      if (!['vanish', 'freeze', 'nan', 'duplicate', 'clear'].includes(String(f.mode)))
        throw new Error('"mode" must be vanish, freeze, nan, duplicate or clear')
      if (f.target !== undefined && !/^(node\/[^/]+|pod\/[^/]+\/[^/]+)$/.test(String(f.target)))
        throw new Error('"target" is node/<name> or pod/<namespace>/<name>')
      return {
        type: 'metrics',
        mode: f.mode as 'vanish',
        ...(f.target !== undefined ? {target: String(f.target)} : {}),
        ...(f.metric !== undefined ? {metric: String(f.metric)} : {}),
      }
    }
    case 'mig-stuck':
    case 'spot-interruption': {
      if (typeof f.node !== 'string' || f.node === '') throw new Error('"node" names a node')
      return f.type === 'mig-stuck'
        ? {type: 'mig-stuck', node: f.node, ...(f.release === true ? {release: true} : {})}
        : {type: 'spot-interruption', node: f.node}
    }
    default:
      throw new Error('"type" must be status, delay, watch-drop, metrics, mig-stuck or spot-interruption')
  }
}

export function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false
  if (match.path && !path.includes(match.path)) return false
  return true
}

/** Pending request faults; `take` consumes one use of the first fault matching a request. */
export class FaultQueue {
  private faults: Array<RequestFault & {remaining: number}> = []

  add(fault: RequestFault): void {
    this.faults.push({...fault, remaining: fault.count ?? 1})
  }

  take(method: string, path: string): RequestFault | undefined {
    const fault = this.faults.find((f) => matches(f.match, method, path))
    if (!fault) return undefined
    fault.remaining--
    if (fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1)
    return fault
  }

  list(): Array<RequestFault & {remaining: number}> {
    return structuredClone(this.faults)
  }

  clear(): void {
    this.faults = []
  }
}
