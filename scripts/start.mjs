// `npm start`: local secrets, migrations on the local D1, demo data on first start, the UI build, then wrangler dev.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bin, capture, ensureDevVars, root, run, start } from './lib.mjs';

const port = process.env.PORT ?? '8787';
const vars = ensureDevVars();

console.log('Applying migrations to the local D1...');
run(bin('wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local'], { env: { ...process.env, CI: 'true' } });

const count = JSON.parse(capture(bin('wrangler'), ['d1', 'execute', 'DB', '--local', '--json', '--command', 'SELECT count(*) AS n FROM users']));
if (count[0].results[0].n === 0) {
  console.log('Empty database: seeding the first admin and demo data...');
  const dir = mkdtempSync(path.join(tmpdir(), 'eid-seed-'));
  const sqlFile = path.join(dir, 'seed.sql');
  let sql;
  try {
    sql = capture(bin('tsx'), ['scripts/seed.ts', '--vars', '.dev.vars', '--demo'], { stdio: ['ignore', 'pipe', 'inherit'] });
  } catch {
    // The seed has printed why (e.g. an ADMIN_API_KEY the key format refuses); nothing was written.
    console.error('Seeding refused: fix .dev.vars and run npm start again.');
    process.exit(2);
  }
  writeFileSync(sqlFile, sql);
  // Captured, not shown: wrangler prints every statement's result, which would bury the credentials printed above.
  capture(bin('wrangler'), ['d1', 'execute', 'DB', '--local', '--file', sqlFile], { env: { ...process.env, CI: 'true' } });
  rmSync(dir, { recursive: true, force: true });
} else {
  const seedOnly = ['ADMIN_API_KEY', 'VERIFY_API_KEY'].filter((name) => vars[name]);
  if (seedOnly.length) console.log(`Note: ${seedOnly.join(' and ')} in .dev.vars are used only when seeding an empty database; create keys in the admin center (API keys).`);
}

if (needsUiBuild()) {
  console.log('Building the UI...');
  run(bin('vite'), ['build', '--config', 'ui/vite.config.ts']);
}

console.log(`\nStarting on http://localhost:${port}  (sign in at http://localhost:${port}/login; passkeys need the name, not 127.0.0.1)\n`);
const child = start(bin('wrangler'), ['dev', '--ip', '127.0.0.1', '--port', port]);
child.on('exit', (code) => process.exit(code ?? 0));

function needsUiBuild() {
  const built = path.join(root, 'ui', 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return newestMtime(path.join(root, 'ui', 'src')) > builtAt;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}
