/**
 * A real Prometheus (Debian 2.42) scrapes the twin's /metrics: the exposition parses, and the series follow the
 * store. This is the harness the twin's DCGM and vLLM exporters will be judged with.
 */
import {afterEach, beforeEach, expect, test} from 'vitest'

import {resourceByKind} from '../../../src/core/kube-store/index.js'
import {startPrometheus, type RunningPrometheus} from '../../helpers/prometheus.js'
import {startTestTwin, waitFor, type TestTwin} from '../../helpers/twin.js'

let twin: TestTwin
let prometheus: RunningPrometheus

beforeEach(async () => {
  twin = await startTestTwin()
  prometheus = await startPrometheus([new URL(twin.server.url).host])
})

afterEach(async () => {
  await prometheus.stop()
  await twin.close()
})

test('Prometheus scrapes the twin and its series follow a scale-up', async () => {
  const value = async (promql: string) => (await prometheus.query(promql))[0]?.value[1]
  await waitFor('the first scrape', async () => (await value('up{job="twin"}')) === '1', 30_000)
  expect(await value('apiserver_storage_objects{resource="nodes"}')).toBe('12')
  twin.cluster.api.updateScale(
    resourceByKind('Deployment'),
    'llm',
    'whisper-small',
    {spec: {replicas: 5}},
    {patchType: 'application/merge-patch+json'},
  )
  const pods = twin.objects('Pod').length
  await waitFor(
    'the pod count after the scale-up',
    async () => (await value('apiserver_storage_objects{resource="pods"}')) === String(pods),
    15_000,
  )
  expect(pods).toBe(24)
}, 60_000)
