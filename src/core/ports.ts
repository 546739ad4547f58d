/**
 * Ports: the interfaces through which the pure core meets the world. Adapters in src/adapters implement them;
 * tests and the digital twin provide fakes. Only interfaces live here.
 */
import type {ClusterSnapshot} from './model/snapshot.js'

/** Time, injected so plans are reproducible and tests exact. Epoch seconds. */
export interface Clock {
  now(): number
}

export interface ClusterReader {
  /** Captures nodes, pods, workloads and telemetry as one snapshot. */
  snapshot(): Promise<ClusterSnapshot>
}

export interface ClusterWriter {
  scaleWorkload(kind: string, namespace: string, name: string, replicas: number): Promise<void>
  setNodeGroupSize(group: string, size: number): Promise<void>
  removeNode(node: string): Promise<void>
  cordonNode(node: string, cordoned: boolean): Promise<void>
  drainNode(node: string, gracePeriodSeconds: number): Promise<void>
  setNodeLabel(node: string, key: string, value: string): Promise<void>
}

export interface TelemetryQuery {
  metric: string
  query?: string
  rangeSeconds: number
  stepSeconds: number
}

export interface TelemetrySource {
  /** Returns the series for a metric over the last `rangeSeconds` before `at`. */
  range(query: TelemetryQuery, at: number): Promise<import('./model/snapshot.js').Series[]>
}
