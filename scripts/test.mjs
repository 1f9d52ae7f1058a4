// `npm test`: system peers present, lint, type-check, then every test: inside workerd, Node-side peers, and the browser.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bin, root, run } from './lib.mjs';
import { ensureSystemDependencies } from './system-deps.mjs';

ensureSystemDependencies();

// As package.json says: the lint rules first (eslint.config.js, import boundaries included), then each surface's
// type-check with its own globals (tsconfig.<surface>.json).
console.log('\n== Lint');
run('npm', ['run', '--silent', 'lint']);

console.log('\n== Type-check');
run('npm', ['run', '--silent', 'typecheck']);

console.log('\n== Worker, engine and Node-side tests');
run(bin('vitest'), ['run', '--config', 'vitest.config.ts']);

if (existsSync(path.join(root, 'test', 'e2e', 'vitest.config.ts'))) {
  console.log('\n== Browser tests (headless Chromium)');
  run(bin('vite'), ['build', '--config', 'ui/vite.config.ts']);
  run(bin('vitest'), ['run', '--config', 'test/e2e/vitest.config.ts']);
}
