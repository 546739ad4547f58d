import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {DEFAULT_MIG_PARTED_CONFIG_TEXT, defaultMigPartedConfig} from '../../../src/core/mig/index.js'
import {repoRoot} from '../../helpers/cli.js'

describe('the embedded default mig-parted config', () => {
  test('is the example file without its header (one source of truth for both)', () => {
    const file = readFileSync(`${repoRoot}/examples/mig-parted/default-mig-parted-config.yaml`, 'utf8')
    expect(file.slice(file.indexOf('version: v1'))).toBe(DEFAULT_MIG_PARTED_CONFIG_TEXT)
  })

  test('parses and names the configs node groups refer to', () => {
    const names = defaultMigPartedConfig().configs.map((c) => c.name)
    for (const name of ['all-disabled', 'all-balanced', 'all-3g.40gb', 'all-1g.10gb', 'all-2g.12gb'])
      expect(names).toContain(name)
  })
})
