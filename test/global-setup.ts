// CLI tests run the compiled commands in dist/ (as users do), so build once before the suite.
import {execFileSync} from 'node:child_process'

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
}
