/**
 * The loop's controller state inside `apply`'s ConfigMap, against the twin's API server: saved next to the apply
 * journal without touching it, by compare-and-swap. The leader's own journal writes during a tick (MIG steps) are not
 * a conflict for its end-of-tick save; anyone else's write is.
 */
import {afterAll, beforeAll, expect, test} from 'vitest'

import {connectCluster} from '../../src/adapters/kubernetes/connection.js'
import {KubeApi} from '../../src/adapters/kubernetes/kube-api.js'
import {ConfigMapStateStore} from '../../src/adapters/kubernetes/state-store.js'
import {emptyJournal, type PersistedState} from '../../src/core/apply/journal.js'
import {emptyControllerState} from '../../src/core/model/state.js'
import {SharedStateStore} from '../../src/services/watch.js'
import {startTestTwin, type TestTwin} from '../helpers/twin.js'

let twin: TestTwin
let n = 0
beforeAll(async () => {
  twin = await startTestTwin()
})
afterAll(async () => {
  await twin.close()
})

const state = (at: number) => emptyControllerState(at)
const journal = (planId: string) => emptyJournal(planId, '2026-11-30T00:00:00Z')

async function stores() {
  const api = new KubeApi(await connectCluster({kubeconfig: twin.kubeconfig}), {sleep: async () => undefined})
  const name = `gpu-scale-state-${++n}`
  const raw = new ConfigMapStateStore<PersistedState>(api, {namespace: 'default', name})
  return {raw, shared: new SharedStateStore(raw), stored: async () => (await raw.load())?.state}
}

test.each([
  {
    name: 'nothing stored yet',
    before: async () => undefined,
    during: async () => undefined,
    saved: true,
    journal: undefined,
    why: 'the first save creates the ConfigMap',
  },
  {
    name: "apply's journal is there, no controller state yet",
    before: async (raw: ConfigMapStateStore<PersistedState>) => {
      await raw.save({applyJournal: journal('from-apply')}, undefined)
    },
    during: async () => undefined,
    saved: true,
    journal: 'from-apply',
    why: 'saved on top of the version loaded, the journal kept',
  },
  {
    name: 'this leader wrote a MIG step mid-tick',
    before: async () => undefined,
    during: async (_raw: ConfigMapStateStore<PersistedState>, shared: SharedStateStore) => {
      await shared.saveJournal(journal('mid-tick'))
    },
    saved: true,
    journal: 'mid-tick',
    why: 'its own write moved the version: not a conflict',
  },
  {
    name: 'another writer saved mid-tick',
    before: async (raw: ConfigMapStateStore<PersistedState>) => {
      await raw.save({controllerState: state(1)}, undefined)
    },
    during: async (raw: ConfigMapStateStore<PersistedState>) => {
      const current = await raw.load()
      await raw.save({controllerState: state(2)}, current?.version)
    },
    saved: false,
    journal: undefined,
    why: 'a conflict: re-read, never overwritten',
  },
])('$name: saved=$saved — $why', async ({before, during, saved, journal: kept}) => {
  const {raw, shared, stored} = await stores()
  await before(raw)
  const loaded = await shared.load()
  await during(raw, shared)
  const result = await shared.save(state(42), loaded?.version)
  expect(result.saved).toBe(saved)
  const after = await stored()
  if (saved) {
    expect(after?.controllerState?.updatedAt).toBe(42)
    // What apply keeps there survives the loop's save.
    expect(after?.applyJournal?.planId).toBe(kept)
  } else expect(after?.controllerState?.updatedAt).toBe(2)
})
