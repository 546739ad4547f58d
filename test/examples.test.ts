/**
 * examples/snapshots/ holds, per example scenario, the config and snapshot a user can plan with
 * `gpu-scale plan -c <name>.config.yaml --snapshot <name>.snapshot.json`, and test/golden/plans/ the JSON plan
 * each must give. The files are read the way the CLI reads them (parseConfig, parseSnapshot). Refresh with
 * `UPDATE_GOLDEN=1 npx vitest run test/examples.test.ts` and review the diff.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {stringify} from 'yaml'

import {parseConfig} from '../src/core/config/load.js'
import {planCluster} from '../src/core/planner/plan-cluster.js'
import {EXAMPLE_SCENARIOS} from '../src/core/sim/example-scenarios.js'
import {encodeSnapshot} from '../src/core/snapshot/codec.js'
import {parseSnapshot} from '../src/core/snapshot/parse.js'
import {renderJson} from '../src/views/output.js'
import {repoRoot} from './helpers/cli.js'

const update = process.env.UPDATE_GOLDEN !== undefined

describe('examples/snapshots plan as their golden JSON plans', () => {
  test.each(Object.keys(EXAMPLE_SCENARIOS))('%s', (name) => {
    const builder = (EXAMPLE_SCENARIOS[name] as () => ReturnType<(typeof EXAMPLE_SCENARIOS)[string]>)()
    const configPath = `${repoRoot}/examples/snapshots/${name}.config.yaml`
    const snapshotPath = `${repoRoot}/examples/snapshots/${name}.snapshot.json`
    const goldenPath = `${repoRoot}/test/golden/plans/${name}.plan.json`
    if (update) {
      writeFileSync(
        configPath,
        `# gpu-scale plan -c examples/snapshots/${name}.config.yaml --snapshot examples/snapshots/${name}.snapshot.json\n${stringify(builder.rawConfig())}`,
      )
      writeFileSync(snapshotPath, JSON.stringify(encodeSnapshot(builder.build().snapshot)) + '\n')
    }
    const {config, problems} = parseConfig(readFileSync(configPath, 'utf8'), configPath)
    expect(problems.filter((p) => p.severity === 'error')).toEqual([])
    const snapshot = parseSnapshot(readFileSync(snapshotPath, 'utf8'), snapshotPath)
    const plan = renderJson(planCluster({config: config as NonNullable<typeof config>, snapshot}))
    if (update) writeFileSync(goldenPath, plan)
    expect(plan).toBe(readFileSync(goldenPath, 'utf8'))
  })
})
