/** `gpu-scale snapshot`: --sim captures the built-in cluster losslessly; flag combinations that cannot work say so. */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'

import {defaultScenario} from '../../src/core/sim/default-scenario.js'
import {parseSnapshot} from '../../src/core/snapshot/parse.js'
import {cli} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-snapshot-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('snapshot --sim', () => {
  test.each([
    {why: 'JSON by default', file: 'sim.json'},
    {why: 'YAML by the extension', file: 'sim.yaml'},
  ])('writes the built-in cluster, read back equal ($why)', async ({file}) => {
    const out = join(dir, file)
    const result = await cli(['snapshot', '--sim', '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain(`snapshot saved to ${out}`)
    expect(parseSnapshot(readFileSync(out, 'utf8'), out)).toEqual(defaultScenario().snapshot)
  })
})

describe('usage errors: exit 1 with what to do', () => {
  test.each([
    {
      why: '--out is required (-o is the output format)',
      args: ['snapshot', '--sim'],
      message: /Missing required flag out/,
    },
    {
      why: '--sim with a live flag',
      args: ['snapshot', '--sim', '--prometheus', 'http://x', '--out', join(dir, 'x.json')],
      message: /--sim captures the built-in simulated cluster; it takes no --kubeconfig/,
    },
    {
      why: 'plan with a live flag and --snapshot',
      args: [
        'plan',
        '-c',
        'examples/seed-production.yaml',
        '--kubeconfig',
        'examples/seed-production.yaml',
        '--snapshot',
        'x.json',
      ],
      message: /--snapshot plans without a cluster/,
    },
    {
      why: 'a malformed --prometheus-timeout',
      args: ['snapshot', '--sim', '--prometheus-timeout', 'soon', '--out', join(dir, 'x.json')],
      message: /--prometheus-timeout soon is not a duration/,
    },
    {
      why: 'a directory that does not exist',
      args: ['snapshot', '--sim', '--out', join(dir, 'no', 'such', 'x.json')],
      message: /cannot write the snapshot to .*: no such directory/,
    },
  ])('$why', async ({args, message}) => {
    const result = await cli(args)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(message)
  })
})
