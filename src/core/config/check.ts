/**
 * Semantic checks: rules across fields that a schema cannot state. Errors are configs that cannot work (a model no
 * node group can run would stay pending forever); warnings are configs that work badly (capacity below max
 * replicas, a grace period shorter than the weight load, a stabilization window shorter than node cold start).
 *
 * Feasibility uses the planner's own checkGroupFit, so `validate` and `plan` never disagree on where a model fits.
 */
import type {Problem} from '../errors.js'
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import {formatDuration} from '../model/duration.js'
import {findMigProfile} from '../mig/profiles.js'
import {checkGroupFit} from '../scheduling/eligibility.js'
import type {FieldPath, Locate} from './locate.js'
import {profilesOfGroup} from '../scheduling/mig-configs.js'
import {countProfilePerGpu, describeMigConfig} from './mig-offer.js'
import {estimateWeightLoadSeconds} from '../scheduling/cold-start.js'

type Report = (severity: Problem['severity'], code: string, message: string, path: FieldPath) => void

/** Every semantic problem of a normalized config, errors and warnings. */
export function checkConfig(config: PolicyConfig, locate: Locate): Problem[] {
  const problems: Problem[] = []
  const report: Report = (severity, code, message, path) =>
    problems.push({severity, code, message, location: locate(path)})
  checkBounds(config, report)
  checkSlo(config, report)
  checkDuplicates(config, report)
  checkSignals(config, report)
  checkMigConfigs(config, report)
  const eligible = config.models.map((model, index) => checkPlacement(config, model, index, report))
  config.models.forEach((model, index) => {
    const groups = eligible[index] ?? []
    if (groups.length === 0) return
    checkCapacity(model, index, groups, report)
    checkStabilization(model, index, groups, report)
  })
  config.models.forEach((model, index) => checkLoadTime(model, index, report))
  checkBudget(config, eligible, report)
  return problems
}

function checkBounds(config: PolicyConfig, report: Report): void {
  config.nodeGroups.forEach((group, i) => {
    if (group.min > group.max)
      report('error', 'MinAboveMax', `min ${group.min} is greater than max ${group.max}; expected min <= max`, [
        'nodeGroups',
        i,
        'min',
      ])
  })
  config.models.forEach((model, i) => {
    const {min, max} = model.replicas
    if (min > max)
      report('error', 'MinAboveMax', `replicas.min ${min} is greater than replicas.max ${max}; expected min <= max`, [
        'models',
        i,
        'replicas',
        'min',
      ])
    if (model.legacyHpaBehavior && model.algorithm !== 'hpa') {
      report(
        'warning',
        'LegacyHpaBehaviorIgnored',
        `legacyHpaBehavior only applies with algorithm hpa; model ${model.name} uses ${model.algorithm}, so it is ignored; set algorithm: hpa or remove it`,
        ['models', i, 'legacyHpaBehavior'],
      )
    }
    if (model.scaleToZero && min > 0) {
      report(
        'warning',
        'ScaleToZeroUnreachable',
        `scaleToZero is set but replicas.min is ${min}, so the model never goes to zero; set replicas.min to 0 or remove scaleToZero`,
        ['models', i, 'scaleToZero'],
      )
    }
  })
}

/**
 * The per-token target against the whole-request one: a request of n output tokens takes at least TTFT +
 * (n − 1) × TPOT, so a TPOT at or above the p95 latency target would let a two-token answer miss the latency
 * target while meeting its TPOT — the two targets contradict each other. A TPOT of 0 can never be met.
 */
function checkSlo(config: PolicyConfig, report: Report): void {
  const {tpotSeconds, p95LatencySeconds} = config.settings.slo
  if (tpotSeconds === undefined) return
  if (tpotSeconds <= 0)
    report('error', 'SloUnreachable', 'slo.tpot is 0: no request can meet it; expected a duration such as 100ms', [
      'settings',
      'slo',
      'tpot',
    ])
  else if (p95LatencySeconds !== undefined && tpotSeconds >= p95LatencySeconds)
    report(
      'warning',
      'TpotAboveLatency',
      `slo.tpot ${fineDuration(tpotSeconds)} per output token is not below slo.p95Latency ${fineDuration(p95LatencySeconds)} for a whole request; expected a per-token time far below the request latency (for example 100ms against 30s)`,
      ['settings', 'slo', 'tpot'],
    )
}

/** Sub-second durations in milliseconds (formatDuration rounds to whole seconds). */
function fineDuration(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)}ms` : formatDuration(seconds)
}

function checkDuplicates(config: PolicyConfig, report: Report): void {
  reportDuplicates(
    config.nodeGroups.map((g) => g.name),
    'node group',
    (i) => ['nodeGroups', i, 'name'],
    report,
  )
  reportDuplicates(
    config.models.map((m) => m.name),
    'model',
    (i) => ['models', i, 'name'],
    report,
  )
  reportDuplicates(
    config.models.map((m) => `${m.workload.kind} ${m.workload.namespace}/${m.workload.name}`),
    'workload',
    (i) => ['models', i, 'workload'],
    report,
  )
  config.models.forEach((model, m) =>
    reportDuplicates(
      model.signals.map((s) => s.name),
      'signal',
      (i) => ['models', m, 'signals', i, 'name'],
      report,
    ),
  )
}

function reportDuplicates(names: string[], what: string, pathOf: (index: number) => FieldPath, report: Report): void {
  const first = new Map<string, number>()
  names.forEach((name, index) => {
    const earlier = first.get(name)
    if (earlier === undefined) first.set(name, index)
    else
      report(
        'error',
        'DuplicateName',
        `${what} ${name} is already defined at index ${earlier}; names must be unique`,
        pathOf(index),
      )
  })
}

function checkSignals(config: PolicyConfig, report: Report): void {
  config.models.forEach((model, i) => {
    if (model.signals.length === 0 && model.replicas.min !== model.replicas.max) {
      report(
        'error',
        'MissingSignals',
        `model ${model.name} scales between ${model.replicas.min} and ${model.replicas.max} replicas but has no signals; add a signal or set replicas.min == replicas.max`,
        ['models', i, 'signals'],
      )
    }
  })
}

function checkMigConfigs(config: PolicyConfig, report: Report): void {
  config.nodeGroups.forEach((group, g) => {
    group.migConfigs.forEach((name, c) => {
      const offer = describeMigConfig(group.gpu.model, name)
      const path: FieldPath = ['nodeGroups', g, 'migConfigs', c]
      if (offer.kind === 'not-mig-capable')
        report('error', 'MigNotSupported', `${group.gpu.model} does not support MIG; expected only all-disabled`, path)
      if (offer.kind === 'unknown-profile')
        report(
          'error',
          'UnknownMigConfig',
          `${group.gpu.model} has no MIG profile ${offer.profile}; expected all-disabled, all-balanced or all-<profile> of this GPU (see \`gpu-scale mig profiles\`)`,
          path,
        )
      if (offer.kind === 'custom')
        report(
          'warning',
          'UnresolvedMigConfig',
          `custom mig-parted config ${name}: gpu-scale cannot tell which MIG profiles it provides and treats it as providing none`,
          path,
        )
    })
  })
}

/** The groups a model can run on; an error when there are none, with every group's reasons. */
function checkPlacement(config: PolicyConfig, model: ModelConfig, index: number, report: Report): NodeGroupConfig[] {
  if (model.gpu.kind === 'mig' && config.settings.migStrategy === 'none') {
    report(
      'error',
      'MigStrategyNone',
      `model ${model.name} asks for MIG profile ${model.gpu.profile} but settings.migStrategy is none, so no MIG instance is ever advertised; set migStrategy to mixed or ask for whole GPUs`,
      ['models', index, 'gpu', 'migProfile'],
    )
    return []
  }
  const fits = config.nodeGroups.map((group) => ({group, fit: checkGroupFit(model, group, profilesOfGroup(group))}))
  const eligible = fits.filter((f) => f.fit.eligible).map((f) => f.group)
  if (config.settings.migStrategy === 'single') checkSingleStrategy(model, index, config.nodeGroups, report)
  // The scheduler sees taints, labels and GPU counts, never GPU memory: a group it would happily use but whose GPUs
  // are too small for the weights runs the replica out of memory instead of leaving it pending.
  const tooSmall = fits.filter(
    ({fit}) => fit.reasons.length > 0 && fit.reasons.every((r) => r.code === 'GpuMemoryTooSmall'),
  )
  if (tooSmall.length > 0 && eligible.length > 0) {
    report(
      'warning',
      'SchedulableOnTooSmallGpu',
      `Kubernetes may schedule replicas of model ${model.name} onto ${tooSmall.map(({group}) => group.name).join(', ')} (taints and labels allow it) whose GPUs are too small (${tooSmall.map(({fit}) => fit.reasons[0]?.message).join('; ')}); add a nodeSelector or a taint so they never land there`,
      ['models', index, 'nodeSelector'],
    )
  }
  if (eligible.length === 0) {
    const reasons = fits
      .map(({group, fit}) => `${group.name}: ${fit.reasons.map((r) => r.message).join('; ')}`)
      .join(' | ')
    report(
      'error',
      'Unschedulable',
      `no node group can run a replica of model ${model.name} (${reasons}); every replica would stay pending forever`,
      ['models', index, 'gpu'],
    )
  }
  return eligible
}

/**
 * MIG strategy `single` advertises every MIG instance as `nvidia.com/gpu` (k8s-device-plugin): a pod cannot ask
 * for a profile, and a request for a whole GPU is satisfied by whatever slice the node has.
 */
function checkSingleStrategy(
  model: ModelConfig,
  index: number,
  groups: readonly NodeGroupConfig[],
  report: Report,
): void {
  if (model.gpu.kind === 'mig') {
    report(
      'warning',
      'MigProfileUnderSingleStrategy',
      `with migStrategy single a pod cannot request ${model.gpu.profile}: it gets any slice of the node it lands on; pin model ${model.name} to nodes of that layout with a nodeSelector on nvidia.com/gpu.product, or use migStrategy mixed`,
      ['models', index, 'gpu', 'migProfile'],
    )
    return
  }
  const sliced = groups.filter(
    (g) =>
      g.migConfigs.some((name) => describeMigConfig(g.gpu.model, name).kind === 'mig') &&
      checkGroupFit(model, g, []).eligible,
  )
  if (sliced.length > 0) {
    report(
      'warning',
      'WholeGpuMayGetSlice',
      `with migStrategy single, nvidia.com/gpu requests of model ${model.name} can land on MIG slices of ${sliced.map((g) => g.name).join(', ')} (less memory than a whole GPU); keep it off those groups with a nodeSelector or taint`,
      ['models', index, 'gpu'],
    )
  }
}

/** How many replicas of the model one node of the group can hold. */
function countReplicasPerNode(model: ModelConfig, group: NodeGroupConfig): number {
  const need = model.gpu
  if (need.kind === 'whole') return Math.floor(group.gpu.count / need.count)
  if (need.kind === 'mig') return group.gpu.count * countProfilePerGpu(group.gpu.model, group.migConfigs, need.profile)
  // A memory need is requested as one nvidia.com/gpu, so one replica per GPU.
  return group.gpu.count
}

function describeNeed(model: ModelConfig, replicas: number): string {
  const need = model.gpu
  if (need.kind === 'whole') return `${replicas * need.count} GPU${replicas * need.count === 1 ? '' : 's'}`
  if (need.kind === 'mig') return `${replicas} × ${need.profile}`
  return `${replicas} GPU${replicas === 1 ? '' : 's'}`
}

function checkCapacity(model: ModelConfig, index: number, groups: NodeGroupConfig[], report: Report): void {
  const reachable = groups.reduce((sum, group) => sum + group.max * countReplicasPerNode(model, group), 0)
  if (model.replicas.max > reachable) {
    const names = groups.map((g) => `${g.name} max ${g.max}`).join(', ')
    report(
      'warning',
      'CapacityBelowMaxReplicas',
      `${model.replicas.max} replicas of ${model.name} need ${describeNeed(model, model.replicas.max)}; its eligible node groups (${names}) hold at most ${reachable} replica${reachable === 1 ? '' : 's'} at their max; raise a group's max or lower replicas.max`,
      ['models', index, 'replicas', 'max'],
    )
  }
}

function checkLoadTime(model: ModelConfig, index: number, report: Report): void {
  const load = estimateWeightLoadSeconds(model)
  if (model.healthCheckGraceSeconds < load) {
    const how =
      model.weights.loadSeconds !== undefined
        ? `weights.loadTime ${formatDuration(load)}`
        : `${model.weights.sizeGiB} GiB at ${model.weights.loadGiBps ?? 1} GiB/s = ${formatDuration(load)}`
    report(
      'warning',
      'GraceShorterThanLoad',
      `healthCheckGrace ${formatDuration(model.healthCheckGraceSeconds)} is shorter than the weight load time (${how}); new replicas would be killed while loading; set healthCheckGrace to at least ${formatDuration(Math.ceil(load))}`,
      ['models', index, 'healthCheckGrace'],
    )
  }
}

function coldStartSeconds(group: NodeGroupConfig): number {
  return group.coldStart.provisioningSeconds + group.coldStart.driverInitSeconds + group.coldStart.imagePullSeconds
}

function checkStabilization(model: ModelConfig, index: number, groups: NodeGroupConfig[], report: Report): void {
  const rules = model.behavior.scaleDown
  if (rules.selectPolicy === 'Disabled') return
  const slowest = groups.reduce((a, b) => (coldStartSeconds(b) > coldStartSeconds(a) ? b : a))
  const cold = coldStartSeconds(slowest)
  if (rules.stabilizationWindowSeconds < cold) {
    const parts = `provisioning ${formatDuration(slowest.coldStart.provisioningSeconds)} + driver init ${formatDuration(slowest.coldStart.driverInitSeconds)} + image pull ${formatDuration(slowest.coldStart.imagePullSeconds)}`
    report(
      'warning',
      'StabilizationShorterThanColdStart',
      `scale-down stabilization ${formatDuration(rules.stabilizationWindowSeconds)} is shorter than node group ${slowest.name}'s cold start ${formatDuration(cold)} (${parts}): capacity released on a short dip takes longer than the dip to come back, so replicas and nodes oscillate; set it to at least ${formatDuration(cold)}`,
      ['models', index, 'behavior', 'scaleDown', 'stabilizationWindow'],
    )
  }
}

/** GPUs one replica occupies; a MIG instance counts as its share of the GPU's compute slices. */
function countGpusPerReplica(model: ModelConfig, groups: NodeGroupConfig[]): number {
  const need = model.gpu
  if (need.kind === 'whole') return need.count
  if (need.kind === 'memory') return 1
  for (const group of groups) {
    const profile = findMigProfile(group.gpu.model, need.profile)
    if (profile) return profile.computeSlices / (group.gpu.model.startsWith('A30') ? 4 : 7)
  }
  return 1
}

function checkBudget(config: PolicyConfig, eligible: NodeGroupConfig[][], report: Report): void {
  const maxGpus = config.settings.budget.maxGpus
  if (maxGpus === undefined) return
  const minimum = config.models.reduce(
    (sum, model, i) => sum + model.replicas.min * countGpusPerReplica(model, eligible[i] ?? []),
    0,
  )
  if (maxGpus < minimum) {
    report(
      'warning',
      'BudgetBelowMinimums',
      `budget.maxGpus ${maxGpus} is less than the ${Math.round(minimum * 100) / 100} GPUs the models' replicas.min need; the minimums can never all run; raise maxGpus or lower a model's replicas.min`,
      ['settings', 'budget', 'maxGpus'],
    )
  }
}
