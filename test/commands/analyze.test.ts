/** `gpu-scale analyze` as a shell sees it: the typed result on stdout with -o json, a table by default. */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import type {AnalysisResult} from '../../src/core/analyze/analyze-cluster.js'
import {cli, repoRoot} from '../helpers/cli.js'

describe('gpu-scale analyze', () => {
  test('--sim -o json classifies every model and flags the memory-bandwidth-bound one', async () => {
    const {stdout, exitCode} = await cli(['analyze', '--sim', '-o', 'json'])
    expect(exitCode).toBe(0)
    const result = JSON.parse(stdout) as AnalysisResult
    expect(result.kind).toBe('Analysis')
    expect(result.models.length).toBeGreaterThanOrEqual(3)
    for (const m of result.models) expect(m.classification).not.toBe('unknown')
    const embed = result.models.find((m) => m.model === 'embed-bge')
    expect(embed?.classification).toBe('memory-bandwidth-bound')
    expect(embed?.evidence.dramActive).toBeGreaterThan(0.6)
  })

  test('prints the table the golden file holds by default', async () => {
    const {stdout, exitCode} = await cli(['analyze', '--sim'])
    expect(exitCode).toBe(0)
    expect(stdout).toContain('memory-bandwidth-bound')
    const golden = join(repoRoot, 'test/golden/analyze-sim.txt')
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, stdout)
    expect(stdout).toBe(readFileSync(golden, 'utf8'))
  })

  test('without --snapshot or --sim it fails with a hint', async () => {
    const {stderr, exitCode} = await cli([
      'analyze',
      '--snapshot',
      '/nonexistent/snapshot.json',
      '-c',
      '/nonexistent/cfg.yaml',
    ])
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/error:/)
  })
})
