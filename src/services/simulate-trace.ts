/**
 * `gpu-scale simulate --trace FILE`: replay recorded traffic through the twin with gpu-scale in the loop, once per
 * policy (your config, `--against`, built-in baselines) and per seed, and set the results beside the oracle's.
 *
 * The world (node groups, cold starts, prices, models) is your config's (src/core/simulate/world.ts), or a
 * scenario's with `--scenario`, whose own load the trace then replaces. Every policy replays in that same world
 * and the same traffic; only the controller's config differs. Rate traces become each model's piecewise-constant
 * arrivals (token lengths from DEFAULT_TOKEN_DISTRIBUTIONS), served as a flow (the fluid model) or drawn one by one
 * as a seeded Poisson process (`--requests sampled`); per-request traces become the twin's requests, or with
 * `--requests fluid` their rate series. The replay starts a lead-in before the trace so every policy starts warm,
 * and measures only the trace's window.
 *
 * Memory: a trace never sits in memory. Pass 1 reads the files to their rate series (peak scaling, the oracle,
 * static-peak, the charts); pass 2 streams a per-request trace's requests into each policy's twin in chunks
 * (RequestFeed, Twin.appendTrace), one policy at a time, and the twin hands each finished request to the run's
 * meter (RunMeter) instead of keeping it, so what is held is one twin, its per-minute results and a chunk.
 */
import {UserError, type Problem} from '../core/errors.js'
import {ClosedLoop} from '../core/loop/index.js'
import type {ModelConfig, PolicyConfig} from '../core/model/config.js'
import {parseDuration} from '../core/model/duration.js'
import {computeOracle, replicasNeeded, type OracleResult} from '../core/oracle/layer-oracle.js'
import {
  aggregateSeeds,
  buildSimulationReport,
  evaluateFailIf,
  fleetShapeOf,
  oracleResult,
  RunMeter,
  parseFailIfFlags,
  stepSecondsFor,
  sumOracle,
  type FailIfEvaluation,
  type PolicyResult,
  type SimulationReport,
  type SimulationSlo,
} from '../core/simulate/index.js'
import {baselineConfig, BASELINE_NAMES, isBaselineName, type BaselineName} from '../core/simulate/baselines.js'
import {
  buildReplayWorld,
  capacityAtSlo,
  DEFAULT_REPLAY_SLO,
  homeGroupOf,
  leadInSecondsFor,
  replaySloOf,
  replicaColdStartSeconds,
  REPLAY_START,
  servingProfileOf,
  measuredTokens,
  replayLoad,
  servingSpecOf,
  twinTokens,
  type ReplayRequestModel,
  type WarmUp,
} from '../core/simulate/world.js'
import {
  DEFAULT_TOKEN_DISTRIBUTIONS,
  demandOf,
  meanLength,
  TRACE_FORMATS,
  type LoadedTrace,
  type RateSeries,
  type TokenMoments,
  type TraceFormat,
  type TraceRequest,
} from '../core/traces/index.js'
import type {TwinOptions, TwinScenario} from '../core/twin/index.js'
import {loadConfigFile} from '../adapters/config-file.js'
import {loadScenarioFile} from '../adapters/scenario-file.js'
import {loadTraceFiles, streamTraceFiles, type TraceFileSource} from '../adapters/trace-file.js'
import {writeOutputFile} from '../adapters/write-output.js'

export interface SimulateTraceRequest {
  /** `-c FILE`: your policy, and the world unless `scenario` is given. */
  config?: string
  /** `--scenario NAME|FILE`: the world (its load is replaced by the traces). */
  scenario?: string
  /** `--trace` values: `FILE`, or `MODEL=FILE` to put a whole trace on one config model. */
  traces: string[]
  traceFormat?: string
  model?: string
  rateScale?: number
  peakReplicas?: number
  /** `--shift 10m`: added to every request's time. */
  shift?: string
  /** `--window 1h..2h`: keep this part of each trace (from its first row), replayed from 0. */
  window?: string
  skipBadRows?: boolean
  against?: string
  baselines?: string[]
  /** How many seeds (default 1), from `seed` (default 1) up. */
  seeds?: number
  seed?: number
  /** `--for 2h`: how much of the trace to replay (default all of it). */
  for?: string
  failIf?: string[]
  /**
   * `--requests`: how the twin simulates requests. `auto` (default): fluid for rate-series traces, sampled for
   * per-request ones; `sampled`: one by one; `fluid`: as a flow (a per-request trace as its rate series).
   */
  requests?: string
  /**
   * How many requests a lockstep chunk of a streamed replay holds at least (default 16,384). Results do not depend
   * on it (tests replay with tiny chunks to hold that); memory grows with it.
   */
  chunkRequests?: number
  /**
   * Requests per model up to which a run's percentiles are exact (default 1,000,000, EXACT_PERCENTILE_REQUESTS);
   * past it they come from a sketch within 1% and the row says `percentiles: approx ±1%`. Tests lower it.
   */
  exactPercentileRequests?: number
  /** `--report FILE`: the renderer is the caller's (a view), the file is written here. */
  report?: {path: string; render: (report: SimulationReport, failIf: FailIfEvaluation | undefined) => string}
  onProgress?: (done: number) => void
}

export interface SimulateTraceOutcome {
  report: SimulationReport
  failIf?: FailIfEvaluation
  warnings: Problem[]
  /** Lines for stderr: what was assumed (default SLO, skipped rows, the rate scale used). */
  notes: string[]
}

/** Requests that arrive in the window's last moments still finish: the run goes this far past its end. */
const DRAIN_SECONDS = 120
const BUCKET_SECONDS = 60

interface PolicyRun {
  name: string
  kind: Exclude<PolicyResult['kind'], 'oracle'>
  config: PolicyConfig
}

export async function simulateTrace(request: SimulateTraceRequest): Promise<SimulateTraceOutcome> {
  const gates = parseFailIfFlags(request.failIf ?? [])
  const requestsFlag = parseRequestsFlag(request.requests)
  const baselines = parseBaselines(request.baselines ?? [])
  const seeds = request.seeds ?? 1
  if (!(Number.isInteger(seeds) && seeds >= 1)) throw new UserError(`--seeds ${seeds} is not a positive whole number`)
  const firstSeed = request.seed ?? 1

  const {world, user, scenario, warnings, userLabel} = await loadWorld(request)
  const policies: PolicyRun[] = [{name: userLabel, kind: 'user', config: user}]
  if (request.against) {
    const {config, warnings: more} = await loadConfigFile(request.against)
    warnings.push(...more)
    checkSameWorld(config, world, request.against)
    policies.push({name: uniqueName(config.name, policies, 'against'), kind: 'against', config})
  }

  const notes: string[] = []
  const {slo, defaulted} = replaySloOf(user)
  if (defaulted.length > 0)
    notes.push(
      `note: ${user.name} sets no ${defaulted.map((d) => `settings.slo.${d}`).join(' or ')}; measuring attainment against ${defaulted.map((d) => (d === 'ttft' ? `TTFT ${DEFAULT_REPLAY_SLO.ttftSeconds}s` : `TPOT ${DEFAULT_REPLAY_SLO.tpotSeconds * 1000}ms`)).join(' and ')} (MLPerf's server-scenario limits)`,
    )
  const tpotTarget = slo.tpotSeconds as number

  // The traces: scaled to a peak when asked (read once to measure it), then read for the replay.
  const sources = traceSources(request, world)
  let rateScale = request.rateScale
  if (request.peakReplicas !== undefined) {
    const measured = await loadTraceFiles(
      sources.map((s) => ({...s, rateScale: 1})),
      {table: false},
    )
    checkTraceModels(measured.series, world)
    rateScale = scaleForPeak(measured.series, world, scenario, tpotTarget, request.peakReplicas)
    notes.push(`note: rate scaled ×${round(rateScale, 4)} so the busiest minute needs ${request.peakReplicas} replicas`)
  }
  // Pass 1: the traces to their rate series (what peak scaling, the oracle, static-peak and the load chart need);
  // a per-request trace's requests are read again, streamed, by each seed's replay (pass 2).
  const scaled = sources.map((s) => ({...s, ...(rateScale !== undefined ? {rateScale} : {})}))
  const loaded = await loadTraceFiles(scaled, {table: false})
  checkTraceModels(loaded.series, world)
  for (const trace of loaded.traces)
    if (trace.stats.badRows > 0)
      notes.push(
        `note: ${trace.file}: skipped ${trace.stats.badRows} malformed row(s), first: ${trace.stats.badRowExamples[0] ?? ''}`,
      )

  const series = loaded.series
  const traceSeconds = series.buckets * series.bucketSeconds
  const duration = request.for === undefined ? traceSeconds : positiveDuration(request.for, '--for')
  if (!(duration > 0))
    throw new UserError('the trace has no requests to replay (in its window)', {
      hint: 'check --window and --shift, or the file itself',
    })
  const buckets = Math.ceil(duration / BUCKET_SECONDS)

  // What the oracle and static-peak need per model: capacity at SLO, cold start, GPUs per replica.
  const rateTrace = loaded.traces.every((t) => t.kind === 'rates')
  const requestModel = requestModelFor(requestsFlag, loaded.traces)
  const tokensOf = (model: string): {input: number; output: number} => tokenMeans(series, model, rateTrace)
  const specs = modelSpecs(world, scenario, tpotTarget, tokensOf)
  const leadIn = leadInSecondsFor(world)
  const start = scenario?.options.start ?? REPLAY_START
  const windowStart = start + leadIn
  const windowEnd = windowStart + duration
  const oracle: Record<string, OracleResult> = {}
  const peakReplicas: Record<string, number> = {}
  // What the trace's first minute needs: every policy starts with at least this many replicas, warm, and the
  // lead-in replays that minute's rate, so the window begins with a fleet sized for its traffic.
  const firstReplicas: Record<string, number> = {}
  const warmUp: Record<string, WarmUp> = {}
  let oracleCost = 0
  for (const model of world.models) {
    const spec = specs.get(model.name)
    if (!spec || !series.models.includes(model.name)) continue
    const demand = demandOf(series, model.name).slice(0, buckets)
    firstReplicas[model.name] = replicasNeeded(demand[0] ?? 0, spec.capacity)
    warmUp[model.name] = {rps: demand[0] ?? 0, tokens: tokensOf(model.name)}
    oracle[model.name] = computeOracle({
      demand,
      bucketSeconds: series.bucketSeconds,
      startSeconds: windowStart,
      capacityPerReplica: spec.capacity,
      coldStartSeconds: spec.coldStartSeconds,
      gpusPerReplica: spec.gpusPerReplica,
      initialReplicas: firstReplicas[model.name],
    })
    oracleCost += (oracle[model.name] as OracleResult).gpuHours * spec.pricePerGpuHour
    peakReplicas[model.name] = replicasNeeded(Math.max(0, ...demand), spec.capacity)
  }
  const oracleSplit = sumOracle(oracle)

  for (const name of baselines)
    if (name !== 'oracle')
      policies.push({
        name: uniqueName(name, policies, 'baseline'),
        kind: 'baseline',
        config: baselineConfig(name, user, {peakReplicas}),
      })

  // Per-request traces replayed one by one stream from the files (pass 2); otherwise the twins replay rates.
  const streamed = requestModel === 'sampled' && !rateTrace ? scaled : undefined
  const traceEnd = buckets * series.bucketSeconds
  const stepSeconds = stepSecondsFor(duration)
  const shape = fleetShapeOf(world)
  const sloByModel = scenarioSloByModel(scenario)
  const runEnd = windowEnd + DRAIN_SECONDS
  const total = runEnd - start
  const runs = policies.length * seeds
  let shown = -1
  const reports: SimulationReport[] = []
  for (let k = 0; k < seeds; k++) {
    const seed = firstSeed + k
    const results: PolicyResult[] = []
    for (const [p, policy] of policies.entries()) {
      // One policy at a time, each reading the trace again: memory holds one twin, its results and a chunk of
      // requests, never the trace (running the policies in lockstep would read it once, but hold every
      // policy's per-request results at the same time).
      const feed = streamed
        ? new RequestFeed(streamTraceFiles(streamed), leadIn, traceEnd, request.chunkRequests ?? CHUNK_REQUESTS)
        : undefined
      try {
        const first = feed ? await feed.nextChunk(start) : undefined
        const twin = twinFor({
          world,
          scenario,
          policy: policy.config,
          firstReplicas,
          warmUp,
          seed,
          start,
          leadIn,
          requests: first?.requests ?? [],
          series,
          buckets,
          requestModel,
          rateTrace,
          tokens: loaded.tokens,
        })
        // Measured as it runs: each finished request is counted by the meter and not kept, so memory holds the
        // run's per-minute series and fleet events, not its requests (./core/simulate/run-meter.ts).
        const meter = new RunMeter(
          twin.models.map((m) => m.name),
          {
            start: windowStart,
            end: windowEnd,
            stepSeconds,
            shape,
            slo,
            sloByModel,
            oracle: oracleSplit,
            ...(request.exactPercentileRequests !== undefined
              ? {exactPercentileRequests: request.exactPercentileRequests}
              : {}),
          },
        )
        const loop = new ClosedLoop({twin: {...twin, requestSink: meter}, config: policy.config})
        const run = k * policies.length + p
        const progress = (tick: {at: number}): void => {
          const percent = Math.floor(((run + (Math.min(tick.at, runEnd) - start) / total) / runs) * 100)
          if (percent !== shown) request.onProgress?.((shown = percent) / 100)
        }
        let until = first?.until ?? Infinity
        for (;;) {
          const to = Math.min(until, runEnd)
          await loop.runUntil(to, progress)
          if (to >= runEnd || !feed) break
          const chunk = await feed.nextChunk(start)
          loop.twin.appendTrace(chunk.requests.map((r) => ({...r, t: r.t + leadIn})))
          until = chunk.until
        }
        results.push(meter.finish(policy.name, policy.kind, () => loop.twin.logEntries()))
      } finally {
        await feed?.close()
      }
    }
    if (baselines.includes('oracle')) {
      const gpuHours = oracleSplit.total / 3600
      results.push(oracleResult(oracle, gpuHours > 0 ? {pricePerGpuHour: oracleCost / gpuHours} : {}))
    }
    reports.push(
      buildSimulationReport({
        policies: results,
        start: windowStart,
        end: windowEnd,
        stepSeconds,
        seed,
        slo,
        sloByModel,
      }),
    )
  }
  const report = {
    ...(reports.length === 1 ? (reports[0] as SimulationReport) : aggregateSeeds(reports)),
    requestModel,
  }
  const failIf = gates.length > 0 ? evaluateFailIf(gates, report) : undefined
  if (request.report) await writeOutputFile(request.report.path, request.report.render(report, failIf), 'HTML report')
  return {report, ...(failIf ? {failIf} : {}), warnings, notes}
}

const REQUEST_MODELS = ['auto', 'sampled', 'fluid'] as const
type RequestsFlag = (typeof REQUEST_MODELS)[number]

function parseRequestsFlag(value: string | undefined): RequestsFlag {
  if (value === undefined) return 'auto'
  if (!(REQUEST_MODELS as readonly string[]).includes(value))
    throw new UserError(`--requests ${value} is not a request model`, {hint: `use ${REQUEST_MODELS.join(', ')}`})
  return value as RequestsFlag
}

/**
 * The request model a replay runs: as asked, or for `auto` fluid when every trace is a rate series (its requests
 * would be drawn at random anyway, and a flow replays weeks in seconds) and sampled when any lists requests (they
 * replay as recorded, with their own burstiness, which the fluid model smooths away).
 */
export function requestModelFor(flag: RequestsFlag, traces: readonly Pick<LoadedTrace, 'kind'>[]): ReplayRequestModel {
  if (flag !== 'auto') return flag
  return traces.length > 0 && traces.every((t) => t.kind === 'rates') ? 'fluid' : 'sampled'
}

function parseBaselines(names: readonly string[]): BaselineName[] {
  const out: BaselineName[] = []
  for (const name of names) {
    if (!isBaselineName(name))
      throw new UserError(`--baseline ${name} is not a built-in baseline`, {hint: `use ${BASELINE_NAMES.join(', ')}`})
    if (!out.includes(name)) out.push(name)
  }
  return out
}

async function loadWorld(request: SimulateTraceRequest): Promise<{
  world: PolicyConfig
  user: PolicyConfig
  scenario: TwinScenario | undefined
  warnings: Problem[]
  userLabel: string
}> {
  if (request.scenario) {
    const {scenario} = await loadScenarioFile(request.scenario)
    const world = scenario.options.config
    if (!request.config) return {world, user: world, scenario, warnings: [], userLabel: world.name}
    const {config, warnings} = await loadConfigFile(request.config)
    checkSameWorld(config, world, request.config)
    return {world, user: config, scenario, warnings, userLabel: config.name}
  }
  if (!request.config)
    throw new UserError('simulate --trace needs the policy config that describes the fleet (-c FILE)', {
      hint: 'or give --scenario NAME to replay the trace in a scenario',
    })
  const {config, warnings} = await loadConfigFile(request.config)
  return {world: config, user: config, scenario: undefined, warnings, userLabel: config.name}
}

/** A policy compared in a world must name the world's models and groups (it decides for them). */
function checkSameWorld(config: PolicyConfig, world: PolicyConfig, file: string): void {
  const models = new Set(world.models.map((m) => m.name))
  const groups = new Set(world.nodeGroups.map((g) => g.name))
  const strayModel = config.models.find((m) => !models.has(m.name))
  const strayGroup = config.nodeGroups.find((g) => !groups.has(g.name))
  if (strayModel || strayGroup)
    throw new UserError(
      `${strayModel ? `model ${strayModel.name}` : `node group ${strayGroup?.name}`} is not in the fleet being replayed (models: ${[...models].join(', ')}; groups: ${[...groups].join(', ')})`,
      {location: {file}, hint: 'a compared policy decides for the same fleet: use the same model and group names'},
    )
}

function uniqueName(name: string, taken: readonly PolicyRun[], suffix: string): string {
  return taken.some((p) => p.name === name) ? `${name}-${suffix}` : name
}

/** `--trace` values as trace-file sources: `MODEL=FILE` when MODEL is a model of the fleet, else a path. */
function traceSources(request: SimulateTraceRequest, world: PolicyConfig): TraceFileSource[] {
  if (request.traces.length === 0) throw new UserError('--trace needs a file')
  if (request.traceFormat !== undefined && !(TRACE_FORMATS as readonly string[]).includes(request.traceFormat))
    throw new UserError(`--trace-format ${request.traceFormat} is not a trace layout`, {
      hint: `use ${TRACE_FORMATS.join(', ')}`,
    })
  if (request.model !== undefined && !world.models.some((m) => m.name === request.model))
    throw new UserError(`--model ${request.model} is not a model of the config`, {
      hint: `models: ${world.models.map((m) => m.name).join(', ')}`,
    })
  const window = parseWindow(request.window)
  const shift = request.shift === undefined ? undefined : durationOf(request.shift, '--shift')
  const models = new Set(world.models.map((m) => m.name))
  return request.traces.map((value) => {
    const eq = value.indexOf('=')
    const mapped = eq > 0 && models.has(value.slice(0, eq)) ? value.slice(0, eq) : undefined
    const path = mapped ? value.slice(eq + 1) : value
    const model = mapped ?? request.model
    return {
      path,
      file: path,
      bucketSeconds: BUCKET_SECONDS,
      ...(request.traceFormat ? {traceFormat: request.traceFormat as TraceFormat} : {}),
      ...(model ? {model} : {}),
      ...(request.rateScale !== undefined ? {rateScale: request.rateScale} : {}),
      ...(shift !== undefined ? {timeShiftSeconds: shift} : {}),
      ...(window ? {window} : {}),
      ...(request.skipBadRows ? {skipBadRows: true} : {}),
    }
  })
}

/** `FROM..TO` of durations from the trace's first row; either side may be empty (`..30m`, `1h..`). */
function parseWindow(text: string | undefined): {startSeconds?: number; endSeconds?: number} | undefined {
  if (text === undefined) return undefined
  const parts = text.split('..')
  if (parts.length !== 2)
    throw new UserError(`--window ${text} is not FROM..TO`, {hint: 'for example --window 1h..2h, --window ..30m'})
  const [from, to] = parts as [string, string]
  const startSeconds = from === '' ? undefined : durationOf(from, '--window')
  const endSeconds = to === '' ? undefined : durationOf(to, '--window')
  if (startSeconds !== undefined && endSeconds !== undefined && !(endSeconds > startSeconds))
    throw new UserError(`--window ${text} ends before it starts`)
  return {...(startSeconds !== undefined ? {startSeconds} : {}), ...(endSeconds !== undefined ? {endSeconds} : {})}
}

function durationOf(value: string, flag: string): number {
  const seconds = parseDuration(value)
  if (seconds === undefined)
    throw new UserError(`${flag} ${value} is not a duration`, {hint: 'durations look like 90s, 35m or 2h'})
  return seconds
}

function positiveDuration(value: string, flag: string): number {
  const seconds = durationOf(value, flag)
  if (!(seconds > 0)) throw new UserError(`${flag} ${value} is not a positive duration`)
  return seconds
}

function checkTraceModels(series: RateSeries, world: PolicyConfig): void {
  const models = new Set(world.models.map((m) => m.name))
  const stray = series.models.filter((m) => !models.has(m))
  if (stray.length > 0)
    throw new UserError(
      `the trace's model${stray.length > 1 ? 's' : ''} ${stray.map((m) => `"${m}"`).join(', ')} ${stray.length > 1 ? 'are' : 'is'} not in the config (models: ${[...models].join(', ')})`,
      {hint: 'put a trace on one model with --model NAME, or map files with --trace MODEL=FILE'},
    )
}

/** Mean prompt and output tokens of a model's requests (rate traces: the distribution's means). */
function tokenMeans(series: RateSeries, model: string, rateTrace: boolean): {input: number; output: number} {
  const fallback = {
    input: meanLength(DEFAULT_TOKEN_DISTRIBUTIONS.input),
    output: meanLength(DEFAULT_TOKEN_DISTRIBUTIONS.output),
  }
  const m = series.models.indexOf(model)
  if (rateTrace || m < 0) return fallback
  let requests = 0
  let input = 0
  let output = 0
  const rps = series.rps[m] as Float64Array
  for (let i = 0; i < rps.length; i++) {
    requests += rps[i] as number
    input += (series.inputTokensPerSecond[m] as Float64Array)[i] as number
    output += (series.outputTokensPerSecond[m] as Float64Array)[i] as number
  }
  return requests > 0 ? {input: input / requests, output: output / requests} : fallback
}

interface ModelSpec {
  capacity: number
  coldStartSeconds: number
  gpusPerReplica: number
  pricePerGpuHour: number
}

function modelSpecs(
  world: PolicyConfig,
  scenario: TwinScenario | undefined,
  tpotSeconds: number,
  tokensOf: (model: string) => {input: number; output: number},
): Map<string, ModelSpec> {
  const shape = fleetShapeOf(world)
  const specs = new Map<string, ModelSpec>()
  for (const model of world.models) {
    const group = homeGroupOf(world, model)
    if (!group) continue
    const serving = scenarioServing(scenario, model) ?? servingSpecOf(model)
    specs.set(model.name, {
      capacity: capacityAtSlo(servingProfileOf(model, group, serving), tokensOf(model.name), tpotSeconds),
      coldStartSeconds: replicaColdStartSeconds(model, group),
      gpusPerReplica: shape.gpusPerReplica(model.name, group.gpu.model),
      pricePerGpuHour: group.gpu.count > 0 ? group.hourlyCost / group.gpu.count : 0,
    })
  }
  return specs
}

function scenarioServing(scenario: TwinScenario | undefined, model: ModelConfig) {
  return scenario?.options.models.find((m) => m.name === model.name)?.serving
}

/** The rate scale that makes the busiest model's busiest minute need `peak` replicas at SLO capacity. */
function scaleForPeak(
  series: RateSeries,
  world: PolicyConfig,
  scenario: TwinScenario | undefined,
  tpotSeconds: number,
  peak: number,
): number {
  if (!(Number.isInteger(peak) && peak >= 1))
    throw new UserError(`--peak-replicas ${peak} is not a positive whole number`)
  const specs = modelSpecs(world, scenario, tpotSeconds, (m) => tokenMeans(series, m, false))
  let busiest = 0
  for (const model of series.models) {
    const spec = specs.get(model)
    if (!spec) continue
    busiest = Math.max(busiest, Math.max(0, ...demandOf(series, model)) / spec.capacity)
  }
  if (!(busiest > 0)) throw new UserError('the trace has no demand, so --peak-replicas cannot scale it')
  return peak / busiest
}

function scenarioSloByModel(scenario: TwinScenario | undefined): Record<string, SimulationSlo> {
  const out: Record<string, SimulationSlo> = {}
  for (const [model, slo] of Object.entries(scenario?.sloByModel ?? {})) out[model] = {...slo}
  return out
}

function twinFor(input: {
  world: PolicyConfig
  scenario: TwinScenario | undefined
  policy: PolicyConfig
  firstReplicas: Record<string, number>
  warmUp: Record<string, WarmUp>
  seed: number
  start: number
  leadIn: number
  /** The trace's first requests (trace clock, before the lead-in); the rest are appended as the replay runs. */
  requests: TraceRequest[]
  series: RateSeries
  buckets: number
  requestModel: ReplayRequestModel
  /** True when every trace is a rate series (no requests to replay one by one). */
  rateTrace: boolean
  /** A per-request trace's token-length moments per model (what the fluid model replays it with). */
  tokens: Record<string, TokenMoments>
}): TwinOptions {
  const {world, scenario, policy, seed, start, leadIn, requests, series, buckets, requestModel} = input
  // Each policy starts at its own minimum, or at what the first minute needs when that is more (within its max).
  const replicas = Object.fromEntries(
    policy.models.map((m) => [
      m.name,
      Math.min(m.replicas.max, Math.max(m.replicas.min, input.firstReplicas[m.name] ?? 0)),
    ]),
  )
  // A rate trace replays its rates; a per-request one its requests, unless fluid replays it as its rates too.
  const perRequest = !input.rateTrace
  const fallback = {
    input: twinTokens(DEFAULT_TOKEN_DISTRIBUTIONS.input),
    output: twinTokens(DEFAULT_TOKEN_DISTRIBUTIONS.output),
  }
  const rates =
    perRequest && requestModel === 'sampled'
      ? undefined
      : {
          bucketSeconds: series.bucketSeconds,
          rps: Object.fromEntries(series.models.map((m, i) => [m, (series.rps[i] as Float64Array).slice(0, buckets)])),
          tokens: DEFAULT_TOKEN_DISTRIBUTIONS,
          ...(perRequest
            ? {
                tokensByModel: Object.fromEntries(
                  series.models.map((m) => [m, measuredTokens(input.tokens[m], fallback)]),
                ),
              }
            : {}),
        }
  if (!scenario)
    return buildReplayWorld({
      world,
      replicas,
      start,
      seed,
      leadInSeconds: leadIn,
      warmUp: input.warmUp,
      requests,
      requestModel,
      ...(rates ? {rates} : {}),
    })
  // A scenario's world keeps its own nodes, spread, spot and faults; the trace replaces its load.
  return {
    ...scenario.options,
    seed,
    models: scenario.options.models.map((m) => ({
      ...m,
      replicas: Math.max(replicas[m.name] ?? 0, m.replicas ?? 0),
      load: replayLoad(m.name, leadIn, rates, input.warmUp[m.name]),
    })),
    trace: requests.map((r) => ({...r, t: r.t + leadIn})),
    ...(requestModel === 'fluid' ? {requests: 'fluid' as const} : {}),
  }
}

/** How many requests a lockstep chunk holds at least by default (the twins' trace buffers hold about this many). */
const CHUNK_REQUESTS = 16384

/**
 * Pass 2's reader: the streamed requests of the replayed part of the trace (`t` before `end`, trace clock), cut
 * into lockstep chunks. A chunk is the next `chunk` requests, then every request at the same twin time as
 * the last of them, then one more: `until` is that last time, so a twin run to `until` holds every request at or
 * before it plus the next (Twin.appendTrace's exactness condition); Infinity when the trace has no more.
 */
class RequestFeed {
  private batch: TraceRequest[] = []
  private i = 0
  private ended = false

  constructor(
    private readonly stream: AsyncGenerator<TraceRequest[]>,
    private readonly lead: number,
    private readonly end: number,
    private readonly chunk: number,
  ) {
    if (!(Number.isInteger(chunk) && chunk >= 1)) throw new RangeError(`chunk must be a positive integer, got ${chunk}`)
  }

  async nextChunk(start: number): Promise<{requests: TraceRequest[]; until: number}> {
    const requests: TraceRequest[] = []
    let until = Infinity
    for (;;) {
      if (this.i >= this.batch.length && !(await this.refill())) return {requests, until: Infinity}
      const r = this.batch[this.i++] as TraceRequest
      if (!(r.t < this.end)) {
        // Requests come in time order: the rest of the trace is past the replayed part.
        this.ended = true
        this.batch = []
        return {requests, until: Infinity}
      }
      requests.push(r)
      // The twin's own arithmetic for a request's time (start + t after the lead-in is added).
      const at = start + (r.t + this.lead)
      if (until === Infinity) {
        if (requests.length >= this.chunk) until = at
      } else if (at > until) return {requests, until}
    }
  }

  /** Stops reading the files (the replayed part may end before them). */
  async close(): Promise<void> {
    await this.stream.return(undefined)
  }

  private async refill(): Promise<boolean> {
    while (this.i >= this.batch.length) {
      if (this.ended) return false
      const next = await this.stream.next()
      if (next.done) {
        this.ended = true
        return false
      }
      ;[this.batch, this.i] = [next.value, 0]
    }
    return true
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
