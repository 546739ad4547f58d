// Writes schemas/*.json from the TypeScript schemas in src/core, the single source of truth.
// `npm run schemas` runs it; test/schemas.test.ts fails when the committed files are out of date.
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {renderSchema, SCHEMAS} from '../src/core/schemas.js'

const dir = fileURLToPath(new URL('../../schemas/', import.meta.url))
for (const [name, schema] of Object.entries(SCHEMAS)) {
  writeFileSync(dir + name, renderSchema(schema))
  console.log(`wrote schemas/${name}`)
}
