import { defineConfig } from 'vitest/config';

// The fleet tests (test/fleet): Backstop's processes on hosts of their own (network namespaces, root needed), with
// the network between them failing. `npm run test:fleet`; `.ci/run` runs them after `npm test`.
export default defineConfig({
  test: {
    include: ['test/fleet/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // ip, tc and runuser live in the system folders, which a plain user's PATH (a CI job's) may not list.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      PATH: [process.env['PATH'], '/usr/sbin', '/sbin'].filter(Boolean).join(':'),
    },
  },
});
