// Lint runs inside `npm test`. Beyond the recommended rules it enforces the one architectural rule
// that matters most: src/core stays pure (no I/O, no UI, no wall clock), so plans are reproducible.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = [
  '@kubernetes/client-node', 'fs', 'fs/promises', 'node:fs', 'node:fs/promises', 'http', 'https', 'node:http',
  'node:https', 'net', 'node:net', 'child_process', 'node:child_process', 'ora', 'cli-table3', '@oclif/core',
]

// Which folders each core folder must never import. Order, top to bottom: planner → policy → scheduling → mig →
// signals → model. The planner coordinates the layers; a policy that imported it would close a cycle.
const FOLDER_ARROWS = [
  {folder: 'policy', forbidden: ['planner', 'sim', 'config']},
  {folder: 'scheduling', forbidden: ['planner', 'policy', 'sim', 'config']},
  {folder: 'mig', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config']},
  {folder: 'signals', forbidden: ['planner', 'policy', 'scheduling', 'sim', 'config']},
  {folder: 'model', forbidden: ['planner', 'policy', 'scheduling', 'mig', 'signals', 'sim', 'config']},
]

/** src/core never imports the outer rings (I/O, UI, oclif), nor any module that does I/O. */
const OUTER_RINGS = ['adapters', 'commands', 'views', 'services', 'cli']

function restrictImports(patterns) {
  return {
    paths: ioModules.map((name) => ({name, message: 'src/core is pure: do I/O in src/adapters, UI in src/views.'})),
    patterns: [
      ...OUTER_RINGS.map((ring) => ({regex: `^(\\.\\./)+${ring}/`, message: `src/core never imports src/${ring}: the core is pure and knows nothing of its callers.`})),
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
      'no-restricted-syntax': ['error',
        {selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the injected Clock.'},
        {selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected Clock.'},
        {selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use a seeded RNG.'},
        {selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'Use the injected Clock.'},
        {selector: "MemberExpression[object.name='process']", message: 'src/core does not read the process environment.'},
      ],
    },
  },
  // Folder arrows point down (STYLE.md): a later block replaces the rule's options for its files, so each one
  // repeats the core-wide restrictions through restrictImports.
  ...FOLDER_ARROWS.map(({folder, forbidden}) => ({
    files: [`src/core/${folder}/**/*.ts`],
    rules: {'no-restricted-imports': ['error', restrictImports(forbidden.map((target) => ({
      regex: `^(\\.\\./)+${target}/`,
      message: `src/core/${folder} never imports src/core/${target}: arrows point down (STYLE.md).`,
    })))]},
  })),
  {
    files: ['bin/**/*.js', 'bench/**/*.js', 'scripts/**/*.js', '.ci/**/*.js'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
  },
)
