/**
 * The digital twin's public API (issue 9, part without the closed loop): a pure discrete-event simulation of a
 * GPU inference fleet, its scenario files, its event log and the summary computed from that log.
 *
 *   const {scenario} = parseScenario(text, file)        // examples/scenarios/*.yaml
 *   const twin = new Twin(scenario.options)               // optionally {...options, schedule: kernelScheduler}
 *   twin.runUntil(scenario.options.start + 35 * 60)
 *   const snapshot = twin.snapshot()                      // a ClusterSnapshot the planner can plan
 *   twin.scaleWorkload('llama-8b', 3); twin.scaleNodeGroup('standard', 1); twin.setMigConfig(node, 'all-3g.40gb')
 *   const summary = summarizeLog(twin.logEntries(), {start, end, slo: scenario.slo, sloByModel: scenario.sloByModel})
 *
 * The scheduling seam (`SchedulePod`, ./scheduling.ts) is where the planner kernel's simulated cluster plugs in,
 * so the twin and the planner decide "does this pod fit this node" with the same predicates.
 */
import type {ClusterSnapshot} from '../model/snapshot.js'
import type {TwinScenario} from './scenario.js'
import {Twin} from './twin.js'

export {EventQueue} from './event-queue.js'
export {
  mergeLog,
  parseJsonLines,
  RequestLog,
  toJsonLines,
  type LogEntry,
  type RequestRecord,
  type TwinEvent,
} from './events.js'
export {
  knownServingBases,
  resolveServingProfile,
  stepActivity,
  stepSeconds,
  type ServingProfile,
  type ServingSpec,
  type StepCoefficients,
} from './latency-model.js'
export {
  AZURE_CONV_TOKENS,
  nextArrival,
  rateAt,
  sampleTokens,
  type ArrivalSpec,
  type ModelLoad,
  type TokenDistribution,
  type TraceRequest,
} from './load.js'
export {layoutForMigConfig, type GpuLayout} from './mig-manager.js'
export {elapsed, Replica, stepsWithin, type TwinRequest} from './replica.js'
export {parseScenario, type ScenarioFault, type ScenarioParseResult, type TwinScenario} from './scenario.js'
export {SCENARIO_API_VERSION, SCENARIO_KIND, SCENARIO_SCHEMA} from './schema.js'
export {
  deviceNeedOf,
  findFreeDevices,
  nodeFits,
  scheduleMostAllocated,
  type DeviceNeed,
  type ScheduleContext,
  type SchedulePod,
} from './scheduling.js'
export {
  FLAP_WINDOW_SECONDS,
  percentiles,
  summarizeLog,
  type Percentiles,
  type RequestStats,
  type SloTargets,
  type TwinSummary,
} from './summary.js'
export {E2E_BUCKETS, Histogram, ITL_BUCKETS, TelemetryStore, TTFT_BUCKETS} from './telemetry.js'
export {Twin, type ActionResult, type SpotSpec, type TwinModelSpec, type TwinOptions} from './twin.js'

/**
 * The twin of a scenario at `atSeconds` after its start, as a ClusterSnapshot (what `plan --sim --scenario NAME
 * --at 35m` will plan): the run up to that moment, with `historySeconds` of telemetry behind it.
 */
export function snapshotScenarioAt(scenario: TwinScenario, atSeconds: number, historySeconds = 3600): ClusterSnapshot {
  const twin = new Twin(scenario.options)
  twin.runUntil(scenario.options.start + atSeconds)
  return twin.snapshot({historySeconds})
}
