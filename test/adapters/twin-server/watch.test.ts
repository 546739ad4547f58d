/**
 * The watch protocol on the wire (facts §2): newline-delimited JSON events on a chunked 200, synthetic ADDED
 * events from resourceVersion 0, only later changes from a given RV, bookmarks only when asked, a 410 Expired
 * ERROR event for an RV older than the history, selector-filtered watches that turn "stopped matching" into
 * DELETED, and the end of the stream at timeoutSeconds.
 */
import {afterEach, beforeEach, expect, test} from 'vitest'

import {resourceByKind} from '../../../src/core/kube-store/index.js'
import {startTestTwin, waitFor, type TestTwin} from '../../helpers/twin.js'

let twin: TestTwin

beforeEach(async () => {
  twin = await startTestTwin({bookmarkIntervalMs: 100})
})

afterEach(async () => {
  await twin.close()
})

interface WatchEvent {
  type: string
  object: {kind?: string; code?: number; reason?: string; metadata: {name?: string; resourceVersion?: string}}
}

/** Opens a watch and collects its events line by line until the stream ends or `stop()` is called. */
async function openWatch(
  path: string,
): Promise<{events: WatchEvent[]; ended: () => boolean; status: number; contentType: string | null; stop: () => void}> {
  const controller = new AbortController()
  const response = await fetch(`${twin.server.url}${path}`, {signal: controller.signal})
  const events: WatchEvent[] = []
  let ended = false
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, {stream: true})
        let newline: number
        while ((newline = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, newline)) as WatchEvent)
          buffer = buffer.slice(newline + 1)
        }
      }
    } catch {
      // aborted by stop()
    }
    ended = true
  })()
  return {
    events,
    ended: () => ended,
    status: response.status,
    contentType: response.headers.get('content-type'),
    stop: () => controller.abort(),
  }
}

const patchLabel = (node: string, labels: Record<string, string | null>) =>
  twin.cluster.api.patch(resourceByKind('Node'), undefined, node, 'application/merge-patch+json', {metadata: {labels}})

test('from resourceVersion 0: an ADDED event per object, then live changes', async () => {
  const watch = await openWatch('/api/v1/nodes?watch=true&resourceVersion=0')
  expect(watch.status).toBe(200)
  expect(watch.contentType).toBe('application/json')
  await waitFor('the 12 synthetic ADDED events', () => watch.events.length === 12)
  expect(new Set(watch.events.map((e) => e.type))).toEqual(new Set(['ADDED']))
  const patched = patchLabel('large-03', {x: '1'})
  await waitFor('the MODIFIED event', () => watch.events.length === 13)
  expect(watch.events[12]).toMatchObject({
    type: 'MODIFIED',
    object: {metadata: {name: 'large-03', resourceVersion: patched.metadata.resourceVersion}},
  })
  watch.stop()
})

test('from a given resourceVersion: only the changes after it, replayed from history', async () => {
  const rv = twin.cluster.store.resourceVersion
  patchLabel('l4-pool-01', {a: '1'})
  patchLabel('l4-pool-02', {a: '1'})
  const watch = await openWatch(`/api/v1/nodes?watch=true&resourceVersion=${rv}`)
  await waitFor('the two replayed events', () => watch.events.length === 2)
  expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
    'MODIFIED l4-pool-01',
    'MODIFIED l4-pool-02',
  ])
  watch.stop()
})

test('bookmarks only when asked: two watches side by side, one with allowWatchBookmarks', async () => {
  const rv = twin.cluster.store.resourceVersion
  const asked = await openWatch(`/apis/apps/v1/deployments?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`)
  const plain = await openWatch(`/apis/apps/v1/deployments?watch=true&resourceVersion=${rv}`)
  // Two bookmark intervals passed for both watches once the asking one has two bookmarks.
  await waitFor('two bookmarks', () => asked.events.filter((e) => e.type === 'BOOKMARK').length >= 2)
  expect(asked.events[0]?.object).toEqual({kind: 'Deployment', apiVersion: 'apps/v1', metadata: {resourceVersion: rv}})
  expect(plain.events).toEqual([])
  asked.stop()
  plain.stop()
})

test('an RV older than the history is a 200 with one ERROR event carrying 410 Expired, then the end', async () => {
  const old = twin.cluster.store.resourceVersion
  patchLabel('standard-01', {a: '1'})
  await fetch(`${twin.server.url}/_twin/compact`, {method: 'POST'})
  const watch = await openWatch(`/api/v1/nodes?watch=true&resourceVersion=${old}`)
  expect(watch.status).toBe(200)
  await waitFor('the end of the stream', () => watch.ended())
  expect(watch.events).toHaveLength(1)
  expect(watch.events[0]).toMatchObject({type: 'ERROR', object: {kind: 'Status', code: 410, reason: 'Expired'}})
})

test('a label-selected watch sees an object leave the selection as DELETED and come back as ADDED', async () => {
  const watch = await openWatch(
    `/api/v1/nodes?watch=true&resourceVersion=${twin.cluster.store.resourceVersion}&labelSelector=${encodeURIComponent('gpu-scale.dev/pool=l4')}`,
  )
  patchLabel('l4-pool-03', {'gpu-scale.dev/pool': 'retired'})
  patchLabel('large-01', {unrelated: 'change'})
  patchLabel('l4-pool-03', {'gpu-scale.dev/pool': 'l4'})
  await waitFor('two events', () => watch.events.length === 2)
  expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
    'DELETED l4-pool-03',
    'ADDED l4-pool-03',
  ])
  watch.stop()
})

test("a field-selected pod watch (a kubelet's view of one node) sees a pod deleted there", async () => {
  const watch = await openWatch(
    `/api/v1/pods?watch=true&resourceVersion=${twin.cluster.store.resourceVersion}&fieldSelector=spec.nodeName%3Dl4-pool-01`,
  )
  await fetch(`${twin.server.url}/api/v1/namespaces/llm/pods/whisper-small-1tplv`, {method: 'DELETE'})
  await waitFor('the DELETED event', () => watch.events.some((e) => e.type === 'DELETED'))
  expect(watch.events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name)).toEqual([
    'whisper-small-1tplv',
  ])
  watch.stop()
})

test('the stream ends at timeoutSeconds', async () => {
  const watch = await openWatch('/api/v1/namespaces?watch=true&timeoutSeconds=1')
  await waitFor('the server to end the watch', () => watch.ended(), 5_000)
  expect(watch.events.every((e) => e.type === 'ADDED')).toBe(true)
  expect(twin.server.openWatches()).toBe(0)
})
