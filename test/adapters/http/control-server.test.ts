/**
 * The controller's /metrics and /healthz. The exposition is judged by real Prometheus parsers: `promtool check
 * metrics` (the text-format linter shipped with Prometheus) and a real Prometheus 2.42 scraping the server and
 * answering queries over what it stored. /healthz follows the loop's ticks: 200 within 3 intervals, 503 after.
 */
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseListen, startControlServer, type ControlServer} from '../../../src/adapters/http/control-server.js'
import {ControllerMetrics} from '../../../src/core/loop/controller-metrics.js'
import type {ControllerEvent} from '../../../src/core/loop/controller.js'
import {ensurePrometheus, startPrometheus} from '../../helpers/prometheus.js'
import {waitFor} from '../../helpers/twin.js'

const T0 = 1_800_000_000
const INTERVAL = 30

/** A loop's first two ticks: it takes the lease, decides and applies one change, one write fails, one tick errs. */
const EVENTS: ControllerEvent[] = [
  {event: 'lease.acquired', at: T0, identity: 'me', expiresAt: T0 + 75},
  {event: 'tick.started', at: T0, tick: 1},
  {
    event: 'decision',
    at: T0,
    tick: 1,
    changeId: 'pod:llm/chat',
    action: 'scale-replicas',
    target: 'llm/chat',
    from: 1,
    to: 3,
    status: 'planned',
    reason: {code: 'ScaleUpSignal', message: 'queue "over" target'},
  },
  {
    event: 'decision',
    at: T0,
    tick: 1,
    changeId: 'node:a100',
    action: 'scale-node-group',
    target: 'a100',
    from: 1,
    to: 2,
    status: 'planned',
    reason: null,
  },
  {event: 'outcome', at: T0, tick: 1, changeId: 'pod:llm/chat', action: 'scale-replicas', status: 'applied'},
  {event: 'outcome', at: T0, tick: 1, changeId: 'node:a100', action: 'scale-node-group', status: 'failed'},
  {
    event: 'tick.finished',
    at: T0,
    tick: 1,
    leader: true,
    changes: 2,
    blocked: 0,
    applied: 1,
    failed: 1,
    latencySeconds: 0.042,
    plannedAt: T0,
  },
  {
    event: 'error',
    at: T0 + 30,
    tick: 2,
    phase: 'snapshot',
    message: '429 Too Many Requests',
    attempt: 1,
    retryInSeconds: 5,
  },
]

function metricsAfter(events: ControllerEvent[]): ControllerMetrics {
  const metrics = new ControllerMetrics(INTERVAL, T0)
  for (const e of events) metrics.observe(e)
  return metrics
}

describe('/metrics exposition', () => {
  test('promtool check metrics accepts it (a real Prometheus text parser and linter)', () => {
    const promtool = join(dirname(ensurePrometheus()), 'promtool')
    const text = metricsAfter(EVENTS).render(T0 + 40)
    const result = spawnSync(promtool, ['check', 'metrics'], {input: text, encoding: 'utf8'})
    expect(result.stderr + result.stdout).toBe('')
    expect(result.status).toBe(0)
  })

  test.each([
    {line: 'gpu_scale_controller_is_leader 1', why: 'the lease was acquired and not lost'},
    {line: 'gpu_scale_controller_decisions_total{action="scale-replicas",status="planned"} 1', why: 'one decision'},
    {line: 'gpu_scale_controller_actions_total{action="scale-node-group",status="failed"} 1', why: 'by status'},
    {line: 'gpu_scale_controller_errors_total{phase="snapshot"} 1', why: 'the failed tick, by phase'},
    {line: 'gpu_scale_controller_loop_duration_seconds_bucket{le="0.05"} 1', why: '42 ms falls in le=0.05'},
    {line: 'gpu_scale_controller_loop_duration_seconds_bucket{le="0.025"} 0', why: 'and not in le=0.025'},
    {line: 'gpu_scale_controller_plan_age_seconds 40', why: 'rendered 40 s after the plan'},
    {line: 'gpu_scale_controller_ticks_total{role="leader"} 1', why: 'the erring tick did not finish'},
  ])('has `$line` — $why', ({line}) => {
    expect(
      metricsAfter(EVENTS)
        .render(T0 + 40)
        .split('\n'),
    ).toContain(line)
  })

  test('before the first plan, the plan age is NaN rather than a made-up number', () => {
    expect(metricsAfter([]).render(T0).split('\n')).toContain('gpu_scale_controller_plan_age_seconds NaN')
  })
})

describe('/healthz', () => {
  test.each([
    {events: [], at: T0 + 10, healthy: true, why: 'just started: the start counts as a sign of life'},
    {events: EVENTS.slice(0, 7), at: T0 + 90, healthy: true, why: 'the last tick is exactly 3 intervals old'},
    {events: EVENTS.slice(0, 7), at: T0 + 91, healthy: false, why: 'more than 3 intervals without a tick'},
    {events: EVENTS, at: T0 + 100, healthy: true, why: 'a tick that backed off is alive too (30 s later)'},
  ])('at +$at: healthy=$healthy — $why', ({events, at, healthy}) => {
    expect(metricsAfter(events).health(at).healthy).toBe(healthy)
  })
})

describe('the control server', () => {
  let server: ControlServer
  let now = T0
  const metrics = metricsAfter(EVENTS)
  beforeAll(async () => {
    server = await startControlServer({
      listen: '127.0.0.1:0',
      metrics: () => metrics.render(now),
      health: () => metrics.health(now),
    })
  })
  afterAll(async () => {
    await server.close()
  })

  test.each([
    {path: '/metrics', method: 'GET', status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', why: 'exposition'},
    {path: '/healthz', method: 'GET', status: 200, type: 'text/plain; charset=utf-8', why: 'the loop ticks'},
    {path: '/', method: 'GET', status: 404, type: 'text/plain; charset=utf-8', why: 'nothing else is served'},
    {path: '/metrics', method: 'POST', status: 405, type: 'text/plain; charset=utf-8', why: 'read-only endpoints'},
  ])('$method $path → $status ($why)', async ({path, method, status, type}) => {
    now = T0 + 40
    const response = await fetch(`${server.url}${path}`, {method})
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe(type)
  })

  test('/healthz turns 503 with the reason once the loop stops ticking', async () => {
    now = T0 + 30 * 60
    const response = await fetch(`${server.url}/healthz`)
    expect(response.status).toBe(503)
    expect(await response.text()).toMatch(/^no tick for \d+/)
  })

  test('a real Prometheus scrapes it and answers queries over what it stored', async () => {
    now = T0 + 40
    const prometheus = await startPrometheus([`127.0.0.1:${server.port}`])
    try {
      const leader = await waitFor('the first scrape', async () => {
        const result = await prometheus.query('gpu_scale_controller_is_leader')
        return result.length > 0 ? result : undefined
      })
      expect(leader[0]?.value[1]).toBe('1')
      const applied = await prometheus.query('sum by (status) (gpu_scale_controller_actions_total)')
      expect(Object.fromEntries(applied.map((r) => [r.metric.status, r.value[1]]))).toEqual({applied: '1', failed: '1'})
      const p50 = await prometheus.query('histogram_quantile(0.5, gpu_scale_controller_loop_duration_seconds_bucket)')
      expect(Number(p50[0]?.value[1])).toBeGreaterThan(0.025)
      expect(Number(p50[0]?.value[1])).toBeLessThanOrEqual(0.05)
    } finally {
      await prometheus.stop()
    }
  }, 60_000)

  test('a port already in use is a one-line error naming the flag', async () => {
    const error = await startControlServer({
      listen: `127.0.0.1:${server.port}`,
      metrics: () => '',
      health: () => ({healthy: true, message: 'ok'}),
    }).catch((e: Error) => e)
    expect((error as Error).message).toBe(`--listen 127.0.0.1:${server.port}: the address is already in use`)
  })
})

test.each([
  {value: '127.0.0.1:9090', parsed: {host: '127.0.0.1', port: 9090}, why: 'host and port'},
  {value: ':0', parsed: {host: '127.0.0.1', port: 0}, why: 'no host: loopback, never all interfaces by accident'},
  {value: '0.0.0.0:8080', parsed: {host: '0.0.0.0', port: 8080}, why: 'all interfaces, in a pod'},
  {value: '[::1]:9090', parsed: {host: '::1', port: 9090}, why: 'IPv6 in brackets'},
  {value: '9090', parsed: undefined, why: 'a bare port is ambiguous: rejected'},
  {value: '127.0.0.1:70000', parsed: undefined, why: 'port out of range'},
])('--listen $value — $why', ({value, parsed}) => {
  if (parsed) expect(parseListen(value)).toEqual(parsed)
  else expect(() => parseListen(value)).toThrow(`--listen ${value} is not HOST:PORT`)
})
