/**
 * The twin's Kubernetes API server: node:http on 127.0.0.1 only, JSON only, serving the store of
 * src/core/kube-store to kubectl, @kubernetes/client-node and gpu-scale's live adapters.
 *
 * Routes (facts §1, §2, §9):
 * - `/version`, `/api`, `/apis`, `/apis/<group>`, `/api/v1`, `/apis/<group>/<version>` (./discovery.ts);
 *   `/openapi/*` is 404, which kubectl's get/scale/label/cordon/drain never ask for;
 * - `/api/v1/...` and `/apis/<group>/<version>/...`: list, watch, get, create, replace, patch, delete, and the
 *   `status`, `scale` and `eviction` subresources, with errors as Status objects;
 * - `/metrics` (Prometheus text), `/healthz`, `/readyz`, `/livez`;
 * - `/_twin/...`: the loopback control endpoint (faults, the request log, history compaction).
 *
 * Watches are newline-delimited JSON events on a chunked 200 response; an expired resourceVersion is an ERROR
 * event carrying the 410 Status, then the end of the stream (apiserver cacher.go), which client-node answers by
 * relisting. Watches end after `timeoutSeconds` (or `timeout`), else after `watchTimeoutSeconds`.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {parse as parseYaml} from 'yaml'

import {
  expired,
  findResource,
  groupVersionOf,
  matchesFilter,
  parseFieldSelector,
  parseLabelSelector,
  RESOURCE_TYPES,
  StatusError,
  successStatus,
  type KubeApi,
  type KubeObject,
  type KubeStore,
  type ListFilter,
  type ResourceType,
  type StoreEvent,
} from '../../core/kube-store/index.js'
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiResourceList,
  legacyApiGroupList,
  legacyApiVersions,
  VERSION_INFO,
  wantsAggregatedDiscovery,
} from './discovery.js'
import {FaultQueue, matches, parseFault, type Fault, type TwinFault} from './faults.js'
import {toTable, wantsTable} from './table.js'

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io'

export interface TwinServerOptions {
  api: KubeApi
  /** 0 (the default) picks a free port. The host is always 127.0.0.1. */
  port?: number
  /** How long a watch without `timeoutSeconds` stays open (the apiserver picks 30–60 min; clients re-watch). */
  watchTimeoutSeconds?: number
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs?: number
  /** Wall clock for ages in Tables, epoch ms. */
  now?: () => number
  /** Requests kept in the log (oldest dropped first), so a long-running `sim serve` does not grow without bound. */
  requestLogLimit?: number
  /** The twin bound behind the API (sim serve): its exporters' metrics and its faults. */
  twin?: TwinHooks
}

/** What the discrete-event twin adds to the server: exporter endpoints and twin faults. */
export interface TwinHooks {
  /** The exposition at `/_twin/metrics/<node/NAME | pod/NS/NAME>`, undefined for a target that does not exist. */
  metrics(target: string): string | undefined
  /** A twin fault; `ok: false` is a 404/409-style refusal with its message. */
  fault(fault: TwinFault): {ok: boolean; message: string}
  /** Optional extra state for `GET /_twin/state`. */
  state?(): unknown
}

/** One scrape of an exporter endpoint, kept so tests can compare what Prometheus stored with what was served. */
export interface ScrapeRecord {
  at: number
  target: string
  body: string
}

/** One served request, as an RBAC rule would name it (verb, group, resource, subresource). */
export interface RequestRecord {
  method: string
  path: string
  query: string
  verb: string
  group?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  code: number
  contentType?: string
  userAgent?: string
}

export interface TwinServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  faults: FaultQueue
  /** API requests served, in order, the latest `requestLogLimit` (for tests, and for deriving least-privilege RBAC). */
  requests: RequestRecord[]
  /** Exporter scrapes served, the latest `requestLogLimit`. */
  scrapes: ScrapeRecord[]
  /** Watches open now whose request path contains `path` (all when absent). */
  openWatches(path?: string): number
  /** Drops every open watch now (see ./faults.ts); returns how many were open. */
  dropWatches(mode: 'close' | 'reset' | 'expire', match?: {path?: string}): number
  close(): Promise<void>
}

interface ApiTarget {
  resource: ResourceType
  namespace?: string
  name?: string
  subresource?: string
}

interface OpenWatch {
  path: string
  end(mode: 'close' | 'reset' | 'expire'): void
}

const JSON_TYPES =
  /^application\/(json|merge-patch\+json|strategic-merge-patch\+json|json-patch\+json|apply-patch\+yaml)$/

export async function startTwinServer(options: TwinServerOptions): Promise<TwinServer> {
  const api = options.api
  const store: KubeStore = api.store
  const now = options.now ?? (() => Date.now())
  const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 10_000
  const requestLogLimit = options.requestLogLimit ?? 10_000
  const faults = new FaultQueue()
  const requests: RequestRecord[] = []
  const scrapes: ScrapeRecord[] = []
  const watches = new Set<OpenWatch>()
  const counters = new Map<string, number>()

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendStatus(
          res,
          error instanceof StatusError
            ? error
            : new StatusError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`),
        )
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5_000

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname.replace(/\/+$/, '') || '/'
    const method = (req.method ?? 'GET').toUpperCase()
    const record: RequestRecord = {
      method,
      path,
      query: url.search,
      verb: method.toLowerCase(),
      code: 0,
      contentType: req.headers['content-type'],
      userAgent: req.headers['user-agent'],
    }
    res.on('finish', () => {
      record.code = res.statusCode
      if (record.verb !== 'control') {
        requests.push(record)
        if (requests.length > requestLogLimit) requests.splice(0, requests.length - requestLogLimit)
        const key = `${record.verb}|${record.resource ?? ''}|${res.statusCode}`
        counters.set(key, (counters.get(key) ?? 0) + 1)
      }
    })

    if (path.startsWith('/_twin/metrics/') && method === 'GET') {
      record.verb = 'control'
      const target = path.slice('/_twin/metrics/'.length).split('/').map(decodeURIComponent).join('/')
      const body = options.twin?.metrics(target)
      if (body === undefined) return sendText(res, 404, `no metrics target ${target}\n`)
      scrapes.push({at: Date.now(), target, body})
      if (scrapes.length > requestLogLimit) scrapes.splice(0, scrapes.length - requestLogLimit)
      return sendText(res, 200, body, 'text/plain; version=0.0.4; charset=utf-8')
    }
    if (path.startsWith('/_twin')) {
      record.verb = 'control'
      return handleControl(req, res, method, path)
    }
    if (path === '/metrics') return sendText(res, 200, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8')
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return sendText(res, 200, 'ok')

    const fault = faults.take(method, path)
    if (fault?.type === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms))
    if (fault?.type === 'status') return sendFault(res, fault.code, fault.retryAfterSeconds, path)

    if (path === '/version') return sendJson(res, 200, VERSION_INFO)
    if (path === '/')
      return sendJson(res, 200, {
        paths: [
          '/api',
          '/api/v1',
          '/apis',
          ...RESOURCE_TYPES.filter((r) => r.group).map((r) => `/apis/${groupVersionOf(r)}`),
          '/healthz',
          '/metrics',
          '/version',
        ],
      })
    const accept = req.headers.accept
    if (path === '/api') {
      return wantsAggregatedDiscovery(accept)
        ? sendJson(res, 200, aggregatedDiscovery('core'), AGGREGATED_DISCOVERY_CONTENT_TYPE)
        : sendJson(
            res,
            200,
            legacyApiVersions(`${(server.address() as AddressInfo).address}:${(server.address() as AddressInfo).port}`),
          )
    }
    if (path === '/apis') {
      return wantsAggregatedDiscovery(accept)
        ? sendJson(res, 200, aggregatedDiscovery('groups'), AGGREGATED_DISCOVERY_CONTENT_TYPE)
        : sendJson(res, 200, legacyApiGroupList())
    }

    const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
    let group: string
    let version: string | undefined
    let rest: string[]
    if (parts[0] === 'api') {
      group = ''
      version = parts[1]
      rest = parts.slice(2)
    } else if (parts[0] === 'apis') {
      group = parts[1] ?? ''
      version = parts[2]
      rest = parts.slice(3)
      if (version === undefined) {
        const doc = apiGroup(group)
        return doc ? sendJson(res, 200, doc) : sendStatus(res, notFoundPath())
      }
    } else {
      return sendStatus(res, notFoundPath())
    }
    if (version === undefined) return sendStatus(res, notFoundPath())
    if (rest.length === 0) {
      const doc = apiResourceList(group, version)
      return doc ? sendJson(res, 200, doc) : sendStatus(res, notFoundPath())
    }
    const target = resolveTarget(group, version, rest)
    if (!target) return sendStatus(res, notFoundPath())
    Object.assign(record, {
      group: target.resource.group,
      resource: target.resource.plural,
      subresource: target.subresource,
      namespace: target.namespace,
      name: target.name,
    })
    return serveResource(req, res, method, url, target, record)
  }

  function resolveTarget(group: string, version: string, rest: string[]): ApiTarget | undefined {
    let namespace: string | undefined
    let tail = rest
    if (rest[0] === 'namespaces' && rest.length >= 3 && findResource(group, version, rest[2]!)?.namespaced) {
      namespace = rest[1]
      tail = rest.slice(2)
    }
    const resource = findResource(group, version, tail[0] ?? '')
    if (!resource || tail.length > 3) return undefined
    if (resource.namespaced && namespace === undefined && tail.length > 1) return undefined
    const subresource = tail[2]
    if (subresource !== undefined && !(resource.subresources as string[]).includes(subresource)) return undefined
    return {resource, namespace, name: tail[1], subresource}
  }

  async function serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: URL,
    target: ApiTarget,
    record: RequestRecord,
  ): Promise<void> {
    const {resource, namespace, name, subresource} = target
    const query = url.searchParams
    const table = wantsTable(req.headers.accept)
    if (query.get('dryRun')) throw new StatusError(400, 'BadRequest', 'the twin does not support dryRun requests')
    if (name === undefined) {
      if (method === 'GET') {
        const filter: ListFilter = {
          ...(namespace !== undefined ? {namespace} : {}),
          ...(query.get('labelSelector') ? {labelSelector: parseLabelSelector(query.get('labelSelector')!)} : {}),
          ...(query.get('fieldSelector')
            ? {fieldSelector: parseFieldSelector(query.get('fieldSelector')!, resource.kind)}
            : {}),
        }
        if (query.get('watch') === 'true' || query.get('watch') === '1') {
          record.verb = 'watch'
          return serveWatch(req, res, target, filter, query, table)
        }
        record.verb = 'list'
        const {items, resourceVersion} = api.list(resource, filter)
        if (table) return sendJson(res, 200, toTable(resource.kind, items, resourceVersion, now()), TABLE_CONTENT_TYPE)
        return sendJson(res, 200, {
          kind: `${resource.kind}List`,
          apiVersion: groupVersionOf(resource),
          metadata: {resourceVersion},
          items,
        })
      }
      if (method === 'POST') {
        record.verb = 'create'
        return sendJson(res, 201, api.create(resource, namespace, await readBody(req)))
      }
      throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)
    }
    if (subresource === 'scale') {
      if (method === 'GET') {
        record.verb = 'get'
        return sendJson(res, 200, api.getScale(resource, namespace, name))
      }
      if (method === 'PUT') {
        record.verb = 'update'
        return sendJson(res, 200, api.updateScale(resource, namespace, name, await readBody(req), {}))
      }
      if (method === 'PATCH') {
        record.verb = 'patch'
        return sendJson(
          res,
          200,
          api.updateScale(resource, namespace, name, await readBody(req), {
            patchType: req.headers['content-type'] ?? '',
          }),
        )
      }
    } else if (subresource === 'eviction') {
      if (method === 'POST') {
        record.verb = 'create'
        await readBody(req)
        api.evict(namespace ?? '', name)
        return sendJson(res, 201, successStatus(201))
      }
    } else {
      const part = subresource === 'status' ? 'status' : 'main'
      switch (method) {
        case 'GET': {
          record.verb = 'get'
          const object = api.get(resource, namespace, name)
          if (table)
            return sendJson(
              res,
              200,
              toTable(resource.kind, [object], object.metadata.resourceVersion ?? '', now()),
              TABLE_CONTENT_TYPE,
            )
          return sendJson(res, 200, object)
        }
        case 'PUT':
          record.verb = 'update'
          return sendJson(res, 200, api.replace(resource, namespace, name, await readBody(req), part))
        case 'PATCH':
          record.verb = 'patch'
          return sendJson(
            res,
            200,
            api.patch(resource, namespace, name, req.headers['content-type'] ?? '', await readBody(req), part),
          )
        case 'DELETE': {
          record.verb = 'delete'
          // kubectl may send DeleteOptions as protobuf (facts §1): the body is read and ignored.
          await readBody(req, {ignore: true})
          const deleted = api.delete(resource, namespace, name)
          if (resource.kind === 'Pod') return sendJson(res, 200, deleted)
          return sendJson(res, 200, {
            ...successStatus(200),
            details: {
              name,
              ...(resource.group ? {group: resource.group} : {}),
              kind: resource.plural,
              uid: deleted.metadata.uid,
            },
          })
        }
      }
    }
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)
  }

  function serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    target: ApiTarget,
    filter: ListFilter,
    query: URLSearchParams,
    table: boolean,
  ): void {
    const {resource} = target
    const rvParam = query.get('resourceVersion') ?? ''
    const from = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam)
    if (from !== undefined && !Number.isInteger(from))
      throw new StatusError(400, 'BadRequest', `invalid resource version: ${rvParam}`)
    const timeoutSeconds = Number(
      query.get('timeoutSeconds') ?? parseGoDuration(query.get('timeout')) ?? watchTimeoutSeconds,
    )
    const bookmarks = query.get('allowWatchBookmarks') === 'true'
    res.writeHead(200, {
      'Content-Type': table ? TABLE_CONTENT_TYPE : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    })
    res.flushHeaders()
    let first = true
    const send = (type: string, object: unknown) => {
      let payload = object
      if (table && type !== 'ERROR' && type !== 'BOOKMARK') {
        payload = toTable(
          resource.kind,
          [object as KubeObject],
          (object as KubeObject).metadata.resourceVersion ?? '',
          now(),
          first,
        )
        first = false
      }
      res.write(JSON.stringify({type, object: payload}) + '\n')
    }
    let cancel: (() => void) | undefined
    const timers: NodeJS.Timeout[] = []
    const watch: OpenWatch = {
      path: req.url ?? '',
      end(mode) {
        cleanup()
        if (mode === 'reset') res.destroy()
        else {
          if (mode === 'expire') send('ERROR', expired(from ?? 0, Number(store.resourceVersion)).status)
          res.end()
        }
      },
    }
    const cleanup = () => {
      cancel?.()
      cancel = undefined
      for (const t of timers) clearTimeout(t)
      watches.delete(watch)
    }
    req.on('close', cleanup)
    res.on('close', cleanup)
    watches.add(watch)
    const listener = (event: StoreEvent) => {
      const isNow = matchesFilter(event.object, filter)
      const wasBefore = event.previous !== undefined && matchesFilter(event.previous, filter)
      if (event.type === 'DELETED') {
        if (wasBefore) send('DELETED', event.object)
      } else if (event.type === 'ADDED') {
        if (isNow) send('ADDED', event.object)
      } else if (isNow && wasBefore) send('MODIFIED', event.object)
      else if (isNow) send('ADDED', event.object)
      else if (wasBefore) send('DELETED', event.object)
    }
    try {
      if (from === undefined) {
        for (const object of store.list(resource, filter).items) send('ADDED', object)
        cancel = store.watch(resource, Number(store.resourceVersion), listener)
      } else {
        cancel = store.watch(resource, from, listener)
      }
    } catch (error) {
      if (error instanceof StatusError) {
        send('ERROR', error.status)
        cleanup()
        res.end()
        return
      }
      throw error
    }
    timers.push(setTimeout(() => watch.end('close'), timeoutSeconds * 1000))
    if (bookmarks) {
      const bookmark = () => {
        send('BOOKMARK', {
          kind: resource.kind,
          apiVersion: groupVersionOf(resource),
          metadata: {resourceVersion: store.resourceVersion},
        })
        timers.push(setTimeout(bookmark, bookmarkIntervalMs))
      }
      timers.push(setTimeout(bookmark, bookmarkIntervalMs))
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    // Loopback only: the server binds 127.0.0.1, and this double-checks the peer.
    if (req.socket.remoteAddress !== '127.0.0.1' && req.socket.remoteAddress !== '::ffff:127.0.0.1')
      return sendText(res, 403, 'forbidden')
    if (path === '/_twin/faults') {
      if (method === 'GET') return sendJson(res, 200, {faults: faults.list()})
      if (method === 'DELETE') {
        faults.clear()
        return sendJson(res, 200, {faults: []})
      }
      if (method === 'POST') {
        let fault: Fault
        try {
          fault = parseFault(await readBody(req, {anyType: true}))
        } catch (error) {
          return sendJson(res, 400, {error: (error as Error).message})
        }
        if (fault.type === 'watch-drop')
          return sendJson(res, 200, {fault, dropped: dropWatches(fault.mode ?? 'close', fault.match)})
        if (fault.type === 'metrics' || fault.type === 'mig-stuck' || fault.type === 'spot-interruption') {
          if (!options.twin) return sendJson(res, 501, {error: 'no discrete-event twin is bound to this server'})
          const result = options.twin.fault(fault)
          return sendJson(res, result.ok ? 201 : 409, {fault, ...result})
        }
        faults.add(fault)
        return sendJson(res, 201, {fault})
      }
    }
    if (path === '/_twin/requests') {
      if (method === 'GET') return sendJson(res, 200, {requests})
      if (method === 'DELETE') {
        requests.length = 0
        return sendJson(res, 200, {requests: []})
      }
    }
    if (path === '/_twin/state' && method === 'GET' && options.twin?.state)
      return sendJson(res, 200, options.twin.state())
    if (path === '/_twin/compact' && method === 'POST') {
      store.compactHistory()
      return sendJson(res, 200, {compactedAt: store.resourceVersion})
    }
    return sendText(res, 404, 'not found')
  }

  function dropWatches(mode: 'close' | 'reset' | 'expire', match?: {path?: string}): number {
    const open = [...watches].filter((w) => matches(match, 'GET', w.path))
    for (const w of open) w.end(mode)
    return open.length
  }

  function renderMetrics(): string {
    const lines = [
      '# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and HTTP response code.',
      '# TYPE apiserver_request_total counter',
    ]
    for (const [key, value] of [...counters.entries()].sort()) {
      const [verb, resource, code] = key.split('|')
      lines.push(
        `apiserver_request_total{code="${code}",resource="${resource}",verb="${verb?.toUpperCase()}"} ${value}`,
      )
    }
    lines.push(
      '# HELP apiserver_storage_objects Number of stored objects at the time of last check split by kind.',
      '# TYPE apiserver_storage_objects gauge',
    )
    for (const r of RESOURCE_TYPES)
      lines.push(
        `apiserver_storage_objects{resource="${r.group ? `${r.plural}.${r.group}` : r.plural}"} ${store.list(r).items.length}`,
      )
    lines.push(
      '# HELP apiserver_registered_watchers Number of currently open watches.',
      '# TYPE apiserver_registered_watchers gauge',
      `apiserver_registered_watchers ${watches.size}`,
    )
    lines.push(
      "# HELP gpu_scale_twin_resource_version The store's current resourceVersion.",
      '# TYPE gpu_scale_twin_resource_version gauge',
      `gpu_scale_twin_resource_version ${store.resourceVersion}`,
    )
    return lines.join('\n') + '\n'
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    requests,
    scrapes,
    dropWatches,
    openWatches: (path) =>
      [...watches].filter((w) => matches(path === undefined ? undefined : {path}, 'GET', w.path)).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of [...watches]) w.end('close')
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {})
}

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body)
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  })
  res.end(text)
}

function sendText(
  res: ServerResponse,
  code: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, {'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers})
  res.end(text)
}

/** A Status error; one that carries `retryAfterSeconds` also gets the header, as responsewriters.ErrorNegotiated does. */
function sendStatus(res: ServerResponse, error: StatusError): void {
  const retry = error.status.details?.retryAfterSeconds
  const text = JSON.stringify(error.status)
  res.writeHead(error.code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...(retry ? {'Retry-After': String(retry)} : {}),
  })
  res.end(text)
}

function sendFault(res: ServerResponse, code: number, retryAfterSeconds: number | undefined, path: string): void {
  if (code === 429)
    return sendText(res, 429, 'Too many requests, please try again later.\n', 'text/plain; charset=utf-8', {
      'Retry-After': String(retryAfterSeconds ?? 1),
    })
  const name = path.split('/').filter(Boolean).pop() ?? ''
  const retry = retryAfterSeconds !== undefined ? {retryAfterSeconds} : {}
  if (code === 409)
    return sendStatus(
      res,
      new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        {name, ...retry},
      ),
    )
  if (code === 503)
    return sendStatus(
      res,
      new StatusError(
        503,
        'ServiceUnavailable',
        'The server is currently unable to handle the request (injected fault)',
        {...retry},
      ),
    )
  return sendStatus(res, new StatusError(500, 'InternalError', 'Internal error occurred: injected fault', {...retry}))
}

/**
 * Reads a JSON (or, for server-side apply, YAML) body; `ignore` drains it (protobuf DeleteOptions); `anyType`
 * takes JSON whatever the Content-Type says (the control endpoint, for a plain `curl -d`).
 */
async function readBody(req: IncomingMessage, options: {ignore?: boolean; anyType?: boolean} = {}): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 10 * 1024 * 1024)
      throw new StatusError(413, 'RequestEntityTooLarge', 'the request body is larger than 10 MiB')
    chunks.push(chunk as Buffer)
  }
  if (options.ignore) return undefined
  const text = Buffer.concat(chunks).toString('utf8')
  const type = options.anyType
    ? 'application/json'
    : (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase()
  if (!JSON_TYPES.test(type))
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    )
  if (text.trim() === '') throw new StatusError(400, 'BadRequest', 'the request body is empty')
  try {
    return type === 'application/apply-patch+yaml' ? parseYaml(text) : JSON.parse(text)
  } catch (error) {
    throw new StatusError(
      400,
      'BadRequest',
      `the request body is not valid ${type === 'application/apply-patch+yaml' ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    )
  }
}

/** Go durations as kubectl sends them in `timeout=32s` / `1m0s`; undefined when absent. */
function parseGoDuration(text: string | null): number | undefined {
  if (!text) return undefined
  let seconds = 0
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g))
    seconds += Number(n) * ({h: 3600, m: 60, s: 1, ms: 0.001}[unit as 'h'] ?? 0)
  return seconds
}
