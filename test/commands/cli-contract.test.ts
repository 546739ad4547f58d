/**
 * The CLI as a contract for people and scripts: typos get a suggestion and exit 1 (never 2, which
 * `plan --detailed-exitcode` reserves for "the plan has changes"), `help`, `version` and completion exist, and each
 * command's --help lists exactly the exit codes it can return and mentions only commands that exist.
 */
import {describe, expect, test} from 'vitest'

import {cli, cliProcess} from '../helpers/cli.js'

// Started at load so the child runs beside the in-process tests (see cliProcess).
const typoInShell = cliProcess(['plna', '--sim', '--detailed-exitcode'])

describe('unknown commands', () => {
  test.each([
    {why: 'a swapped pair of letters in a command', args: ['plna'], suggests: 'gpu-scale plan'},
    {why: 'a missing letter in a topic command', args: ['mig', 'chek'], suggests: 'gpu-scale mig check'},
    {why: 'a doubled letter', args: ['anallyze', '--sim'], suggests: 'gpu-scale analyze'},
    {why: 'help about a mistyped command', args: ['help', 'plna'], suggests: 'gpu-scale plan'},
    {why: '--help of a mistyped command', args: ['plna', '--help'], suggests: 'gpu-scale plan'},
    {why: 'help about a mistyped topic command', args: ['help', 'mig', 'chek'], suggests: 'gpu-scale mig check'},
  ])('$why: suggests the command and exits 1', async ({args, suggests}) => {
    const {stderr, stdout, exitCode} = await cli(args)
    expect(exitCode).toBe(1)
    expect(stderr).toContain(`did you mean \`${suggests}\`?`)
    expect(stdout).toBe('')
  })

  test('a word far from every command gets no guess, only the pointer to help', async () => {
    const {stderr, exitCode} = await cli(['frobnicate'])
    expect(exitCode).toBe(1)
    expect(stderr).not.toContain('did you mean')
    expect(stderr).toContain('gpu-scale help')
  })
})

describe('help, version and completion', () => {
  test.each([
    {
      why: '`help` lists the commands and the mig topic',
      args: ['help'],
      shows: [/COMMANDS[\s\S]*plan[\s\S]*validate/, /TOPICS[\s\S]*mig/],
    },
    {
      why: "`help COMMAND` is that command's --help",
      args: ['help', 'plan'],
      shows: [/--detailed-exitcode/, /EXIT CODES/],
    },
    {
      why: '`help mig check` reaches a topic command',
      args: ['help', 'mig', 'check'],
      shows: [/mig check/, /EXIT CODES/],
    },
    {why: '`version` prints name and version', args: ['version'], shows: [/^gpu-scale\/\d+\.\d+\.\d+ /]},
    {why: '`--version` prints the same', args: ['--version'], shows: [/^gpu-scale\/\d+\.\d+\.\d+ /]},
    // `autocomplete bash` itself would write its cache under the user's home; its help is enough to show it exists.
    {
      why: '`help autocomplete` shows shell completion',
      args: ['help', 'autocomplete'],
      shows: [/zsh\|bash\|powershell/],
    },
  ])('$why (exit 0)', async ({args, shows}) => {
    const {stdout, stderr, exitCode} = await cli(args)
    expect(exitCode, stderr).toBe(0)
    for (const pattern of shows) expect(stdout).toMatch(pattern)
  })
})

describe('each command --help lists only the exit codes it returns', () => {
  test.each([
    {command: ['plan'], codes: [0, 1, 2], why: '2 only with --detailed-exitcode'},
    {command: ['analyze'], codes: [0, 1], why: 'no gate, no changes'},
    {command: ['validate'], codes: [0, 1, 3], why: '3 with --strict on warnings'},
    {command: ['mig', 'check'], codes: [0, 1, 3], why: '3 when a layout is invalid'},
    {command: ['mig', 'gpus'], codes: [0, 1], why: 'a listing'},
    {command: ['mig', 'profiles'], codes: [0, 1], why: 'a listing'},
    {command: ['mig', 'layouts'], codes: [0, 1], why: 'a listing'},
    {command: ['snapshot'], codes: [0, 1], why: 'saved, or an unreachable cluster'},
  ])('$command.0 $command.1: $codes ($why)', async ({command, codes}) => {
    const {stdout, stderr, exitCode} = await cli([...command, '--help'])
    expect(exitCode, stderr).toBe(0)
    const section = stdout.slice(stdout.indexOf('EXIT CODES'))
    const listed = [...section.matchAll(/^\s+(\d)\s{2}/gm)].map((m) => Number(m[1]))
    expect(listed).toEqual(codes)
  })

  test.each([
    {command: ['plan']},
    {command: ['analyze']},
    {command: ['validate']},
    {command: ['mig', 'check']},
    {command: ['mig', 'gpus']},
    {command: ['mig', 'profiles']},
    {command: ['mig', 'layouts']},
    {command: ['snapshot']},
  ])('$command.0 $command.1 --help mentions no command that does not exist yet', async ({command}) => {
    const {stdout} = await cli([...command, '--help'])
    expect(stdout).not.toMatch(/\b(simulate|apply|import hpa)\b/)
  })
})

// Last, so the child started at load ran beside every test above.
describe('the typo as a shell sees it', () => {
  test('a typo reaches a shell as exit 1, with the suggestion on stderr (real process, not a TTY)', async () => {
    const result = await typoInShell
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe(
      'error: `plna` is not a gpu-scale command; did you mean `gpu-scale plan`?\nhint: see `gpu-scale help` for the list of commands\n',
    )
    expect(result.stdout).toBe('')
  })
})
