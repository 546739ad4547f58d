/**
 * Text of a scenario file → the twin's options plus every problem found, each with `file:line:col`, in the config
 * loader's phases (src/core/config/load.ts), because later phases rely on earlier guarantees:
 *   1. YAML syntax (duplicate keys included);
 *   2. the JSON Schema (./schema.ts), which embeds the ScalingPolicy schema for `cluster.policy`;
 *   3. the policy normalized and checked by the config loader's own code, located inside this file;
 *   4. cross-references: models and groups named in the scenario exist in the policy, starting nodes ≤ max,
 *      each model's weights fit its GPU.
 * Pure: the caller reads the file.
 */
import {Ajv} from 'ajv'

import {checkConfig} from '../config/check.js'
import {readValidYaml, sortProblems} from '../config/load.js'
import {type FieldPath, type Locate} from '../config/locate.js'
import {normalizeConfig, type RawConfig} from '../config/normalize.js'
import type {Problem} from '../errors.js'
import {addInputFormats} from '../input/formats.js'
import type {PolicyConfig} from '../model/config.js'
import {parseDuration, parseTimestamp} from '../model/duration.js'
import {resolveServingProfile, type ServingSpec} from './latency-model.js'
import {AZURE_CONV_TOKENS, type ArrivalSpec, type TokenDistribution, type TraceRequest} from './load.js'
import {SCENARIO_SCHEMA} from './schema.js'
import type {SloTargets} from './summary.js'
import type {TwinOptions} from './twin.js'

export interface TwinScenario {
  name: string
  description?: string
  durationSeconds: number
  /** Everything the Twin constructor needs (the scheduling seam is the caller's choice). */
  options: TwinOptions
  /** Faults `sim serve` injects at `atSeconds` from the start (src/core/twin-serve). */
  faults?: ScenarioFault[]
  /** Default SLO (the policy's settings.slo) and per-model overrides, for the summary. */
  slo: SloTargets
  sloByModel: Record<string, SloTargets>
}

export interface ScenarioFault {
  atSeconds: number
  type: 'metrics' | 'mig-stuck' | 'spot-interruption'
  mode?: 'vanish' | 'freeze' | 'nan' | 'duplicate' | 'clear'
  target?: string
  metric?: string
  node?: string
  release?: boolean
}

export interface ScenarioParseResult {
  scenario?: TwinScenario
  problems: Problem[]
}

// The same formats (durations, timestamps) as the config loader, since the scenario embeds the policy schema.
const ajv = addInputFormats(
  new Ajv({allErrors: true, strict: true, allowUnionTypes: true, verbose: true, discriminator: true}),
)
const validate = ajv.compile(SCENARIO_SCHEMA)

type Dur = string | number
interface RawArrivals {
  kind: 'poisson' | 'bursty' | 'diurnal' | 'step' | 'closed'
  rate?: number
  burstRate?: number
  every?: Dur
  burstLength?: Dur
  firstAt?: Dur
  meanRate?: number
  amplitude?: number
  peakHour?: number
  steps?: Array<{at: Dur; rate: number}>
  concurrency?: number
}
interface RawScenario {
  metadata: {name: string; description?: string}
  start?: string
  duration?: Dur
  seed?: number
  cluster: {
    policy: RawConfig
    initialNodes?: Record<string, number>
    coldStartSpread?: number
    migReconfigureTime?: Dur
    capacityErrors?: Array<{group: string; from: Dur; to: Dur}>
    spot?: {
      notice?: Dur
      interruptionsPerNodeHour?: number
      replace?: boolean
      storms?: Array<{at: Dur; group: string; count: number}>
    }
    pdbs?: Array<{model: string; maxUnavailable: number}>
  }
  models?: Array<{name: string; replicas?: number; serving?: ServingSpec; slo?: {ttft?: Dur; latency?: Dur}}>
  load?: Array<{model: string; arrivals: RawArrivals; input?: TokenDistribution; output?: TokenDistribution}>
  trace?: TraceRequest[]
  telemetry?: {scrapeInterval?: Dur; retention?: Dur}
  faults?: Array<Omit<ScenarioFault, 'atSeconds'> & {at: Dur}>
}

const seconds = (value: Dur | undefined, fallback: number): number =>
  value === undefined ? fallback : (parseDuration(value) ?? fallback)

export function parseScenario(text: string, file: string): ScenarioParseResult {
  // The config loader's hardened YAML: bounded nesting and alias expansion, duplicate keys refused.
  const read = readValidYaml(
    text,
    file,
    {code: 'EmptyScenario', message: 'the file is empty; expected a Scenario (see examples/scenarios/)'},
    validate,
  )
  if ('problems' in read) return read
  const {data, locate} = read
  const raw = data as unknown as RawScenario

  const policyPath: FieldPath = ['cluster', 'policy']
  const locatePolicy: Locate = (path, options) => locate([...policyPath, ...path], options)
  const normalized = normalizeConfig(raw.cluster.policy, locatePolicy)
  const problems: Problem[] = [...normalized.problems, ...checkConfig(normalized.config, locatePolicy)]
  if (problems.some((p) => p.severity === 'error')) return {problems: sortProblems(problems)}
  const config = normalized.config
  problems.push(...crossCheck(raw, config, locate))
  if (problems.some((p) => p.severity === 'error')) return {problems: sortProblems(problems)}
  return {scenario: buildScenario(raw, config), problems: sortProblems(problems)}
}

function crossCheck(raw: RawScenario, config: PolicyConfig, locate: Locate): Problem[] {
  const problems: Problem[] = []
  const error = (code: string, message: string, path: FieldPath) =>
    problems.push({severity: 'error', code, message, location: locate(path)})
  const models = new Set(config.models.map((m) => m.name))
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  const knownModels = [...models].join(', ')
  const knownGroups = [...groups.keys()].join(', ')
  raw.models?.forEach((m, i) => {
    if (!models.has(m.name))
      error('UnknownModel', `no model "${m.name}" in cluster.policy (models: ${knownModels})`, ['models', i, 'name'])
  })
  raw.load?.forEach((l, i) => {
    if (!models.has(l.model))
      error('UnknownModel', `no model "${l.model}" in cluster.policy (models: ${knownModels})`, ['load', i, 'model'])
  })
  const seen = new Set<string>()
  raw.load?.forEach((l, i) => {
    if (seen.has(l.model))
      error('DuplicateLoad', `model "${l.model}" has a second load entry; give each model one generator`, [
        'load',
        i,
        'model',
      ])
    seen.add(l.model)
  })
  raw.trace?.forEach((r, i) => {
    if (!models.has(r.model)) error('UnknownModel', `no model "${r.model}" in cluster.policy`, ['trace', i, 'model'])
  })
  raw.cluster.pdbs?.forEach((p, i) => {
    if (!models.has(p.model))
      error('UnknownModel', `no model "${p.model}" in cluster.policy`, ['cluster', 'pdbs', i, 'model'])
  })
  for (const [group, count] of Object.entries(raw.cluster.initialNodes ?? {})) {
    const g = groups.get(group)
    if (!g)
      error('UnknownNodeGroup', `no node group "${group}" in cluster.policy (groups: ${knownGroups})`, [
        'cluster',
        'initialNodes',
        group,
      ])
    else if (count > g.max)
      error('AboveMax', `${count} nodes at the start exceed ${group}'s max ${g.max}`, [
        'cluster',
        'initialNodes',
        group,
      ])
  }
  raw.cluster.spot?.storms?.forEach((s, i) => {
    const g = groups.get(s.group)
    if (!g)
      error('UnknownNodeGroup', `no node group "${s.group}" in cluster.policy (groups: ${knownGroups})`, [
        'cluster',
        'spot',
        'storms',
        i,
        'group',
      ])
    else if (g.capacityType !== 'spot')
      error('NotSpot', `group "${s.group}" is on-demand: only spot capacity gets interruption notices`, [
        'cluster',
        'spot',
        'storms',
        i,
        'group',
      ])
  })
  raw.cluster.capacityErrors?.forEach((w, i) => {
    if (!groups.has(w.group))
      error('UnknownNodeGroup', `no node group "${w.group}" in cluster.policy (groups: ${knownGroups})`, [
        'cluster',
        'capacityErrors',
        i,
        'group',
      ])
  })
  // A replica whose weights leave no KV cache on the GPUs its model can use could never serve.
  raw.models?.forEach((m, i) => {
    const model = config.models.find((c) => c.name === m.name)
    if (!model) return
    for (const group of config.nodeGroups) {
      if (!Object.entries(model.nodeSelector).every(([k, v]) => group.labels[k] === v)) continue
      try {
        resolveServingProfile(
          m.serving ?? {},
          group.gpu.model,
          model.gpu.kind === 'mig'
            ? {migProfile: model.gpu.profile}
            : {gpus: model.gpu.kind === 'whole' ? model.gpu.count : 1},
        )
      } catch (e) {
        error('WeightsDoNotFit', `${m.name} on ${group.name} (${group.gpu.model}): ${(e as Error).message}`, [
          'models',
          i,
          'serving',
        ])
      }
    }
  })
  return problems
}

function toArrivals(raw: RawArrivals): ArrivalSpec {
  switch (raw.kind) {
    case 'poisson':
      return {kind: 'poisson', rate: raw.rate as number}
    case 'bursty':
      return {
        kind: 'bursty',
        rate: raw.rate as number,
        burstRate: raw.burstRate as number,
        everySeconds: seconds(raw.every, 3600),
        burstSeconds: seconds(raw.burstLength, 60),
        firstAtSeconds: seconds(raw.firstAt, 0),
      }
    case 'diurnal':
      return {
        kind: 'diurnal',
        meanRate: raw.meanRate as number,
        amplitude: raw.amplitude as number,
        peakHour: raw.peakHour ?? 14,
      }
    case 'step':
      return {
        kind: 'step',
        steps: (raw.steps ?? [])
          .map((s) => ({atSeconds: seconds(s.at, 0), rate: s.rate}))
          .sort((a, b) => a.atSeconds - b.atSeconds),
      }
    case 'closed':
      return {kind: 'closed', concurrency: raw.concurrency as number}
  }
}

const withDefaults = (dist: TokenDistribution | undefined, fallback: TokenDistribution): TokenDistribution =>
  dist ? {distribution: 'lognormal', cv: 1, ...dist} : {...fallback}

function buildScenario(raw: RawScenario, config: PolicyConfig): TwinScenario {
  const start = parseTimestamp(raw.start ?? '2026-11-28T00:00:00Z') as number
  const spot = raw.cluster.spot ?? {}
  const sloByModel: Record<string, SloTargets> = {}
  const models = config.models.map((model) => {
    const entry = raw.models?.find((m) => m.name === model.name)
    const load = raw.load?.find((l) => l.model === model.name)
    if (entry?.slo) {
      sloByModel[model.name] = {
        ...(entry.slo.ttft !== undefined ? {ttftSeconds: seconds(entry.slo.ttft, 0)} : {}),
        ...(entry.slo.latency !== undefined ? {e2eSeconds: seconds(entry.slo.latency, 0)} : {}),
      }
    }
    return {
      name: model.name,
      ...(entry?.replicas !== undefined ? {replicas: entry.replicas} : {}),
      ...(entry?.serving ? {serving: entry.serving} : {}),
      load: {
        arrivals: load ? toArrivals(load.arrivals) : ({kind: 'none'} as const),
        input: withDefaults(load?.input, AZURE_CONV_TOKENS.input),
        output: withDefaults(load?.output, AZURE_CONV_TOKENS.output),
      },
    }
  })
  const options: TwinOptions = {
    config,
    models,
    start,
    seed: raw.seed ?? 1,
    initialNodes: raw.cluster.initialNodes ?? {},
    trace: raw.trace ?? [],
    spot: {
      noticeSeconds: seconds(spot.notice, 120),
      ratePerNodeHour: spot.interruptionsPerNodeHour ?? 0,
      replace: spot.replace ?? true,
      storms: (spot.storms ?? []).map((s) => ({atSeconds: seconds(s.at, 0), group: s.group, count: s.count})),
    },
    capacityErrors: (raw.cluster.capacityErrors ?? []).map((w) => ({
      group: w.group,
      fromSeconds: seconds(w.from, 0),
      toSeconds: seconds(w.to, 0),
    })),
    coldStartSigma: raw.cluster.coldStartSpread ?? 0,
    migReconfigureSeconds: seconds(raw.cluster.migReconfigureTime, 60),
    pdbs: (raw.cluster.pdbs ?? []).map((p) => {
      const model = config.models.find((m) => m.name === p.model) as PolicyConfig['models'][number]
      return {
        namespace: model.workload.namespace,
        name: `${p.model}-pdb`,
        workload: `${model.workload.kind}/${model.workload.name}`,
        maxUnavailable: p.maxUnavailable,
      }
    }),
    scrapeIntervalSeconds: seconds(raw.telemetry?.scrapeInterval, 30),
    telemetryRetentionSeconds: seconds(raw.telemetry?.retention, 3 * 3600),
  }
  return {
    name: raw.metadata.name,
    ...(raw.metadata.description ? {description: raw.metadata.description} : {}),
    durationSeconds: seconds(raw.duration, 3600),
    options,
    ...(raw.faults && raw.faults.length > 0
      ? {
          faults: raw.faults
            .map(({at, ...f}) => ({atSeconds: seconds(at, 0), ...f}))
            .sort((a, b) => a.atSeconds - b.atSeconds),
        }
      : {}),
    slo: {
      ...(config.settings.slo.ttftSeconds !== undefined ? {ttftSeconds: config.settings.slo.ttftSeconds} : {}),
      ...(config.settings.slo.p95LatencySeconds !== undefined
        ? {e2eSeconds: config.settings.slo.p95LatencySeconds}
        : {}),
    },
    sloByModel,
  }
}
