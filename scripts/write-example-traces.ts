// Writes examples/traces/* from src/core/traces/examples.ts (our seeded generator; no third-party data).
// `npm run examples:traces` runs it; test/core/traces/examples.test.ts fails when the committed files are stale.
import {mkdirSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {EXAMPLE_TRACES, exampleTraceLines} from '../src/core/traces/examples.js'

const dir = fileURLToPath(new URL('../../examples/traces/', import.meta.url))
mkdirSync(dir, {recursive: true})
for (const example of EXAMPLE_TRACES) {
  const lines = exampleTraceLines(example)
  writeFileSync(dir + example.file, lines.join('\n') + '\n')
  console.log(
    `wrote examples/traces/${example.file} (${example.format}, ${lines.length} lines): ${example.description}`,
  )
}
