// Lint rules that keep the architecture honest: the dependency direction between
// packages (Nx tags), named exports only, no `any`, and no console output from
// library code (everything goes through the reporter in @prunelab/core).
import nx from '@nx/eslint-plugin';

const allow = (scope, deps) => ({ sourceTag: `scope:${scope}`, onlyDependOnLibsWithTags: deps.map((d) => `scope:${d}`) });

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'results/**', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: false,
          depConstraints: [
            // projection is pure math over typed arrays: no workspace imports at all.
            allow('projection', []),
            allow('core', []),
            allow('datasets', ['core']),
            // The engine (backends and kernels) sits under everything that computes.
            allow('engine', ['core']),
            allow('models', ['core', 'datasets', 'projection', 'engine']),
            // Pruning and scoring sit side by side under the runner: neither imports the other.
            allow('pruning', ['core', 'datasets', 'projection', 'engine', 'models']),
            allow('scorers', ['core', 'datasets', 'projection', 'engine', 'models']),
            allow('store', ['core']),
            allow('runner', ['core', 'projection', 'datasets', 'engine', 'models', 'pruning', 'scorers', 'store']),
            allow('results', ['core', 'store']),
            allow('cli', ['core', 'projection', 'datasets', 'engine', 'models', 'pruning', 'scorers', 'store', 'runner', 'results']),
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // noUncheckedIndexedAccess makes `xs[i]!` the honest way to index a typed array in a bounded loop.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports (see docs/style).' }],
    },
  },
  {
    // The CLI owns the terminal; tests and benchmarks print their figures.
    files: ['packages/cli/src/**/*.ts', '**/*.test.ts', '**/*.bench.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
];
