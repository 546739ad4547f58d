// Lint runs inside `npm test`. Beyond the recommended rules it enforces the one architectural rule
// that matters most: src/core stays pure (no I/O, no UI, no wall clock), so plans are reproducible.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = [
  '@kubernetes/client-node', 'fs', 'fs/promises', 'node:fs', 'node:fs/promises', 'http', 'https', 'node:http',
  'node:https', 'net', 'node:net', 'child_process', 'node:child_process', 'ora', 'cli-table3', '@oclif/core',
]

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
      'no-restricted-imports': ['error', {paths: ioModules.map((name) => ({name, message: 'src/core is pure: do I/O in src/adapters, UI in src/views.'}))}],
      'no-restricted-syntax': ['error',
        {selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the injected Clock.'},
        {selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected Clock.'},
        {selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use a seeded RNG.'},
        {selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'Use the injected Clock.'},
        {selector: "MemberExpression[object.name='process']", message: 'src/core does not read the process environment.'},
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'bench/**/*.js', 'scripts/**/*.js', '.ci/**/*.js'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
  },
)
