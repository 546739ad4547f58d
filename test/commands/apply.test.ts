/**
 * `gpu-scale apply` as a CLI contract against `sim serve`: -o json prints exactly the typed result, progress goes to
 * stderr as plain lines without a TTY, exit codes 0/1/4 as documented, bad flags are one-line errors. One test
 * spawns the real binary (the exit status and pipes a shell sees); the rest run in process.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {cli, cliProcess} from '../helpers/cli.js'
import {growGroup, replicas, startApplyTwin, type ApplyTwin} from '../services/apply-helpers.js'

let twin: ApplyTwin

beforeAll(async () => {
  twin = await startApplyTwin()
}, 60_000)

afterAll(async () => {
  await twin?.close()
})

const apply = (...args: string[]) =>
  cli(['apply', '-c', twin.config, '--kubeconfig', twin.serve.info.kubeconfig, '-n', 'default', ...args])

describe('gpu-scale apply', () => {
  test('-o json prints exactly the typed result; steps go to stderr as plain lines; exit 0', async () => {
    const plan = twin.savePlan([replicas('llama-8b', 2, 3), growGroup('standard', 3, 4)])
    const {stdout, stderr, exitCode} = await apply('--plan', plan, '-o', 'json')
    expect(exitCode, stderr).toBe(0)
    const result = JSON.parse(stdout) as {kind: string; exitCode: number; changes: Array<{id: string; status: string}>}
    expect(result).toMatchObject({kind: 'ApplyResult', exitCode: 0})
    expect(result.changes.map((c) => [c.id, c.status])).toEqual([
      ['pod:llm/llama-8b', 'applied'],
      ['node:standard', 'applied'],
    ])
    expect(stderr).toMatch(/^apply: pod:llm\/llama-8b: applied$/m)
  })

  test('the table names each change, its status and why it was not applied; a refusal exits 4', async () => {
    const plan = twin.savePlan([replicas('whisper-small', 3, 2)])
    const {stdout, exitCode} = await apply('--plan', plan)
    expect(exitCode).toBe(4)
    expect(stdout).toContain('pod:llm/whisper-small')
    expect(stdout).toContain('skipped')
    expect(stdout).toContain('--allow-scale-down')
    expect(stdout).toContain('refused (exit 4)')
  })

  test('a change that fails exits 1 and says a rerun finishes', async () => {
    const plan = twin.savePlan([growGroup('mig-pool', 2, 3)])
    const {stdout, exitCode} = await apply('--plan', plan)
    expect(exitCode).toBe(1)
    expect(stdout).toContain('has no actuator')
  })

  test.each([
    {
      why: 'a malformed --mig-timeout',
      args: ['--mig-timeout', 'soon'],
      says: 'error: --mig-timeout soon is not a duration',
    },
    {why: 'a missing plan file', args: ['--plan', '/nonexistent/plan.json'], says: 'plan file not found'},
    {why: 'a file that is not a plan', args: ['--plan', 'NOT_A_PLAN'], says: 'not a gpu-scale plan'},
    {why: 'an unknown --hpa-mode', args: ['--hpa-mode', 'ignore'], says: 'error: Expected --hpa-mode=ignore'},
  ])('$why: one line on stderr, exit 1, nothing on stdout', async ({args, says}) => {
    const notPlan = join(twin.dir, 'not-a-plan.json')
    writeFileSync(notPlan, '{"kind": "Snapshot"}')
    const {stdout, stderr, exitCode} = await apply(...args.map((a) => (a === 'NOT_A_PLAN' ? notPlan : a)))
    expect(exitCode).toBe(1)
    expect(stderr).toContain(says)
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(stdout).toBe('')
  })

  test('--help lists exactly the exit codes apply returns (0, 1, 4) and the consent flags', async () => {
    const {stdout, exitCode} = await cli(['apply', '--help'])
    expect(exitCode).toBe(0)
    const codes = [...stdout.slice(stdout.indexOf('EXIT CODES')).matchAll(/^\s+(\d)\s/gm)].map((m) => Number(m[1]))
    expect(codes).toEqual([0, 1, 4])
    for (const flag of [
      '--yes',
      '--allow-scale-down',
      '--allow-mig-reconfig',
      '--replan',
      '--hpa-mode',
      '--mig-timeout',
      '--plan',
    ])
      expect(stdout).toContain(flag)
  })

  test('the process contract: a refused plan exits 4 in a shell, stdout is only the JSON result', async () => {
    const plan = twin.savePlan([replicas('embed-bge', 2, 1)])
    const {stdout, stderr, exitCode} = await cliProcess([
      'apply',
      '-c',
      twin.config,
      '--plan',
      plan,
      '--kubeconfig',
      twin.serve.info.kubeconfig,
      '-o',
      'json',
    ])
    expect(exitCode, stderr).toBe(4)
    expect(JSON.parse(stdout)).toMatchObject({exitCode: 4, changes: [{id: 'pod:llm/embed-bge', status: 'skipped'}]})
    expect(stderr).toContain('apply: pod:llm/embed-bge: skipped')
  })
})
