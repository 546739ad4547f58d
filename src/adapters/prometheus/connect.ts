/**
 * A PrometheusClient from the command's flags: credentials from a token file or the URL's user:password (basic
 * auth), a CA file, an explicit switch to skip TLS verification. Credentials never reach a message: the URL
 * named in diagnostics has its user info removed, and nothing of this goes into a snapshot.
 */
import {readFile} from 'node:fs/promises'

import {UserError} from '../../core/errors.js'
import {PrometheusClient} from './client.js'

export interface PrometheusFlags {
  prometheus: string
  timeoutSeconds?: number
  tokenFile?: string
  caFile?: string
  insecureSkipTlsVerify?: boolean
  attempts?: number
  backoffMs?: number
}

export async function createPrometheusClient(flags: PrometheusFlags): Promise<PrometheusClient> {
  let url: URL
  try {
    url = new URL(flags.prometheus)
  } catch {
    throw new UserError(`--prometheus ${JSON.stringify(flags.prometheus)} is not a URL`, {
      hint: 'pass the base URL, e.g. http://prometheus.monitoring:9090',
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError(`--prometheus ${url.protocol}// is not supported`, {hint: 'use an http:// or https:// URL'})
  const basicAuth = url.username
    ? {username: decodeURIComponent(url.username), password: decodeURIComponent(url.password)}
    : undefined
  url.username = ''
  url.password = ''
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, 'utf8')
    } catch (error) {
      throw new UserError(
        `cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        {cause: error},
      )
    }
  }
  const bearerToken = flags.tokenFile ? (await read(flags.tokenFile, 'Prometheus token file')).trim() : undefined
  const ca = flags.caFile ? await read(flags.caFile, 'Prometheus CA file') : undefined
  return new PrometheusClient({
    url: url.toString(),
    ...(flags.timeoutSeconds !== undefined ? {timeoutMs: flags.timeoutSeconds * 1000} : {}),
    ...(flags.attempts !== undefined ? {attempts: flags.attempts} : {}),
    ...(flags.backoffMs !== undefined ? {backoffMs: flags.backoffMs} : {}),
    ...(bearerToken ? {bearerToken} : basicAuth ? {basicAuth} : {}),
    ...(ca ? {ca} : {}),
    ...(flags.insecureSkipTlsVerify ? {insecureSkipTlsVerify: true} : {}),
  })
}
