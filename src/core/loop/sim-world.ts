/**
 * The in-process twin as the world of the controller loop (`apply --watch --sim`): the ports a live cluster would
 * give — a ClusterReader, the apply ports, a Clock — over the same twin and TwinActuator `simulate` drives, so the
 * loop that runs here is the loop that runs against a cluster.
 *
 * Time: the twin's virtual clock is the loop's Clock. `sleep(s)` runs the twin forward `s` seconds in chunks and,
 * after each chunk, awaits the injected `pace` (the service paces the chunk in wall time at --speed; tests pass
 * nothing and the run goes as fast as it can). The core stays pure: no timer is read here.
 */
import type {ApplyPorts} from '../apply/index.js'
import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import type {Clock, ClusterReader} from '../ports.js'
import {Twin, type SloTargets, type TwinOptions} from '../twin/index.js'
import {loopHistorySeconds} from './closed-loop.js'
import {scheduleWithKernel} from './kernel-scheduler.js'
import {TwinActuator} from './twin-actuator.js'

/** What the fleet does at one moment, for the watch view: the twin's own state, not the planner's reading of it. */
export interface FleetStatus {
  at: number
  nodes: {total: number; ready: number}
  replicas: {desired: number; ready: number; pending: number}
  perModel: Record<string, {desired: number; ready: number; pending: number}>
  /** Requests finished since the previous status. */
  requests: {finished: number; p95Seconds: number | null; sloAttainment: number | null}
}

export interface SimWorldOptions {
  twin: TwinOptions
  /** The controller's policy (decides the telemetry history a snapshot carries). */
  config: PolicyConfig
  intervalSeconds: number
  slo?: SloTargets
  sloByModel?: Record<string, SloTargets>
  /** Virtual seconds the clock advances between two `pace` calls (default 5). */
  chunkSeconds?: number
  /** Awaited after every chunk of virtual time (wall pacing); rejects with the signal's reason when aborted. */
  pace?: (virtualSeconds: number, signal?: AbortSignal) => Promise<void>
}

export class SimWorld {
  readonly twin: Twin
  readonly actuator: TwinActuator
  readonly reader: ClusterReader
  readonly apply: ApplyPorts
  readonly clock: Clock
  private readonly historySeconds: number
  private requestsSeen = 0

  constructor(private readonly options: SimWorldOptions) {
    this.twin = new Twin({...options.twin, schedule: scheduleWithKernel})
    this.actuator = new TwinActuator(this.twin, options.twin.config)
    this.historySeconds = loopHistorySeconds(options.config, options.intervalSeconds)
    this.reader = {snapshot: async () => this.snapshot()}
    this.apply = {cluster: this.actuator, nodeGroups: this.actuator, read: this.actuator.read}
    const chunk = options.chunkSeconds ?? 5
    const pace = options.pace
    const twin = this.twin
    this.clock = {
      now: () => twin.now,
      async sleep(seconds: number, signal?: AbortSignal): Promise<void> {
        const end = twin.now + seconds
        for (;;) {
          if (signal?.aborted) throw signal.reason
          const next = Math.min(end, twin.now + chunk)
          const step = next - twin.now
          twin.runUntil(next)
          if (pace) await pace(step, signal)
          else await Promise.resolve()
          if (twin.now >= end) return
        }
      },
    }
  }

  /**
   * What the cluster shows now. The actuator's multi-step MIG work moves on first, as a live MIG operation moves
   * on between two reads of the cluster (cordon → drained → label set → manager done → uncordon).
   */
  private snapshot(): ClusterSnapshot {
    this.actuator.progress()
    return this.twin.snapshot({historySeconds: this.historySeconds})
  }

  /** Nodes, replicas and the requests finished since the last call. */
  fleet(): FleetStatus {
    const twin = this.twin
    const names = twin.nodeNames()
    const ready = names.filter((name) => twin.nodeState(name)?.gpusAllocatable === true).length
    const perModel: FleetStatus['perModel'] = {}
    const replicas = {desired: 0, ready: 0, pending: 0}
    for (const model of this.options.twin.models) {
      const phases = twin.podPhases(model.name)
      const entry = {
        desired: twin.workloadReplicas(model.name) ?? 0,
        ready: phases.filter((p) => p.phase === 'ready').length,
        pending: phases.filter((p) => p.phase === 'pending').length,
      }
      perModel[model.name] = entry
      replicas.desired += entry.desired
      replicas.ready += entry.ready
      replicas.pending += entry.pending
    }
    return {at: twin.now, nodes: {total: names.length, ready}, replicas, perModel, requests: this.recentRequests()}
  }

  private recentRequests(): FleetStatus['requests'] {
    const log = this.twin.requests
    const from = this.requestsSeen
    this.requestsSeen = log.length
    const e2e: number[] = []
    let within = 0
    for (let i = from; i < log.length; i++) {
      const entry = log.entry(i)
      e2e.push(entry.e2e)
      const slo = {...this.options.slo, ...this.options.sloByModel?.[entry.model]}
      if (
        entry.ok &&
        (slo.ttftSeconds === undefined || (entry.ttft !== null && entry.ttft <= slo.ttftSeconds)) &&
        (slo.e2eSeconds === undefined || entry.e2e <= slo.e2eSeconds)
      )
        within++
    }
    if (e2e.length === 0) return {finished: 0, p95Seconds: null, sloAttainment: null}
    e2e.sort((a, b) => a - b)
    // Nearest rank, as the run summary computes its percentiles (src/core/twin/summary.ts).
    const p95 = e2e[Math.min(e2e.length - 1, Math.ceil(0.95 * e2e.length) - 1)] as number
    return {finished: e2e.length, p95Seconds: p95, sloAttainment: within / e2e.length}
  }
}
