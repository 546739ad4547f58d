/**
 * A live cluster as a ClusterSnapshot: the Kubernetes adapter's objects mapped, Prometheus' answers for exactly
 * what the core needs, at one capture instant. Shared by `snapshot` (which saves it) and a live `plan` (which plans
 * it), so a saved snapshot and a live plan read the same thing.
 *
 * Controller state: there is no ConfigMap state store yet (it comes with `apply`), so `state` is left empty and a
 * diagnostic says so; the planner then plans as on a first run.
 */
import type {PolicyConfig} from '../core/model/config.js'
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import {connectCluster, type ClusterConnectionFlags} from '../adapters/kubernetes/connection.js'
import {mapLiveObjects} from '../adapters/kubernetes/map-snapshot.js'
import {readLiveObjects} from '../adapters/kubernetes/read-cluster.js'
import type {LiveDiagnostic} from '../adapters/live-diagnostic.js'
import {createPrometheusClient} from '../adapters/prometheus/connect.js'
import {readTelemetry} from '../adapters/prometheus/read-telemetry.js'

export interface LiveFlags extends ClusterConnectionFlags {
  prometheus?: string
  /** Seconds per Prometheus request. */
  prometheusTimeout?: number
  prometheusTokenFile?: string
  prometheusCaFile?: string
  prometheusInsecureSkipTlsVerify?: boolean
  /** Epoch seconds of the capture; the wall clock unless a test pins it. */
  clock?: () => number
}

export interface LiveCapture {
  snapshot: ClusterSnapshot
  diagnostics: LiveDiagnostic[]
  source: string
}

export function isLiveRequest(flags: LiveFlags): boolean {
  return Boolean(flags.kubeconfig || flags.context || flags.prometheus)
}

export async function captureLiveCluster(config: PolicyConfig, flags: LiveFlags): Promise<LiveCapture> {
  const capturedAt = Math.floor(flags.clock ? flags.clock() : Date.now() / 1000)
  const connection = await connectCluster(flags)
  const prometheus = flags.prometheus
    ? await createPrometheusClient({
        prometheus: flags.prometheus,
        ...(flags.prometheusTimeout !== undefined ? {timeoutSeconds: flags.prometheusTimeout} : {}),
        ...(flags.prometheusTokenFile ? {tokenFile: flags.prometheusTokenFile} : {}),
        ...(flags.prometheusCaFile ? {caFile: flags.prometheusCaFile} : {}),
        ...(flags.prometheusInsecureSkipTlsVerify ? {insecureSkipTlsVerify: true} : {}),
      })
    : undefined
  const [objects, telemetry] = await Promise.all([
    readLiveObjects(connection, config.models),
    prometheus
      ? readTelemetry(prometheus, config, capturedAt)
      : Promise.resolve({
          series: [],
          diagnostics: [
            {
              severity: 'warning',
              code: 'NoTelemetrySource',
              message: 'no --prometheus URL: planned without telemetry, so nothing scales down',
            } satisfies LiveDiagnostic,
          ],
        }),
  ])
  const {cluster, diagnostics} = mapLiveObjects(objects, config, capturedAt)
  return {
    snapshot: {...cluster, telemetry: telemetry.series},
    diagnostics: [
      ...diagnostics,
      ...telemetry.diagnostics,
      {
        severity: 'info',
        code: 'NoControllerState',
        message: 'no controller-state ConfigMap store exists yet: state left empty (planned as a first run)',
      },
    ],
    source: `${connection.source} (${connection.server})${prometheus ? `, Prometheus ${prometheus.url}` : ''}`,
  }
}
