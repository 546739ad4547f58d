// CLI tests run the compiled commands in dist/ (as users do), so build once before the suite. The build is
// incremental (tsconfig.build.json keeps dist/.tsbuildinfo), so an unchanged tree costs about a second instead
// of a full compile; tsc is run directly because npx adds its own start-up on every run.
import {execFileSync} from 'node:child_process'
import {createRequire} from 'node:module'

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
}
