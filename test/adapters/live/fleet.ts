/**
 * The live fleet the end-to-end tests read: the twin's API server (the built-in scenario as Kubernetes objects),
 * an exposition server exporting the scenario's series at their last values (as DCGM and vLLM exporters would),
 * a real Prometheus scraping it with honor_labels, and the scenario's policy as a config file with a 1 s loop
 * and a 1 s staleness limit (a live series' newest point is the range's end, so only a dead or NaN one goes stale), so a few seconds of scraping are a whole window and staleness shows within a test.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'

import type {Series} from '../../../src/core/model/snapshot.js'
import {defaultScenario, defaultScenarioBuilder} from '../../../src/core/sim/default-scenario.js'
import {startExposition, type ExposedSeries, type ExpositionServer} from '../../helpers/exposition.js'
import {startPrometheus, type RunningPrometheus} from '../../helpers/prometheus.js'
import {startTestTwin, waitFor, type TestTwin} from '../../helpers/twin.js'

export interface LiveFleet {
  twin: TestTwin
  exposition: ExpositionServer
  prometheus: RunningPrometheus
  config: string
  dir: string
  /** Epoch seconds just before Prometheus started: a range ending here is empty. */
  beforeData: number
  close(): Promise<void>
}

export function exposedSeries(series: readonly Series[] = defaultScenario().snapshot.telemetry): ExposedSeries[] {
  return series.map((s) => ({
    metric: s.metric,
    labels: s.labels,
    value: (s.samples[s.samples.length - 1] as [number, number])[1],
  }))
}

export async function startLiveFleet(): Promise<LiveFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-live-'))
  const raw = defaultScenarioBuilder().rawConfig() as {settings: Record<string, unknown>}
  raw.settings = {...raw.settings, loopInterval: '1s', staleAfter: '1s'}
  const config = join(dir, 'gpu-scale.yaml')
  writeFileSync(config, stringify(raw))
  const [twin, exposition] = await Promise.all([startTestTwin(), startExposition(exposedSeries())])
  const beforeData = Math.floor(Date.now() / 1000) - 1
  const prometheus = await startPrometheus([exposition.target], {honorLabels: true})
  await waitFor(
    'the first scrape of the exposition',
    async () => (await prometheus.query('up'))[0]?.value[1] === '1',
    30_000,
  )
  // Four scrapes (1 s apart), so a range ending at settledInstant() holds a sample of every series.
  await waitFor(
    'four scrapes',
    async () => Number((await prometheus.query('count_over_time(up[10s])'))[0]?.value[1] ?? 0) >= 4,
    30_000,
  )
  return {
    twin,
    exposition,
    prometheus,
    config,
    dir,
    beforeData,
    close: async () => {
      await Promise.all([prometheus.stop(), exposition.close(), twin.close()])
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** An instant a little in the past, so every scrape up to it is already in Prometheus (answers do not move). */
export function settledInstant(): number {
  return Math.floor(Date.now() / 1000) - 1
}
