// Before each test file: a fresh start as if the file had the runtime to itself. The worker projects run with
// `isolate: false` (vitest.config.ts), so one workerd and its loaded module graph serve many files; what a file
// could otherwise inherit from the one before it is reset here.
import { applyD1Migrations, reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

interface EvaluatedModule {
  promise?: unknown;
  exports?: unknown;
  evaluated: boolean;
  importers: Set<string>;
}
interface ModuleRunnerGlobal {
  __vitest_mocker__?: { moduleRunner: { evaluatedModules: { idToModuleMap: Map<string, EvaluatedModule> } } };
}

/**
 * The project's own modules (worker/, script-engine/, test helpers) are evaluated afresh for each file, as in a new
 * isolate: their module-level state (warm verify copies, the Durable Object epochs, the SAML sign-in hook a test set,
 * cached keys) starts empty. The code stays fetched (what cost 5-20 s per file was fetching ~190 modules from Vite
 * into workerd, not evaluating them), and the pre-bundled dependencies (node_modules/.vite) are kept: they hold no
 * state of ours. The same fields as vitest's own resetModules (vi.resetModules), which would also re-run them.
 */
function evaluateProjectModulesAfresh(): void {
  const modules = (globalThis as ModuleRunnerGlobal).__vitest_mocker__?.moduleRunner.evaluatedModules.idToModuleMap;
  if (!modules) throw new Error('vitest module runner not found: the per-file module reset cannot run');
  for (const [id, node] of modules) {
    if (!id.startsWith('/') || id.includes('/node_modules/')) continue;
    node.promise = undefined;
    node.exports = undefined;
    node.evaluated = false;
    node.importers.clear();
  }
}

evaluateProjectModulesAfresh();
// Every binding's storage emptied (D1, the Durable Objects), then migrations/ applied: the same SQL that
// `wrangler d1 migrations apply` runs.
await reset();
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
