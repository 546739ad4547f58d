/**
 * Faults written in a scenario file are injected by the bound twin at their exact virtual instant, as the control
 * endpoint would inject them then.
 */
import {readFileSync} from 'node:fs'
import {expect, test} from 'vitest'

import {resourceByKind} from '../../../src/core/kube-store/index.js'
import {parseScenario} from '../../../src/core/twin/index.js'
import {builtinTwinScenario, createBoundTwin} from '../../../src/core/twin-serve/index.js'

test("a scenario file's faults section parses, in time order", () => {
  const text =
    readFileSync(new URL('../../../examples/scenarios/spot-storm.yaml', import.meta.url), 'utf8') +
    '\nfaults:\n  - {at: 10m, type: metrics, mode: nan, metric: "vllm:num_requests_waiting"}\n  - {at: 2m, type: mig-stuck, node: gpu-001}\n'
  const {scenario, problems} = parseScenario(text, 'spot-storm.yaml')
  expect(problems.filter((p) => p.severity === 'error')).toEqual([])
  expect(scenario?.faults).toEqual([
    {atSeconds: 120, type: 'mig-stuck', node: 'gpu-001'},
    {atSeconds: 600, type: 'metrics', mode: 'nan', metric: 'vllm:num_requests_waiting'},
  ])
})

test.each([
  {
    name: 'a spot interruption at 5 min cordons large-001 then, not before',
    fault: {atSeconds: 300, type: 'spot-interruption' as const, node: 'large-001'},
    check: (b: ReturnType<typeof createBoundTwin>) =>
      b.store.get(resourceByKind('Node'), undefined, 'large-001')?.spec.unschedulable === true,
  },
  {
    name: 'metrics NaN at 5 min',
    fault: {atSeconds: 300, type: 'metrics' as const, mode: 'nan' as const, metric: 'DCGM_FI_DEV_GPU_UTIL'},
    check: (b: ReturnType<typeof createBoundTwin>) => / NaN$/m.test(b.metrics('node/standard-001') ?? ''),
  },
])('$name', ({fault, check}) => {
  const bound = createBoundTwin({...builtinTwinScenario(), faults: [fault]})
  const start = bound.scenario.options.start
  bound.advance(start + 299)
  expect(check(bound)).toBe(false)
  bound.advance(start + 300)
  expect(check(bound)).toBe(true)
})
