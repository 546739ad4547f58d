/**
 * Retries for writes to the Kubernetes API, by what the answer means (facts §2):
 *
 * 1. 409 Conflict: someone wrote the object between our read and our write. The attempt is a read-then-write
 *    closure, so running it again re-reads the object and re-checks the change's preconditions on the fresh
 *    copy; bounded (`maxConflicts`), because a write that conflicts every time is a fight with another controller.
 * 2. 429 TooManyRequests (overload, plain text with `Retry-After`) and 5xx, or a dropped connection: the server is
 *    busy or restarting. Exponential backoff with full jitter (AWS architecture blog's "full jitter": a random delay
 *    in [0, base·2^n], capped) so many clients do not retry in step; a `Retry-After` header is honoured as the
 *    least delay. Bounded by `maxAttempts`. client-node never retries by itself (facts §3), so this is the only
 *    retry.
 * 3. A 429 from a PodDisruptionBudget (Status with a `DisruptionBudget` cause, no Retry-After) is not overload: it
 *    is "not now" from the eviction API, and only the drain knows how long it may wait. It is returned as
 *    `budget`, never retried here.
 * 4. Everything else (400, 401, 403, 404, 422, ...) is final at once: the error names the method, URL, code,
 *    reason and the server's message.
 *
 * `sleep` is injected so tests run the backoff without waiting; `random` so they can pin the jitter.
 */
import {firstLine} from './connection.js'

export type ApiErrorKind = 'conflict' | 'throttled' | 'server' | 'transport' | 'budget' | 'not-found' | 'final'

/** An API call that failed, named by method and URL, with what kind of failure it was. */
export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly kind: ApiErrorKind,
    readonly code: number | undefined,
    readonly reason: string | undefined,
    /** The Status' `details.causes[].message` (a PDB's "needs 2 healthy pods and has 2"), when there were any. */
    readonly causes: string[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.name = 'ApiCallError'
  }

  /** A conflict, throttling, a 5xx or a dropped connection: worth another try later. */
  get retryable(): boolean {
    return this.kind === 'conflict' || this.kind === 'throttled' || this.kind === 'server' || this.kind === 'transport'
  }
}

export interface RetryOptions {
  /** Waits `seconds`; the wall clock in the CLI, instant (or a twin's clock) in tests. */
  sleep: (seconds: number) => Promise<void>
  /** [0, 1); Math.random by default. */
  random?: () => number
  /** Re-reads after a 409 before giving up (default 5). */
  maxConflicts?: number
  /** Attempts in all for 429/5xx/transport errors (default 6: delays of up to 0.5, 1, 2, 4, 8 s). */
  maxAttempts?: number
  /** First backoff ceiling in seconds (default 0.5); doubled per attempt, capped at `maxDelaySeconds` (default 30). */
  baseDelaySeconds?: number
  maxDelaySeconds?: number
  /** Told about every retry (a log line on stderr in the CLI). */
  onRetry?: (event: {call: string; error: ApiCallError; attempt: number; delaySeconds: number}) => void
}

/** The server URL and one call (`PATCH /apis/apps/v1/namespaces/llm/deployments/x/scale`), for messages. */
export interface CallName {
  server: string
  method: string
  path: string
}

/**
 * Runs `attempt` until it succeeds, retrying conflicts (the attempt re-reads) and transient failures (after a
 * backoff); throws an ApiCallError naming the call when it is final or the budget is spent.
 */
export async function withRetry<T>(call: CallName, attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const maxConflicts = options.maxConflicts ?? 5
  const maxAttempts = options.maxAttempts ?? 6
  const base = options.baseDelaySeconds ?? 0.5
  const cap = options.maxDelaySeconds ?? 30
  const random = options.random ?? Math.random
  let conflicts = 0
  let transient = 0
  for (;;) {
    try {
      return await attempt()
    } catch (raw) {
      // The attempt's own errors (a precondition that no longer holds) are not the API's: never retried.
      if (!(raw instanceof ApiCallError) && !isApiFailure(raw)) throw raw
      const error = raw instanceof ApiCallError ? raw : classifyApiError(call, raw)
      if (error.kind === 'conflict') {
        if (++conflicts > maxConflicts) throw spent(error, `still conflicting after ${maxConflicts} fresh reads`)
        options.onRetry?.({call: callText(call), error, attempt: conflicts, delaySeconds: 0})
        continue
      }
      if (error.kind === 'throttled' || error.kind === 'server' || error.kind === 'transport') {
        if (++transient >= maxAttempts) throw spent(error, `gave up after ${maxAttempts} attempts`)
        const ceiling = Math.min(cap, base * 2 ** (transient - 1))
        const delaySeconds = Math.max(error.retryAfterSeconds ?? 0, random() * ceiling)
        options.onRetry?.({call: callText(call), error, attempt: transient, delaySeconds})
        await options.sleep(delaySeconds)
        continue
      }
      throw error
    }
  }
}

/** client-node's ApiException (numeric code) or a transport failure (node-fetch's FetchError, an errno code). */
function isApiFailure(error: unknown): boolean {
  const e = error as {code?: unknown; name?: unknown; cause?: {code?: unknown}}
  return (
    typeof e?.code === 'number' ||
    typeof e?.code === 'string' ||
    typeof e?.cause?.code === 'string' ||
    e?.name === 'FetchError'
  )
}

function spent(error: ApiCallError, why: string): ApiCallError {
  return new ApiCallError(
    `${error.message} (${why})`,
    error.kind,
    error.code,
    error.reason,
    error.causes,
    error.retryAfterSeconds,
  )
}

function callText(call: CallName): string {
  return `${call.method} ${call.server}${call.path}`
}

/**
 * What a client-node failure means. client-node's ApiException carries `code` and the body as a raw string (facts
 * §3), parsed here for the Status' reason, message and causes; a transport error has no numeric code.
 */
export function classifyApiError(call: CallName, error: unknown): ApiCallError {
  if (error instanceof ApiCallError) return error
  const e = error as {code?: unknown; body?: unknown; headers?: Record<string, string>; cause?: {code?: string}}
  if (typeof e.code !== 'number') {
    const code = typeof e.code === 'string' ? e.code : e.cause?.code
    return new ApiCallError(
      `${callText(call)}: cannot reach the API: ${code ? `${code}: ` : ''}${firstLine(error)}`,
      'transport',
      undefined,
      undefined,
    )
  }
  const status = parseStatus(e.body)
  const retryAfter = headerValue(e.headers, 'retry-after')
  const retryAfterSeconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined
  const message =
    status?.message ??
    (typeof e.body === 'string' && e.body.trim() !== '' ? e.body.trim().split('\n')[0] : 'no message')
  const causes = (status?.details?.causes ?? []).map((c) => c.message ?? '').filter((m) => m !== '')
  const budget = (status?.details?.causes ?? []).some((c) => c.reason === 'DisruptionBudget')
  const kind: ApiErrorKind =
    e.code === 409 && status?.reason !== 'AlreadyExists'
      ? 'conflict'
      : e.code === 429
        ? budget
          ? 'budget'
          : 'throttled'
        : e.code >= 500
          ? 'server'
          : e.code === 404
            ? 'not-found'
            : 'final'
  const text = `${callText(call)} failed: HTTP ${e.code}${status?.reason ? ` ${status.reason}` : ''}: ${message}${
    causes.length > 0 ? ` (${causes.join('; ')})` : ''
  }`
  return new ApiCallError(text, kind, e.code, status?.reason, causes, retryAfterSeconds)
}

interface Status {
  message?: string
  reason?: string
  details?: {causes?: Array<{reason?: string; message?: string}>}
}

function parseStatus(body: unknown): Status | undefined {
  if (typeof body === 'object' && body !== null) return body as Status
  if (typeof body !== 'string' || !body.trim().startsWith('{')) return undefined
  try {
    return JSON.parse(body) as Status
  } catch {
    return undefined
  }
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return String(value).trim()
  return undefined
}
