/**
 * `gpu-scale apply --watch`: the controller loop (src/core/loop/controller.ts) wired to a world.
 *
 * - `--sim`: the in-process twin of a scenario (the built-in fleet by default) through SimWorld's ports, with an
 *   in-memory state store and Lease, paced at `--speed` virtual seconds per wall second (0: as fast as it goes),
 *   for `--for` of virtual time (the scenario's duration by default).
 * - live: see `watchLive` (the cluster's ports: ClusterReader over the Kubernetes and Prometheus adapters, the
 *   state in a ConfigMap, a coordination.k8s.io Lease).
 *
 * Either way the events feed the metrics behind `--listen` (/metrics, /healthz) and are turned into updates for
 * the view: one per tick (what was decided, what happened, and with --sim what the fleet does), one per lease
 * change, error or state conflict.
 */
import {createHash} from 'node:crypto'
import {hostname} from 'node:os'
import {performance} from 'node:perf_hooks'
import {setImmediate as yieldToEventLoop, setTimeout as sleepWall} from 'node:timers/promises'

import {loadConfigFile} from '../adapters/config-file.js'
import {InMemoryLease, InMemoryStateStore} from '../adapters/fake/recording-writers.js'
import {startControlServer, type ControlServer} from '../adapters/http/control-server.js'
import {createJsonLog, type JsonLog, type LogLevel} from '../adapters/json-log.js'
import {LiveClusterWriter} from '../adapters/kubernetes/cluster-writer.js'
import {connectCluster} from '../adapters/kubernetes/connection.js'
import {createFieldReader} from '../adapters/kubernetes/field-reader.js'
import {KubeApi} from '../adapters/kubernetes/kube-api.js'
import {KubeLease} from '../adapters/kubernetes/lease.js'
import {createNodeGroupWriter} from '../adapters/kubernetes/node-group-actuators.js'
import {ConfigMapStateStore} from '../adapters/kubernetes/state-store.js'
import {loadScenarioFile} from '../adapters/scenario-file.js'
import {systemClock} from '../adapters/system-clock.js'
import {
  type ApplyJournal,
  type PersistedState,
  clearProgress,
  openJournal,
  planIdOf,
  progressOf,
  recordProgress,
  recordResult,
} from '../core/apply/journal.js'
import type {Change, Plan} from '../core/model/plan.js'
import type {ChangeResult, Clock, ClusterWriter, StateStore} from '../core/ports.js'
import {consent, driveOwner, findOwners} from './apply.js'
import {captureLiveCluster, type LiveFlags} from './live-cluster.js'
import {DEFAULT_CONFIG_PATH} from './plan-inputs.js'
import {choosePolicy} from './simulate.js'
import {UserError, type Problem} from '../core/errors.js'
import {ControllerMetrics} from '../core/loop/controller-metrics.js'
import {runController, type ControllerEvent, type ControllerPorts} from '../core/loop/controller.js'
import {SimWorld} from '../core/loop/sim-world.js'
import type {WatchDecision, WatchSummary, WatchUpdate} from '../core/loop/watch-result.js'
import type {PolicyConfig} from '../core/model/config.js'
import {formatTimestamp, parseDuration} from '../core/model/duration.js'
import type {ControllerState} from '../core/model/state.js'
import {builtinTwinScenario} from '../core/twin-serve/index.js'
import {summarizeLog} from '../core/twin/index.js'

export type {WatchSummary, WatchUpdate}

/**
 * With --sim, virtual seconds per wall second unless --speed says otherwise: 30 virtual minutes in 3 s, so the
 * README's `apply --watch --sim --for 30m` shows a burst come and go in a few seconds, one tick line every 50 ms.
 */
export const DEFAULT_SIM_SPEED = 600

export interface WatchCommon {
  /** Policy file (-c); with --sim, the scenario's own policy by default. */
  config?: string
  /** `--interval` as typed (30s); the policy's `settings.loopInterval` by default. */
  interval?: string
  /** `--listen HOST:PORT` for /metrics and /healthz. */
  listen?: string
  /** Holder identity in the Lease (default hostname-pid). */
  identity?: string
  signal: AbortSignal
  onUpdate?: (update: WatchUpdate) => void
  /** Called once the control server listens, with its URL. */
  onListening?: (url: string) => void
  /** Structured JSON-lines log of every controller event (live: stderr). */
  log?: JsonLog
}

export interface WatchSimRequest extends WatchCommon {
  /** A shipped scenario name or a file; the built-in fleet (`sim serve`'s) by default. */
  scenario?: string
  /** Virtual seconds per wall second; 0 = as fast as possible. */
  speed?: number
  /** Virtual time to run, as typed (30m); the scenario's duration by default. */
  for?: string
}

export interface WatchOutcome {
  summary: WatchSummary
  warnings: Problem[]
}

export function defaultIdentity(): string {
  return `${hostname()}-${process.pid}`
}

export async function watchSim(request: WatchSimRequest): Promise<WatchOutcome> {
  const scenario = request.scenario ? (await loadScenarioFile(request.scenario)).scenario : builtinTwinScenario()
  const {config, policy, warnings} = await choosePolicy(scenario, request.config)
  const interval = parseInterval(request.interval, config)
  const speed = request.speed ?? DEFAULT_SIM_SPEED
  if (!Number.isFinite(speed) || speed < 0)
    throw new UserError(`--speed ${speed} is not a speed`, {
      hint: 'virtual seconds per wall second, ≥ 0 (0: as fast as possible)',
    })
  const durationSeconds =
    request.for === undefined ? scenario.durationSeconds : parsePositiveDuration(request.for, '--for')
  const identity = request.identity ?? defaultIdentity()
  const world = new SimWorld({
    twin: scenario.options,
    config,
    intervalSeconds: interval,
    slo: scenario.slo,
    sloByModel: scenario.sloByModel,
    ...(speed > 0 ? {pace: wallPacer(speed)} : {pace: () => yieldToEventLoop()}),
  })
  const start = world.twin.now
  const end = start + durationSeconds
  const ports: ControllerPorts = {
    clock: world.clock,
    lease: new InMemoryLease(world.clock),
    state: new InMemoryStateStore<ControllerState>(),
    reader: world.reader,
    apply: world.apply,
  }
  const initial = world.fleet()
  const fleetRange = {
    replicas: {start: initial.replicas.desired, peak: initial.replicas.desired, end: initial.replicas.desired},
    nodes: {start: initial.nodes.total, peak: initial.nodes.total, end: initial.nodes.total},
  }
  const {run, listen, decisions, blocked} = await runWithObservers(ports, {
    signal: request.signal,
    ...(request.listen !== undefined ? {listen: request.listen} : {}),
    ...(request.onUpdate ? {onUpdate: request.onUpdate} : {}),
    ...(request.onListening ? {onListening: request.onListening} : {}),
    ...(request.log ? {log: request.log} : {}),
    config,
    interval,
    identity,
    start,
    until: end,
    fleet: () => {
      const fleet = world.fleet()
      fleetRange.replicas.peak = Math.max(fleetRange.replicas.peak, fleet.replicas.desired)
      fleetRange.nodes.peak = Math.max(fleetRange.nodes.peak, fleet.nodes.total)
      fleetRange.replicas.end = fleet.replicas.desired
      fleetRange.nodes.end = fleet.nodes.total
      return fleet
    },
  })
  const stoppedAt = world.twin.now
  const twin = summarizeLog(world.twin.logEntries(), {
    start,
    end: stoppedAt,
    slo: scenario.slo,
    sloByModel: scenario.sloByModel,
  })
  return {
    summary: {
      type: 'summary',
      mode: 'sim',
      source: `scenario ${scenario.name}`,
      policy,
      identity,
      start: formatTimestamp(start),
      end: formatTimestamp(stoppedAt),
      durationSeconds: stoppedAt - start,
      intervalSeconds: interval,
      speed,
      loop: loopSummary(run, decisions, blocked),
      fleet: fleetRange,
      twin,
      ...(listen ? {listen} : {}),
    },
    warnings,
  }
}

export interface WatchLiveRequest extends WatchCommon, LiveFlags {
  /** The Lease (default `gpu-scale-controller` in the connection's namespace). */
  leaseName?: string
  leaseNamespace?: string
  /** Consent, as `apply` takes it: without it, scale-downs, node removals and MIG changes are refused per tick. */
  yes?: boolean
  allowScaleDown?: boolean
  allowMigReconfig?: boolean
  hpaMode?: 'refuse' | 'drive'
  migTimeoutSeconds?: number
  /** Stop after this long (30m); forever by default. */
  for?: string
  /** Write every controller event as a JSON line on stderr. */
  jsonLogs?: boolean
  /** The wall clock by default; tests pass one that advances a twin. */
  clockPort?: Clock
}

/**
 * The loop against a live cluster: the ClusterReader is the live capture `plan` uses (Kubernetes + Prometheus), the
 * write ports are `apply`'s (the scale subresource, each group's actuator, MIG with the journal of its steps), with
 * `apply`'s consent and HPA rules; the state lives in `apply`'s ConfigMap (`gpu-scale-state`, next to the apply
 * journal, so `apply` and `apply --watch` share one history), and leadership in a coordination.k8s.io Lease.
 */
export async function watchLive(request: WatchLiveRequest): Promise<WatchOutcome> {
  const configPath = request.config ?? DEFAULT_CONFIG_PATH
  const {config, warnings} = await loadConfigFile(configPath)
  const interval = parseInterval(request.interval, config)
  const clock = request.clockPort ?? systemClock
  const identity = request.identity ?? defaultIdentity()
  const log = request.log ?? (request.jsonLogs ? createJsonLog(process.stderr) : undefined)
  const connection = await connectCluster(request)
  const api = new KubeApi(connection, {
    sleep: (seconds) => clock.sleep(seconds),
    onRetry: ({call, error, delaySeconds}) =>
      log?.('warn', 'api.retry', {call, error: error.code ?? error.kind, delaySeconds}),
  })
  const lease = new KubeLease(
    connection,
    {name: request.leaseName ?? 'gpu-scale-controller', namespace: request.leaseNamespace ?? connection.namespace},
    clock,
  )
  const state = new SharedStateStore(new ConfigMapStateStore<PersistedState>(api, {namespace: connection.namespace}))
  const read = createFieldReader(api, config)
  const at = () => new Date(clock.now() * 1000).toISOString()
  const hash = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
  const writer = new LiveClusterWriter(api, {
    clock,
    read,
    ...(request.migTimeoutSeconds !== undefined ? {migTimeoutSeconds: request.migTimeoutSeconds} : {}),
    log: (line) => log?.('info', 'apply.step', {message: line}),
    progress: {
      get: (id) => progressOf(state.journal(at()), id),
      save: (change, progress) => state.saveJournal(recordProgress(state.journal(at()), change, progress, at())),
      clear: (id) => state.saveJournal(clearProgress(state.journal(at()), id, at())),
    },
  })
  const seen = new Set<string>()
  const owners = new Map<string, Awaited<ReturnType<typeof findOwners>>>()
  const ports: ControllerPorts = {
    clock,
    lease,
    state,
    reader: {
      snapshot: async () => {
        const capture = await captureLiveCluster(config, {...request, clock: () => clock.now()})
        // Each distinct diagnostic once: a missing Prometheus would otherwise repeat every tick.
        for (const d of capture.diagnostics) {
          // The loop loads and saves the controller state itself: the capture's "no state store" note does not apply.
          if (d.code === 'NoControllerState') continue
          const key = `${d.code}|${d.message}`
          if (seen.has(key)) continue
          seen.add(key)
          log?.(d.severity === 'info' ? 'info' : 'warn', 'snapshot.diagnostic', {code: d.code, message: d.message})
        }
        return capture.snapshot
      },
    },
    apply: (plan: Plan) => {
      const cluster: ClusterWriter<Change> = {
        apply: async (change): Promise<ChangeResult> => {
          const owner = owners.get(plan.plannedAt)?.get(change.id)
          if (owner && request.hpaMode === 'drive' && change.action === 'scale-replicas')
            return driveOwner(api, change, owner, read)
          return writer.apply(change)
        },
      }
      return {cluster, nodeGroups: createNodeGroupWriter(api, config, {changes: plan.changes}), read}
    },
    applyOptions: async (plan) => {
      const found = await findOwners(api, plan.changes)
      owners.clear()
      owners.set(plan.plannedAt, found)
      const journal = openJournal(state.journal(at()), planIdOf(plan.changes, hash), at())
      state.setJournal(journal)
      const started = new Set(journal.inProgress.map((p) => p.change.id))
      // Unattended: nobody to ask, so what no flag consented to is refused, tick after tick, and said so.
      const refusals = await consent(plan.changes, request, found, started)
      return {
        started,
        refuse: (change) => refusals.get(change.id),
        onResult: (status) => state.setJournal(recordResult(state.journal(at()), status, at())),
      }
    },
  }
  const start = clock.now()
  const until = request.for === undefined ? undefined : start + parsePositiveDuration(request.for, '--for')
  const {run, listen, decisions, blocked} = await runWithObservers(ports, {
    signal: request.signal,
    ...(request.listen !== undefined ? {listen: request.listen} : {}),
    ...(request.onUpdate ? {onUpdate: request.onUpdate} : {}),
    ...(request.onListening ? {onListening: request.onListening} : {}),
    ...(log ? {log} : {}),
    config,
    interval,
    identity,
    start,
    ...(until !== undefined ? {until} : {}),
  })
  const end = clock.now()
  return {
    summary: {
      type: 'summary',
      mode: 'live',
      source: `${connection.source} (${connection.server})`,
      policy: configPath,
      identity,
      start: formatTimestamp(start),
      end: formatTimestamp(end),
      durationSeconds: Math.round(end - start),
      intervalSeconds: interval,
      loop: loopSummary(run, decisions, blocked),
      ...(listen ? {listen} : {}),
    },
    warnings,
  }
}

/**
 * The controller state as the loop sees it, inside `apply`'s ConfigMap (`{controllerState, applyJournal}`): a load
 * hands out the controller state with the ConfigMap's version; a save writes it back next to the journal, by
 * compare-and-swap. MIG steps saved during a tick (the journal) also bump the version: those are this leader's own
 * writes, so the tick's final save is made against the version they produced — anyone else's write in between
 * still conflicts.
 */
export class SharedStateStore implements StateStore<ControllerState> {
  private persisted: PersistedState = {}
  private handedOut: string | undefined
  private current: string | undefined

  constructor(private readonly store: ConfigMapStateStore<PersistedState>) {}

  journal(at: string): ApplyJournal {
    return this.persisted.applyJournal ?? openJournal(undefined, '', at)
  }

  setJournal(journal: ApplyJournal): void {
    this.persisted = {...this.persisted, applyJournal: journal}
  }

  async saveJournal(journal: ApplyJournal): Promise<void> {
    this.setJournal(journal)
    const saved = await this.store.save(this.persisted, this.current)
    if (!saved.saved)
      throw new Error(`ConfigMap ${this.store.namespace}/${this.store.name} was written by someone else mid-tick`)
    this.current = saved.version
  }

  async load(): Promise<{state: ControllerState; version: string} | undefined> {
    const loaded = await this.store.load()
    this.persisted = loaded?.state ?? {}
    this.handedOut = loaded?.version
    this.current = loaded?.version
    const state = this.persisted.controllerState
    return state && loaded ? {state, version: loaded.version} : undefined
  }

  async save(
    state: ControllerState,
    expectedVersion: string | undefined,
  ): Promise<{saved: true; version: string} | {saved: false; reason: 'conflict'}> {
    const base = expectedVersion === this.handedOut ? this.current : expectedVersion
    // No controller state yet, but the ConfigMap exists (apply's journal): write on top of the version loaded.
    const version = base ?? this.current
    const saved = await this.store.save({...this.persisted, controllerState: state}, version)
    if (saved.saved) {
      this.persisted = {...this.persisted, controllerState: state}
      this.current = saved.version
      this.handedOut = saved.version
    }
    return saved
  }
}

interface ObservedRun {
  run: Awaited<ReturnType<typeof runController>>
  listen?: string
  decisions: number
  blocked: number
}

/**
 * Runs the loop with its observers: the metrics (and the control server when --listen was given), the JSON log,
 * and the per-tick updates for the view.
 */
export async function runWithObservers(
  ports: ControllerPorts,
  options: Omit<WatchCommon, 'config' | 'interval'> & {
    config: PolicyConfig
    interval: number
    identity: string
    start: number
    until?: number
    fleet?: () => NonNullable<Extract<WatchUpdate, {type: 'tick'}>['fleet']>
  },
): Promise<ObservedRun> {
  const metrics = new ControllerMetrics(options.interval, options.start)
  const clock = ports.clock
  let server: ControlServer | undefined
  if (options.listen !== undefined) {
    server = await startControlServer({
      listen: options.listen,
      metrics: () => metrics.render(clock.now()),
      health: () => metrics.health(clock.now()),
    })
    options.onListening?.(server.url)
  }
  const timeOf = (at: number) => ({at: formatTimestamp(at), elapsedSeconds: Math.round(at - options.start)})
  let current: WatchDecision[] = []
  let decisions = 0
  let blocked = 0
  const onEvent = (event: ControllerEvent) => {
    metrics.observe(event)
    if (options.log) {
      const {event: name, ...fields} = event
      options.log(levelOf(event), name, {...fields, at: formatTimestamp(event.at)})
    }
    const emit = options.onUpdate ?? (() => undefined)
    switch (event.event) {
      case 'tick.started':
        current = []
        break
      case 'decision':
        decisions++
        if (event.status === 'blocked') blocked++
        current.push({
          changeId: event.changeId,
          action: event.action,
          target: event.target,
          from: event.from,
          to: event.to,
          status: event.status,
          reason: event.reason,
        })
        break
      case 'outcome': {
        const decision = current.find((d) => d.changeId === event.changeId)
        if (decision) {
          decision.outcome = event.status
          if (event.message !== undefined) decision.message = event.message
        }
        break
      }
      case 'tick.finished':
        emit({
          type: 'tick',
          tick: event.tick,
          ...timeOf(event.at),
          leader: event.leader,
          decisions: current,
          ...(options.fleet ? {fleet: options.fleet()} : {}),
        })
        break
      case 'lease.acquired':
        emit({type: 'lease', ...timeOf(event.at), change: 'acquired', holder: event.identity})
        break
      case 'lease.lost':
        emit({type: 'lease', ...timeOf(event.at), change: 'lost', holder: event.holder ?? ''})
        break
      case 'lease.following':
        emit({type: 'lease', ...timeOf(event.at), change: 'following', holder: event.holder})
        break
      case 'lease.released':
        emit({type: 'lease', ...timeOf(event.at), change: 'released', holder: event.identity})
        break
      case 'error':
        emit({
          type: 'error',
          tick: event.tick,
          ...timeOf(event.at),
          phase: event.phase,
          message: event.message,
          attempt: event.attempt,
          retryInSeconds: event.retryInSeconds,
        })
        break
      case 'state.conflict':
        emit({type: 'state-conflict', tick: event.tick, ...timeOf(event.at), storedVersion: event.storedVersion})
        break
    }
  }
  try {
    const run = await runController(ports, {
      config: options.config,
      identity: options.identity,
      intervalSeconds: options.interval,
      signal: options.signal,
      ...(options.until !== undefined ? {until: options.until} : {}),
      emit: onEvent,
      stopwatch: () => performance.now(),
    })
    return {run, decisions, blocked, ...(server ? {listen: server.url} : {})}
  } finally {
    await server?.close()
  }
}

function loopSummary(run: ObservedRun['run'], decisions: number, blocked: number): WatchSummary['loop'] {
  return {
    ticks: run.ticks,
    ledTicks: run.ledTicks,
    errors: run.errors,
    outcomes: run.outcomes,
    applied: run.applied,
    stateConflicts: run.stateConflicts,
    stoppedBy: run.stoppedBy,
    releasedLease: run.releasedLease,
    decisions,
    blocked,
  }
}

function levelOf(event: ControllerEvent): LogLevel {
  switch (event.event) {
    case 'error':
      return 'error'
    case 'lease.lost':
    case 'state.conflict':
      return 'warn'
    case 'outcome':
      return event.status === 'applied' ? 'info' : 'warn'
    case 'tick.started':
      return 'debug'
    default:
      return 'info'
  }
}

/**
 * Paces virtual time against the wall clock: after each chunk, waits until the wall has caught up with
 * `virtual / speed` since the start. A run whose computation is slower than that simply runs behind, never
 * faster.
 */
function wallPacer(speed: number): (virtualSeconds: number, signal?: AbortSignal) => Promise<void> {
  const wallStart = performance.now()
  let virtual = 0
  return async (step, signal) => {
    virtual += step
    const wait = wallStart + (virtual / speed) * 1000 - performance.now()
    if (wait >= 1) await sleepWall(wait, undefined, signal ? {signal} : {})
    else await yieldToEventLoop()
  }
}

export function parseInterval(value: string | undefined, config: PolicyConfig): number {
  if (value === undefined) return config.settings.loopIntervalSeconds
  return parsePositiveDuration(value, '--interval')
}

function parsePositiveDuration(value: string, flag: string): number {
  const seconds = parseDuration(value)
  if (seconds === undefined || !(seconds > 0))
    throw new UserError(`${flag} ${value} is not a positive duration`, {hint: 'durations look like 30s, 5m or 2h'})
  return seconds
}
