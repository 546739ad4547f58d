/**
 * `gpu-scale sim serve`: the discrete-event twin of a scenario behind a Kubernetes API on 127.0.0.1, with a
 * kubeconfig for kubectl, k9s, client-node and gpu-scale's live adapters, and exporter endpoints with a
 * Prometheus file_sd targets file.
 *
 * Time: the twin's virtual clock is driven from the wall clock here (the core stays pure): every tick runs the
 * twin to `start + elapsed wall time × speed` and writes what changed into the store. Lag is how far the twin's
 * clock is behind that target when a tick ends (virtual seconds); the bench reports it.
 */
import {mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'

import {loadScenarioFile} from '../adapters/scenario-file.js'
import {writeKubeconfig} from '../adapters/twin-server/kubeconfig.js'
import {startTwinServer, type TwinServer} from '../adapters/twin-server/server.js'
import {TargetsFile} from '../adapters/twin-server/targets-file.js'
import {UserError} from '../core/errors.js'
import {builtinTwinScenario, createBoundTwin, fileSdTargets, type BoundTwin} from '../core/twin-serve/index.js'
import type {SimServeInfo} from '../core/model/sim-serve.js'

export interface SimServeOptions {
  /** 0 picks a free port. */
  port: number
  /** Where to write the kubeconfig; a file in the temp dir named after the port by default. */
  kubeconfigOut?: string
  /** Where to write the Prometheus file_sd targets; next to the kubeconfig by default. */
  targetsOut?: string
  /** A name in examples/scenarios or a scenario file; the built-in fleet when absent. */
  scenario?: string
  /** Simulated seconds per wall second (default 1); 0 pauses the clock (tests step it through `advance`). */
  speed?: number
  /** Wall milliseconds between driver ticks (default 100). */
  tickMs?: number
}

/** What `sim serve` reports once ready (and prints with `-o json`). */
export type {SimServeInfo}

export interface LagStats {
  ticks: number
  /** Virtual seconds behind the target at the end of ticks. */
  p50: number
  p99: number
  max: number
}

export interface SimServeHandle {
  info: SimServeInfo
  bound: BoundTwin
  server: TwinServer
  /** Lag over the ticks so far (or since the last `resetLag`). */
  lag(): LagStats
  resetLag(): void
  /** Waits until the targets file holds the current targets. */
  flushTargets(): Promise<void>
  close(): Promise<void>
}

export async function startSimServe(options: SimServeOptions): Promise<SimServeHandle> {
  const scenario = options.scenario ? (await loadScenarioFile(options.scenario)).scenario : builtinTwinScenario()
  const speed = options.speed ?? 1
  if (!Number.isFinite(speed) || speed < 0) throw new UserError(`--speed must be ≥ 0, got ${speed}`)
  // Watch history expires as etcd compacts it by default (5 wall minutes), in the store's virtual time.
  const bound = createBoundTwin(scenario, {historyWindowSeconds: 300 * Math.max(1, speed)})
  let server: TwinServer
  try {
    server = await startTwinServer({
      api: bound.api,
      port: options.port,
      now: () => bound.twin.now * 1000,
      twin: {
        metrics: (target) => bound.metrics(target),
        fault: (fault) => bound.fault(fault),
        state: () => ({now: bound.twin.now, actions: bound.binding.actions.slice(-100)}),
      },
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(`cannot listen on 127.0.0.1:${options.port}: ${code ?? (error as Error).message}`, {
      hint: code === 'EADDRINUSE' ? 'pick another --port, or --port 0 for a free one' : undefined,
      cause: error,
    })
  }
  const kubeconfig = resolve(options.kubeconfigOut ?? join(tmpdir(), `gpu-scale-sim-${server.port}.kubeconfig`))
  const targetsPath = resolve(options.targetsOut ?? `${kubeconfig.replace(/\.kubeconfig$/, '')}.targets.json`)
  const targets = new TargetsFile(targetsPath)
  const hostPort = `127.0.0.1:${server.port}`
  try {
    await writeKubeconfig(kubeconfig, server.url)
    mkdirSync(resolve(targetsPath, '..'), {recursive: true})
    await targets.update(fileSdTargets(bound.targets(), hostPort))
  } catch (error) {
    await server.close()
    throw new UserError(
      `cannot write the kubeconfig or targets file (${kubeconfig}, ${targetsPath}): ${(error as Error).message}`,
      {hint: 'check the directory is writable', cause: error},
    )
  }

  const wallStart = performance.now()
  const virtualStart = bound.twin.now
  const target = () => virtualStart + ((performance.now() - wallStart) / 1000) * speed
  let lags: number[] = []
  const tick = () => {
    if (speed > 0) bound.advance(target())
    lags.push(speed > 0 ? Math.max(0, target() - bound.twin.now) : 0)
    if (lags.length > 100_000) lags = lags.slice(-50_000)
    void targets.update(fileSdTargets(bound.targets(), hostPort)).catch(() => undefined)
  }
  const timer = setInterval(tick, options.tickMs ?? 100)

  return {
    info: {
      scenario: scenario.name,
      speed,
      api: server.url,
      kubeconfig,
      metricsTargets: targetsPath,
      metrics: `${server.url}/_twin/metrics/`,
      faults: `${server.url}/_twin/faults`,
    },
    bound,
    server,
    lag: () => lagStats(lags),
    resetLag: () => {
      lags = []
    },
    flushTargets: async () => {
      await targets.update(fileSdTargets(bound.targets(), hostPort))
      await targets.flush()
    },
    close: async () => {
      clearInterval(timer)
      await targets.flush().catch(() => undefined)
      await server.close()
    },
  }
}

function lagStats(samples: number[]): LagStats {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return {ticks: samples.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0}
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
