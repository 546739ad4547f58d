/**
 * A twin API server for a test: the built-in fleet on a free loopback port, its kubeconfig in a temp dir, and a
 * private kubectl discovery cache. Stopped by `close()` (the server and its watches, then the temp dir).
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {writeKubeconfig} from '../../src/adapters/twin-server/kubeconfig.js'
import {startTwinServer, type TwinServer, type TwinServerOptions} from '../../src/adapters/twin-server/server.js'
import {createTwinCluster, resourceByKind, type KubeObject, type TwinCluster} from '../../src/core/kube-store/index.js'
import {defaultScenario} from '../../src/core/sim/default-scenario.js'
import {kubectl, type KubectlResult} from './kubectl.js'

export interface TestTwin {
  cluster: TwinCluster
  server: TwinServer
  kubeconfig: string
  kubectl(...args: string[]): Promise<KubectlResult>
  /** Objects of a kind in the store, sorted by namespace/name. */
  objects(kind: string, namespace?: string): KubeObject[]
  object(kind: string, namespace: string | undefined, name: string): KubeObject | undefined
  close(): Promise<void>
}

export async function startTestTwin(options: Omit<TwinServerOptions, 'api'> = {}): Promise<TestTwin> {
  const {config, snapshot} = defaultScenario()
  const cluster = createTwinCluster({config, snapshot, clock: () => Date.now()})
  const server = await startTwinServer({api: cluster.api, ...options})
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-twin-'))
  const kubeconfig = join(dir, 'kubeconfig')
  await writeKubeconfig(kubeconfig, server.url)
  return {
    cluster,
    server,
    kubeconfig,
    kubectl: (...args) => kubectl(args, {kubeconfig, cacheDir: join(dir, 'cache')}),
    objects: (kind, namespace) =>
      cluster.store.list(resourceByKind(kind), namespace === undefined ? {} : {namespace}).items,
    object: (kind, namespace, name) => cluster.store.get(resourceByKind(kind), namespace, name),
    close: async () => {
      await server.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. Never a fixed sleep. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
