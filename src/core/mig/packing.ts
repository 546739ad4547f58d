/**
 * Fragmentation-aware packing of MIG demand onto GPUs.
 *
 * Model of the cluster: each GPU has MIG instances, some used by pods. A GPU is either left alone (its free
 * instances can host new replicas of the same profile) or repartitioned to a new layout. MIG Manager applies a
 * whole mig-parted config per GPU and requires every workload on it stopped (GPU Operator MIG docs), so a
 * repartition disrupts every pod on that GPU, and is only allowed on GPUs that are idle or drainable
 * (`reconfigurable`). The new layout keeps an instance of the same profile for each disrupted pod.
 *
 * Objective, lexicographic: place the most demand, then disrupt the fewest pods, then touch the fewest GPUs.
 * Disruption before GPUs touched: repartitioning an idle GPU costs nobody anything, while a drain stops serving
 * replicas (the planner's rule, README "GPU allocation layer": idle GPUs first, busy ones only when needed).
 * When the search space is small (demand states × options) the result is the exact optimum (dynamic
 * programming over units with the remaining demand as state); otherwise a greedy pass fills free instances
 * first, then repartitions idle units before drained ones, each with the option covering the most remaining
 * demand. Every result carries a lower bound on GPUs touched so its quality is visible.
 *
 * The solver works on units with options (solveUnits below): here a unit is one GPU whose options are the
 * valid layouts of its model; in node-packing.ts, what the planner calls, a unit is one node whose options are
 * the mig-parted config names its group allows (MIG Manager applies one config per node). One search, one lower
 * bound argument, two ways to describe what may change.
 */
import type {Reason} from '../model/plan.js'
import type {GpuModelInfo} from './catalog.js'
import {findMigModel, findMigProfile, migProfilesFor, normalizeProfileName, type MigProfile} from './profiles.js'
import {checkInstances, findStart, formatLayout, maskOf, type Placement} from './geometry.js'

export interface MigGpu {
  /** Stable id, e.g. `node-a/0`. */
  id: string
  node: string
  index: number
  model: string
  instances: Array<{profile: string; start: number; pod?: string}>
  /** Idle, or its pods may be drained: the GPU may be repartitioned. */
  reconfigurable: boolean
}

export interface ProfileDemand {
  /** Who needs it, e.g. `llm/llama-8b`. */
  key: string
  profile: string
  count: number
}

export interface Assignment {
  key: string
  gpu: string
  node: string
  index: number
  profile: string
  start: number
  /** `existing`: a free instance as it is; `new`: an instance the repartition creates. */
  kind: 'existing' | 'new'
}

export interface GpuRepartition {
  gpu: string
  node: string
  index: number
  model: string
  from: string
  to: string
  placements: Placement[]
  /** Pods stopped by the repartition and the instance each returns to. */
  disruptedPods: Array<{pod: string; profile: string; fromStart: number; toStart: number}>
}

export interface GpuFragmentation {
  gpu: string
  node: string
  model: string
  /** False when the GPU's model has no such profile. */
  applicable: boolean
  freeMemorySlices: number
  /** More instances of the profile that fit without moving anything. */
  hostableInstances: number
  /** Free memory slices no instance of the profile can use. */
  strandedMemorySlices: number
}

export interface FragmentationReport {
  profile: string
  gpus: GpuFragmentation[]
  nodes: Array<{node: string; freeMemorySlices: number; strandedMemorySlices: number; hostableInstances: number}>
  cluster: {freeMemorySlices: number; strandedMemorySlices: number; hostableInstances: number; strandedFraction: number}
}

export interface PackingLowerBound {
  gpusTouched: number
  /** The capacity argument that gives the bound (compute slices, memory slices, instances of a profile, ...). */
  binding: string
}

export interface PackingResult {
  method: 'exact' | 'greedy'
  assignments: Assignment[]
  repartitions: GpuRepartition[]
  unplaced: Array<{key: string; profile: string; count: number; reason: string}>
  gpusTouched: number
  podsDisrupted: number
  lowerBound: PackingLowerBound
  fragmentation: FragmentationReport | null
  reasons: Reason[]
}

export interface PackingOptions {
  /** `auto` (default) is exact when the search is small enough, greedy otherwise. */
  method?: 'auto' | 'exact' | 'greedy'
  /** Work budget (demand states × GPU options) under which `auto` is exact. */
  exactBudget?: number
}

// ---------------------------------------------------------------------------------------------------------------
// Valid multisets per model (counts over the model's profiles), enumerated once.

const MULTISETS = new Map<string, Int8Array[]>()

function validMultisets(model: string): Int8Array[] {
  const cached = MULTISETS.get(model)
  if (cached) return cached
  const profiles = migProfilesFor(model)
  const info = findMigModel(model)
  const result: Int8Array[] = []
  if (!info) return result
  const counts = new Int8Array(profiles.length)
  const fits = (): boolean => {
    const items: MigProfile[] = []
    profiles.forEach((p, i) => {
      for (let k = 0; k < (counts[i] as number); k++) items.push(p)
    })
    items.sort((a, b) => a.starts.length - b.starts.length || b.memorySlices - a.memorySlices)
    const place = (k: number, mask: number): boolean => {
      const p = items[k]
      if (!p) return true
      return p.starts.some(
        (s) => (mask & maskOf(s, p.memorySlices)) === 0 && place(k + 1, mask | maskOf(s, p.memorySlices)),
      )
    }
    return place(0, 0)
  }
  const visit = (i: number, compute: number, media: number): void => {
    if (i === profiles.length) {
      if (fits()) result.push(counts.slice())
      return
    }
    const p = profiles[i] as MigProfile
    for (let n = 0; n <= p.maxInstances; n++) {
      if (compute + n * p.computeSlices > info.computeSlices) break
      if (p.mediaExtensions && media + n > 1) break
      counts[i] = n
      visit(i + 1, compute + n * p.computeSlices, media + (p.mediaExtensions ? n : 0))
    }
    counts[i] = 0
  }
  visit(0, 0, 0)
  // Keep only maximal multisets (no count can grow): any valid multiset lies inside a maximal one, which covers
  // at least as much demand, so the others never matter and the option lists stay short.
  const keys = new Set(result.map((m) => m.join(',')))
  const maximal = result.filter(
    (m) =>
      !m.some((_, k) => {
        const grown = m.slice()
        grown[k] = (grown[k] as number) + 1
        return keys.has(grown.join(','))
      }),
  )
  MULTISETS.set(model, maximal)
  return maximal
}

// ---------------------------------------------------------------------------------------------------------------
// Per-GPU options: what each choice covers of the demand, and what it costs.

/** One choice for a unit: the demand it covers and what it costs (GPUs whose layout changes, pods stopped). */
export interface UnitOption {
  cover: number[]
  gpus: number
  pods: number
}

/** What the solver sees of a GPU or a node: what it covers as it is, and the repartitions it may take. */
export interface PackingUnit {
  /** Demand covered by free instances as they are. */
  untouched: number[]
  /** Repartitions (capped at total demand, none dominated by `untouched`); empty when it may not be touched. */
  touched: UnitOption[]
  /** Greedy tie-break among units of equal disruption: lower first (emptier GPUs). */
  rank: number
}

interface GpuOptions extends PackingUnit {
  gpu: MigGpu
  model: string | undefined
  pods: number
}

function buildOptions(gpus: MigGpu[], names: string[], totals: number[]): GpuOptions[] {
  const cache = new Map<string, number[][]>()
  return gpus.map((gpu) => {
    const info = findMigModel(gpu.model)
    const model = info?.name
    const pods = gpu.instances.filter((i) => i.pod !== undefined).length
    const untouched = names.map(() => 0)
    if (!model) return {gpu, model, pods, untouched, touched: [], rank: gpu.instances.length}
    for (const instance of gpu.instances) {
      if (instance.pod !== undefined) continue
      const j = names.indexOf(normalizeProfileName(instance.profile))
      if (j >= 0) untouched[j] = (untouched[j] as number) + 1
    }
    capInPlace(untouched, totals)
    if (!gpu.reconfigurable) return {gpu, model, pods, untouched, touched: [], rank: gpu.instances.length}
    const profiles = migProfilesFor(model)
    const used = new Int8Array(profiles.length)
    for (const instance of gpu.instances) {
      if (instance.pod === undefined) continue
      const k = profiles.findIndex((p) => p.name === normalizeProfileName(instance.profile))
      if (k >= 0) used[k] = (used[k] as number) + 1
    }
    const signature = `${model}|${used.join(',')}`
    let touched = cache.get(signature)
    if (!touched) {
      const index = names.map((n) => profiles.findIndex((p) => p.name === n))
      const covers: number[][] = []
      for (const multiset of validMultisets(model)) {
        if (!multiset.every((n, k) => n >= (used[k] as number))) continue
        const cover = index.map((k) => (k < 0 ? 0 : (multiset[k] as number) - (used[k] as number)))
        capInPlace(cover, totals)
        if (cover.some((n) => n > 0)) covers.push(cover)
      }
      touched = paretoMaximal(covers)
      cache.set(signature, touched)
    }
    // A repartition that covers no more than the free instances already do is never worth its cost.
    const useful = touched.filter((cover) => !dominates(untouched, cover)).map((cover) => ({cover, gpus: 1, pods}))
    return {gpu, model, pods, untouched, touched: useful, rank: gpu.instances.length}
  })
}

export function capInPlace(vector: number[], caps: number[]): void {
  for (let j = 0; j < vector.length; j++) vector[j] = Math.min(vector[j] as number, caps[j] as number)
}

export function dominates(a: number[], b: number[]): boolean {
  return a.every((x, j) => x >= (b[j] as number))
}

export function paretoMaximal(covers: number[][]): number[][] {
  const unique = new Map(covers.map((c) => [c.join(','), c]))
  const list = [...unique.values()]
  return list.filter(
    (c, i) => !list.some((d, k) => k !== i && dominates(d, c) && d.some((x, j) => x > (c[j] as number))),
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Choices → result.

/** Per unit: -1 untouched, else the index of the chosen option. */
export type Choice = number[]

interface Score {
  unplaced: number
  disrupted: number
  touched: number
}

interface Cost {
  disrupted: number
  touched: number
}

function compareCost(a: Cost, b: Cost): number {
  return a.disrupted - b.disrupted || a.touched - b.touched
}

function compareScore(a: Score, b: Score): number {
  return a.unplaced - b.unplaced || compareCost(a, b)
}

function scoreOf(units: readonly PackingUnit[], choice: Choice, totals: number[]): Score {
  const remaining = totals.slice()
  let touched = 0
  let disrupted = 0
  units.forEach((o, i) => {
    const c = choice[i] as number
    const option = c < 0 ? undefined : o.touched[c]
    const cover = option ? option.cover : o.untouched
    if (option) {
      touched += option.gpus
      disrupted += option.pods
    }
    for (let j = 0; j < remaining.length; j++)
      remaining[j] = Math.max(0, (remaining[j] as number) - (cover[j] as number))
  })
  return {unplaced: remaining.reduce((s, x) => s + x, 0), touched, disrupted}
}

/** Demand states × options: the exact search's work, compared with `exactBudget`. */
export function measureExactWork(units: readonly PackingUnit[], totals: readonly number[]): number {
  const states = totals.reduce((s, t) => s * (t + 1), 1)
  return states * units.reduce((s, o) => s + 1 + o.touched.length, 0)
}

/**
 * The one search behind every MIG packing: exact (dynamic programming over units, remaining demand as state)
 * when the work fits the budget, greedy otherwise. Ties go to the earlier unit, so callers order units by name.
 */
export function solveUnits(
  units: readonly PackingUnit[],
  totals: number[],
  weight: readonly number[],
  options: PackingOptions = {},
): {method: 'exact' | 'greedy'; choice: Choice} {
  const work = measureExactWork(units, totals)
  const method =
    options.method === 'exact' || (options.method !== 'greedy' && work <= (options.exactBudget ?? 2_000_000))
      ? 'exact'
      : 'greedy'
  return {method, choice: method === 'exact' ? solveExact(units, totals) : solveGreedy(units, weight, totals)}
}

function solveExact(units: readonly PackingUnit[], totals: number[]): Choice {
  const strides: number[] = []
  let size = 1
  for (const t of totals) {
    strides.push(size)
    size *= t + 1
  }
  const start = totals.reduce((s, t, j) => s + t * (strides[j] as number), 0)
  const decode = (state: number, j: number): number =>
    Math.floor(state / (strides[j] as number)) % ((totals[j] as number) + 1)
  const apply = (state: number, cover: number[]): number => {
    let next = state
    for (let j = 0; j < totals.length; j++) {
      const r = decode(state, j)
      next -= Math.min(r, cover[j] as number) * (strides[j] as number)
    }
    return next
  }
  let layer = new Map<number, Cost>([[start, {touched: 0, disrupted: 0}]])
  const back: Array<Map<number, {prev: number; option: number}>> = []
  for (const o of units) {
    const next = new Map<number, Cost>()
    const pointers = new Map<number, {prev: number; option: number}>()
    const offer = (state: number, cost: Cost, prev: number, option: number): void => {
      const best = next.get(state)
      if (!best || compareCost(cost, best) < 0) {
        next.set(state, cost)
        pointers.set(state, {prev, option})
      }
    }
    // Leaving the unit alone is offered for every state before any repartition, so on a tie the unit stays
    // untouched and the earlier unit keeps the work: ties go to unit order (callers sort by name).
    for (const [state, cost] of layer) offer(apply(state, o.untouched), cost, state, -1)
    for (const [state, cost] of layer) {
      o.touched.forEach((option, k) =>
        offer(
          apply(state, option.cover),
          {touched: cost.touched + option.gpus, disrupted: cost.disrupted + option.pods},
          state,
          k,
        ),
      )
    }
    back.push(pointers)
    layer = next
  }
  let bestState = start
  let bestScore: Score | undefined
  for (const [state, cost] of layer) {
    let unplaced = 0
    for (let j = 0; j < totals.length; j++) unplaced += decode(state, j)
    const score = {unplaced, ...cost}
    if (!bestScore || compareScore(score, bestScore) < 0) {
      bestScore = score
      bestState = state
    }
  }
  const choice: Choice = units.map(() => -1)
  let state = bestState
  for (let i = units.length - 1; i >= 0; i--) {
    const pointer = (back[i] as Map<number, {prev: number; option: number}>).get(state) as {
      prev: number
      option: number
    }
    choice[i] = pointer.option
    state = pointer.prev
  }
  return choice
}

function solveGreedy(units: readonly PackingUnit[], weight: readonly number[], totals: number[]): Choice {
  const remaining = totals.slice()
  const choice: Choice = units.map(() => -1)
  // 1. Free instances as they are: nothing touched, nobody disrupted. Units that cannot be repartitioned first,
  //    so flexible ones stay free for repartitioning.
  const order = units
    .map((_, i) => i)
    .sort(
      (a, b) =>
        Number((units[a] as PackingUnit).touched.length > 0) - Number((units[b] as PackingUnit).touched.length > 0),
    )
  const usedFree = new Set<number>()
  for (const i of order) {
    const o = units[i] as PackingUnit
    let used = false
    for (let j = 0; j < remaining.length; j++) {
      const take = Math.min(remaining[j] as number, o.untouched[j] as number)
      if (take > 0) used = true
      remaining[j] = (remaining[j] as number) - take
    }
    if (used) usedFree.add(i)
  }
  // 2. Repartitions: idle units before ones with pods to drain, emptier first; each takes the option that stops
  //    the fewest pods and covers the most remaining demand per GPU touched, weighted by size (memory and compute
  //    share), so big profiles go first.
  const minPods = (o: PackingUnit): number => Math.min(...o.touched.map((t) => t.pods))
  const candidates = units
    .map((o, i) => ({o, i, pods: o.touched.length > 0 ? minPods(o) : 0}))
    .filter(({o, i}) => o.touched.length > 0 && !usedFree.has(i))
    .sort((a, b) => a.pods - b.pods || a.o.rank - b.o.rank || a.i - b.i)
  for (const {o, i} of candidates) {
    if (remaining.every((r) => r === 0)) break
    let best = -1
    let bestPods = 0
    let bestValue = 0
    o.touched.forEach((option, k) => {
      let value = 0
      for (let j = 0; j < remaining.length; j++)
        value += Math.min(remaining[j] as number, option.cover[j] as number) * (weight[j] as number)
      value /= option.gpus
      if (value <= 1e-9) return
      if (best < 0 || option.pods < bestPods || (option.pods === bestPods && value > bestValue + 1e-9)) {
        best = k
        bestPods = option.pods
        bestValue = value
      }
    })
    if (best < 0) continue
    choice[i] = best
    const cover = (o.touched[best] as UnitOption).cover
    for (let j = 0; j < remaining.length; j++)
      remaining[j] = Math.max(0, (remaining[j] as number) - (cover[j] as number))
  }
  dropRedundant(units, choice, totals)
  return choice
}

/**
 * 3. Greedy picks early units before it knows what later ones cover, so some repartitions end up covering only
 *    demand others cover too. Drop those, the most disruptive and largest first: placed demand stays the same and
 *    fewer pods and GPUs are touched.
 */
function dropRedundant(units: readonly PackingUnit[], choice: Choice, totals: readonly number[]): void {
  const surplus = totals.map((t) => -t)
  units.forEach((o, i) => {
    const c = choice[i] as number
    const cover = c < 0 ? o.untouched : (o.touched[c] as UnitOption).cover
    for (let j = 0; j < surplus.length; j++) surplus[j] = (surplus[j] as number) + (cover[j] as number)
  })
  const chosen = units
    .map((o, i) => ({i, option: (choice[i] as number) < 0 ? undefined : o.touched[choice[i] as number]}))
    .filter((c): c is {i: number; option: UnitOption} => c.option !== undefined)
    .sort((a, b) => b.option.pods - a.option.pods || b.option.gpus - a.option.gpus || b.i - a.i)
  for (const {i, option} of chosen) {
    // Covers are capped at total demand, so a surplus of at least the cover means nothing is lost without it.
    if (!option.cover.every((x, j) => x <= (surplus[j] as number) || ((surplus[j] as number) < 0 && x === 0))) continue
    const untouched = (units[i] as PackingUnit).untouched
    for (let j = 0; j < surplus.length; j++)
      surplus[j] = (surplus[j] as number) - (option.cover[j] as number) + (untouched[j] as number)
    choice[i] = -1
  }
}

/**
 * The optimum by plain enumeration of every per-unit choice (with branch-and-bound on the objective).
 * Exponential: for tests and small cases only; solveUnits must match it.
 */
export function solveUnitsExhaustive(units: readonly PackingUnit[], totals: number[]): Choice {
  const choice: Choice = units.map(() => -1)
  let best: {score: Score; choice: Choice} = {score: scoreOf(units, choice, totals), choice: choice.slice()}
  const visit = (i: number, remaining: number[], cost: Cost): void => {
    const unplaced = remaining.reduce((s, x) => s + x, 0)
    if (best.score.unplaced === 0 && compareCost(cost, best.score) >= 0) return
    if (i === units.length || unplaced === 0) {
      const score = {unplaced, ...cost}
      if (compareScore(score, best.score) < 0) best = {score, choice: choice.slice()}
      return
    }
    const o = units[i] as PackingUnit
    const next = (cover: number[]): number[] => remaining.map((r, j) => Math.max(0, r - (cover[j] as number)))
    choice[i] = -1
    visit(i + 1, next(o.untouched), cost)
    o.touched.forEach((option, k) => {
      choice[i] = k
      visit(i + 1, next(option.cover), {touched: cost.touched + option.gpus, disrupted: cost.disrupted + option.pods})
    })
    choice[i] = -1
  }
  visit(0, totals.slice(), {touched: 0, disrupted: 0})
  return best.choice
}

/**
 * Size of one instance of each demanded profile, as a share of its GPU (memory plus compute): the greedy's
 * weight, so big profiles are placed first.
 */
export function weighDemand(models: readonly string[], names: readonly string[]): number[] {
  return names.map((name) => {
    const profile = models.map((m) => findMigProfile(m, name)).find((p) => p !== undefined)
    const info = profile ? findMigModel(profile.gpuModel) : undefined
    return profile && info ? profile.memorySlices / info.memorySlices + profile.computeSlices / info.computeSlices : 1
  })
}

/**
 * Lower bound on GPUs touched from the units' options themselves: for a weight per profile (compute share,
 * memory share, one profile alone), a unit yields at most its best option's weighted cover, at a cost of at
 * least that value over its best value-per-GPU ratio. A fractional knapsack over units, best ratio first, can
 * only undercut any real choice of one option per unit, so its cost, rounded up, is a bound.
 */
export function boundUnits(
  units: readonly PackingUnit[],
  totals: readonly number[],
  models: readonly string[],
  names: readonly string[],
): PackingLowerBound {
  const residual = totals.map((t, j) => Math.max(0, t - units.reduce((s, o) => s + (o.untouched[j] as number), 0)))
  if (residual.every((r) => r === 0)) return {gpusTouched: 0, binding: 'free instances cover the demand'}
  const profiles = names.map((name) =>
    models.map((m) => findMigProfile(m, name)).filter((p): p is MigProfile => p !== undefined),
  )
  const share = (pick: (p: MigProfile, info: GpuModelInfo) => number) =>
    profiles.map((list) => Math.min(1, ...list.map((p) => pick(p, findMigModel(p.gpuModel) as GpuModelInfo))))
  const families: Array<{name: string; weight: number[]}> = [
    {name: 'compute slices', weight: share((p, info) => p.computeSlices / info.computeSlices)},
    {name: 'memory slices', weight: share((p, info) => p.memorySlices / info.memorySlices)},
    ...names.map((name, j) => ({name: `${name} instances`, weight: names.map((_, k) => (k === j ? 1 : 0))})),
  ]
  const shapes = groupUnits(units)
  let best: PackingLowerBound = {gpusTouched: 0, binding: 'none'}
  for (const family of families) {
    const w = family.weight
    let need = 0
    for (let j = 0; j < names.length; j++) need += (residual[j] as number) * (w[j] as number)
    if (need <= 1e-9) continue
    const yields: Array<{value: number; ratio: number; count: number}> = []
    for (const {options, count} of shapes) {
      let value = 0
      let ratio = 0
      for (const option of options) {
        let v = 0
        for (let j = 0; j < names.length; j++)
          v += Math.min(residual[j] as number, option.cover[j] as number) * (w[j] as number)
        value = Math.max(value, v)
        ratio = Math.max(ratio, v / option.gpus)
      }
      if (value > 1e-9) yields.push({value, ratio, count})
    }
    yields.sort((a, b) => b.ratio - a.ratio)
    let cost = 0
    for (const y of yields) {
      if (need <= 1e-9) break
      const take = Math.min(need, y.value * y.count)
      cost += take / y.ratio
      need -= take
    }
    const gpus = Math.ceil(cost - 1e-9)
    if (gpus > best.gpusTouched) best = {gpusTouched: gpus, binding: family.name}
  }
  const dual = boundByPrices(shapes, residual)
  if (dual > best.gpusTouched) best = {gpusTouched: dual, binding: 'prices per instance (LP dual)'}
  return best
}

/**
 * The LP relaxation's bound through its Lagrangian dual: give each instance of profile j a price λ_j ≥ 0 in GPUs.
 * Any choice that covers the residual demand then touches at least Σ λ_j r_j − Σ_units max(0, best option's
 * priced cover − its GPUs): a unit can only beat the prices by that much. Valid for every λ ≥ 0; a short
 * subgradient ascent from "a GPU's worth per instance of its densest option" tightens it. This is what sees that
 * uniform layouts (`all-4g.40gb` wastes 3 of 7 compute slices) need separate GPUs per profile, which a single
 * capacity argument cannot.
 */
/** Units with the same options, once with their count: fleets repeat a few shapes many times. */
function groupUnits(units: readonly PackingUnit[]): Array<{options: UnitOption[]; count: number}> {
  const groups = new Map<string, {options: UnitOption[]; count: number}>()
  for (const o of units) {
    if (o.touched.length === 0) continue
    const key = o.touched.map((t) => `${t.gpus}:${t.cover.join(',')}`).join('|')
    const group = groups.get(key)
    if (group) group.count++
    else groups.set(key, {options: o.touched, count: 1})
  }
  return [...groups.values()]
}

function boundByPrices(
  shapes: ReadonlyArray<{options: UnitOption[]; count: number}>,
  residual: readonly number[],
): number {
  const n = residual.length
  const prices = residual.map((_, j) => {
    let best = 0
    for (const g of shapes)
      for (const option of g.options)
        if ((option.cover[j] as number) > 0) best = Math.max(best, (option.cover[j] as number) / option.gpus)
    return best > 0 ? 1 / best : 0
  })
  const gradient = new Array<number>(n).fill(0)
  const evaluate = (lambda: readonly number[]): number => {
    let value = 0
    for (let j = 0; j < n; j++) {
      value += (lambda[j] as number) * (residual[j] as number)
      gradient[j] = residual[j] as number
    }
    for (const g of shapes) {
      let gain = 0
      let chosen: UnitOption | undefined
      for (const option of g.options) {
        let priced = -option.gpus
        for (let j = 0; j < n; j++) priced += (lambda[j] as number) * (option.cover[j] as number)
        if (priced > gain) {
          gain = priced
          chosen = option
        }
      }
      value -= gain * g.count
      if (chosen)
        for (let j = 0; j < n; j++) gradient[j] = (gradient[j] as number) - (chosen.cover[j] as number) * g.count
    }
    return value
  }
  let lambda = prices
  let best = evaluate(lambda)
  const scale = Math.max(...prices)
  // Diminishing steps along the normalized subgradient (Held–Karp style), keeping the best value seen.
  let step = 0.5
  for (let k = 0; k < 300; k++) {
    const norm = Math.sqrt(gradient.reduce((s, g) => s + g * g, 0))
    if (norm === 0) break
    lambda = lambda.map((l, j) => Math.max(0, l + (step * scale * (gradient[j] as number)) / norm))
    best = Math.max(best, evaluate(lambda))
    step *= 0.97
  }
  return Math.ceil(best - 1e-6)
}

/**
 * Lower bound on GPUs touched: demand left after every matching free instance is used must fit in the spare
 * capacity of repartitionable GPUs, for each per-GPU capacity argument (compute slices, memory slices,
 * instances of one shape, instances in total). The bound is the best of them.
 */
export function computeLowerBound(gpus: MigGpu[], demand: ProfileDemand[]): PackingLowerBound {
  const {names, totals} = aggregateDemand(demand)
  const free = names.map(() => 0)
  for (const gpu of gpus) {
    if (!findMigModel(gpu.model)) continue
    for (const i of gpu.instances) {
      const j = names.indexOf(normalizeProfileName(i.profile))
      if (i.pod === undefined && j >= 0) free[j] = (free[j] as number) + 1
    }
  }
  const residual = totals.map((t, j) => Math.max(0, t - (free[j] as number)))
  if (residual.every((r) => r === 0)) return {gpusTouched: 0, binding: 'free instances cover the demand'}
  const candidates = gpus.filter(
    (g) => g.reconfigurable && findMigModel(g.model) && names.some((n) => findMigProfile(g.model, n)),
  )
  const models = [...new Set(candidates.map((g) => findMigModel(g.model)?.name as string))]
  // Each name's profile on each candidate model, and each candidate's used profiles, resolved once.
  const profilesByName = names.map((name) =>
    models.map((m) => findMigProfile(m, name)).filter((p): p is MigProfile => p !== undefined),
  )
  const usedByGpu = candidates.map((g) =>
    g.instances
      .filter((i) => i.pod !== undefined)
      .map((i) => findMigProfile(g.model, i.profile))
      .filter((p): p is MigProfile => p !== undefined),
  )
  const shapeOf = (p: MigProfile): string => `${p.computeSlices}c${p.memorySlices}m${p.mediaExtensions ? 'me' : ''}`
  const shapes = new Set(models.flatMap((m) => migProfilesFor(m).map(shapeOf)))
  const modelOf = (p: MigProfile): GpuModelInfo => findMigModel(p.gpuModel) as GpuModelInfo
  const families: Array<{name: string; weight: (p: MigProfile) => number}> = [
    {name: 'compute slices', weight: (p) => p.computeSlices / modelOf(p).computeSlices},
    {name: 'memory slices', weight: (p) => p.memorySlices / modelOf(p).memorySlices},
    {name: 'instances per GPU', weight: (p) => 1 / Math.max(...migProfilesFor(p.gpuModel).map((q) => q.maxInstances))},
    // At most two half-GPU instances (3g/4g) fit on an 8-slice GPU.
    {name: 'half-GPU instances', weight: (p) => (p.memorySlices * 2 === modelOf(p).memorySlices ? 1 / 2 : 0)},
    ...[...shapes].map((shape) => ({
      name: `${shape} instances`,
      weight: (p: MigProfile) => (shapeOf(p) === shape ? 1 / p.maxInstances : 0),
    })),
  ]
  let best: PackingLowerBound = {gpusTouched: 0, binding: 'none'}
  for (const family of families) {
    let need = 0
    names.forEach((_, j) => {
      const weights = (profilesByName[j] as MigProfile[]).map(family.weight)
      if ((residual[j] as number) > 0 && weights.length > 0) need += (residual[j] as number) * Math.min(...weights)
    })
    if (need <= 1e-9) continue
    const capacities = usedByGpu
      .map((used) => 1 - used.reduce((sum, p) => sum + family.weight(p), 0))
      .sort((a, b) => b - a)
    let k = 0
    let sum = 0
    while (k < capacities.length && sum < need - 1e-9) sum += capacities[k++] as number
    if (k > best.gpusTouched) best = {gpusTouched: k, binding: family.name}
  }
  return best
}

export function aggregateDemand(demand: readonly ProfileDemand[]): {names: string[]; totals: number[]} {
  const names: string[] = []
  const totals: number[] = []
  for (const d of demand) {
    if (d.count <= 0) continue
    const name = normalizeProfileName(d.profile)
    const j = names.indexOf(name)
    if (j < 0) {
      names.push(name)
      totals.push(d.count)
    } else {
      totals[j] = (totals[j] as number) + d.count
    }
  }
  return {names, totals}
}

/**
 * Places MIG demand on GPUs: free instances first, then repartitions that touch the fewest GPUs and disrupt
 * the fewest pods, only on reconfigurable GPUs. Exact for small inputs (see PackingOptions).
 */
export function packMigDemand(gpus: MigGpu[], demand: ProfileDemand[], options: PackingOptions = {}): PackingResult {
  const {names, totals} = aggregateDemand(demand)
  const gpuOptions = buildOptions(gpus, names, totals)
  const models = [...new Set(gpuOptions.flatMap((o) => (o.model ? [o.model] : [])))]
  const {method, choice} = solveUnits(gpuOptions, totals, weighDemand(models, names), options)
  return buildResult(method, gpuOptions, choice, demand, names, totals, gpus)
}

/**
 * The optimum by plain enumeration of every per-GPU choice (with branch-and-bound on the objective). Exponential:
 * for tests and small cases only; packMigDemand must match it.
 */
export function packMigDemandExhaustive(gpus: MigGpu[], demand: ProfileDemand[]): PackingResult {
  const {names, totals} = aggregateDemand(demand)
  const gpuOptions = buildOptions(gpus, names, totals)
  const choice = solveUnitsExhaustive(gpuOptions, totals)
  return buildResult('exact', gpuOptions, choice, demand, names, totals, gpus)
}

function smallestDemandProfile(gpus: MigGpu[], names: string[]): string | undefined {
  let best: {name: string; slices: number} | undefined
  for (const name of names) {
    const profile = gpus.map((g) => findMigProfile(g.model, name)).find((p) => p !== undefined)
    if (profile && (!best || profile.memorySlices < best.slices)) best = {name, slices: profile.memorySlices}
  }
  return best?.name
}

function buildResult(
  method: 'exact' | 'greedy',
  options: GpuOptions[],
  choice: Choice,
  demand: ProfileDemand[],
  names: string[],
  totals: number[],
  gpus: MigGpu[],
): PackingResult {
  const lowerBound = computeLowerBound(gpus, demand)
  const smallest = smallestDemandProfile(gpus, names)
  const fragmentation = smallest ? measureFragmentation(gpus, smallest) : null
  // Units of demand per profile name, in demand order, handed out as GPUs provide instances.
  const queues = names.map((name) =>
    demand
      .filter((d) => d.count > 0 && normalizeProfileName(d.profile) === name)
      .flatMap((d) => Array.from({length: d.count}, () => d.key)),
  )
  const assignments: Assignment[] = []
  const repartitions: GpuRepartition[] = []
  const reasons: Reason[] = []
  let podsDisrupted = 0
  // Free instances first, then repartitions: a repartition takes only what free instances leave.
  const order = options
    .map((_, i) => i)
    .sort((a, b) => Number((choice[a] as number) >= 0) - Number((choice[b] as number) >= 0) || a - b)
  for (const i of order) {
    const o = options[i] as GpuOptions
    const c = choice[i] as number
    const gpu = o.gpu
    if (c < 0) {
      for (const instance of gpu.instances) {
        if (instance.pod !== undefined) continue
        const j = names.indexOf(normalizeProfileName(instance.profile))
        const key = j >= 0 ? (queues[j] as string[]).shift() : undefined
        if (key !== undefined)
          assignments.push({
            key,
            gpu: gpu.id,
            node: gpu.node,
            index: gpu.index,
            profile: normalizeProfileName(instance.profile),
            start: instance.start,
            kind: 'existing',
          })
      }
      continue
    }
    const cover = (o.touched[c] as UnitOption).cover
    const model = o.model as string
    const kept = gpu.instances.filter((i) => i.pod !== undefined)
    const added: Array<{key: string; profile: string}> = []
    names.forEach((name, j) => {
      for (let n = 0; n < (cover[j] as number); n++) {
        const key = (queues[j] as string[]).shift()
        if (key !== undefined) added.push({key, profile: name})
      }
    })
    if (added.length === 0) continue
    // Keep running instances where they are when the new ones fit around them; otherwise re-place everything.
    const pinned = checkInstances(model, [
      ...kept.map((k) => ({profile: k.profile, start: k.start})),
      ...added.map((a) => ({profile: a.profile})),
    ])
    const result = pinned.valid
      ? pinned
      : checkInstances(model, [...kept.map((k) => ({profile: k.profile})), ...added.map((a) => ({profile: a.profile}))])
    const pool = result.placements.slice()
    const takePlacement = (profile: string, prefer?: number): Placement => {
      const name = normalizeProfileName(profile)
      let at = pool.findIndex((p) => p.profile === name && p.start === prefer)
      if (at < 0) at = pool.findIndex((p) => p.profile === name)
      return pool.splice(at, 1)[0] as Placement
    }
    const disruptedPods = kept.map((k) => {
      const placement = takePlacement(k.profile, k.start)
      return {
        pod: k.pod as string,
        profile: normalizeProfileName(k.profile),
        fromStart: k.start,
        toStart: placement.start,
      }
    })
    for (const a of added) {
      const placement = takePlacement(a.profile)
      assignments.push({
        key: a.key,
        gpu: gpu.id,
        node: gpu.node,
        index: gpu.index,
        profile: a.profile,
        start: placement.start,
        kind: 'new',
      })
    }
    podsDisrupted += disruptedPods.length
    const repartition: GpuRepartition = {
      gpu: gpu.id,
      node: gpu.node,
      index: gpu.index,
      model,
      from: formatLayout(gpu.instances),
      to: formatLayout(result.placements),
      placements: result.placements,
      disruptedPods,
    }
    repartitions.push(repartition)
    reasons.push({
      code: 'MigRepartitionNeeded',
      message: `${gpu.id}: ${repartition.from} → ${repartition.to} hosts ${added.length} new instance(s)${disruptedPods.length ? `, disrupting ${disruptedPods.length} pod(s)` : ' on an idle GPU'}`,
      evidence: {
        gpu: gpu.id,
        from: repartition.from,
        to: repartition.to,
        newInstances: added.length,
        podsDisrupted: disruptedPods.length,
      },
    })
  }
  const unplaced: PackingResult['unplaced'] = []
  names.forEach((name, j) => {
    const left = queues[j] as string[]
    const eligible = options.filter((o) => o.model && findMigProfile(o.model, name))
    const reason =
      eligible.length === 0
        ? `no GPU's model has MIG profile ${name}`
        : eligible.every((o) => !o.gpu.reconfigurable)
          ? `free ${name} instances are exhausted and no GPU with ${name} can be repartitioned (none idle or drainable)`
          : `free ${name} instances are exhausted and repartitionable GPUs have no room for more`
    const byKey = new Map<string, number>()
    for (const key of left) byKey.set(key, (byKey.get(key) ?? 0) + 1)
    for (const [key, count] of byKey) unplaced.push({key, profile: name, count, reason})
  })
  for (const u of unplaced)
    reasons.push({
      code: 'MigDemandUnplaced',
      message: `${u.count} × ${u.profile} for ${u.key}: ${u.reason}`,
      evidence: {key: u.key, profile: u.profile, count: u.count},
    })
  const existing = assignments.filter((a) => a.kind === 'existing').length
  if (existing > 0)
    reasons.unshift({
      code: 'FreeMigInstancesUsed',
      message: `${existing} replica(s) go to free MIG instances as they are: no repartition needed for them`,
      evidence: {instances: existing},
    })
  const total = totals.reduce((s, t) => s + t, 0)
  reasons.push({
    code: 'PackingLowerBound',
    message: `${repartitions.length} GPU(s) repartitioned; at least ${lowerBound.gpusTouched} needed (${lowerBound.binding}); ${method === 'exact' ? 'optimal' : 'greedy'}`,
    evidence: {
      gpusTouched: repartitions.length,
      lowerBound: lowerBound.gpusTouched,
      binding: lowerBound.binding,
      method,
      demand: total,
    },
  })
  return {
    method,
    assignments,
    repartitions,
    unplaced,
    gpusTouched: repartitions.length,
    podsDisrupted,
    lowerBound,
    fragmentation,
    reasons,
  }
}

/**
 * Free memory slices per GPU, node and cluster, and how many of them `profile` can use without moving any
 * instance. Placements of one profile never overlap each other, so adding it at its first free start until
 * none is left finds the most instances that fit.
 */
export function measureFragmentation(gpus: MigGpu[], profile: string): FragmentationReport {
  const name = normalizeProfileName(profile)
  const rows: GpuFragmentation[] = gpus.map((gpu) => {
    const info = findMigModel(gpu.model)
    const wanted = findMigProfile(gpu.model, name)
    let mask = 0
    for (const i of gpu.instances) {
      const p = findMigProfile(gpu.model, i.profile)
      if (p) mask |= maskOf(i.start, p.memorySlices)
    }
    const slices = info?.memorySlices ?? 0
    let freeMemorySlices = 0
    for (let s = 0; s < slices; s++) if ((mask & (1 << s)) === 0) freeMemorySlices++
    if (!info || !wanted)
      return {
        gpu: gpu.id,
        node: gpu.node,
        model: gpu.model,
        applicable: false,
        freeMemorySlices,
        hostableInstances: 0,
        strandedMemorySlices: 0,
      }
    const placed = gpu.instances.map((i) => ({profile: i.profile, start: i.start}))
    let hostable = 0
    for (;;) {
      const start = findStart(gpu.model, placed, wanted.name)
      if (start === undefined) break
      placed.push({profile: wanted.name, start})
      hostable++
    }
    return {
      gpu: gpu.id,
      node: gpu.node,
      model: info.name,
      applicable: true,
      freeMemorySlices,
      hostableInstances: hostable,
      strandedMemorySlices: freeMemorySlices - hostable * wanted.memorySlices,
    }
  })
  const nodes = new Map<
    string,
    {node: string; freeMemorySlices: number; strandedMemorySlices: number; hostableInstances: number}
  >()
  for (const r of rows) {
    if (!r.applicable) continue
    const n = nodes.get(r.node) ?? {node: r.node, freeMemorySlices: 0, strandedMemorySlices: 0, hostableInstances: 0}
    n.freeMemorySlices += r.freeMemorySlices
    n.strandedMemorySlices += r.strandedMemorySlices
    n.hostableInstances += r.hostableInstances
    nodes.set(r.node, n)
  }
  const applicable = rows.filter((r) => r.applicable)
  const free = applicable.reduce((s, r) => s + r.freeMemorySlices, 0)
  const stranded = applicable.reduce((s, r) => s + r.strandedMemorySlices, 0)
  return {
    profile: name,
    gpus: rows,
    nodes: [...nodes.values()].sort((a, b) => a.node.localeCompare(b.node)),
    cluster: {
      freeMemorySlices: free,
      strandedMemorySlices: stranded,
      hostableInstances: applicable.reduce((s, r) => s + r.hostableInstances, 0),
      strandedFraction: free === 0 ? 0 : stranded / free,
    },
  }
}
