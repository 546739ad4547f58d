/**
 * Telemetry faults end to end (issue 11's fault table): Prometheus down, slow, empty, NaN or stale each gives a
 * diagnostic, and the resulting live plan scales no replicas down. The twin's API server and a real Prometheus
 * scraping an exposition server; the baseline row shows the same fleet does scale down when telemetry is good, so
 * "no scale-down" is the fault's doing.
 */
import {createServer, type Server, type Socket} from 'node:net'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {Plan} from '../../../src/core/model/plan.js'
import {createPlan} from '../../../src/services/plan.js'
import {waitFor} from '../../helpers/twin.js'
import {exposedSeries, settledInstant, startLiveFleet, type LiveFleet} from './fleet.js'

let fleet: LiveFleet
let silent: Server
const sockets: Socket[] = []

beforeAll(async () => {
  fleet = await startLiveFleet()
  // "Slow": a server that accepts and never answers.
  silent = createServer((socket) => void sockets.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
}, 60_000)

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => silent.close(() => resolve()))
  await fleet?.close()
})

const WHISPER = /^whisper-small/
const scaleDowns = (plan: Plan) =>
  plan.changes
    .filter((c) => c.action === 'scale-replicas' && (c.to as number) < (c.from as number))
    .map((c) => c.target.name)

async function livePlan(overrides: {prometheus?: string; prometheusTimeout?: number; at?: number} = {}) {
  const at = overrides.at ?? settledInstant()
  return createPlan({
    config: fleet.config,
    kubeconfig: fleet.twin.kubeconfig,
    prometheus: overrides.prometheus ?? fleet.prometheus.url,
    ...(overrides.prometheusTimeout ? {prometheusTimeout: overrides.prometheusTimeout} : {}),
    clock: () => at,
  })
}

/** Sets whisper-small's exported series to `value` (NaN) or removes them (undefined), and waits until Prometheus shows it and it is older than staleAfter. */
async function changeWhisper(value: number | undefined): Promise<void> {
  const base = exposedSeries()
  fleet.exposition.series =
    value === undefined
      ? base.filter((s) => !WHISPER.test(s.labels.pod ?? ''))
      : base.map((s) => (WHISPER.test(s.labels.pod ?? '') ? {...s, value} : s))
  await waitFor('Prometheus to see the change', async () => {
    const answer = await fleet.prometheus.query('vllm:num_requests_waiting{pod=~"whisper-small.*"}')
    return value === undefined ? answer.length === 0 : answer.length > 0 && answer.every((r) => r.value[1] === 'NaN')
  })
  // The last good sample is no later than now; the capture instant must be past it by the 1 s staleness limit.
  const seenAt = Date.now() / 1000
  await waitFor('the good samples to be stale at the capture instant', () => settledInstant() > seenAt + 1.5)
}

describe('telemetry faults: a diagnostic, and no scale-down', () => {
  test('baseline: with good telemetry the fleet scales whisper-small down', async () => {
    const {plan, diagnostics} = await livePlan()
    expect(scaleDowns(plan)).toContain('whisper-small')
    expect(diagnostics.filter((d) => d.severity !== 'info').map((d) => d.code)).not.toContain('TelemetryUnavailable')
  })

  test.each([
    {
      fault: 'Prometheus down (nothing listens)',
      run: () => livePlan({prometheus: 'http://127.0.0.1:9'}),
      code: 'TelemetryUnavailable',
      says: /ECONNREFUSED/,
    },
    {
      fault: 'Prometheus slow (no answer within --prometheus-timeout)',
      run: () =>
        livePlan({prometheus: `http://127.0.0.1:${(silent.address() as {port: number}).port}`, prometheusTimeout: 0.2}),
      code: 'TelemetryUnavailable',
      says: /timeout after 3 attempts/,
    },
    {
      fault: 'Prometheus empty (a window before any scrape)',
      run: () => livePlan({at: fleet.beforeData}),
      code: 'TelemetryEmpty',
      says: /returned no series/,
    },
    {
      fault: 'NaN exported by the model server and DCGM',
      run: async () => (await changeWhisper(Number.NaN), livePlan()),
      code: 'NonFiniteSamples',
      says: /NaN or infinite sample/,
    },
    {
      fault: 'stale: the exporter stopped (Prometheus wrote stale markers)',
      run: async () => (await changeWhisper(undefined), livePlan()),
      code: 'StaleTelemetry',
      says: /pod="whisper-small-[^"]+".*newest sample is \d+ s old/,
    },
  ])('$fault', async ({run, code, says}) => {
    const {plan, diagnostics} = await run()
    expect(diagnostics).toContainEqual(expect.objectContaining({code, message: expect.stringMatching(says)}))
    // The plan carries it too: a saved plan says what it was planned without.
    expect(plan.diagnostics).toContainEqual(expect.objectContaining({code, message: expect.stringMatching(says)}))
    expect(scaleDowns(plan)).toEqual([])
  })
})
