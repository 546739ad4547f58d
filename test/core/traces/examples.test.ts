import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {EXAMPLE_TRACES, exampleTraceLines, readTraceText} from '../../../src/core/traces/index.js'
import {repoRoot} from '../../helpers/cli.js'

describe('examples/traces', () => {
  test.each(EXAMPLE_TRACES)(
    '$file is what the generator makes (run `npm run examples:traces` after changing it)',
    (example) => {
      const committed = readFileSync(`${repoRoot}/examples/traces/${example.file}`, 'utf8')
      expect(committed).toBe(exampleTraceLines(example).join('\n') + '\n')
    },
  )

  test.each(EXAMPLE_TRACES)('$file is detected as $format, a few hundred rows, none bad', (example) => {
    const text = readFileSync(`${repoRoot}/examples/traces/${example.file}`, 'utf8')
    const {stats} = readTraceText(text, {file: example.file})
    expect(stats.format).toBe(example.format)
    expect(stats.badRows).toBe(0)
    expect(stats.rows).toBeGreaterThanOrEqual(150)
    expect(stats.rows).toBeLessThanOrEqual(600)
  })
})
