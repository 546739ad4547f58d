/**
 * Where the cluster is: a kubeconfig as kubectl finds it (`--kubeconfig`, else `$KUBECONFIG`, else
 * `~/.kube/config`), else the in-cluster service account; `--context` picks a context and `-n/--namespace`
 * overrides its namespace. client-node is imported lazily: loading it costs ~1.2 s (facts §3), which commands
 * that never talk to a cluster should not pay.
 */
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {UserError} from '../../core/errors.js'

export interface ClusterConnectionFlags {
  kubeconfig?: string
  context?: string
  namespace?: string
}

export type ClientNode = typeof import('@kubernetes/client-node')

export interface ClusterConnection {
  k8s: ClientNode
  kc: import('@kubernetes/client-node').KubeConfig
  /** The API server's URL, named in every error. */
  server: string
  /** The namespace of the context (or -n), for what gpu-scale keeps in the cluster. */
  namespace: string
  /** How the connection was found, in words: `kubeconfig FILE, context NAME` or `in-cluster service account`. */
  source: string
}

export async function connectCluster(flags: ClusterConnectionFlags): Promise<ClusterConnection> {
  const k8s = await import('@kubernetes/client-node')
  const kc = new k8s.KubeConfig()
  let source: string
  try {
    if (flags.kubeconfig) {
      kc.loadFromFile(flags.kubeconfig)
      source = `kubeconfig ${flags.kubeconfig}`
    } else {
      if (
        !process.env.KUBECONFIG &&
        !existsSync(join(homedir(), '.kube', 'config')) &&
        !process.env.KUBERNETES_SERVICE_HOST
      ) {
        throw new UserError(
          'no cluster: no kubeconfig (KUBECONFIG is unset, ~/.kube/config does not exist) and not running in a pod',
          {
            hint: 'pass --snapshot FILE (a captured ClusterSnapshot) or --sim (the built-in simulated cluster), or --kubeconfig FILE for a live cluster',
          },
        )
      }
      // $KUBECONFIG (merged), ~/.kube/config, then the service account's token when in a pod (facts §3).
      kc.loadFromDefault()
      source = process.env.KUBECONFIG
        ? `kubeconfig ${process.env.KUBECONFIG}`
        : kc.getCurrentCluster()?.name === 'inCluster'
          ? 'in-cluster service account'
          : 'kubeconfig ~/.kube/config'
    }
  } catch (error) {
    if (error instanceof UserError) throw error
    throw new UserError(
      `cannot read the kubeconfig ${flags.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'}: ${firstLine(error)}`,
      {
        hint: 'pass --kubeconfig FILE (or set KUBECONFIG) to a valid kubeconfig',
        cause: error,
      },
    )
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      throw new UserError(`context ${flags.context} is not in ${source}`, {
        hint: `contexts there: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      })
    }
    kc.setCurrentContext(flags.context)
    source += `, context ${flags.context}`
  }
  const cluster = kc.getCurrentCluster()
  if (!cluster)
    throw new UserError(`${source} has no current cluster`, {
      hint: 'pass --context NAME, or set current-context in the kubeconfig',
    })
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default'
  return {k8s, kc, server: cluster.server.replace(/\/+$/, ''), namespace, source}
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
}
