import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import {MAX_INPUT_BYTES_ENV, readInputFile, resolveMaxInputBytes} from '../../src/adapters/read-input.js'
import {UserError} from '../../src/core/errors.js'
import {DEFAULT_MAX_INPUT_BYTES} from '../../src/core/input/limits.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-read-'))
const file = join(dir, 'snapshot.json')
writeFileSync(file, '{"x": "' + 'a'.repeat(1000) + '"}')
const described = {what: 'snapshot file', hint: 'pass a snapshot'}

describe('input size limit', () => {
  test.each([
    {
      name: 'unset: the default, over three times the 18.7 MB benchmark snapshot',
      env: {},
      expected: DEFAULT_MAX_INPUT_BYTES,
    },
    {name: 'raised for a large fleet', env: {[MAX_INPUT_BYTES_ENV]: '200000000'}, expected: 200_000_000},
    {name: 'empty counts as unset', env: {[MAX_INPUT_BYTES_ENV]: ' '}, expected: DEFAULT_MAX_INPUT_BYTES},
  ])('$name', ({env, expected}) => {
    expect(resolveMaxInputBytes(env)).toBe(expected)
    expect(DEFAULT_MAX_INPUT_BYTES).toBeGreaterThan(3 * 18.7e6)
  })

  test.each([
    {name: 'a size that is not a number', value: '64MB'},
    {name: 'a negative size', value: '-1'},
    {name: 'zero', value: '0'},
  ])('$name in the setting is a user error naming the variable', ({value}) => {
    expect(() => resolveMaxInputBytes({[MAX_INPUT_BYTES_ENV]: value})).toThrow(new RegExp(`${MAX_INPUT_BYTES_ENV}=`))
  })

  test('a file within the limit is read whole', async () => {
    expect((await readInputFile(file, described, 2000)).length).toBe(1009)
  })

  test('a file over the limit is one clear error naming the file, the limit and the setting', async () => {
    const error = await readInputFile(file, described, 100).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).message).toBe('snapshot file is larger than the 100 bytes input limit')
    expect((error as UserError).hint).toContain(`${MAX_INPUT_BYTES_ENV}=200`)
    expect((error as UserError).location?.file).toBe(file)
  })

  test('a missing file is a user error, not a stack trace', async () => {
    await expect(readInputFile(join(dir, 'nope.json'), described)).rejects.toThrow(/snapshot file not found/)
  })
})
