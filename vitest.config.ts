import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `unit`: fast, in-process tests (`*.test.ts`).
 * - `e2e`: slow end-to-end tests with real processes, sockets and HTTP (`*.e2e.test.ts`).
 * `npm test` runs both; `npm run test:unit` runs only the fast ones.
 * `.lanes/` (the local target's state, logs and lane copies of App repos) is never searched for tests.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/node_modules/**', '**/.lanes/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['packages/*/src/**/*.e2e.test.ts', 'examples/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**', '**/.lanes/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
