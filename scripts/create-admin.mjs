// `npm run create-admin -- --login NAME [--remote]`: creates an administrator in the D1 database (production: --remote).
// Prints the generated password once (or takes --password). `--api-key eid_...` also creates an admin-scope API key
// owned by the new admin; a value the key format refuses stops before anything is written.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bin, capture, run } from './lib.mjs';

const { values } = parseArgs({
  options: { login: { type: 'string', default: 'admin' }, password: { type: 'string' }, remote: { type: 'boolean', default: false }, 'api-key': { type: 'string' } },
});
const args = ['scripts/seed.ts', '--login', values.login];
if (values.password) args.push('--password', values.password);
if (values['api-key']) args.push('--api-key', values['api-key']);
let sql;
try {
  sql = capture(bin('tsx'), args, { stdio: ['ignore', 'pipe', 'inherit'] });
} catch {
  // The seed has printed why; the database was not touched.
  console.error('No administrator was created.');
  process.exit(2);
}
const dir = mkdtempSync(path.join(tmpdir(), 'eid-admin-'));
writeFileSync(path.join(dir, 'admin.sql'), sql);
run(bin('wrangler'), ['d1', 'execute', 'DB', values.remote ? '--remote' : '--local', '--file', path.join(dir, 'admin.sql')]);
rmSync(dir, { recursive: true, force: true });
