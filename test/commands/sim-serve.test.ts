/**
 * `gpu-scale sim serve` as users run it: the built CLI in a child process, ready when it prints where the API is
 * (polled, never a fixed sleep), judged by kubectl, and stopped by signal with exit code 0.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, test} from 'vitest'

import {kubectl} from '../helpers/kubectl.js'
import {repoRoot} from '../helpers/cli.js'
import {waitFor} from '../helpers/twin.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
})

function serve(args: string[]): {
  child: ChildProcess
  out: () => string
  err: () => string
  exit: Promise<number | null>
} {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/run.js'), 'sim', 'serve', ...args], {
    env: {...process.env, NO_COLOR: '1'},
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {child, out: () => out, err: () => err, exit}
}

describe('gpu-scale sim serve', () => {
  test.each([
    {signal: 'SIGTERM' as const, why: 'how a container runtime stops it'},
    {signal: 'SIGINT' as const, why: 'Ctrl-C'},
  ])('serves kubectl on 127.0.0.1 and stops cleanly on $signal ($why)', async ({signal}) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-serve-'))
    dirs.push(dir)
    const kubeconfig = join(dir, 'twin.kubeconfig')
    const run = serve(['--port', '0', '--kubeconfig-out', kubeconfig, '-o', 'json'])
    try {
      const info = await waitFor(
        'the ready line',
        () => {
          try {
            return JSON.parse(run.out()) as {api: string; kubeconfig: string}
          } catch {
            return undefined
          }
        },
        30_000,
      )
      expect(info.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(info.kubeconfig).toBe(kubeconfig)
      expect(readFileSync(kubeconfig, 'utf8')).toContain('insecure-skip-tls-verify: true')
      const nodes = await kubectl(['get', 'nodes', '-o', 'name'], {kubeconfig, cacheDir: join(dir, 'cache')})
      expect(nodes.stdout.trim().split('\n')).toHaveLength(12)
    } finally {
      run.child.kill(signal)
    }
    expect(await run.exit).toBe(0)
    expect(run.err()).toContain(`${signal}: stopping the twin API server`)
  })

  test('--scenario by name and --speed: the twin of examples/scenarios/burst.yaml, with its exporters in the targets file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-serve-'))
    dirs.push(dir)
    const run = serve([
      '--scenario',
      'burst',
      '--speed',
      '60',
      '--kubeconfig-out',
      join(dir, 'twin.kubeconfig'),
      '-o',
      'json',
    ])
    try {
      const info = await waitFor(
        'the ready line',
        () => {
          try {
            return JSON.parse(run.out()) as {scenario: string; speed: number; metricsTargets: string}
          } catch {
            return undefined
          }
        },
        30_000,
      )
      expect(info).toMatchObject({scenario: 'burst', speed: 60, metricsTargets: join(dir, 'twin.targets.json')})
      const targets = JSON.parse(readFileSync(info.metricsTargets, 'utf8')) as Array<{labels: Record<string, string>}>
      expect(
        targets.some(
          (t) => t.labels.job === 'dcgm-exporter' && t.labels.__metrics_path__?.startsWith('/_twin/metrics/node/'),
        ),
      ).toBe(true)
    } finally {
      run.child.kill('SIGTERM')
    }
    expect(await run.exit).toBe(0)
  })

  test('an unknown scenario name is a user error listing the shipped ones', async () => {
    const run = serve(['--scenario', 'no-such-scenario'])
    expect(await run.exit).toBe(1)
    expect(run.err()).toContain('no scenario named "no-such-scenario"')
    expect(run.err()).toContain('spot-storm')
  })

  test('a port already in use is a user error with a hint, exit 1', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as {port: number}).port
    try {
      const run = serve(['--port', String(port)])
      expect(await run.exit).toBe(1)
      expect(run.err()).toContain(`error: cannot listen on 127.0.0.1:${port}: EADDRINUSE`)
      expect(run.err()).toContain('hint: pick another --port')
    } finally {
      blocker.close()
    }
  })
})
