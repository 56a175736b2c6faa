import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fleet tests need root and network namespaces: `npm run test:fleet` (vitest.fleet.config.ts).
    exclude: ['test/fleet/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests talk to one PostgreSQL and spawn pg_dump/age; two workers match the machine's two cores.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
