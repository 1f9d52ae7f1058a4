/**
 * Three test projects:
 * - "worker": runs inside workerd (the Workers runtime) with a real local D1, migrations applied from migrations/;
 * - "worker-object": the same, with the hot verification state in the per-user Durable Objects (workerProject);
 * - "node": tests that drive real peers from the outside (oathtool, xmlsec1, the SAML IdP, headless Chromium).
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));

/**
 * The dependencies the Worker and the tests import, pre-bundled by Vite into one module each: the module runner
 * inside workerd then fetches about 190 modules instead of about 860 (zod, drizzle, libphonenumber, the passkey
 * and ASN.1 libraries were ~720 of them).
 */
const PREBUNDLED_DEPENDENCIES = [
  'zod', 'hono', 'hono/cookie', 'hono/http-exception', 'hono/utils/http-status', 'drizzle-orm', 'drizzle-orm/d1',
  'drizzle-orm/sqlite-core', '@simplewebauthn/server', '@simplewebauthn/server/helpers', '@xmldom/xmldom', 'yaml',
  'xml-crypto', 'xml-crypto/lib/utils', 'uqr', 'otpauth', 'libphonenumber-js/min', 'bowser', '@hono/zod-openapi',
];

/**
 * The workerd project with the hot verification state in D1 (VERIFY_STATE "d1", the default) or in the per-user
 * Durable Objects ("durable-object", worker/verify-state): the second runs the verify-related security tests again
 * (VERIFY_STATE_OBJECT_TESTS) and the object's own tests (*.object.test.ts).
 */
function workerProject(verifyState: 'd1' | 'durable-object', include: string[], exclude: string[]) {
  return {
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
            VERIFY_STATE: verifyState,
          },
        },
      }),
    ],
    test: {
      name: verifyState === 'd1' ? 'worker' : 'worker-object',
      // One workerd per worker process for all its files, instead of one per file: a new runtime had to fetch and
      // evaluate the whole Worker graph again (cloudflare:test imports wrangler.toml's main), 5-20 s of "setup" per
      // file, 538 s summed over the phase. Each file still starts as if alone: test/setup/apply-migrations.ts empties
      // every binding's storage, applies the migrations and evaluates the project's modules afresh.
      isolate: false,
      deps: {
        optimizer: {
          ssr: {
            enabled: true,
            include: PREBUNDLED_DEPENDENCIES,
            // Node built-ins (xml-crypto requires crypto and util) come from workerd's nodejs_compat, not a bundle.
            rolldownOptions: { external: [...builtinModules, /^node:/, /^cloudflare:/] },
          },
        },
      },
      include,
      // A hang guard, not a speed check: the concurrent-request tests take several seconds on 2 busy cores.
      testTimeout: 60_000,
      // Attacks over real HTTP run against `wrangler dev` from Node, with the browser tests (test/e2e/vitest.config.ts).
      exclude: ['test/security/http/**', ...exclude],
      setupFiles: ['./test/setup/apply-migrations.ts'],
      // A loopback server impersonating SMS/email provider APIs (messaging tests); its URL via inject().
      globalSetup: ['./test/setup/provider-server.ts', './test/setup/saml-signed-responses.ts'],
    },
  };
}

/**
 * Every test that checks, consumes, counts or resyncs a TOTP/HOTP/OCRA code at some door, run against the objects
 * too. (verify-warm-path.test.ts is the d1 mode's own: it counts the round trips of the d1 mode's warm consume; the
 * object mode's warm path and its admin-change cases are verify-state.object.test.ts's.)
 */
const VERIFY_STATE_OBJECT_TESTS = [
  'test/security/otp-replay.test.ts',
  'test/security/otp-brute-force.test.ts',
  'test/security/otp-resync.test.ts',
  'test/security/otp-pin-oracle.test.ts',
  'test/security/otp-ocra-and-counters.test.ts',
  'test/security/admin-check-otp-used-code.test.ts',
  'test/security/portal-second-factor.test.ts',
  'test/security/proof-before-change.test.ts',
  'test/security/restore-access.test.ts',
  'test/security/verify-api-factors.test.ts',
  // The admin's Check OTP and resync are audited in the object's transaction (its outbox), not D1's batch.
  'test/integration/audit-trail.test.ts',
  'test/security/**/*.object.test.ts',
];

export default defineConfig({
  test: {
    // Vitest's default is one worker less than the cores: on 2 CI cores that ran every file one after another.
    maxWorkers: 2,
    projects: [
      workerProject('d1', ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'], ['**/*.object.test.ts']),
      workerProject('durable-object', VERIFY_STATE_OBJECT_TESTS, []),
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
