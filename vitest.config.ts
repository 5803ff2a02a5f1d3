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
 * `.lanes/` (the local target's state, logs and lane copies of App repos) is never searched for tests.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // The AWS SDK's notice that its 2027 releases need Node 22 (docs/cli.md, "Node versions") is printed once per test
    // process that creates a client; it is not a test result. bin.e2e.test.ts checks the CLI's own handling of it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/node_modules/**', '**/.lanes/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
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
