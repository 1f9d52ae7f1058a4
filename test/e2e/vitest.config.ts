/**
 * Browser tests and HTTP attack tests: each file starts the whole product as a user runs it (`wrangler dev` on a fresh local D1 with
 * migrations and a seeded admin, the built UI as static assets) and drives it with headless Debian Chromium.
 * Files run one after another: each brings up its own Worker and browser, which is what 2 CI cores can carry.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    // test/security/http/: attacks sent as many concurrent requests over real HTTP to the Worker as `npm start` runs it.
    include: ['test/e2e/**/*.test.ts', 'test/security/http/**/*.test.ts'],
    fileParallelism: false,
    // Migrations and the seeded admin once per run; each file copies that D1 (startApp in test/e2e/harness.ts).
    globalSetup: ['./test/setup/e2e-seeded-database.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
