import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests spawn the built CLI or run oclif in-process; both want more than the 5 s default on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    // @oclif/test captures process.stdout; let console output reach it.
    disableConsoleIntercept: true,
  },
})
