import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests spawn the built CLI or run oclif in-process; both want more than the 5 s default on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    // One worker process runs every file instead of a fresh process per file: the per-file start-up (Node, the
    // vitest runtime, re-evaluating src/core, loading the oclif config) was most of the suite's time on these
    // 2-core machines. Safe because no test mocks modules or leaves globals changed (test/helpers/cli.ts restores
    // stdout, stderr and the environment it touches).
    isolate: false,
    // Three workers on two cores: the end-to-end files (a real Prometheus scraping, kubectl, chromium) spend most of
    // their time waiting on those processes, so they overlap with the CPU-bound files. Measured here: 145 s with
    // one worker, 71 s with three.
    maxWorkers: 3,
    // @oclif/test captures process.stdout; let console output reach it.
    disableConsoleIntercept: true,
  },
})
