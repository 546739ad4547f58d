/**
 * The CLI-side layer arrows hold because lint enforces them (eslint.config.js): a wrong-way import fails lint.
 * Each row is one arrow, linted as if the file lived in that folder.
 */
import {ESLint} from 'eslint'
import {describe, expect, test} from 'vitest'

import {repoRoot} from '../helpers/cli.js'

const eslint = new ESLint({cwd: repoRoot})

async function restrictedImports(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, {filePath})
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length
}

describe('layer arrows outside src/core', () => {
  test.each([
    {
      why: 'a command calling the planner',
      file: 'src/commands/x.ts',
      code: "import {planCluster} from '../core/planner/plan-cluster.js'\nexport const x = planCluster\n",
      errors: 1,
    },
    {
      why: 'a command reading a file itself',
      file: 'src/commands/x.ts',
      code: "import {readFile} from 'node:fs/promises'\nexport const x = readFile\n",
      errors: 1,
    },
    {
      why: 'a command calling an adapter',
      file: 'src/commands/x.ts',
      code: "import {writePlanFile} from '../adapters/plan-file.js'\nexport const x = writePlanFile\n",
      errors: 1,
    },
    {
      why: 'an adapter importing a view',
      file: 'src/adapters/x.ts',
      code: "import {renderJson} from '../views/output.js'\nexport const x = renderJson\n",
      errors: 1,
    },
    {
      why: 'a service importing a view',
      file: 'src/services/x.ts',
      code: "import {renderPlan} from '../views/plan.js'\nexport const x = renderPlan\n",
      errors: 1,
    },
    {
      why: 'a view importing a service',
      file: 'src/views/x.ts',
      code: "import {createPlan} from '../services/plan.js'\nexport const x = createPlan\n",
      errors: 1,
    },
    {
      why: 'a command calling a service and a view is the intended way',
      file: 'src/commands/x.ts',
      code: "import {createPlan} from '../services/plan.js'\nimport {renderPlan} from '../views/plan.js'\nexport const x = [createPlan, renderPlan]\n",
      errors: 0,
    },
    {
      why: 'a service composing an adapter and the core is the intended way',
      file: 'src/services/x.ts',
      code: "import {writePlanFile} from '../adapters/plan-file.js'\nimport {planCluster} from '../core/planner/plan-cluster.js'\nexport const x = [writePlanFile, planCluster]\n",
      errors: 0,
    },
  ])('$why: $errors error(s)', async ({file, code, errors}) => {
    expect(await restrictedImports(file, code)).toBe(errors)
  })
})
