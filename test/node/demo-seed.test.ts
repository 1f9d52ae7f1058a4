/**
 * `npm start` seeds demo data (scripts/seed.ts --demo): it must include an enabled self-service portal, so a new
 * user sees the portal without configuring it first, and the README must name its address. The seed's SQL is run
 * over the migrations in a real SQLite (the engine under D1), then read back.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALIAS_PATTERN, SELF_SERVICE_ACTIONS } from '../../worker/contract/selfservice';
import { SELF_SERVICE_TOKEN_TYPES } from '../../worker/contract/tokens';

const ROOT = path.resolve(__dirname, '../..');
// Installed by scripts/system-deps.mjs with the other peers.
const SQLITE = 'sqlite3';

describe('demo data', () => {
  it('holds an enabled portal for the VPN at /selfservice/vpn with Register New Token and Reassign on, and the README names it', () => {
    const seed = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/seed.ts', '--demo', '--seed-key', randomBytes(32).toString('base64'), '--password', 'demo-admin-password'], { cwd: ROOT, encoding: 'utf8' });
    expect(seed.status, seed.stderr).toBe(0);
    expect(seed.stderr).toContain('/selfservice/vpn');

    const dir = mkdtempSync(path.join(tmpdir(), 'eid-demo-seed-'));
    const database = path.join(dir, 'd1.sqlite');
    const migrations = readdirSync(path.join(ROOT, 'migrations')).filter((name) => name.endsWith('.sql')).sort();
    const script = path.join(dir, 'all.sql');
    writeFileSync(script, [...migrations.map((name) => readFileSync(path.join(ROOT, 'migrations', name), 'utf8')), seed.stdout].join('\n;\n'));
    execFileSync(SQLITE, ['-bail', database, `.read ${script}`]);
    const rows = JSON.parse(execFileSync(SQLITE, ['-json', database, 'SELECT name, self_service_enabled AS enabled, self_service_alias AS alias, self_service_actions AS actions, self_service_token_types AS tokenTypes FROM resources WHERE self_service_enabled = 1'], { encoding: 'utf8' }) || '[]');

    expect(rows).toHaveLength(1);
    const portal = rows[0];
    expect(portal).toMatchObject({ name: 'VPN', enabled: 1, alias: 'vpn' });
    expect(ALIAS_PATTERN.test(portal.alias)).toBe(true);
    const actions: string[] = JSON.parse(portal.actions);
    expect(actions).toEqual(expect.arrayContaining(['registerNewToken', 'reassignToken']));
    expect(actions.every((action) => (SELF_SERVICE_ACTIONS as readonly string[]).includes(action))).toBe(true);
    const tokenTypes: string[] = JSON.parse(portal.tokenTypes);
    expect(tokenTypes).toContain('TOTP');
    expect(tokenTypes.every((type) => (SELF_SERVICE_TOKEN_TYPES as readonly string[]).includes(type))).toBe(true);

    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('http://localhost:8787/selfservice/vpn');
  });
});
