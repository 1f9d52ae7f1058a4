// Shared helpers for the project's scripts (start, seed, create-admin, test). Plain Node, no dependencies.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/** Runs a command to completion, inheriting stdio; throws on a non-zero exit. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${result.status}`);
  return result;
}

export function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

export function start(command, args, options = {}) {
  return spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
}

/** Reads KEY=value lines (the .dev.vars format wrangler uses). */
export function readVars(file) {
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/**
 * .dev.vars holds the local secrets; it is created with fresh random keys on first start and never committed.
 * Existing values are kept (ADMIN_PASSWORD / ADMIN_API_KEY may be set there by the developer).
 */
export function ensureDevVars(file = path.join(root, '.dev.vars')) {
  const vars = readVars(file);
  let changed = false;
  for (const key of ['SEED_ENCRYPTION_KEY', 'SESSION_KEY']) {
    if (!vars[key]) {
      vars[key] = randomBytes(32).toString('base64');
      changed = true;
    }
  }
  // A verify-scope key for the README's verify example, seeded with the first admin (never an admin key: the
  // admin API is reached by signing in).
  if (!vars.VERIFY_API_KEY) {
    vars.VERIFY_API_KEY = `eid_${randomBytes(24).toString('hex')}`;
    changed = true;
  }
  if (changed) {
    const lines = Object.entries(vars).map(([k, v]) => `${k}="${v}"`);
    writeFileSync(
      file,
      `# Local secrets for wrangler dev (generated; git-ignored). In production use \`wrangler secret put\`.\n${lines.join('\n')}\n`,
      { mode: 0o600 },
    );
    console.log(`Created ${path.relative(root, file)} with fresh random keys.`);
  }
  return vars;
}
