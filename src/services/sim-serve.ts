/**
 * `gpu-scale sim serve`: the built-in simulated fleet behind a Kubernetes API on 127.0.0.1, with a kubeconfig
 * for kubectl, k9s, client-node and gpu-scale's live adapters.
 *
 * Today the fleet is the built-in scenario (src/core/sim/default-scenario.ts) as Kubernetes objects, and the
 * built-in twin (src/core/kube-store/builtin-twin.ts) reacts to writes at once. The discrete-event twin of issue 9
 * binds to the same `TwinSeam` when it lands, bringing simulated time, cold starts and `--speed`.
 */
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {writeKubeconfig} from '../adapters/twin-server/kubeconfig.js'
import {startTwinServer, type TwinServer} from '../adapters/twin-server/server.js'
import {UserError} from '../core/errors.js'
import {createTwinCluster, type TwinCluster} from '../core/kube-store/index.js'
import {defaultScenario, DEFAULT_SCENARIO_NAME} from '../core/sim/default-scenario.js'

export interface SimServeOptions {
  /** 0 picks a free port. */
  port: number
  /** Where to write the kubeconfig; a file in the temp dir named after the port by default. */
  kubeconfigOut?: string
  /** Epoch ms; the wall clock by default. */
  clock?: () => number
}

/** What `sim serve` reports once ready (and prints with `-o json`). */
export interface SimServeInfo {
  scenario: string
  api: string
  kubeconfig: string
  metrics: string
  faults: string
}

export interface SimServeHandle {
  info: SimServeInfo
  cluster: TwinCluster
  server: TwinServer
  close(): Promise<void>
}

export async function startSimServe(options: SimServeOptions): Promise<SimServeHandle> {
  const clock = options.clock ?? (() => Date.now())
  const {config, snapshot} = defaultScenario()
  // Watch history expires as etcd compacts it by default (5 min), so clients meet 410 Expired as on a real cluster.
  const cluster = createTwinCluster({config, snapshot, clock, historyWindowMs: 5 * 60_000})
  let server: TwinServer
  try {
    server = await startTwinServer({api: cluster.api, port: options.port})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(`cannot listen on 127.0.0.1:${options.port}: ${code ?? (error as Error).message}`, {hint: code === 'EADDRINUSE' ? 'pick another --port, or --port 0 for a free one' : undefined, cause: error})
  }
  const kubeconfig = resolve(options.kubeconfigOut ?? join(tmpdir(), `gpu-scale-sim-${server.port}.kubeconfig`))
  try {
    await writeKubeconfig(kubeconfig, server.url)
  } catch (error) {
    await server.close()
    throw new UserError(`cannot write the kubeconfig to ${kubeconfig}: ${(error as Error).message}`, {hint: 'check the directory is writable', cause: error})
  }
  return {
    info: {scenario: DEFAULT_SCENARIO_NAME, api: server.url, kubeconfig, metrics: `${server.url}/metrics`, faults: `${server.url}/_twin/faults`},
    cluster,
    server,
    close: () => server.close(),
  }
}

/** Resolves on the first SIGINT or SIGTERM, so the caller can shut down cleanly. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolveSignal(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
