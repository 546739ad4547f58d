/**
 * Renders a local HTML file in Debian's headless Chromium and reports what a person would notice: console
 * errors, uncaught exceptions, any request leaving the file, and a PNG screenshot.
 *
 * It speaks the DevTools protocol over `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-terminated JSON, as
 * Puppeteer's pipe transport does), so it needs no dependency and no WebSocket (Node 20 has no global one
 * without a flag), and no port to race with other engineers on a shared machine. playwright-core would work
 * too, but pins a protocol client to a browser build it was not released with; the handful of CDP calls here
 * is smaller than that dependency and is stable across Chromium versions.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable, Writable} from 'node:stream'
import {pathToFileURL} from 'node:url'

export const CHROMIUM = process.env.GPU_SCALE_CHROMIUM ?? '/usr/bin/chromium'

/** The flags the reference gives for this closed network: without the background-networking ones, it hangs on connections. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--mute-audio',
]

export interface RenderResult {
  consoleErrors: string[]
  exceptions: string[]
  /** URLs of requests other than the file itself and data: URLs. */
  externalRequests: string[]
  screenshot: Buffer
  /** The document's title and body text length, to know the page rendered something. */
  title: string
  bodyTextLength: number
}

export async function renderInChromium(
  file: string,
  options: {width?: number; height?: number; timeoutMs?: number} = {},
): Promise<RenderResult> {
  const profile = mkdtempSync(join(tmpdir(), 'gpu-scale-chromium-'))
  const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const toBrowser = child.stdio[3] as Writable
  const fromBrowser = child.stdio[4] as Readable
  let nextId = 1
  const waiting = new Map<number, {resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void}>()
  const listeners: Array<(method: string, params: Record<string, unknown>, sessionId?: string) => void> = []
  let buffer = ''
  fromBrowser.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8')
    let end: number
    while ((end = buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffer.slice(0, end)) as {
        id?: number
        result?: Record<string, unknown>
        error?: {message: string}
        method?: string
        params?: Record<string, unknown>
        sessionId?: string
      }
      buffer = buffer.slice(end + 1)
      if (message.id !== undefined) {
        const w = waiting.get(message.id)
        waiting.delete(message.id)
        if (message.error) w?.reject(new Error(message.error.message))
        else w?.resolve(message.result ?? {})
      } else if (message.method) {
        for (const l of listeners) l(message.method, message.params ?? {}, message.sessionId)
      }
    }
  })
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`chromium exited with ${code}: ${stderr.slice(-2000)}`))),
  )
  const send = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> => {
    const id = nextId++
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => waiting.set(id, {resolve, reject}))
    toBrowser.write(JSON.stringify({id, method, params, ...(sessionId ? {sessionId} : {})}) + '\0')
    return Promise.race([reply, exited])
  }
  const timeout = options.timeoutMs ?? 20_000
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(
        () => reject(new Error(`chromium did not finish within ${timeout} ms: ${stderr.slice(-2000)}`)),
        timeout,
      )),
  )
  try {
    return await Promise.race([
      deadline,
      (async () => {
        const url = pathToFileURL(file).href
        const {targetId} = await send('Target.createTarget', {url: 'about:blank'})
        const {sessionId} = (await send('Target.attachToTarget', {targetId, flatten: true})) as {sessionId: string}
        const result = {consoleErrors: [] as string[], exceptions: [] as string[], externalRequests: [] as string[]}
        let loaded: () => void = () => {}
        const load = new Promise<void>((resolve) => (loaded = resolve))
        listeners.push((method, params, from) => {
          if (from !== sessionId) return
          if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) {
            result.consoleErrors.push(
              ((params.args as Array<{value?: unknown; description?: string}>) ?? [])
                .map((a) => String(a.value ?? a.description ?? ''))
                .join(' '),
            )
          } else if (method === 'Runtime.exceptionThrown') {
            const d = params.exceptionDetails as {text?: string; exception?: {description?: string}}
            result.exceptions.push(`${d.text ?? ''} ${d.exception?.description ?? ''}`.trim())
          } else if (method === 'Log.entryAdded') {
            const entry = params.entry as {level: string; text: string; url?: string}
            if (entry.level === 'error') result.consoleErrors.push(`${entry.text}${entry.url ? ` (${entry.url})` : ''}`)
          } else if (method === 'Network.requestWillBeSent') {
            const u = (params.request as {url: string}).url
            if (u !== url && !u.startsWith('data:') && u !== 'about:blank') result.externalRequests.push(u)
          } else if (method === 'Page.loadEventFired') {
            loaded()
          }
        })
        for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await send(`${domain}.enable`, {}, sessionId)
        await send(
          'Emulation.setDeviceMetricsOverride',
          {width: options.width ?? 1280, height: options.height ?? 2000, deviceScaleFactor: 1, mobile: false},
          sessionId,
        )
        await send('Page.navigate', {url}, sessionId)
        await load
        const evaluated = (await send(
          'Runtime.evaluate',
          {
            expression: 'JSON.stringify({title: document.title, text: document.body.innerText.length})',
            returnByValue: true,
          },
          sessionId,
        )) as {result: {value: string}}
        const page = JSON.parse(evaluated.result.value) as {title: string; text: number}
        const shot = (await send(
          'Page.captureScreenshot',
          {format: 'png', captureBeyondViewport: true},
          sessionId,
        )) as {data: string}
        await send('Browser.close').catch(() => undefined)
        await Promise.race([exited.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3000))])
        return {...result, screenshot: Buffer.from(shot.data, 'base64'), title: page.title, bodyTextLength: page.text}
      })(),
    ])
  } finally {
    clearTimeout(timer)
    exited.catch(() => undefined)
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(profile, {recursive: true, force: true})
  }
}
