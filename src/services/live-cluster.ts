/**
 * A live cluster as a ClusterSnapshot: the Kubernetes adapter's objects mapped, Prometheus' answers for exactly
 * what the core needs, at one capture instant. Shared by `snapshot` (which saves it) and a live `plan` (which plans
 * it), so a saved snapshot and a live plan read the same thing.
 *
 * Controller state: read from the ConfigMap `apply` writes (`gpu-scale-state` in the connection's namespace, see
 * src/adapters/kubernetes/state-store.ts), so consecutive live plans stabilize like one HPA controller. None there
 * (a first run), unreadable or of another format: `state` is left empty, a diagnostic says which, and the planner
 * plans as on a first run.
 */
import type {PolicyConfig} from '../core/model/config.js'
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import type {PersistedState} from '../core/apply/journal.js'
import {CONTROLLER_STATE_FORMAT_VERSION, CONTROLLER_STATE_KIND, type ControllerState} from '../core/model/state.js'
import {connectCluster, type ClusterConnection, type ClusterConnectionFlags} from '../adapters/kubernetes/connection.js'
import {KubeApi} from '../adapters/kubernetes/kube-api.js'
import {ConfigMapStateStore} from '../adapters/kubernetes/state-store.js'
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
  const [objects, telemetry, stored] = await Promise.all([
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
    readControllerState(connection),
  ])
  const {cluster, diagnostics} = mapLiveObjects(objects, config, capturedAt)
  return {
    snapshot: {...cluster, telemetry: telemetry.series, ...(stored.state ? {state: stored.state} : {})},
    diagnostics: [...diagnostics, ...telemetry.diagnostics, ...(stored.diagnostic ? [stored.diagnostic] : [])],
    source: `${connection.source} (${connection.server})${prometheus ? `, Prometheus ${prometheus.url}` : ''}`,
  }
}

/** The controller state `apply` saved, or why there is none (a diagnostic; never an error: a plan still works). */
async function readControllerState(
  connection: ClusterConnection,
): Promise<{state?: ControllerState; diagnostic?: LiveDiagnostic}> {
  const store = new ConfigMapStateStore<PersistedState>(new KubeApi(connection, {sleep: async () => undefined}), {
    namespace: connection.namespace,
  })
  const where = `ConfigMap ${connection.namespace}/${store.name}`
  const none = (message: string, severity: LiveDiagnostic['severity'] = 'info') => ({
    diagnostic: {severity, code: 'NoControllerState', message} satisfies LiveDiagnostic,
  })
  try {
    const loaded = await store.load()
    const state = loaded?.state.controllerState
    if (!state) return none(`no controller state in ${where} yet: planned as a first run`)
    if (state.kind !== CONTROLLER_STATE_KIND || state.formatVersion !== CONTROLLER_STATE_FORMAT_VERSION)
      return none(`${where} holds a controller state of another format: ignored, planned as a first run`, 'warning')
    return {state}
  } catch (error) {
    return none(`cannot read ${where}: ${(error as Error).message.split('\n')[0]}; planned as a first run`, 'warning')
  }
}
