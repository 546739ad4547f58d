/**
 * The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), with a deadline per request, retries with
 * exponential backoff for what can pass (transport errors, timeouts, 429, 5xx — 503 is Prometheus' own query
 * timeout), and none for what cannot (400 bad_data, 422 execution errors: the query itself is wrong; facts §8).
 * Bearer-token or basic auth; TLS verified unless told otherwise. It never throws for a failed query: the caller
 * gets the failure as data and turns it into a diagnostic.
 */
import {httpGet, type HttpOptions} from './http.js'

export interface PrometheusOptions {
  url: string
  timeoutMs?: number
  /** Attempts per query, the first included. */
  attempts?: number
  /** First backoff; doubles each retry. */
  backoffMs?: number
  bearerToken?: string
  basicAuth?: {username: string; password: string}
  ca?: string
  insecureSkipTlsVerify?: boolean
  /** Injected for tests of the retry schedule; the wall-clock timer otherwise. */
  sleep?: (ms: number) => Promise<void>
}

export type RawMatrix = Array<{metric: Record<string, string>; values: Array<[number, string]>}>
export type RawVector = Array<{metric: Record<string, string>; value: [number, string]}>

export type QueryOutcome<T> =
  | {ok: true; result: T; warnings: string[]}
  | {ok: false; failure: 'unreachable' | 'timeout' | 'rejected' | 'server'; message: string; attempts: number}

const DEFAULTS = {timeoutMs: 10_000, attempts: 3, backoffMs: 250}

export class PrometheusClient {
  readonly url: string
  private readonly options: PrometheusOptions

  constructor(options: PrometheusOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.options = options
  }

  /** An instant query (`resultType: vector`) evaluated at `at` (epoch seconds). */
  instant(query: string, at: number): Promise<QueryOutcome<RawVector>> {
    return this.get<RawVector>('/api/v1/query', {query, time: String(at)}, 'vector')
  }

  /** A range query (`resultType: matrix`) over [start, end] on a `step` grid, all in seconds. */
  range(query: string, start: number, end: number, step: number): Promise<QueryOutcome<RawMatrix>> {
    return this.get<RawMatrix>(
      '/api/v1/query_range',
      {query, start: String(start), end: String(end), step: String(step)},
      'matrix',
    )
  }

  private async get<T>(path: string, params: Record<string, string>, resultType: string): Promise<QueryOutcome<T>> {
    const url = new URL(this.url + path)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    const auth: Record<string, string> = this.options.bearerToken
      ? {authorization: `Bearer ${this.options.bearerToken}`}
      : this.options.basicAuth
        ? {
            authorization: `Basic ${Buffer.from(`${this.options.basicAuth.username}:${this.options.basicAuth.password}`).toString('base64')}`,
          }
        : {}
    const http: HttpOptions = {
      timeoutMs: this.options.timeoutMs ?? DEFAULTS.timeoutMs,
      headers: auth,
      ...(this.options.ca ? {ca: this.options.ca} : {}),
      ...(this.options.insecureSkipTlsVerify ? {insecureSkipTlsVerify: true} : {}),
    }
    const attempts = Math.max(1, this.options.attempts ?? DEFAULTS.attempts)
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
    const where = `${this.url}${path}`
    let last: Extract<QueryOutcome<T>, {ok: false}> = {ok: false, failure: 'unreachable', message: '', attempts: 0}
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let retryAfterMs: number | undefined
      try {
        const response = await httpGet(url, http)
        const body = parseBody(response.body)
        if (response.status === 200 && body?.status === 'success') {
          if (body.data?.resultType !== resultType)
            return {
              ok: false,
              failure: 'rejected',
              message: `${where}: expected a ${resultType}, got ${body.data?.resultType ?? 'no data'}`,
              attempts: attempt,
            }
          return {ok: true, result: (body.data.result ?? []) as T, warnings: body.warnings ?? []}
        }
        const why = body?.error
          ? `${body.errorType ?? 'error'}: ${body.error}`
          : response.body.trim().split('\n')[0]?.slice(0, 200) || 'no body'
        // 400/422: the query is wrong and stays wrong; 401/403: the credentials. Retrying changes nothing.
        if (response.status >= 400 && response.status < 500 && response.status !== 429)
          return {
            ok: false,
            failure: 'rejected',
            message: `${where}: HTTP ${response.status}: ${why}`,
            attempts: attempt,
          }
        last = {ok: false, failure: 'server', message: `${where}: HTTP ${response.status}: ${why}`, attempts: attempt}
        const header = response.headers['retry-after']
        if (typeof header === 'string' && Number.isFinite(Number(header)))
          retryAfterMs = Math.min(Number(header) * 1000, 10_000)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        last = {
          ok: false,
          failure: code === 'ETIMEDOUT' ? 'timeout' : 'unreachable',
          message: `${where}: ${code ? `${code}: ` : ''}${(error as Error).message}`,
          attempts: attempt,
        }
      }
      if (attempt < attempts)
        await sleep(retryAfterMs ?? (this.options.backoffMs ?? DEFAULTS.backoffMs) * 2 ** (attempt - 1))
    }
    return last
  }
}

function parseBody(text: string):
  | {
      status?: string
      data?: {resultType?: string; result?: unknown}
      error?: string
      errorType?: string
      warnings?: string[]
    }
  | undefined {
  try {
    return JSON.parse(text) as ReturnType<typeof parseBody>
  } catch {
    return undefined
  }
}
