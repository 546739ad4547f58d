/**
 * MIG geometry on one GPU: an 8-bit occupancy mask over memory slices. A GPU instance fits iff one of its
 * profile's placements `{start}:size` covers only free slices (NVML refuses overlapping GPU instances), the
 * compute slices in use stay within the GPU's (7 on 8-slice GPUs, 4 on A30), the profile's instance limit
 * holds, and at most one `+me` instance exists (the GPU has one set of media engines: MIG User Guide tables,
 * "A single 1g profile can include media extensions").
 */
import {findMigModel, findMigProfile, migProfilesFor, normalizeProfileName, type MigProfile} from './profiles.js'

/** An instance as placed or requested; `start` undefined means "anywhere it fits". */
export interface InstanceRequest {
  profile: string
  start?: number
}

export interface Placement {
  profile: string
  start: number
  size: number
}

export type CheckCode =
  | 'Fits'
  | 'InvalidStart'
  | 'TooManyMediaExtensions'
  | 'TooManyInstances'
  | 'ComputeSlicesExceeded'
  | 'MemorySlicesExceeded'
  | 'Overlap'
  | 'NoPlacement'

export interface CheckResult {
  valid: boolean
  placements: Placement[]
  reason: string
  code: CheckCode
  gpu: string
  memorySlicesUsed: number
  computeSlicesUsed: number
}

/** Bits `[start, start+size)` of the occupancy mask. */
export function maskOf(start: number, size: number): number {
  return ((1 << size) - 1) << start
}

function describeSlices(start: number, size: number): string {
  return size === 1 ? `memory slice ${start}` : `memory slices ${start}-${start + size - 1}`
}

function formatStarts(profile: MigProfile): string {
  return `{${profile.starts.join(',')}}:${profile.memorySlices}`
}

/** Resolves names to profiles, throwing a plain Error naming the first unknown one (callers map it to input errors). */
export function resolveProfiles(gpuModel: string, requests: InstanceRequest[]): MigProfile[] {
  return requests.map((r) => {
    const profile = findMigProfile(gpuModel, r.profile)
    if (!profile) throw new UnknownProfileError(gpuModel, r.profile)
    return profile
  })
}

export class UnknownProfileError extends Error {
  constructor(
    readonly gpuModel: string,
    readonly profile: string,
  ) {
    const known = migProfilesFor(gpuModel)
      .map((p) => p.name)
      .join(', ')
    super(
      known
        ? `${gpuModel} has no MIG profile "${profile}" (profiles: ${known})`
        : `"${gpuModel}" is not a MIG GPU gpu-scale models`,
    )
    this.name = 'UnknownProfileError'
  }
}

/**
 * Decides whether a set of instances can coexist on one GPU of `gpuModel`, and finds concrete placements when
 * they can. The search tries every placement of every unpinned instance (largest first), so it finds a
 * placement whenever one exists (e.g. `3g + 2g + 2g` only fits with the 3g at 4). Throws UnknownProfileError
 * for a profile the model does not have.
 */
export function checkInstances(gpuModel: string, requests: InstanceRequest[]): CheckResult {
  const model = findMigModel(gpuModel)
  if (!model) throw new UnknownProfileError(gpuModel, requests[0]?.profile ?? '')
  const profiles = resolveProfiles(model.name, requests)
  const memorySlicesUsed = profiles.reduce((sum, p) => sum + p.memorySlices, 0)
  const computeSlicesUsed = profiles.reduce((sum, p) => sum + p.computeSlices, 0)
  const base = {gpu: model.name, memorySlicesUsed, computeSlicesUsed}
  const fail = (code: CheckCode, reason: string): CheckResult => ({valid: false, placements: [], reason, code, ...base})

  for (const [i, request] of requests.entries()) {
    const profile = profiles[i] as MigProfile
    if (request.start !== undefined && !profile.starts.includes(request.start)) {
      return fail(
        'InvalidStart',
        `${profile.name}@${request.start}: ${profile.name} can only start at ${formatStarts(profile)} on ${model.name}`,
      )
    }
  }
  const mediaCount = profiles.filter((p) => p.mediaExtensions).length
  if (mediaCount > 1) {
    return fail(
      'TooManyMediaExtensions',
      `${mediaCount} +me instances: a GPU has one set of media engines, so at most one +me instance fits`,
    )
  }
  for (const profile of new Set(profiles)) {
    const count = profiles.filter((p) => p === profile).length
    if (count > profile.maxInstances) {
      return fail(
        'TooManyInstances',
        `${count} × ${profile.name}: at most ${profile.maxInstances} fit on one ${model.name}`,
      )
    }
  }
  if (computeSlicesUsed > model.computeSlices) {
    return fail(
      'ComputeSlicesExceeded',
      `needs ${computeSlicesUsed} compute slices; ${model.name} has ${model.computeSlices}`,
    )
  }
  if (memorySlicesUsed > model.memorySlices) {
    return fail(
      'MemorySlicesExceeded',
      `needs ${memorySlicesUsed} memory slices; ${model.name} has ${model.memorySlices}`,
    )
  }

  // Pinned instances first: report the first pair that overlaps.
  let pinnedMask = 0
  const pinned: Placement[] = []
  for (const [i, request] of requests.entries()) {
    if (request.start === undefined) continue
    const profile = profiles[i] as MigProfile
    const mask = maskOf(request.start, profile.memorySlices)
    if (pinnedMask & mask) {
      const other = pinned.find((p) => maskOf(p.start, p.size) & mask) as Placement
      return fail(
        'Overlap',
        `${profile.name}@${request.start} (${describeSlices(request.start, profile.memorySlices)}) overlaps ${other.profile}@${other.start} (${describeSlices(other.start, other.size)})`,
      )
    }
    pinnedMask |= mask
    pinned.push({profile: profile.name, start: request.start, size: profile.memorySlices})
  }

  const free = requests
    .map((r, i) => ({request: r, profile: profiles[i] as MigProfile, index: i}))
    .filter((x) => x.request.start === undefined)
    // Fewest placements first, then largest: fails fast and keeps the search tiny.
    .sort(
      (a, b) => a.profile.starts.length - b.profile.starts.length || b.profile.memorySlices - a.profile.memorySlices,
    )
  const chosen = new Map<number, number>()
  const found = searchStarts(
    free.map((f) => f.profile),
    0,
    pinnedMask,
    (k, start) => chosen.set(free[k]?.index as number, start),
  )
  if (!found) {
    const names = free.map((f) => f.profile.name).join(' + ')
    const pinnedText = pinned.length ? ` with ${pinned.map((p) => `${p.profile}@${p.start}`).join(', ')} pinned` : ''
    return fail(
      'NoPlacement',
      `no placement puts ${names}${pinnedText} on disjoint memory slices of ${model.name} (placements: ${[...new Set(free.map((f) => f.profile))].map((p) => `${p.name} ${formatStarts(p)}`).join(', ')})`,
    )
  }
  const placements: Placement[] = requests.map((r, i) => {
    const profile = profiles[i] as MigProfile
    return {profile: profile.name, start: r.start ?? (chosen.get(i) as number), size: profile.memorySlices}
  })
  placements.sort((a, b) => a.start - b.start)
  return {
    valid: true,
    placements,
    reason: `fits: ${memorySlicesUsed} of ${model.memorySlices} memory slices and ${computeSlicesUsed} of ${model.computeSlices} compute slices used`,
    code: 'Fits',
    ...base,
  }
}

function searchStarts(
  profiles: MigProfile[],
  k: number,
  mask: number,
  record: (k: number, start: number) => void,
): boolean {
  const profile = profiles[k]
  if (!profile) return true
  for (const start of profile.starts) {
    const m = maskOf(start, profile.memorySlices)
    if (mask & m) continue
    if (searchStarts(profiles, k + 1, mask | m, record)) {
      record(k, start)
      return true
    }
  }
  return false
}

/**
 * The first start (lowest memory slice) where `profile` can be added next to `instances` without moving them,
 * or undefined when it cannot: slices taken, compute slices exhausted, instance limit, or a second `+me`.
 */
export function findStart(
  gpuModel: string,
  instances: Array<{profile: string; start: number}>,
  profile: string,
): number | undefined {
  const model = findMigModel(gpuModel)
  const wanted = findMigProfile(gpuModel, profile)
  if (!model || !wanted) return undefined
  let mask = 0
  let compute = wanted.computeSlices
  let media = wanted.mediaExtensions ? 1 : 0
  let same = 1
  for (const instance of instances) {
    const p = findMigProfile(gpuModel, instance.profile)
    if (!p) return undefined
    mask |= maskOf(instance.start, p.memorySlices)
    compute += p.computeSlices
    if (p.mediaExtensions) media++
    if (p === wanted) same++
  }
  if (compute > model.computeSlices || media > 1 || same > wanted.maxInstances) return undefined
  return wanted.starts.find((start) => (mask & maskOf(start, wanted.memorySlices)) === 0)
}

/** `3g.40gb@0,2g.20gb@4`: the layout string plans and `mig check` use (sorted by start). */
export function formatLayout(placements: Array<{profile: string; start: number}>): string {
  if (placements.length === 0) return '(empty)'
  return [...placements]
    .sort((a, b) => a.start - b.start || a.profile.localeCompare(b.profile))
    .map((p) => `${p.profile}@${p.start}`)
    .join(',')
}

/** Parses `PROFILE[@START]` (also `mig-3g.40gb`, `nvidia.com/mig-3g.40gb@4`); throws Error on a bad start. */
export function parseInstanceRequest(text: string): InstanceRequest {
  const at = text.lastIndexOf('@')
  if (at < 0) return {profile: normalizeProfileName(text)}
  const startText = text.slice(at + 1).trim()
  if (!/^\d+$/.test(startText)) throw new Error(`"${text}": the start after @ must be a memory-slice index (0-7)`)
  return {profile: normalizeProfileName(text.slice(0, at)), start: Number(startText)}
}

/** Parses a layout string (`3g.40gb@0,2g.20gb@4`); `(empty)` or `''` is no instances. */
export function parseLayout(text: string): InstanceRequest[] {
  const trimmed = text.trim()
  if (trimmed === '' || trimmed === '(empty)') return []
  return trimmed.split(',').map((part) => parseInstanceRequest(part))
}

export interface Layout {
  placements: Placement[]
  memorySlicesUsed: number
  computeSlicesUsed: number
  /** Memory slices no further instance can use (free but unplaceable, or left by compute exhaustion). */
  unusedMemorySlices: number
}

const LAYOUT_CACHE = new Map<string, Layout[]>()

/**
 * Every maximal layout of a model: valid sets of placed instances to which no further profile can be added.
 * `+me` variants are left out unless asked for (they repeat a plain layout with one instance swapped).
 * Enumerated once per model and cached; placements are distinct sets, sorted by start.
 */
export function enumerateMaximalLayouts(gpuModel: string, options: {mediaExtensions?: boolean} = {}): Layout[] {
  const model = findMigModel(gpuModel)
  if (!model) return []
  const key = `${model.name}|${options.mediaExtensions ? 'me' : ''}`
  const cached = LAYOUT_CACHE.get(key)
  if (cached) return cached
  const profiles = migProfilesFor(model.name).filter((p) => options.mediaExtensions || !p.mediaExtensions)
  // Candidate placements in a fixed order; a set is enumerated once by only adding later candidates.
  const candidates = profiles.flatMap((p) =>
    p.starts.map((start) => ({profile: p, start, mask: maskOf(start, p.memorySlices)})),
  )
  const layouts: Layout[] = []
  const chosen: typeof candidates = []
  const counts = new Map<MigProfile, number>()
  const canAdd = (c: (typeof candidates)[number], mask: number, compute: number, media: number): boolean =>
    (mask & c.mask) === 0 &&
    compute + c.profile.computeSlices <= model.computeSlices &&
    (counts.get(c.profile) ?? 0) < c.profile.maxInstances &&
    !(c.profile.mediaExtensions && media > 0)
  const visit = (from: number, mask: number, compute: number, media: number): void => {
    if (!candidates.some((c) => canAdd(c, mask, compute, media))) {
      const placements = chosen
        .map((c) => ({profile: c.profile.name, start: c.start, size: c.profile.memorySlices}))
        .sort((a, b) => a.start - b.start)
      const memorySlicesUsed = placements.reduce((s, p) => s + p.size, 0)
      layouts.push({
        placements,
        memorySlicesUsed,
        computeSlicesUsed: compute,
        unusedMemorySlices: model.memorySlices - memorySlicesUsed,
      })
      return
    }
    for (let i = from; i < candidates.length; i++) {
      const c = candidates[i] as (typeof candidates)[number]
      if (!canAdd(c, mask, compute, media)) continue
      chosen.push(c)
      counts.set(c.profile, (counts.get(c.profile) ?? 0) + 1)
      visit(i + 1, mask | c.mask, compute + c.profile.computeSlices, media + (c.profile.mediaExtensions ? 1 : 0))
      counts.set(c.profile, (counts.get(c.profile) ?? 0) - 1)
      chosen.pop()
    }
  }
  visit(0, 0, 0, 0)
  // A set reached only by skipping candidates it could still take is not maximal; visit() only records sets
  // where nothing fits, so every recorded set is maximal. Sort: fewest instances first, then by layout string.
  layouts.sort(
    (a, b) =>
      a.placements.length - b.placements.length || formatLayout(a.placements).localeCompare(formatLayout(b.placements)),
  )
  LAYOUT_CACHE.set(key, layouts)
  return layouts
}
