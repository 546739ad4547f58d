/**
 * The controller's own HTTP endpoints (`apply --watch --listen HOST:PORT`): `/metrics` in Prometheus text
 * exposition 0.0.4 and `/healthz` (200 `ok: ...` while the loop ticks, 503 with the reason otherwise), for a
 * Deployment's scrape annotations and liveness probe. Everything else is 404; only GET and HEAD are served.
 * The content comes from callbacks, so this adapter knows nothing of the loop.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {UserError} from '../../core/errors.js'

export interface ControlServerOptions {
  /** `HOST:PORT` (port 0 picks a free one); `:PORT` means 127.0.0.1. */
  listen: string
  metrics: () => string
  health: () => {healthy: boolean; message: string}
}

export interface ControlServer {
  host: string
  port: number
  url: string
  close(): Promise<void>
}

export function parseListen(value: string): {host: string; port: number} {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim())
  const port = match ? Number(match[3]) : NaN
  if (!match || !Number.isInteger(port) || port > 65535)
    throw new UserError(`--listen ${value} is not HOST:PORT`, {
      hint: 'e.g. --listen 127.0.0.1:9090, --listen 0.0.0.0:9090 in a pod, or port 0 for a free port',
    })
  return {host: match[1] ?? (match[2] || '127.0.0.1'), port}
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const {host, port} = parseListen(options.listen)
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8'})
      res.end('method not allowed\n')
      return
    }
    try {
      if (path === '/metrics') {
        res.writeHead(200, {'content-type': 'text/plain; version=0.0.4; charset=utf-8'})
        res.end(method === 'HEAD' ? undefined : options.metrics())
        return
      }
      if (path === '/healthz') {
        const verdict = options.health()
        res.writeHead(verdict.healthy ? 200 : 503, {'content-type': 'text/plain; charset=utf-8'})
        res.end(method === 'HEAD' ? undefined : verdict.message + '\n')
        return
      }
      res.writeHead(404, {'content-type': 'text/plain; charset=utf-8'})
      res.end('not found: /metrics and /healthz are served here\n')
    } catch (error) {
      res.writeHead(500, {'content-type': 'text/plain; charset=utf-8'})
      res.end(`internal error: ${(error as Error).message}\n`)
    }
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UserError(
          `--listen ${options.listen}: ${
            error.code === 'EADDRINUSE'
              ? 'the address is already in use'
              : error.code === 'EADDRNOTAVAIL'
                ? 'no such local address'
                : error.code === 'EACCES'
                  ? 'permission denied (ports below 1024 need privileges)'
                  : error.message
          }`,
          {hint: 'pick another port, or port 0 for a free one'},
        ),
      ),
    )
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    host: address.address,
    port: address.port,
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
