/**
 * Placement priority: who gets the last free GPU. Iteration order is policy, so it is written down here and
 * nowhere else (STYLE.md, "Lessons"):
 *
 * 1. critical models first: they are the replicas the fleet cannot lose, and they may use only on-demand capacity,
 *    so a batch model that takes the last on-demand GPU leaves them nowhere to go;
 * 2. demand that already exists (Pending pods, pods displaced by a spot interruption) before new replicas: those
 *    pods were asked for on an earlier tick and users already wait on them;
 * 3. larger GPU requests first: first-fit packs big requests before small ones fill the nodes they need
 *    (decreasing first-fit), and a small request still fits the gaps a big one leaves;
 * 4. the model's name, only as the last tie-break, so equal demand is ordered deterministically.
 */
import type {GpuNeed, ModelConfig} from '../model/config.js'

export type DemandKind = 'existing' | 'new'

export interface Demand {
  model: ModelConfig
  kind: DemandKind
  /** Replicas that need a home. */
  count: number
}

/** GPUs one replica asks for: whole GPUs by count, a memory-sized replica as one GPU, a MIG slice by its compute share. */
export function gpuRequestSize(need: GpuNeed): number {
  if (need.kind === 'whole') return need.count
  if (need.kind === 'memory') return 1
  // `<n>g.<mem>`: n of the 7 compute slices of an A100/H100-class GPU (A30's 4-slice profiles read the same way).
  const slices = Number(/^(\d+)g\./.exec(need.profile)?.[1] ?? 1)
  return slices / 7
}

/** Negative when `a` is placed before `b`. */
export function compareDemand(a: Demand, b: Demand): number {
  return (
    Number(b.model.critical) - Number(a.model.critical) ||
    rank(a.kind) - rank(b.kind) ||
    gpuRequestSize(b.model.gpu) - gpuRequestSize(a.model.gpu) ||
    compareNames(a.model.name, b.model.name)
  )
}

/** The same order for per-model passes (predictive warming): critical first, larger requests first, name last. */
export function compareModels(a: ModelConfig, b: ModelConfig): number {
  return (
    Number(b.critical) - Number(a.critical) ||
    gpuRequestSize(b.gpu) - gpuRequestSize(a.gpu) ||
    compareNames(a.name, b.name)
  )
}

function rank(kind: DemandKind): number {
  return kind === 'existing' ? 0 : 1
}

/** Code-unit order, not locale order: the same on every machine. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
