// Lint runs inside `npm test`. Beyond the recommended rules it enforces the one architectural rule
// that matters most: src/core stays pure (no I/O, no UI, no wall clock), so plans are reproducible.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = [
  '@kubernetes/client-node',
  'fs',
  'fs/promises',
  'node:fs',
  'node:fs/promises',
  'http',
  'https',
  'node:http',
  'node:https',
  'net',
  'node:net',
  'child_process',
  'node:child_process',
  'ora',
  'cli-table3',
  '@oclif/core',
]

// Which folders each core folder must never import. Order, top to bottom: planner → policy → scheduling → mig →
// signals → model. The planner coordinates the layers; a policy that imported it would close a cycle.
const FOLDER_ARROWS = [
  {folder: 'policy', forbidden: ['planner', 'sim', 'config']},
  {folder: 'scheduling', forbidden: ['planner', 'policy', 'sim', 'config']},
  {folder: 'mig', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config']},
  {folder: 'signals', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config']},
  {
    folder: 'model',
    forbidden: [
      'planner',
      'policy',
      'scheduling',
      'mig',
      'signals',
      'sim',
      'config',
      'twin',
      'kube-store',
      'traces',
      'oracle',
    ],
  },
  // The twin is the world the planner acts on, not a part of it: it never imports the planner or the policies
  // (the closed loop that calls both lives above them). The Kubernetes object store and trace reading sit below.
  {folder: 'twin', forbidden: ['planner', 'policy', 'sim', 'kube-store', 'apply', 'loop']},
  // The twin bound to the Kubernetes object store (what `sim serve` runs): the world side, like the twin.
  {folder: 'twin-serve', forbidden: ['planner', 'policy', 'apply', 'loop']},
  // The executor acts on typed changes through the ports: it never plans, and it knows no particular world.
  {
    folder: 'apply',
    forbidden: [
      'planner',
      'policy',
      'scheduling',
      'mig',
      'signals',
      'sim',
      'config',
      'twin',
      'twin-serve',
      'kube-store',
      'traces',
      'oracle',
      'loop',
    ],
  },
  // The closed loop sits above the planner, the executor and the twin and wires them; nothing below imports it.
  {folder: 'loop', forbidden: ['sim', 'kube-store']},
  {folder: 'kube-store', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config', 'twin', 'traces', 'oracle']},
  {folder: 'traces', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config', 'twin', 'kube-store', 'oracle']},
  {folder: 'oracle', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config', 'twin', 'kube-store']},
  // Translating an HPA or ScaledObject reads the config's input rules and the replica policy's names; it never plans
  // and knows no world.
  {
    folder: 'import',
    forbidden: [
      'planner',
      'scheduling',
      'mig',
      'sim',
      'twin',
      'twin-serve',
      'kube-store',
      'apply',
      'loop',
      'traces',
      'oracle',
    ],
  },
]

/** src/core never imports the outer rings (I/O, UI, oclif), nor any module that does I/O. */
const OUTER_RINGS = ['adapters', 'commands', 'views', 'services', 'cli']

function restrictImports(patterns) {
  return {
    paths: ioModules.map((name) => ({name, message: 'src/core is pure: do I/O in src/adapters, UI in src/views.'})),
    patterns: [
      ...OUTER_RINGS.map((ring) => ({
        regex: `^(\\.\\./)+${ring}/`,
        message: `src/core never imports src/${ring}: the core is pure and knows nothing of its callers.`,
      })),
      ...patterns,
    ],
  }
}

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', {null: 'ignore'}],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', restrictImports([])],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Use the injected Clock.',
        },
        {selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected Clock.'},
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use a seeded RNG.',
        },
        {
          selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']",
          message: 'Use the injected Clock.',
        },
        {
          selector: "MemberExpression[object.name='process']",
          message: 'src/core does not read the process environment.',
        },
      ],
    },
  },
  // Layer arrows outside src/core (the CLI side). Kept in its own block so the core-internal arrows merge apart.
  // Commands parse flags, call a service and choose a view: never the planner or policies, never an adapter or
  // the file system. Adapters turn the world into text and errors: never a view, command, service or the CLI.
  // Services compose adapters and core and return data: never a view or command (the command chooses the view).
  {
    files: ['src/commands/**/*.ts', 'src/cli/**/*.ts', 'src/hooks/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'fs/promises', 'node:fs', 'node:fs/promises'].map((name) => ({
            name,
            message: 'Commands do no file I/O: call a service (src/services), which calls an adapter.',
          })),
          patterns: [
            {
              group: ['**/core/planner/**', '**/core/policy/**', '**/core/scheduling/**'],
              message: 'Commands call a service (src/services), not the planner or policies.',
            },
            {
              group: ['**/adapters/**'],
              message: 'Commands call a service (src/services), which composes the adapters.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/views/**', '**/commands/**', '**/services/**', '**/cli/**', '@oclif/core'],
              message: 'Adapters only do I/O: no views, commands, services or CLI (encode with src/core/serialize.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/views/**', '**/commands/**', '**/cli/**', '@oclif/core'],
              message: 'Services return data; the command chooses the view.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/views/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**', '**/services/**', '**/commands/**', '**/cli/**'],
              message: 'Views turn results into text: no I/O, no use cases.',
            },
          ],
        },
      ],
    },
  },
  // Folder arrows point down (STYLE.md): a later block replaces the rule's options for its files, so each one
  // repeats the core-wide restrictions through restrictImports.
  ...FOLDER_ARROWS.map(({folder, forbidden}) => ({
    files: [`src/core/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        restrictImports(
          forbidden.map((target) => ({
            regex: `^(\\.\\./)+${target}/`,
            message: `src/core/${folder} never imports src/core/${target}: arrows point down (STYLE.md).`,
          })),
        ),
      ],
    },
  })),
  {
    files: ['bin/**/*.js', 'bench/**/*.js', 'scripts/**/*.js', '.ci/**/*.js'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
  },
)
