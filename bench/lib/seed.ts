/**
 * A fresh database for a benchmark's Worker: migrations/ applied, then the first admin and an admin API key seeded
 * by scripts/seed.ts (the script `npm start` uses), so the benchmark sets everything else up through the admin API
 * like an administrator would.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './wrk';
import { REPO_ROOT, tail } from './worker';

export async function applyMigrations(db: D1Database): Promise<void> {
  const dir = join(REPO_ROOT, 'migrations');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const statements = readFileSync(join(dir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch(statements.map((sql) => db.prepare(sql)));
  }
}

/** Runs scripts/seed.ts and executes the SQL it prints (one statement a line). */
export async function seedAdmin(db: D1Database, admin: { login: string; password: string; apiKey: string }): Promise<void> {
  const { code, stdout, stderr } = await run('npx', ['tsx', join(REPO_ROOT, 'scripts/seed.ts'), '--login', admin.login, '--password', admin.password, '--api-key', admin.apiKey]);
  if (code !== 0) throw new Error(`scripts/seed.ts failed (exit ${code}):\n${tail(stdout + stderr, 20)}`);
  const statements = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('--'));
  await db.batch(statements.map((sql) => db.prepare(sql)));
}
