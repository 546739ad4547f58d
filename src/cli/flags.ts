/** Flags shared by several commands, spelled the same everywhere (kubectl spellings where they overlap). */
import {Flags} from '@oclif/core'

import {UserError} from '../core/errors.js'
import {parseDuration} from '../core/model/duration.js'

export const configFlag = Flags.string({
  char: 'c',
  summary: 'Policy config file (default ./gpu-scale.yaml; with --sim, the built-in policy).',
  env: 'GPU_SCALE_CONFIG',
})
export const snapshotFlag = Flags.string({
  summary: 'Plan from a captured cluster snapshot (JSON or YAML; - for stdin).',
  env: 'GPU_SCALE_SNAPSHOT',
  exclusive: ['sim'],
})
export const simFlag = Flags.boolean({
  summary: 'Use the built-in simulated cluster (a small inference fleet where every layer has work).',
  env: 'GPU_SCALE_SIM',
})
export const scenarioFlag = Flags.string({
  summary:
    "With --sim: plan this scenario's twin (a shipped name or a file), run with gpu-scale in the loop up to --at.",
})
/** A GPU model for the mig commands (required where the command needs one). */
export const migGpuFlag = Flags.custom<string>({
  char: 'g',
  summary: 'GPU model: canonical (A100-80GB), GFD nvidia.com/gpu.product (NVIDIA-A100-SXM4-80GB) or alias (H200).',
  helpValue: 'MODEL',
})
export const atFlag = Flags.string({
  summary: "With --scenario: the moment to plan, after the scenario's start (35m, 2h; default 0s).",
})

/**
 * A live cluster, as kubectl spells it (PRODUCT.md): --kubeconfig (else KUBECONFIG, else ~/.kube/config, else the
 * pod's service account), --context, -n/--namespace; and Prometheus for telemetry.
 */
export const liveFlags = {
  kubeconfig: Flags.string({
    summary: 'Kubeconfig file (default: KUBECONFIG, ~/.kube/config, else the in-cluster service account).',
    helpGroup: 'CLUSTER',
  }),
  context: Flags.string({summary: 'Kubeconfig context to use (default: its current-context).', helpGroup: 'CLUSTER'}),
  namespace: Flags.string({
    char: 'n',
    summary: "Namespace gpu-scale keeps its own objects in (default: the context's).",
    env: 'GPU_SCALE_NAMESPACE',
    helpGroup: 'CLUSTER',
  }),
  prometheus: Flags.string({
    summary: 'Prometheus base URL for telemetry (user:password@ in the URL for basic auth).',
    env: 'GPU_SCALE_PROMETHEUS',
    helpGroup: 'CLUSTER',
  }),
  'prometheus-timeout': Flags.string({
    summary: 'Deadline per Prometheus request (30s, 1m); 3 attempts with backoff.',
    default: '10s',
    env: 'GPU_SCALE_PROMETHEUS_TIMEOUT',
    helpGroup: 'CLUSTER',
  }),
  'prometheus-token-file': Flags.string({
    summary: 'File holding a bearer token for Prometheus.',
    env: 'GPU_SCALE_PROMETHEUS_TOKEN_FILE',
    helpGroup: 'CLUSTER',
  }),
  'prometheus-ca-file': Flags.string({
    summary: 'PEM file of CAs to trust for an https Prometheus.',
    env: 'GPU_SCALE_PROMETHEUS_CA_FILE',
    helpGroup: 'CLUSTER',
  }),
  'prometheus-insecure-skip-tls-verify': Flags.boolean({
    summary: "Do not verify Prometheus' TLS certificate (verification is on by default).",
    helpGroup: 'CLUSTER',
  }),
}

/** Where `plan` and `analyze` read the cluster from: a config with a live cluster, a snapshot, or the twin. */
export const clusterInputFlags = {
  config: configFlag,
  snapshot: snapshotFlag,
  sim: simFlag,
  scenario: scenarioFlag,
  at: atFlag,
  ...liveFlags,
}

/** The live flags as the services take them; durations in seconds. Throws on a malformed --prometheus-timeout. */
export function toLiveRequest(flags: {
  kubeconfig?: string
  context?: string
  namespace?: string
  prometheus?: string
  'prometheus-timeout'?: string
  'prometheus-token-file'?: string
  'prometheus-ca-file'?: string
  'prometheus-insecure-skip-tls-verify'?: boolean
}) {
  const timeout = flags['prometheus-timeout'] === undefined ? undefined : parseDuration(flags['prometheus-timeout'])
  if (flags['prometheus-timeout'] !== undefined && (timeout === undefined || timeout <= 0)) {
    throw new UserError(`--prometheus-timeout ${flags['prometheus-timeout']} is not a duration`, {
      hint: 'use 10s, 1m, ...',
    })
  }
  return {
    ...(flags.kubeconfig ? {kubeconfig: flags.kubeconfig} : {}),
    ...(flags.context ? {context: flags.context} : {}),
    ...(flags.namespace ? {namespace: flags.namespace} : {}),
    ...(flags.prometheus ? {prometheus: flags.prometheus} : {}),
    ...(timeout !== undefined ? {prometheusTimeout: timeout} : {}),
    ...(flags['prometheus-token-file'] ? {prometheusTokenFile: flags['prometheus-token-file']} : {}),
    ...(flags['prometheus-ca-file'] ? {prometheusCaFile: flags['prometheus-ca-file']} : {}),
    ...(flags['prometheus-insecure-skip-tls-verify'] ? {prometheusInsecureSkipTlsVerify: true} : {}),
  }
}
