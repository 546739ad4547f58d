/**
 * The discrete-event twin behind the Kubernetes API: a twin of a scenario, the kube-store seeded with its fleet,
 * the binding between them (./binding.ts), its exporters (./exposition.ts) and its faults. Pure: time moves only
 * when the caller runs `advance(t)` (`sim serve` drives it from the wall clock, tests step it).
 *
 * The store's clock is the twin's virtual clock, so timestamps (creation, deletion, conditions) read in
 * simulated time, and watch history expires after `historyWindowSeconds` of simulated time. A scenario's
 * `faults` are injected at their instants as `advance` passes them.
 */
import {KubeApi} from '../kube-store/api.js'
import {seedCluster} from '../kube-store/seed.js'
import {KubeStore} from '../kube-store/store.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import {Twin, type ScenarioFault, type TwinScenario} from '../twin/index.js'
import {TwinBinding} from './binding.js'
import {MetricFaults, metricsTargets, renderTarget, type MetricFault, type MetricsTarget} from './exposition.js'

export {TwinBinding, type BindingAction} from './binding.js'
export {BUILTIN_TWIN_SCENARIO, builtinTwinScenario} from './builtin-scenario.js'
export {
  DRIVER_VERSION,
  fileSdTargets,
  formatLe,
  MetricFaults,
  metricsTargets,
  renderTarget,
  type MetricFault,
  type MetricFaultMode,
  type MetricsTarget,
  type Sample,
} from './exposition.js'

export type BoundTwinFault =
  | {type: 'metrics'; mode: MetricFault['mode'] | 'clear'; target?: string; metric?: string}
  | {type: 'mig-stuck'; node: string; release?: boolean}
  | {type: 'spot-interruption'; node: string}

export interface BoundTwin {
  scenario: TwinScenario
  twin: Twin
  store: KubeStore
  api: KubeApi
  binding: TwinBinding
  metricFaults: MetricFaults
  /** Runs the twin to virtual time `t` (epoch seconds) and writes what changed into the store. */
  advance(t: number): void
  /** The exporter targets now. */
  targets(): MetricsTarget[]
  /** One target's exposition, undefined when it does not exist. */
  metrics(target: string): string | undefined
  fault(fault: BoundTwinFault): {ok: boolean; message: string}
}

export function createBoundTwin(
  scenario: TwinScenario,
  options: {historyWindowSeconds?: number; historyLimit?: number} = {},
): BoundTwin {
  // PodDisruptionBudgets are the apiserver's to enforce (evictions); the twin gets none so it never refuses
  // what the API allowed. The scenario's budgets become PDB objects.
  const twin = new Twin({...scenario.options, pdbs: []})
  twin.runUntil(scenario.options.start)
  const store = new KubeStore({
    clock: () => twin.now * 1000,
    historyLimit: options.historyLimit,
    historyWindowMs: (options.historyWindowSeconds ?? 300) * 1000,
  })
  const api = new KubeApi(store)
  const snapshot: ClusterSnapshot = {...twin.snapshot({telemetry: false}), pdbs: scenario.options.pdbs ?? []}
  seedCluster(api, {config: scenario.options.config, snapshot, now: twin.now * 1000})
  const binding = new TwinBinding(twin, api, scenario.options.config)
  api.bind(binding)
  binding.sync()
  const metricFaults = new MetricFaults()
  // The scenario's faults, in time order: each is injected at its exact virtual instant.
  const scripted = [...(scenario.faults ?? [])]
  const bound: BoundTwin = {
    scenario,
    twin,
    store,
    api,
    binding,
    metricFaults,
    advance(t) {
      while (scripted.length > 0 && scenario.options.start + (scripted[0] as ScenarioFault).atSeconds <= t) {
        const {atSeconds, type, ...rest} = scripted.shift() as ScenarioFault
        twin.runUntil(Math.max(twin.now, scenario.options.start + atSeconds))
        if (type === 'metrics')
          bound.fault({
            type,
            mode: rest.mode ?? 'vanish',
            ...(rest.target ? {target: rest.target} : {}),
            ...(rest.metric ? {metric: rest.metric} : {}),
          })
        else bound.fault({type, node: rest.node ?? '', ...(rest.release ? {release: true} : {})} as BoundTwinFault)
      }
      twin.runUntil(t)
      binding.sync()
    },
    targets: () => metricsTargets(binding.snapshot),
    metrics: (target) =>
      renderTarget(target, binding.snapshot, twin.latestTelemetry(), twin.lastScrapeAt, metricFaults),
    fault(fault) {
      if (fault.type === 'metrics') {
        if (fault.mode === 'clear') metricFaults.clear()
        else
          metricFaults.add({
            mode: fault.mode,
            ...(fault.target ? {target: fault.target} : {}),
            ...(fault.metric ? {metric: fault.metric} : {}),
          })
        return {
          ok: true,
          message: `metrics ${fault.mode}${fault.target ? ` on ${fault.target}` : ''}${fault.metric ? ` for ${fault.metric}` : ''}`,
        }
      }
      const result =
        fault.type === 'mig-stuck' ? twin.holdMig(fault.node, !fault.release) : twin.interruptNode(fault.node)
      binding.sync()
      return {ok: result.ok, message: result.message}
    },
  }
  return bound
}
