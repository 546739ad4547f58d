/**
 * `analyze` on the default simulated fleet and on hand-built evidence: every model gets a classification with
 * evidence and a signal to scale on, and the memory-bandwidth-bound model is named as such.
 */
import {describe, expect, test} from 'vitest'

import {analyzeCluster} from '../../../src/core/analyze/analyze-cluster.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'

describe('analyzeCluster on the default scenario', () => {
  const {config, snapshot} = defaultScenario()
  const result = analyzeCluster(config, snapshot)

  test('classifies every model of the scenario', () => {
    expect(result.models.map((m) => m.model).sort()).toEqual(config.models.map((m) => m.name).sort())
    for (const m of result.models) {
      expect(m.classification).not.toBe('unknown')
      expect(Object.keys(m.evidence).length).toBeGreaterThan(0)
    }
  })

  test('flags embed-bge as memory-bandwidth bound and says to scale on latency or queue', () => {
    const embed = result.models.find((m) => m.model === 'embed-bge')
    expect(embed?.classification).toBe('memory-bandwidth-bound')
    expect(embed?.message).toMatch(/GPU util \d+% but DRAM active \d+%: memory-bandwidth bound/)
    expect(embed?.recommendation.metric).toMatch(/e2e_request_latency|num_requests_waiting/)
    expect(embed?.replicas.unreliableSignals).toContain('gpu-util')
    expect(embed?.gpus.length).toBeGreaterThan(0)
    expect(embed?.gpus.every((g) => g.migProfile !== null)).toBe(true)
  })

  test('is deterministic', () => {
    expect(JSON.stringify(analyzeCluster(config, snapshot))).toBe(JSON.stringify(result))
  })
})
