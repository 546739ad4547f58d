/**
 * The kubeconfig `sim serve` writes: one cluster, one user, one context, usable by kubectl and client-node alike.
 * The server is plain `http://`, so `insecure-skip-tls-verify: true` is required: client-node refuses http
 * without it (src/config.ts createAgent: "HTTP protocol is not allowed when skipTLSVerify is not set or false"),
 * and kubectl ignores it for http (facts §0).
 */
import {mkdir, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'
import {stringify} from 'yaml'

export const TWIN_CONTEXT = 'gpu-scale-twin'

export function renderKubeconfig(server: string, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name: TWIN_CONTEXT, cluster: {server, 'insecure-skip-tls-verify': true}}],
    users: [{name: TWIN_CONTEXT, user: {}}],
    contexts: [{name: TWIN_CONTEXT, context: {cluster: TWIN_CONTEXT, user: TWIN_CONTEXT, namespace}}],
    'current-context': TWIN_CONTEXT,
    preferences: {},
  })
}

export async function writeKubeconfig(path: string, server: string): Promise<void> {
  await mkdir(dirname(path), {recursive: true})
  await writeFile(path, renderKubeconfig(server), {mode: 0o600})
}
