/**
 * PrometheusClient against a scripted HTTP server: what is retried (transport errors, timeouts, 429, 5xx) and what
 * is not (400/422: the query is wrong), auth headers, and the answer shapes it accepts.
 */
import {readFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {afterEach, describe, expect, test} from 'vitest'

import {PrometheusClient} from '../../../src/adapters/prometheus/client.js'

type Reply = {status: number; body: string; headers?: Record<string, string>} | 'hang'
let server: Server | undefined
let seen: IncomingMessage[] = []

async function serve(replies: Reply[]): Promise<string> {
  seen = []
  server = createServer((req, res) => {
    seen.push(req)
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)] as Reply
    if (reply === 'hang') return
    res.writeHead(reply.status, {'content-type': 'application/json', ...reply.headers})
    res.end(reply.body)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as {port: number}).port}`
}

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

const ok = {status: 200, body: JSON.stringify({status: 'success', data: {resultType: 'matrix', result: []}})}
const badData = {status: 400, body: JSON.stringify({status: 'error', errorType: 'bad_data', error: 'parse error'})}
const unavailable = {
  status: 503,
  body: JSON.stringify({status: 'error', errorType: 'timeout', error: 'query timed out'}),
}
const tooMany = {status: 429, body: 'slow down', headers: {'retry-after': '0'}}

describe('retries', () => {
  test.each([
    {
      why: 'a 503 (Prometheus query timeout) is retried, then succeeds',
      replies: [unavailable, ok],
      ok: true,
      requests: 2,
      sleeps: [10],
    },
    {why: 'a 429 waits Retry-After, then succeeds', replies: [tooMany, ok], ok: true, requests: 2, sleeps: [0]},
    {
      why: '5xx every time: 3 attempts, backoff doubling, then a server failure',
      replies: [unavailable],
      ok: false,
      failure: 'server',
      requests: 3,
      sleeps: [10, 20],
    },
    {
      why: "a 400 bad_data is the query's fault: not retried",
      replies: [badData],
      ok: false,
      failure: 'rejected',
      requests: 1,
      sleeps: [],
    },
    {
      why: 'no answer within the deadline is a timeout, retried',
      replies: ['hang' as const],
      ok: false,
      failure: 'timeout',
      requests: 3,
      sleeps: [10, 20],
    },
  ])('$why', async ({replies, ok: succeeded, failure, requests, sleeps}) => {
    const url = await serve(replies)
    const slept: number[] = []
    const client = new PrometheusClient({url, timeoutMs: 200, backoffMs: 10, sleep: async (ms) => void slept.push(ms)})
    const outcome = await client.range('up', 0, 10, 1)
    expect(outcome.ok).toBe(succeeded)
    if (!outcome.ok) {
      expect(outcome.failure).toBe(failure)
      expect(outcome.message).toContain(`${url}/api/v1/query_range`)
    }
    expect(seen.length).toBe(requests)
    expect(slept).toEqual(sleeps)
  })

  test('a closed port is unreachable, named with its URL', async () => {
    const client = new PrometheusClient({url: 'http://127.0.0.1:9', attempts: 2, backoffMs: 1})
    const outcome = await client.instant('vector(1)', 0)
    expect(outcome).toMatchObject({
      ok: false,
      failure: 'unreachable',
      attempts: 2,
      message: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/api\/v1\/query: ECONNREFUSED/),
    })
  })
})

describe('requests', () => {
  test.each([
    {why: 'bearer token', options: {bearerToken: 't0k'}, authorization: 'Bearer t0k'},
    {
      why: 'basic auth',
      options: {basicAuth: {username: 'u', password: 'p'}},
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    },
    {why: 'no credentials', options: {}, authorization: undefined},
  ])('$why', async ({options, authorization}) => {
    const url = await serve([ok])
    await new PrometheusClient({url, ...options}).range('vllm:num_requests_waiting', 100, 200, 30)
    expect(seen[0]?.headers.authorization).toBe(authorization)
    expect(seen[0]?.url).toBe('/api/v1/query_range?query=vllm%3Anum_requests_waiting&start=100&end=200&step=30')
  })

  test('an answer of the wrong shape is rejected, not guessed', async () => {
    const url = await serve([
      {status: 200, body: JSON.stringify({status: 'success', data: {resultType: 'scalar', result: [1, '1']}})},
    ])
    expect(await new PrometheusClient({url}).range('1', 0, 1, 1)).toMatchObject({
      ok: false,
      failure: 'rejected',
      message: expect.stringContaining('expected a matrix, got scalar'),
    })
  })
})

describe('TLS: verified unless told otherwise', () => {
  // A self-signed certificate for 127.0.0.1 (test/fixtures/tls, generated with openssl req -x509, valid 100 years).
  const fixtures = new URL('../../fixtures/tls/', import.meta.url)
  const cert = readFileSync(new URL('prometheus.crt', fixtures), 'utf8')
  const key = readFileSync(new URL('prometheus.key', fixtures), 'utf8')

  test.each([
    {why: 'an unknown CA is refused by default', options: {}, ok: false},
    {why: 'the CA given is trusted', options: {ca: cert}, ok: true},
    {why: 'verification off only when asked', options: {insecureSkipTlsVerify: true}, ok: true},
  ])('$why', async ({options, ok: succeeded}) => {
    const tls = createHttpsServer({cert, key}, (_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(ok.body)
    })
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
    try {
      const url = `https://127.0.0.1:${(tls.address() as {port: number}).port}`
      const outcome = await new PrometheusClient({url, attempts: 1, ...options}).range('up', 0, 1, 1)
      expect(outcome.ok, JSON.stringify(outcome)).toBe(succeeded)
      if (!outcome.ok) expect(outcome.message).toMatch(/SELF_SIGNED|self-signed|unable to verify/i)
    } finally {
      tls.closeAllConnections()
      await new Promise<void>((resolve) => tls.close(() => resolve()))
    }
  })
})
