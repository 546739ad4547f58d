import {ESLint} from 'eslint'
import {describe, expect, test} from 'vitest'

import {repoRoot} from '../helpers/cli.js'

// Lints one import line as if it sat in the given file, with the repository's own eslint.config.js: the folder
// arrows of STYLE.md hold only as long as a wrong-way import fails lint.
const eslint = new ESLint({cwd: repoRoot})

async function restrictedImportErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = imported\n`, {
    filePath: `${repoRoot}/${filePath}`,
  })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('folder arrows are enforced by lint', () => {
  test.each([
    {
      name: 'a node policy importing the planner',
      file: 'src/core/policy/nodes/fixture.ts',
      source: "import {planCluster as imported} from '../../planner/plan-cluster.js'",
      fails: true,
    },
    {
      name: 'the scheduling cluster importing a node policy',
      file: 'src/core/scheduling/fixture.ts',
      source: "import {planScaleUp as imported} from '../policy/nodes/scale-up.js'",
      fails: true,
    },
    {
      name: 'signals importing a replica policy',
      file: 'src/core/signals/fixture.ts',
      source: "import {recommendReplicas as imported} from '../policy/replicas/recommend.js'",
      fails: true,
    },
    {
      name: 'the HPA import translation importing the planner',
      file: 'src/core/import/fixture.ts',
      source: "import {planCluster as imported} from '../planner/plan-cluster.js'",
      fails: true,
    },
    {
      name: 'the HPA import translation importing the replica policy (its metric names)',
      file: 'src/core/import/fixture.ts',
      source: "import {RESOURCE_METRICS as imported} from '../policy/replicas/hpa-resource.js'",
      fails: false,
    },
    {
      name: 'mig importing the planner',
      file: 'src/core/mig/fixture.ts',
      source: "import {planCluster as imported} from '../planner/plan-cluster.js'",
      fails: true,
    },
    {
      name: 'the planner importing a view',
      file: 'src/core/planner/fixture.ts',
      source: "import {renderPlan as imported} from '../../views/plan.js'",
      fails: true,
    },
    {
      name: 'the core importing an adapter',
      file: 'src/core/config/fixture.ts',
      source: "import {loadConfigFile as imported} from '../../adapters/config-file.js'",
      fails: true,
    },
    {
      name: 'the core importing the file system',
      file: 'src/core/sim/fixture.ts',
      source: "import {readFileSync as imported} from 'node:fs'",
      fails: true,
    },
    {
      name: 'a node policy importing the scheduling cluster (downward: allowed)',
      file: 'src/core/policy/nodes/fixture.ts',
      source: "import {buildCluster as imported} from '../../scheduling/cluster.js'",
      fails: false,
    },
    {
      name: 'the planner importing a node policy (downward: allowed)',
      file: 'src/core/planner/fixture.ts',
      source: "import {planScaleUp as imported} from '../policy/nodes/scale-up.js'",
      fails: false,
    },
  ])('$name', async ({file, source, fails}) => {
    const errors = await restrictedImportErrors(file, source)
    expect(errors.length > 0).toBe(fails)
  })
})
