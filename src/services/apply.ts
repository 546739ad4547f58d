/**
 * `gpu-scale apply` once: plan the live cluster (or read a saved plan), then execute it through the core's executor
 * (src/core/apply) with the live write ports, journaling every finished change in the controller-state ConfigMap.
 *
 * Before any change acts, in this order (each a per-change refusal, `skipped: refused`, exit 4; the other changes
 * go on where the plan's dependencies allow):
 *   1. another autoscaler: a replica change on a workload an HPA or KEDA ScaledObject targets is refused, naming
 *      it; with `--hpa-mode drive` the owner's min/max (minReplicaCount/maxReplicaCount) are set to the planned
 *      count instead, so the owner scales the workload there;
 *   2. consent: scale-downs and node removals need `--yes` or `--allow-scale-down`, MIG repartitions `--yes` or
 *      `--allow-mig-reconfig`; on a TTY the command asks once instead (`confirm`);
 *   3. preconditions (the executor): a change whose precondition moved is `precondition-failed`, exit 4 saying
 *      expected vs actual, unless `--replan`, which plans again from the cluster as it is and applies that once.
 * Exit: 1 when a change failed (a failure outranks a refusal: something needs fixing), else 4 when one was refused,
 * else 0.
 *
 * Resuming: the journal (src/core/apply/journal.ts) is loaded first; a MIG change a crashed run left mid-way is
 * finished first, and a rerun of the same plan skips what is done.
 */
import {createHash} from 'node:crypto'

import {applyPlan, type ChangeStatus} from '../core/apply/index.js'
import {
  clearProgress,
  openJournal,
  type PersistedState,
  planIdOf,
  progressOf,
  recordProgress,
  recordResult,
  resumableChanges,
} from '../core/apply/journal.js'
import type {AppliedChange, ApplyOutcome} from '../core/apply/apply-result.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import type {Change, Plan, ReplicaChange} from '../core/model/plan.js'
import type {ChangeResult, Clock, ClusterWriter} from '../core/ports.js'
import {loadConfigFile} from '../adapters/config-file.js'
import {LiveClusterWriter} from '../adapters/kubernetes/cluster-writer.js'
import {connectCluster} from '../adapters/kubernetes/connection.js'
import {createFieldReader} from '../adapters/kubernetes/field-reader.js'
import {KEDA, KubeApi, type KubeObject} from '../adapters/kubernetes/kube-api.js'
import {createNodeGroupWriter} from '../adapters/kubernetes/node-group-actuators.js'
import {ApiCallError} from '../adapters/kubernetes/retry.js'
import {ConfigMapStateStore} from '../adapters/kubernetes/state-store.js'
import type {LiveDiagnostic} from '../adapters/live-diagnostic.js'
import {readPlanFile} from '../adapters/plan-file.js'
import type {LiveFlags} from './live-cluster.js'
import {DEFAULT_CONFIG_PATH} from './plan-inputs.js'
import {createPlan} from './plan.js'

export interface ApplyRequest extends LiveFlags {
  config?: string
  /** A saved plan to apply instead of planning now. */
  plan?: string
  yes?: boolean
  allowScaleDown?: boolean
  allowMigReconfig?: boolean
  replan?: boolean
  hpaMode?: 'refuse' | 'drive'
  migTimeoutSeconds?: number
  /** On a TTY: asked once for the destructive changes no flag consented to. */
  confirm?: (changes: readonly Change[]) => Promise<boolean>
  /** The wall clock by default; tests pass one whose sleep is instant (or advances a twin). */
  clockPort?: Clock
  /** One line per step (the command's spinner or stderr lines). */
  log?: (line: string) => void
  /** Tests: throw after this many journaled writes, as a crash would stop the process. */
  crashAfterWrites?: number
}

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash (crashAfterWrites)')
  }
}

const wallClock: Clock = {
  now: () => Date.now() / 1000,
  sleep: (seconds, signal) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, seconds * 1000)
      signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(signal.reason)
      })
    }),
}

export async function applyOnce(
  request: ApplyRequest,
): Promise<{outcome: ApplyOutcome; diagnostics: LiveDiagnostic[]}> {
  try {
    return await applyWith(request)
  } catch (error) {
    // An API failure outside any one change (listing HPAs, saving the journal): one line naming the URL.
    if (error instanceof ApiCallError)
      throw new UserError(error.message, {
        hint:
          error.code === 401 || error.code === 403
            ? 'the credentials lack a permission apply needs (README, Apply: RBAC)'
            : 'rerun apply: finished changes are journaled and not repeated',
        cause: error,
      })
    throw error
  }
}

async function applyWith(request: ApplyRequest): Promise<{outcome: ApplyOutcome; diagnostics: LiveDiagnostic[]}> {
  const configPath = request.config ?? DEFAULT_CONFIG_PATH
  const {config} = await loadConfigFile(configPath)
  const clock = request.clockPort ?? wallClock
  const log = request.log ?? (() => undefined)
  const connection = await connectCluster(request)
  const api = new KubeApi(connection, {
    sleep: (s) => clock.sleep(s),
    onRetry: ({call, error, delaySeconds}) =>
      log(
        `retrying ${call} after ${error.code ?? error.kind}${delaySeconds > 0 ? ` in ${delaySeconds.toFixed(1)}s` : ''}`,
      ),
  })
  const diagnostics: LiveDiagnostic[] = []
  const planNow = async (): Promise<{plan: Plan; source: string}> => {
    const {plan: _saved, confirm: _c, log: _l, clockPort: _k, ...flags} = request
    const made = await createPlan({...flags, config: configPath})
    diagnostics.push(...made.diagnostics)
    return {plan: made.plan, source: made.source}
  }
  let {plan, source} = request.plan
    ? {plan: await readPlanFile(request.plan), source: `${request.plan} → ${connection.source} (${connection.server})`}
    : await planNow()

  const store = new ConfigMapStateStore<PersistedState>(api, {namespace: connection.namespace})
  let stored = await store.load().catch((error: unknown) => {
    throw new UserError(`cannot read the controller state: ${(error as Error).message}`, {
      hint: `check the ConfigMap ${connection.namespace}/${store.name} (delete it to start afresh)`,
    })
  })
  let persisted: PersistedState = stored?.state ?? {}
  let version = stored?.version
  const at = () => new Date(clock.now() * 1000).toISOString()
  const hash = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
  let journal = openJournal(persisted.applyJournal, planIdOf(plan.changes, hash), at())
  let writes = 0

  const save = async () => {
    const next: PersistedState = {...persisted, controllerState: plan.state, applyJournal: journal}
    for (let attempt = 0; attempt < 3; attempt++) {
      const saved = await store.save(next, version)
      if (saved.saved) {
        version = saved.version
        persisted = next
        return
      }
      stored = await store.load()
      version = stored?.version
    }
    throw new UserError(
      `cannot save the apply journal: ConfigMap ${connection.namespace}/${store.name} keeps changing (another gpu-scale apply?)`,
      {hint: 'run one apply at a time; apply --watch holds a Lease for this'},
    )
  }
  const countWrite = () => {
    writes++
    if (request.crashAfterWrites !== undefined && writes >= request.crashAfterWrites) throw new SimulatedCrash()
  }

  const read = createFieldReader(api, config)
  const live = new LiveClusterWriter(api, {
    clock,
    read,
    ...(request.migTimeoutSeconds !== undefined ? {migTimeoutSeconds: request.migTimeoutSeconds} : {}),
    log,
    progress: {
      get: (id) => progressOf(journal, id),
      save: async (change, progress) => {
        journal = recordProgress(journal, change, progress, at())
        await save()
        countWrite()
      },
      clear: async (id) => {
        journal = clearProgress(journal, id, at())
        await save()
      },
    },
  })

  const results: Array<{status: ChangeStatus; change: Change}> = []
  const driven = new Map<string, string>()
  const run = async (changes: readonly Change[], started: ReadonlySet<string>) => {
    const owners = await findOwners(api, changes)
    const refusals = await consent(changes, request, owners, started)
    const cluster: ClusterWriter<Change> = {
      apply: async (change): Promise<ChangeResult> => {
        const owner = owners.get(change.id)
        if (owner && request.hpaMode === 'drive' && change.action === 'scale-replicas') {
          const result = await driveOwner(api, change, owner, read)
          if (result.status === 'applied')
            driven.set(change.id, `${owner.kind}/${owner.name} min/max set to ${change.payload.to}`)
          return result
        }
        return live.apply(change)
      },
    }
    const groups = createNodeGroupWriter(api, config, {changes})
    const result = await applyPlan(
      {changes},
      {cluster, nodeGroups: groups, read},
      {
        done: new Set(journal.done),
        started,
        refuse: (change) => refusals.get(change.id),
        onResult: async (status, change) => {
          results.push({status, change})
          journal = recordResult(journal, status, at())
          if (status.status === 'applied') {
            await save()
            countWrite()
          }
          log(`${change.id}: ${status.status}${'message' in status ? `: ${status.message}` : ''}`)
        },
      },
    )
    return result
  }

  // 1. A change a crashed run left mid-way, finished first (its steps resume; its preconditions were checked then).
  const resumable = resumableChanges(journal, plan.changes)
  if (resumable.length > 0) await run(resumable, new Set(resumable.map((c) => c.id)))
  // 2. The plan; changes of this plan already in progress resume at their step.
  const started = new Set(journal.inProgress.map((p) => p.change.id))
  const first = await run(plan.changes, started)
  let replanned = false
  if (request.replan && first.counts['precondition-failed'] > 0) {
    log('a precondition no longer holds: planning again from the cluster as it is (--replan)')
    const before = results.length
    ;({plan, source} = await planNow())
    journal = openJournal(journal, planIdOf(plan.changes, hash), at())
    results.splice(0, before, ...results.slice(0, before).filter((r) => r.status.status !== 'precondition-failed'))
    await run(plan.changes, new Set())
    replanned = true
  }
  await save()

  const changes = results.map(({status, change}) => describeChange(status, change, driven.get(change.id)))
  const counts = {applied: 0, 'precondition-failed': 0, failed: 0, skipped: 0}
  for (const c of changes) counts[c.status]++
  const refused = results.some(
    ({status}) =>
      status.status === 'precondition-failed' || (status.status === 'skipped' && status.reason === 'refused'),
  )
  const exitCode = counts.failed > 0 ? EXIT.error : refused ? EXIT.refused : EXIT.ok
  return {
    outcome: {
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'ApplyResult',
      source,
      plannedAt: plan.plannedAt,
      planId: journal.planId,
      resumed: resumable.map((c) => c.id),
      replanned,
      changes,
      counts,
      exitCode,
    },
    diagnostics,
  }
}

function describeChange(status: ChangeStatus, change: Change, driven: string | undefined): AppliedChange {
  const target = `${change.target.kind}/${change.target.namespace ? `${change.target.namespace}/` : ''}${change.target.name}`
  const detail =
    status.status === 'applied'
      ? (driven ?? '')
      : status.status === 'precondition-failed'
        ? `${status.precondition.resource.kind} ${status.precondition.resource.namespace ? `${status.precondition.resource.namespace}/` : ''}${status.precondition.resource.name} ${status.precondition.path} changed: expected ${JSON.stringify(status.precondition.equals)}, found ${JSON.stringify(status.actual ?? null)} (rerun with --replan to plan again)`
        : status.message
  return {id: change.id, action: change.action, target, from: change.from, to: change.to, status: status.status, detail}
}

/** Destructive changes and the flag that consents to each. */
export function consentFlagFor(change: Change): '--allow-scale-down' | '--allow-mig-reconfig' | undefined {
  if (change.status === 'blocked') return undefined
  if (change.action === 'repartition-gpu') return '--allow-mig-reconfig'
  if (change.action === 'remove-node') return '--allow-scale-down'
  if (change.action === 'scale-replicas' && change.to < change.from) return '--allow-scale-down'
  return undefined
}

/** Per change id, why it is refused: an HPA or ScaledObject owns it, or a destructive step has no consent. */
export async function consent(
  changes: readonly Change[],
  request: Pick<ApplyRequest, 'yes' | 'allowScaleDown' | 'allowMigReconfig' | 'hpaMode' | 'confirm'>,
  owners: ReadonlyMap<string, Owner>,
  started: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const refusals = new Map<string, string>()
  for (const [id, owner] of owners)
    if (request.hpaMode !== 'drive')
      refusals.set(
        id,
        `${owner.kind}/${owner.name} scales this workload: refused so two autoscalers do not fight (pass --hpa-mode drive to set its min/max instead, or remove it: gpu-scale import hpa ${owner.name})`,
      )
  const needed = changes.filter((c) => {
    const flag = consentFlagFor(c)
    // A change an earlier run started was consented to then; leaving it half-done (a node cordoned) is worse.
    if (!flag || refusals.has(c.id) || request.yes || started.has(c.id)) return false
    return flag === '--allow-scale-down' ? !request.allowScaleDown : !request.allowMigReconfig
  })
  if (needed.length > 0 && request.confirm && (await request.confirm(needed))) return refusals
  for (const change of needed)
    refusals.set(
      change.id,
      `destructive (${change.action === 'repartition-gpu' ? 'MIG reconfiguration' : change.action === 'remove-node' ? 'node removal' : 'scale-down'}) without consent: pass --yes or ${consentFlagFor(change)}`,
    )
  return refusals
}

export interface Owner {
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject'
  namespace: string
  name: string
}

/** The HPA or ScaledObject targeting each replica change's workload (KEDA's own HPA is named by its ScaledObject). */
export async function findOwners(api: KubeApi, changes: readonly Change[]): Promise<Map<string, Owner>> {
  const owners = new Map<string, Owner>()
  const replica = changes.filter((c): c is ReplicaChange => c.action === 'scale-replicas' && c.status === 'planned')
  const namespaces = [...new Set(replica.map((c) => c.payload.workload.namespace))]
  for (const namespace of namespaces) {
    const hpas = await api.call('GET', `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`, () =>
      api.autoscaling.listNamespacedHorizontalPodAutoscaler({namespace}),
    )
    const scaledObjects = (await api.optional(
      'GET',
      `/apis/${KEDA.group}/${KEDA.version}/namespaces/${namespace}/${KEDA.plural}`,
      () => api.custom.listNamespacedCustomObject({...KEDA, namespace}),
    )) as {items?: KubeObject[]} | undefined
    for (const change of replica.filter((c) => c.payload.workload.namespace === namespace)) {
      const {kind, name} = change.payload.workload
      const targets = (ref: {kind?: string; name?: string} | undefined) =>
        ref?.name === name && (ref.kind ?? 'Deployment') === kind
      const so = (scaledObjects?.items ?? []).find((o) => targets(o.spec?.scaleTargetRef))
      const hpa = (hpas.items as KubeObject[]).find((o) => targets(o.spec?.scaleTargetRef))
      if (so) owners.set(change.id, {kind: 'ScaledObject', namespace, name: so.metadata?.name ?? ''})
      else if (hpa) owners.set(change.id, {kind: 'HorizontalPodAutoscaler', namespace, name: hpa.metadata?.name ?? ''})
    }
  }
  return owners
}

/** `--hpa-mode drive`: the owner's bounds pinned to the planned count (after the same precondition check). */
export async function driveOwner(
  api: KubeApi,
  change: ReplicaChange,
  owner: Owner,
  read: ReturnType<typeof createFieldReader>,
): Promise<ChangeResult> {
  for (const precondition of change.preconditions) {
    const actual = await read(precondition.resource, precondition.path)
    if (actual !== precondition.equals && !(precondition.equals === null && actual == null))
      return {changeId: change.id, status: 'precondition-failed', precondition, actual}
  }
  const to = change.payload.to
  const {namespace, name} = owner
  try {
    if (owner.kind === 'HorizontalPodAutoscaler') {
      // HPA needs minReplicas >= 1; scale-to-zero goes through the workload when no HPA owns it.
      const min = Math.max(1, to)
      await api.call('PATCH', `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${name}`, () =>
        api.autoscaling.patchNamespacedHorizontalPodAutoscaler(
          {namespace, name, body: {spec: {minReplicas: min, maxReplicas: Math.max(min, to)}}},
          api.mergePatch,
        ),
      )
    } else {
      await api.call(
        'PATCH',
        `/apis/${KEDA.group}/${KEDA.version}/namespaces/${namespace}/${KEDA.plural}/${name}`,
        () =>
          api.custom.patchNamespacedCustomObject(
            {...KEDA, namespace, name, body: {spec: {minReplicaCount: to, maxReplicaCount: Math.max(1, to)}}},
            api.mergePatch,
          ),
      )
    }
  } catch (error) {
    if (error instanceof ApiCallError)
      return {changeId: change.id, status: 'failed', message: error.message, retryable: error.retryable}
    throw error
  }
  return {changeId: change.id, status: 'applied'}
}

export type {AppliedChange, ApplyOutcome}
