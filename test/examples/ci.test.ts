/**
 * examples/ci/github-actions.yaml: the workflow is well formed, and every gpu-scale command in its steps runs, in
 * process, against this repository's examples with the exit codes the step's script expects. The workflow's
 * variables are bound to examples: CONFIG is examples/seed-production.yaml, SNAPSHOT a snapshot of the
 * seed-production twin 35 minutes in (what `gpu-scale snapshot` of that cluster would hold); the day-long
 * simulation runs 30 minutes here to keep the suite fast.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parse} from 'yaml'

import {encodeSnapshot} from '../../src/core/snapshot/codec.js'
import {snapshotScenarioMoment} from '../../src/services/simulate.js'
import {cli, repoRoot} from '../helpers/cli.js'

const WORKFLOW = join(repoRoot, 'examples/ci/github-actions.yaml')
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- a workflow document, read field by field */
const workflow: any = parse(readFileSync(WORKFLOW, 'utf8'))
const steps: Array<{name?: string; run?: string; uses?: string}> = workflow.jobs.gate.steps

/**
 * The gpu-scale commands of a step's script, as argv: each line that starts with `gpu-scale`, split as a shell would
 * (quotes, `$VAR` and `"${VAR}"` from `env`), up to the first operator or redirection.
 */
export function gpuScaleCommands(script: string, env: Record<string, string>): string[][] {
  const commands: string[][] = []
  for (const line of script.split('\n')) {
    if (!/^\s*gpu-scale\s/.test(line)) continue
    const words: string[] = []
    const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\|\||&&|>>|>|\||;)|([^\s'"|&;>]+)/g
    for (const m of line.trim().matchAll(pattern)) {
      if (m[3] !== undefined) break
      const expand = (text: string) =>
        text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
          const name = (a ?? b) as string
          if (!(name in env)) throw new Error(`unbound variable ${name} in: ${line.trim()}`)
          return env[name] as string
        })
      words.push(m[1] ?? expand(m[2] ?? m[4] ?? ''))
    }
    commands.push(words.slice(1))
  }
  return commands
}

describe('the workflow file', () => {
  test('runs on pull requests that touch the policy, in one job, with pinned actions', () => {
    expect(workflow.on.pull_request.paths).toContain('gpu-scale.yaml')
    expect(Object.keys(workflow.jobs)).toEqual(['gate'])
    for (const step of steps) if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/)
  })

  test('gates with validate --strict, plan --snapshot --detailed-exitcode and simulate --fail-if, in that order', () => {
    const commands = steps.flatMap((s) => (s.run ? gpuScaleCommands(s.run, workflow.env) : []))
    expect(commands.map((c) => c[0])).toEqual(['validate', 'plan', 'plan', 'simulate'])
    expect(commands[0]).toContain('--strict')
    expect(commands[1]).toEqual(expect.arrayContaining(['--snapshot', '--detailed-exitcode']))
    expect(commands[3]).toContain('--fail-if')
  })

  test('the shell splitter expands variables and stops at operators', () => {
    expect(
      gpuScaleCommands(`  gpu-scale plan -c "$CONFIG" --x '$KEPT' \${A}b || code=$?\nother`, {CONFIG: 'c d', A: 'a'}),
    ).toEqual([['plan', '-c', 'c d', '--x', '$KEPT', 'ab']])
  })
})

describe('the workflow commands run against the examples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-ci-'))
  const env = {
    ...workflow.env,
    CONFIG: 'examples/seed-production.yaml',
    SNAPSHOT: join(dir, 'production.json'),
  } as Record<string, string>
  beforeAll(async () => {
    const moment = await snapshotScenarioMoment('seed-production', '35m', env.CONFIG)
    writeFileSync(env.SNAPSHOT as string, JSON.stringify(encodeSnapshot(moment.snapshot)))
  }, 60_000)
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  /**
   * The exit codes each step's commands may give on the examples: validate passes (seed-production validates with no
   * warnings), plan gives 0 or 2 (the script turns 2 into "changes"), and simulate gives its gate's verdict, 0 or 3.
   * Never 1: no command of the workflow may fail on its own input.
   */
  const accepted: Record<string, number[]> = {
    'Validate the policy (warnings fail)': [0],
    'Plan against the captured cluster': [0, 2],
    'Simulate a day on the digital twin': [0, 3],
  }

  test.each(steps.filter((s) => s.run?.includes('gpu-scale ') && s.name !== undefined).map((s) => ({name: s.name, s})))(
    '$name',
    async ({s}) => {
      for (const args of gpuScaleCommands(s.run as string, env)) {
        const bound = args.map((a, i) =>
          args[i - 1] === '--out' ? join(dir, a) : args[i - 1] === '--for' && a === '24h' ? '30m' : a,
        )
        const result = await cli(bound)
        expect(accepted[s.name as string], `${bound.join(' ')}\n${result.stderr}`).toContain(result.exitCode)
      }
    },
    120_000,
  )
})
