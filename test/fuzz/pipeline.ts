/**
 * validate / plan / mig check, in-process, the way the commands call the core: text in, one outcome out. An
 * outcome is a clean user error, a plan, a mig-parted check result, or an internal error (anything thrown that is
 * not a UserError: a bug). Used by the fuzz suite and by the table of hostile inputs.
 */
import {Ajv} from 'ajv'

import {parseConfig} from '../../src/core/config/load.js'
import {type Problem, UserError} from '../../src/core/errors.js'
import {addInputFormats} from '../../src/core/input/formats.js'
import {checkMigPartedConfig, type MigPartedCheckResult} from '../../src/core/mig/mig-parted-config.js'
import type {PolicyConfig} from '../../src/core/model/config.js'
import type {Plan} from '../../src/core/model/plan.js'
import type {ClusterSnapshot} from '../../src/core/model/snapshot.js'
import {PLAN_SCHEMA} from '../../src/core/plan/schema.js'
import {planCluster} from '../../src/core/planner/plan-cluster.js'
import {assertSnapshotFitsConfig, parseSnapshot} from '../../src/core/snapshot/parse.js'

export type Outcome =
  | {kind: 'user-error'; message: string; problems: Problem[]}
  | {kind: 'plan'; plan: Plan}
  | {kind: 'mig'; result: MigPartedCheckResult}
  | {kind: 'internal'; error: unknown}

export function validateConfigText(text: string, file = 'gpu-scale.yaml'): {config?: PolicyConfig; outcome?: Outcome} {
  const {config, problems} = parseConfig(text, file)
  const errors = problems.filter((p) => p.severity === 'error')
  if (!config || errors.length > 0)
    return {outcome: {kind: 'user-error', message: `${file} is not a valid gpu-scale config`, problems: errors}}
  return {config}
}

/** `gpu-scale plan -c CONFIG --snapshot SNAPSHOT`: config and snapshot as texts, or an already loaded value. */
export function planTexts(
  config: string | PolicyConfig,
  snapshot: string | {snapshot: ClusterSnapshot; text: string},
  files = {config: 'gpu-scale.yaml', snapshot: 'snapshot.json'},
): Outcome {
  try {
    let policy: PolicyConfig
    if (typeof config === 'string') {
      const validated = validateConfigText(config, files.config)
      if (validated.outcome) return validated.outcome
      policy = validated.config as PolicyConfig
    } else {
      policy = config
    }
    const cluster =
      typeof snapshot === 'string' ? {snapshot: parseSnapshot(snapshot, files.snapshot), text: snapshot} : snapshot
    assertSnapshotFitsConfig(cluster.snapshot, policy, cluster.text, files.snapshot)
    return {kind: 'plan', plan: planCluster({config: policy, snapshot: cluster.snapshot})}
  } catch (error) {
    return describeThrown(error)
  }
}

/** `gpu-scale mig check --config FILE`. */
export function checkMigText(text: string, file = 'mig-parted.yaml'): Outcome {
  try {
    return {kind: 'mig', result: checkMigPartedConfig(text, file)}
  } catch (error) {
    return describeThrown(error)
  }
}

function describeThrown(error: unknown): Outcome {
  if (error instanceof UserError)
    return {kind: 'user-error', message: error.message, problems: (error as {problems?: Problem[]}).problems ?? []}
  return {kind: 'internal', error}
}

const validatePlan = addInputFormats(new Ajv({strict: false, allErrors: true})).compile(PLAN_SCHEMA)

/** Why an outcome is not clean; empty when it is. */
export function findDefects(outcome: Outcome): {
  internal?: string
  badNumbers: string[]
  invalid?: string
  multiLine?: string
} {
  if (outcome.kind === 'internal') {
    const error = outcome.error as Error
    return {
      internal: `${error?.name}: ${error?.message}\n${error?.stack?.split('\n').slice(1, 4).join('\n')}`,
      badNumbers: [],
    }
  }
  if (outcome.kind === 'user-error') {
    const lines = [outcome.message, ...outcome.problems.map((p) => p.message)].find((m) => m.includes('\n'))
    return {badNumbers: [], ...(lines ? {multiLine: lines} : {})}
  }
  const value = outcome.kind === 'plan' ? outcome.plan : outcome.result
  const badNumbers = findBadNumbers(value)
  if (outcome.kind === 'plan' && !validatePlan(outcome.plan))
    return {badNumbers, invalid: JSON.stringify(validatePlan.errors?.slice(0, 2))}
  return {badNumbers}
}

/** Keys whose numbers count things or measure time: never negative. Evidence such as a trend's slope may be. */
const COUNT_KEYS =
  /^(from|to|seconds|replicas|nodes|gpus|count|current|desired|wanted|pods|changes|blocked|size|start|index)$/i

/** Paths of every non-finite number, and of every negative number under a count key. */
export function findBadNumbers(value: unknown, path = '$', out: string[] = []): string[] {
  if (typeof value === 'number') {
    const key = path.slice(path.lastIndexOf('.') + 1)
    if (!Number.isFinite(value) || (value < 0 && COUNT_KEYS.test(key))) out.push(`${path}=${value}`)
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => findBadNumbers(item, `${path}[${i}]`, out))
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) findBadNumbers(v, `${path}.${k}`, out)
  }
  return out
}
