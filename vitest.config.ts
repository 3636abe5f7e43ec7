import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a browser or a server to catch up: on a loaded
    // 2-core machine that takes more than the default second. A poll still
    // fails when the condition never holds; nothing here measures speed.
    expect: { poll: { timeout: 15_000 } },
    // Real CLI processes and servers: keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    // The JSON report feeds the plain "N passed, N failed" line .ci/run prints.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
