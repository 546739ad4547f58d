/**
 * Snapshot file ⇄ in-memory snapshot. The file carries RFC 3339 times and may omit defaults; in memory every
 * time is epoch seconds and every field is present, so the planner never re-parses or guesses.
 */
import type {ControllerState} from '../model/state.js'
import {formatTimestamp, parseTimestamp} from '../model/duration.js'
import {
  type ClusterSnapshot,
  type GpuDevice,
  type NodeState,
  type PodState,
  SNAPSHOT_API_VERSION,
  SNAPSHOT_KIND,
} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'
import {findMigProfile} from '../mig/index.js'

/** The snapshot as written in a file (JSON/YAML): see schemas/cluster-snapshot.schema.json. */
export type SnapshotDocument = Record<string, unknown>

type Doc = Record<string, unknown>
const t = (value: unknown): number => parseTimestamp(String(value)) as number
const opt = (value: unknown): number | undefined => (value === undefined ? undefined : t(value))

/** Converts a schema-valid document; callers validate first (parseSnapshot does). */
export function decodeSnapshot(doc: Doc): ClusterSnapshot {
  const capturedAt = t(doc.capturedAt)
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    capturedAt,
    migStrategy: (doc.migStrategy as ClusterSnapshot['migStrategy']) ?? 'mixed',
    nodeGroups: ((doc.nodeGroups as Doc[]) ?? []).map((g) => ({
      name: String(g.name),
      targetSize: Number(g.targetSize),
      ...(g.lastScaleUpAt !== undefined ? {lastScaleUpAt: t(g.lastScaleUpAt)} : {}),
      ...(g.lastScaleDownAt !== undefined ? {lastScaleDownAt: t(g.lastScaleDownAt)} : {}),
      failures: ((g.failures as Doc[]) ?? []).map((f) => ({
        at: t(f.at),
        reason: f.reason as 'capacity' | 'timeout' | 'quota',
      })),
    })),
    nodes: ((doc.nodes as Doc[]) ?? []).map(decodeNode),
    pods: ((doc.pods as Doc[]) ?? []).map((p) => decodePod(p, capturedAt)),
    workloads: ((doc.workloads as Doc[]) ?? []).map((w) => ({
      kind: w.kind as 'Deployment' | 'StatefulSet',
      namespace: String(w.namespace),
      name: String(w.name),
      specReplicas: Number(w.specReplicas),
      readyReplicas: Number(w.readyReplicas ?? w.specReplicas),
      ...(w.managedBy !== undefined ? {managedBy: String(w.managedBy)} : {}),
      scaleEvents: ((w.scaleEvents as Doc[]) ?? []).map((e) => ({at: t(e.at), from: Number(e.from), to: Number(e.to)})),
      recommendations: ((w.recommendations as Doc[]) ?? []).map((r) => ({at: t(r.at), replicas: Number(r.replicas)})),
    })),
    pdbs: ((doc.pdbs as Doc[]) ?? []).map((p) => ({
      namespace: String(p.namespace),
      name: String(p.name),
      workload: String(p.workload),
      maxUnavailable: Number(p.maxUnavailable),
    })),
    telemetry: ((doc.telemetry as Doc[]) ?? []).map((s) => ({
      metric: String(s.metric),
      labels: (s.labels as Record<string, string>) ?? {},
      samples: decodeSamples(s.samples as Array<[number, number | string | null]>),
    })),
    ...(doc.state ? {state: doc.state as ControllerState} : {}),
  }
}

/**
 * Sample values as Prometheus writes them ("NaN", "+Inf", "-Inf") or null become numbers (NaN for null); the
 * sanitizer (src/core/signals/sanitize.ts) then drops them. Numeric-only series, all of them in practice, are
 * returned as they are.
 */
function decodeSamples(samples: Array<[number, number | string | null]>): Array<[number, number]> {
  let numeric = true
  for (let i = 0; i < samples.length && numeric; i++) numeric = typeof (samples[i] as [number, unknown])[1] === 'number'
  if (numeric) return samples as Array<[number, number]>
  return samples.map(([t, v]) => [
    t,
    typeof v === 'number' ? v : v === '+Inf' || v === 'Inf' ? Infinity : v === '-Inf' ? -Infinity : NaN,
  ])
}

function decodeNode(n: Doc): NodeState {
  const ready = Boolean(n.ready)
  return {
    name: String(n.name),
    group: String(n.group),
    labels: (n.labels as Record<string, string>) ?? {},
    taints: (n.taints as NodeState['taints']) ?? [],
    ready,
    cordoned: Boolean(n.cordoned ?? false),
    createdAt: t(n.createdAt),
    gpusAllocatable: Boolean(n.gpusAllocatable ?? ready),
    capacityType: (n.capacityType as NodeState['capacityType']) ?? 'on-demand',
    ...(n.migConfig !== undefined ? {migConfig: String(n.migConfig)} : {}),
    ...(n.migConfigState !== undefined ? {migConfigState: n.migConfigState as NodeState['migConfigState']} : {}),
    ...(n.interruptionNoticeAt !== undefined ? {interruptionNoticeAt: t(n.interruptionNoticeAt)} : {}),
    gpus: ((n.gpus as Doc[]) ?? []).map(decodeGpu),
  }
}

function decodeGpu(g: Doc): GpuDevice {
  const info = findGpuModel(String(g.model))
  const model = info?.name ?? String(g.model)
  const mig = (g.mig as Doc | undefined) ?? {enabled: false}
  return {
    index: Number(g.index),
    ...(g.uuid !== undefined ? {uuid: String(g.uuid)} : {}),
    model,
    memoryMiB: Number(g.memoryMiB ?? info?.memoryMiB ?? 0),
    mig: {
      enabled: Boolean(mig.enabled),
      instances: ((mig.instances as Doc[]) ?? []).map((i) => ({
        profile: String(i.profile),
        start: Number(i.start),
        // The size follows from the profile on a known GPU; a file may omit it.
        size: Number(i.size ?? findMigProfile(model, String(i.profile))?.memorySlices ?? 1),
        ...(i.pod !== undefined ? {pod: String(i.pod)} : {}),
      })),
    },
    ...(g.sharing !== undefined ? {sharing: g.sharing as GpuDevice['sharing']} : {}),
    pods: (g.pods as string[]) ?? [],
  }
}

function decodePod(p: Doc, capturedAt: number): PodState {
  return {
    name: String(p.name),
    namespace: String(p.namespace),
    ...(p.workload !== undefined ? {workload: p.workload as {kind: string; name: string}} : {}),
    phase: p.phase as PodState['phase'],
    ...(p.node !== undefined ? {node: String(p.node)} : {}),
    ready: Boolean(p.ready ?? false),
    deleting: Boolean(p.deleting ?? false),
    createdAt: opt(p.createdAt) ?? capturedAt,
    ...(p.startedAt !== undefined ? {startedAt: t(p.startedAt)} : {}),
    ...(p.readyAt !== undefined ? {readyAt: t(p.readyAt)} : {}),
    ...(p.notReadySince !== undefined ? {notReadySince: t(p.notReadySince)} : {}),
    ...(p.containerRequests !== undefined
      ? {containerRequests: p.containerRequests as PodState['containerRequests']}
      : {}),
    ...(p.gpuRequest !== undefined ? {gpuRequest: p.gpuRequest as PodState['gpuRequest']} : {}),
    daemon: Boolean(p.daemon ?? false),
  }
}

/** In-memory snapshot → file document (RFC 3339 times), the inverse of decodeSnapshot. */
export function encodeSnapshot(snapshot: ClusterSnapshot): SnapshotDocument {
  const ts = formatTimestamp
  return {
    apiVersion: snapshot.apiVersion,
    kind: snapshot.kind,
    capturedAt: ts(snapshot.capturedAt),
    migStrategy: snapshot.migStrategy,
    nodeGroups: snapshot.nodeGroups.map((g) => ({
      name: g.name,
      targetSize: g.targetSize,
      ...(g.lastScaleUpAt !== undefined ? {lastScaleUpAt: ts(g.lastScaleUpAt)} : {}),
      ...(g.lastScaleDownAt !== undefined ? {lastScaleDownAt: ts(g.lastScaleDownAt)} : {}),
      failures: g.failures.map((f) => ({at: ts(f.at), reason: f.reason})),
    })),
    nodes: snapshot.nodes.map((n) => ({
      ...n,
      createdAt: ts(n.createdAt),
      ...(n.interruptionNoticeAt !== undefined ? {interruptionNoticeAt: ts(n.interruptionNoticeAt)} : {}),
    })),
    pods: snapshot.pods.map((p) => ({
      ...p,
      createdAt: ts(p.createdAt),
      ...(p.startedAt !== undefined ? {startedAt: ts(p.startedAt)} : {}),
      ...(p.readyAt !== undefined ? {readyAt: ts(p.readyAt)} : {}),
      ...(p.notReadySince !== undefined ? {notReadySince: ts(p.notReadySince)} : {}),
    })),
    workloads: snapshot.workloads.map((w) => ({
      ...w,
      scaleEvents: w.scaleEvents.map((e) => ({...e, at: ts(e.at)})),
      recommendations: w.recommendations.map((r) => ({...r, at: ts(r.at)})),
    })),
    pdbs: snapshot.pdbs,
    // What the loader dropped is gone from the samples; the count is the plan's diagnostic, not part of the file.
    telemetry: snapshot.telemetry.map(({dropped: _dropped, ...series}) => series),
    // Controller state is machine-written with epoch seconds (schemas/controller-state.schema.json): as is.
    ...(snapshot.state ? {state: snapshot.state} : {}),
  }
}
