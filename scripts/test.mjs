// `npm test`: system peers present, lint, type-check and the UI build, then every test: inside workerd, Node-side
// peers, and the browser.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bin, root, run } from './lib.mjs';
import { ensureSystemDependencies } from './system-deps.mjs';

ensureSystemDependencies();

const withBrowserTests = existsSync(path.join(root, 'test', 'e2e', 'vitest.config.ts'));

// As package.json says: the lint rules (eslint.config.js, import boundaries included), each surface's type-check
// with its own globals (tsconfig.<surface>.json), and the UI build the browser tests serve. None needs another's
// result and eslint and tsc use one core each, so they run side by side; each one's output is printed whole when
// it ends.
await checksSideBySide([
  { title: 'Lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  { title: 'Type-check', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  ...(withBrowserTests ? [{ title: 'UI build (served by the browser tests)', command: bin('vite'), args: ['build', '--config', 'ui/vite.config.ts'] }] : []),
]);

console.log('\n== Worker, engine and Node-side tests');
run(bin('vitest'), ['run', '--config', 'vitest.config.ts']);

if (withBrowserTests) {
  console.log('\n== Browser tests (headless Chromium)');
  run(bin('vitest'), ['run', '--config', 'test/e2e/vitest.config.ts']);
}

/** Runs every step at once and waits for all; fails (after all ended) naming each step that failed. */
async function checksSideBySide(steps) {
  const results = await Promise.all(
    steps.map(
      (step) =>
        new Promise((resolve) => {
          const startedMs = Date.now();
          const child = spawn(step.command, step.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
          let output = '';
          child.stdout.on('data', (chunk) => (output += chunk));
          child.stderr.on('data', (chunk) => (output += chunk));
          // A command that cannot start emits 'error', then 'close' with no exit code.
          child.on('error', (error) => (output += `${error.message}\n`));
          child.on('close', (code) => {
            console.log(`\n== ${step.title} (${Math.round((Date.now() - startedMs) / 1000)} s)`);
            if (output) process.stdout.write(output);
            resolve({ title: step.title, ok: code === 0 });
          });
        }),
    ),
  );
  const failed = results.filter((result) => !result.ok).map((result) => result.title);
  if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')}`);
}
