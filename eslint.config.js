/**
 * `npm run lint` (npm test runs it first): typescript-eslint's recommended rules, and the project's import boundaries
 * as rules, so the layering DESIGN.md describes is kept by a tool, not by review.
 *
 * Not type-aware: with type information (recommendedTypeChecked, which would also give no-deprecated) a run took
 * 8 min wall / 98 s CPU on the shared 2 cores against 1.3 min / 19 s without, and reported 3,865 findings, most of
 * them no-unsafe-* on JSON read by tests.
 */
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PRODUCTION = ['worker/**/*.{ts,tsx}', 'script-engine/**/*.{ts,tsx}', 'ui/src/**/*.{ts,tsx}'];
const ROUTES = ['worker/**/routes.ts', 'worker/**/*-routes.ts'];
const REPOS = ['worker/**/repo.ts', 'worker/**/*-repo.ts'];

/** Production code never reaches into the tests or their tools (a bundle would carry them). */
const NO_TEST_CODE = [
  { group: ['vitest', 'vitest/*', 'cloudflare:test', '@cloudflare/vitest-plugin', 'playwright-core'], message: 'Test tools stay in test/.' },
  { regex: '(^|/)test/', message: 'Production code does not import from test/.' },
];
const NO_REPO = { regex: '(^|/)([a-z-]+-)?repo$', message: 'Routes call a service; the service reaches the repo (routes -> service -> repo).' };
const NO_SERVICE_OR_ROUTES = { regex: '(^|/)([a-z-]+-)?(service|routes)$', message: 'A repo only runs statements: it imports no service or routes (no arrow back).' };
const NO_ROUTES = { regex: '(^|/)([a-z-]+-)?routes$', message: 'A service knows nothing of HTTP routes (no arrow back).' };

/** Files that break a boundary today, each named, until the issue that moves their code lands. */
const REPOS_IMPORTING_SERVICES = [];

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default defineConfig(
  { ignores: ['node_modules/', 'ui/dist/', '.wrangler/', 'bench/.work/', '.tsbuild/', 'test-results/', '.tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  { files: ['**/*.{js,mjs}'], languageOptions: { globals: globals.node } },
  {
    rules: {
      // `const { id: _id, ...rest }` drops a field on purpose; an `_` name says "unused" the same way for arguments.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests and the bench read JSON bodies and drive peers whose shape is the thing under test: `any` is honest
    // there. Production code types what it reads.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // ---------------------------------------------------------------- import boundaries
  { files: PRODUCTION, rules: restrict(...NO_TEST_CODE) },
  {
    files: ['script-engine/**/*.{ts,tsx}'],
    rules: restrict(...NO_TEST_CODE, { group: ['../*', '../**'], message: 'script-engine/ is a library: it imports nothing of the project.' }),
  },
  {
    // Values the UI and the worker agree on come from worker/contract/; anything else of the worker only as a type.
    files: ['ui/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            ...NO_TEST_CODE,
            { regex: '(^|/)worker/(?!contract/)', allowTypeImports: true, message: 'ui/ imports values from worker/contract/ only; other worker/ modules with `import type`.' },
          ],
        },
      ],
    },
  },
  {
    // The code math is pure: it reads no database, no token store and no environment (tokens/verification.ts does).
    files: ['worker/otp/**/*.ts'],
    rules: restrict(...NO_TEST_CODE, { regex: '^\\.\\./(db|tokens|env)(/|$)', message: 'otp/ is pure code math: no D1, no token store, no env.' }),
  },
  { files: ROUTES, rules: restrict(...NO_TEST_CODE, NO_REPO) },
  { files: REPOS, ignores: REPOS_IMPORTING_SERVICES, rules: restrict(...NO_TEST_CODE, NO_SERVICE_OR_ROUTES) },
  { files: ['worker/**/service.ts', 'worker/**/*-service.ts'], rules: restrict(...NO_TEST_CODE, NO_ROUTES) },
  {
    // Tests live in test/ (unit/, integration/, security/, e2e/, node/, helpers/): none beside production code.
    files: ['{worker,script-engine,ui/src}/**/*.{test,spec}.{ts,tsx}', '{worker,script-engine,ui/src}/**/{test-support,test-helpers,__tests__/**}.{ts,tsx}'],
    rules: { 'no-restricted-syntax': ['error', { selector: 'Program', message: 'Tests and their helpers live under test/, not beside production code.' }] },
  },
);
