// Runs every compiled benchmark (dist/bench/*.js) in its own process, one after another, so each measures its
// own time and peak memory. `npm run bench` builds first.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const dir = fileURLToPath(new URL('../dist/bench/', import.meta.url))
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.js'))
  .sort()
let failed = 0
for (const file of benches) {
  console.log(`\n== ${file.replace(/\.js$/, '')}`)
  const result = spawnSync(process.execPath, ['--expose-gc', dir + file], {stdio: 'inherit'})
  if (result.status !== 0) failed++
}
if (failed > 0) {
  console.error(`${failed} benchmark(s) failed their targets`)
  process.exit(1)
}
