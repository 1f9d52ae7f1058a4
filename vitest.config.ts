/**
 * Two test projects:
 * - "worker": runs inside workerd (the Workers runtime) with a real local D1, migrations applied from migrations/;
 * - "node": tests that drive real peers from the outside (oathtool, xmlsec1, the SAML IdP, headless Chromium).
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                SEED_ENCRYPTION_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
                SESSION_KEY: 'c2Vzc2lvbi1rZXktZm9yLXRlc3RzLW9ubHktMTIzNDU=',
                ALLOW_INSECURE_PROVIDER_URLS: 'true',
                // The tests' requests go to https://id.example.test (test/helpers/worker.ts ORIGIN), a deployment
                // whose links are configured; tests of the unconfigured case pass their own env (lib/http.ts linkOrigin).
                PUBLIC_ORIGIN: 'https://id.example.test',
              },
            },
          }),
        ],
        test: {
          name: 'worker',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          // Attacks over real HTTP run against `wrangler dev` from Node, with the browser tests (test/e2e/vitest.config.ts).
          exclude: ['test/security/http/**'],
          setupFiles: ['./test/setup/apply-migrations.ts'],
          // A loopback server impersonating SMS/email provider APIs (messaging tests); its URL via inject().
          globalSetup: ['./test/setup/provider-server.ts', './test/setup/saml-signed-responses.ts'],
        },
      },
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
