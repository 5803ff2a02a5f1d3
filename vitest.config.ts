import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Tests run on the TypeScript sources: the `@ecs-lanes/source` export condition of every package points at
 * `src/`, while users (and the install test) get the built `dist/`.
 */
const conditions = ['@ecs-lanes/source', ...defaultServerConditions.filter((c) => c !== 'module')];

/**
 * Two projects:
 * - `unit`: fast, in-process tests (`*.test.ts`).
 * - `e2e`: slow end-to-end tests with real processes, sockets and HTTP (`*.e2e.test.ts`).
 * `npm test` runs both; `npm run test:unit` runs only the fast ones.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['packages/*/src/**/*.e2e.test.ts', 'examples/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
