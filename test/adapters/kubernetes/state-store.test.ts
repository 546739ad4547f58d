/**
 * The ConfigMap state store against the twin's API server: compare-and-swap on resourceVersion, so two writers
 * never silently overwrite each other; a first save creates; a hand-broken ConfigMap is named in the error.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {connectCluster} from '../../../src/adapters/kubernetes/connection.js'
import {KubeApi} from '../../../src/adapters/kubernetes/kube-api.js'
import {ConfigMapStateStore} from '../../../src/adapters/kubernetes/state-store.js'
import {startApplyTwin, type ApplyTwin} from '../../services/apply-helpers.js'

let twin: ApplyTwin
let api: KubeApi

beforeAll(async () => {
  twin = await startApplyTwin()
  api = new KubeApi(await connectCluster({kubeconfig: twin.serve.info.kubeconfig}), {sleep: async () => undefined})
}, 60_000)

afterAll(async () => {
  await twin?.close()
})

interface S {
  n: number
}
const store = (name: string) => new ConfigMapStateStore<S>(api, {namespace: 'default', name})

describe('ConfigMapStateStore', () => {
  test('nothing stored yet: undefined; the first save creates the ConfigMap, which kubectl shows as JSON', async () => {
    const s = store('first')
    expect(await s.load()).toBeUndefined()
    const saved = await s.save({n: 1}, undefined)
    expect(saved.saved).toBe(true)
    expect(await s.load()).toEqual({state: {n: 1}, version: saved.saved ? saved.version : ''})
    const got = await twin.kubectl('get', 'configmap', 'first', '-n', 'default', '-o', 'jsonpath={.data.state\\.json}')
    expect(JSON.parse(got.stdout)).toEqual({n: 1})
  })

  test.each([
    {why: 'the version read is still current: saved', stale: false, saved: true},
    {why: 'someone wrote since the read: a conflict, never an overwrite', stale: true, saved: false},
  ])('$why', async ({stale, saved}) => {
    const s = store(`cas-${String(stale)}`)
    const first = await s.save({n: 1}, undefined)
    if (!first.saved) throw new Error('first save failed')
    if (stale) await s.save({n: 2}, first.version)
    const result = await s.save({n: 3}, first.version)
    expect(result.saved).toBe(saved)
    expect((await s.load())?.state.n).toBe(stale ? 2 : 3)
  })

  test('a 500 while saving backs off and saves; a 409 is not retried blindly', async () => {
    const s = store('flaky')
    const first = await s.save({n: 1}, undefined)
    if (!first.saved) throw new Error('first save failed')
    await twin.fault({type: 'status', code: 500, match: {method: 'PUT', path: '/configmaps/flaky'}})
    const second = await s.save({n: 2}, first.version)
    expect(second.saved).toBe(true)
    await twin.fault({type: 'status', code: 409, match: {method: 'PUT', path: '/configmaps/flaky'}})
    const puts = () => twin.serve.server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/flaky')).length
    const before = puts()
    expect(await s.save({n: 3}, second.saved ? second.version : '')).toEqual({saved: false, reason: 'conflict'})
    expect(puts() - before).toBe(1)
  })

  test('two first saves race on create: the loser gets a conflict', async () => {
    const s = store('race')
    expect((await s.save({n: 1}, undefined)).saved).toBe(true)
    expect(await s.save({n: 2}, undefined)).toEqual({saved: false, reason: 'conflict'})
  })

  test('a ConfigMap whose key is not JSON: the error names the ConfigMap and key', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {name: 'broken', namespace: 'default'},
      data: {'state.json': '{oops'},
    }
    await api.core.createNamespacedConfigMap({namespace: 'default', body})
    await expect(store('broken').load()).rejects.toThrow('ConfigMap default/broken key state.json is not JSON')
  })
})
