/**
 * Global setup of the browser/HTTP phase (test/e2e/vitest.config.ts): migrations/ applied and the first admin seeded
 * ONCE per run, by the same commands `npm start` uses (`wrangler d1 migrations apply`, `scripts/seed.ts`,
 * `wrangler d1 execute`), into a template persist folder. Each file's startApp copies it, so every file still gets
 * its own fresh local D1 and its own `wrangler dev`, without paying two wrangler processes and a tsx run (about 10 s
 * of every file's start before) again. The seed's encryption key, the admin password and the admin API key are
 * random per run and reach the files through inject('e2eSeededDatabase').
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export interface SeededDatabase {
  /** The template `--persist-to` folder; copied, never used in place. */
  persistDir: string;
  seedEncryptionKey: string;
  admin: { login: string; password: string; apiKey: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eSeededDatabase: SeededDatabase;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

/** The environment every wrangler of the e2e phase runs with: no prompts, no metrics, no colour codes in errors. */
export const E2E_WRANGLER_ENV = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };

export default function setup(project: TestProject) {
  const workDir = mkdtempSync(path.join(tmpdir(), 'eid-e2e-template-'));
  const seeded: SeededDatabase = {
    persistDir: path.join(workDir, 'state'),
    seedEncryptionKey: randomBytes(32).toString('base64'),
    admin: { login: 'admin', password: `pw-${randomBytes(9).toString('base64url')}`, apiKey: `eid_${randomBytes(24).toString('base64url')}` },
  };
  run(bin('wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', seeded.persistDir]);
  const seedSql = run(bin('tsx'), ['scripts/seed.ts', '--seed-key', seeded.seedEncryptionKey, '--login', seeded.admin.login, '--password', seeded.admin.password, '--api-key', seeded.admin.apiKey]);
  const seedFile = path.join(workDir, 'seed.sql');
  writeFileSync(seedFile, seedSql);
  run(bin('wrangler'), ['d1', 'execute', 'DB', '--local', '--persist-to', seeded.persistDir, '--file', seedFile]);
  project.provide('e2eSeededDatabase', seeded);
  return () => rmSync(workDir, { recursive: true, force: true });
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: ROOT, env: E2E_WRANGLER_ENV, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
