import { defineConfig } from 'vitest/config';

// One Vitest run over every package. The `development` export condition makes
// workspace imports resolve to TypeScript sources, so tests never see stale dist/.
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'results/test-report.json' }]],
  },
});
