/**
 * Where a use case's config and cluster state come from: `--snapshot FILE` (offline, reproducible), `--sim` (the
 * built-in simulated fleet), else the live cluster (kubeconfig/context, Prometheus), with `-c FILE` the policy. Shared by the plan and analyze services so both
 * read inputs the same way. It composes the file adapters with the core's simulator, so it lives with the
 * services: adapters only turn paths into text and errors.
 */
import {existsSync} from 'node:fs'

import {UserError} from '../core/errors.js'
import type {Problem} from '../core/errors.js'
import type {PolicyConfig} from '../core/model/config.js'
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import {fingerprintTexts} from '../core/planner/fingerprint.js'
import {defaultScenario} from '../core/sim/default-scenario.js'
import {assertSnapshotFitsConfig} from '../core/snapshot/parse.js'
import {loadConfigFile} from '../adapters/config-file.js'
import type {LiveDiagnostic} from '../adapters/live-diagnostic.js'
import {loadSnapshotFile} from '../adapters/snapshot-file.js'
import {captureLiveCluster, type LiveFlags} from './live-cluster.js'
import {snapshotScenarioMoment} from './simulate.js'

export interface InputFlags extends LiveFlags {
  config?: string
  snapshot?: string
  sim?: boolean
  /** With --sim: plan this scenario's twin (run with gpu-scale in the loop) instead of the built-in fleet. */
  scenario?: string
  /** With --scenario: the moment after the scenario's start (`35m`); its start by default. */
  at?: string
}

export interface Inputs {
  config: PolicyConfig
  snapshot: ClusterSnapshot
  warnings: Problem[]
  /** Human description of where the inputs came from, for stderr. */
  source: string
  /** sha256 of the input files' bytes when both came from files (see src/core/planner/fingerprint.ts). */
  fingerprint?: string
  /** What the live readers noticed (autoscaler owners, telemetry gaps), for stderr. */
  diagnostics: LiveDiagnostic[]
}

export const DEFAULT_CONFIG_PATH = 'gpu-scale.yaml'

export async function resolveInputs(flags: InputFlags): Promise<Inputs> {
  const live = Boolean(flags.kubeconfig || flags.context || flags.prometheus)
  if (live && (flags.sim || flags.snapshot))
    throw new UserError(
      `${flags.sim ? '--sim' : '--snapshot'} plans without a cluster; --kubeconfig, --context and --prometheus read a live one`,
      {hint: 'pass one source: a live cluster, --snapshot FILE or --sim'},
    )
  if (flags.sim && flags.snapshot)
    throw new UserError('--sim and --snapshot are alternatives; pass one', {
      hint: '--sim plans the built-in simulated cluster, --snapshot FILE a captured one',
    })
  if ((flags.scenario !== undefined || flags.at !== undefined) && !flags.sim)
    throw new UserError('--scenario and --at plan a moment of the twin; add --sim', {
      hint: 'e.g. --sim --scenario seed-production --at 35m',
    })
  if (flags.at !== undefined && flags.scenario === undefined)
    throw new UserError('--at needs --scenario: the built-in --sim fleet is one fixed moment', {
      hint: 'e.g. --sim --scenario seed-production --at 35m',
    })
  if (flags.sim && flags.scenario !== undefined) return snapshotScenarioMoment(flags.scenario, flags.at, flags.config)
  if (flags.sim) {
    const scenario = defaultScenario()
    if (!flags.config)
      return {
        config: scenario.config,
        snapshot: scenario.snapshot,
        warnings: [],
        source: 'built-in simulated cluster (policy: built-in)',
        diagnostics: [],
      }
    const {config, warnings} = await loadConfigFile(flags.config)
    return {
      config,
      snapshot: scenario.snapshot,
      warnings,
      source: `built-in simulated cluster (policy: ${flags.config})`,
      diagnostics: [],
    }
  }
  const configPath = flags.config ?? DEFAULT_CONFIG_PATH
  if (!flags.config && !existsSync(configPath)) {
    throw new UserError(`no config: ${configPath} not found in the current directory`, {
      hint: 'pass -c FILE (start from examples/seed-production.yaml)',
    })
  }
  if (!flags.snapshot) {
    // Live: the kubeconfig as kubectl finds it (or the pod's service account), and Prometheus when given.
    const policy = await loadConfigFile(configPath)
    const captured = await captureLiveCluster(policy.config, flags)
    return {
      config: policy.config,
      snapshot: captured.snapshot,
      warnings: policy.warnings,
      source: `${captured.source} (policy: ${configPath})`,
      diagnostics: captured.diagnostics,
    }
  }
  const [policy, cluster] = await Promise.all([loadConfigFile(configPath), loadSnapshotFile(flags.snapshot)])
  assertSnapshotFitsConfig(
    cluster.snapshot,
    policy.config,
    cluster.text,
    flags.snapshot === '-' ? '<stdin>' : flags.snapshot,
  )
  return {
    config: policy.config,
    snapshot: cluster.snapshot,
    warnings: policy.warnings,
    source: `${flags.snapshot} (policy: ${configPath})`,
    fingerprint: fingerprintTexts(policy.text, cluster.text),
    diagnostics: [],
  }
}
