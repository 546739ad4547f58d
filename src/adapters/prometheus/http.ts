/**
 * One HTTP(S) GET with a deadline, for the Prometheus API. node:https rather than global fetch because fetch
 * (undici) takes no per-request CA or verification switch without undici's own Agent; here TLS verification is on
 * unless the user turns it off, and a private CA can be given.
 */
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'

export interface HttpOptions {
  timeoutMs: number
  headers: Record<string, string>
  /** PEM text of extra CAs to trust. */
  ca?: string
  /** Skip TLS verification (only on explicit request). */
  insecureSkipTlsVerify?: boolean
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Rejects with an Error whose `code` is `ETIMEDOUT` after `timeoutMs`, or the transport's code (ECONNREFUSED). */
export function httpGet(url: URL, options: HttpOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = request(
      url,
      {
        method: 'GET',
        headers: {accept: 'application/json', ...options.headers},
        ...(url.protocol === 'https:'
          ? {rejectUnauthorized: !options.insecureSkipTlsVerify, ...(options.ca ? {ca: options.ca} : {})}
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          clearTimeout(timer)
          resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8')})
        })
        res.on('error', (e) => {
          clearTimeout(timer)
          reject(e)
        })
      },
    )
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), {code: 'ETIMEDOUT'})),
      options.timeoutMs,
    )
    req.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    req.end()
  })
}
