/**
 * Builds the SQL that seeds a database: the first admin (always) and, for local demos, demo users, offices, groups,
 * resources and tokens. Secrets are made with the Worker's own functions (PBKDF2 password hashes, AES-GCM sealed
 * seeds, keyed PIN hashes), so what the seed writes is exactly what the Worker reads.
 *
 * Usage: tsx scripts/seed.ts --vars .dev.vars [--demo] [--login admin] [--password ...] [--api-key ...] [--verify-api-key ...] > seed.sql
 *
 * `--api-key` (or ADMIN_API_KEY) becomes an `admin`-scope key, `--verify-api-key` (or VERIFY_API_KEY) a `verify`-scope
 * key for integrations such as the README's verify example; both belong to the seeded admin. A value the key format
 * refuses stops the seed with exit code 2 (it could never authenticate).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { API_KEY_FORMAT_DESCRIPTION, isWellFormedApiKey, type ApiKeyScope } from '../worker/auth/api-keys';
import { hashPassword, randomToken, sha256Hex } from '../worker/lib/crypto';
import { bytesToBase32 } from '../worker/lib/encoding';
import { sealSeed } from '../worker/tokens/secrets';
import type { SelfServiceAction } from '../worker/contract/selfservice';
import type { SelfServiceTokenType } from '../worker/contract/tokens';

/** The demo portal (README: "Self-service portal"); Restore access is on every portal's sign-in page. */
const DEMO_PORTAL_ALIAS = 'vpn';
const DEMO_PORTAL_ACTIONS: SelfServiceAction[] = ['registerNewToken', 'reassignToken', 'synchronizeToken', 'changePassword', 'changePhone'];
const DEMO_PORTAL_TOKEN_TYPES: SelfServiceTokenType[] = ['TOTP', 'SMS', 'EMAIL'];

const { values } = parseArgs({
  options: {
    vars: { type: 'string' },
    demo: { type: 'boolean', default: false },
    login: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    'api-key': { type: 'string' },
    'verify-api-key': { type: 'string' },
    'seed-key': { type: 'string' },
  },
});

const vars = values.vars ? parseVars(readFileSync(values.vars, 'utf8')) : {};
const seededKeys: { variable: string; scope: ApiKeyScope; name: string; key: string | undefined }[] = [
  { variable: 'ADMIN_API_KEY', scope: 'admin', name: 'Seeded admin key', key: values['api-key'] ?? vars.ADMIN_API_KEY },
  { variable: 'VERIFY_API_KEY', scope: 'verify', name: 'Seeded verify key', key: values['verify-api-key'] ?? vars.VERIFY_API_KEY },
];
// Checked before anything is written: a refused key would otherwise be "created" and never authenticate.
for (const { variable, key } of seededKeys) {
  if (key && !isWellFormedApiKey(key)) {
    process.stderr.write(`Refused ${variable}: an API key must be ${API_KEY_FORMAT_DESCRIPTION}. Nothing was seeded.\n`);
    process.exit(2);
  }
}
const seedKey = values['seed-key'] ?? vars.SEED_ENCRYPTION_KEY;
const now = Date.now();
const statements: string[] = [];
const notes: string[] = [];

const q = (value: string | number | null) => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`);
const insert = (table: string, row: Record<string, string | number | null>) =>
  statements.push(`INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.values(row).map(q).join(', ')});`);

const adminPassword = values.password ?? vars.ADMIN_PASSWORD ?? randomToken(12);
if (!values.password && !vars.ADMIN_PASSWORD) notes.push(`Admin password (generated, shown once): ${adminPassword}`);
const adminId = crypto.randomUUID();
insert('users', {
  id: adminId,
  login: values.login!,
  first_name: 'Platform',
  last_name: 'Administrator',
  email: null,
  language: 'en',
  password_hash: await hashPassword(adminPassword),
  enabled: 1,
  is_admin: 1,
  created_at: now,
  updated_at: now,
});
notes.push(`Admin login: ${values.login}`);

for (const { variable, scope, name, key } of seededKeys) {
  if (!key) continue;
  insert('api_keys', { id: crypto.randomUUID(), name, key_hash: await sha256Hex(key), key_prefix: key.slice(0, 10), scope, owner_user_id: adminId, created_at: now });
  notes.push(`API key from ${variable} created (scope ${scope}, owned by ${values.login}).`);
}

if (values.demo) {
  if (!seedKey) throw new Error('--demo needs SEED_ENCRYPTION_KEY (from --vars .dev.vars) to seal token seeds');
  const demoPassword = 'demo-password-1';
  const people = [
    { login: 'alice', first: 'Alice', last: 'Andersen', email: 'alice@example.com', language: 'en' },
    { login: 'bob', first: 'Bob', last: 'Becker', email: 'bob@example.com', language: 'de' },
    { login: 'carol', first: 'Carol', last: 'Castro', email: 'carol@example.com', language: 'en' },
  ];
  const userIds: Record<string, string> = {};
  const passwordHash = await hashPassword(demoPassword);
  for (const person of people) {
    userIds[person.login] = crypto.randomUUID();
    insert('users', { id: userIds[person.login]!, login: person.login, first_name: person.first, last_name: person.last, email: person.email, language: person.language, password_hash: passwordHash, enabled: 1, is_admin: 0, created_at: now, updated_at: now });
  }
  const offices = { Berlin: crypto.randomUUID(), Munich: crypto.randomUUID() };
  const groups = { Engineering: crypto.randomUUID(), Sales: crypto.randomUUID() };
  for (const [name, id] of Object.entries(offices)) insert('offices', { id, name, two_factor_disabled: 0, created_at: now });
  for (const [name, id] of Object.entries(groups)) insert('groups', { id, name, created_at: now });
  insert('office_members', { office_id: offices.Berlin, user_id: userIds.alice!, created_at: now });
  insert('office_members', { office_id: offices.Munich, user_id: userIds.bob!, created_at: now });
  insert('group_members', { group_id: groups.Engineering, user_id: userIds.alice!, created_at: now });
  insert('group_members', { group_id: groups.Sales, user_id: userIds.bob!, created_at: now });

  const vpn = crypto.randomUUID();
  const intranet = crypto.randomUUID();
  // The VPN's self-service portal is on, so a first start shows the portal without configuring it first.
  insert('resources', {
    id: vpn,
    name: 'VPN',
    description: 'Company VPN (RADIUS bridge)',
    self_service_enabled: 1,
    self_service_alias: DEMO_PORTAL_ALIAS,
    self_service_actions: JSON.stringify(DEMO_PORTAL_ACTIONS),
    self_service_token_types: JSON.stringify(DEMO_PORTAL_TOKEN_TYPES),
    created_at: now,
  });
  insert('resources', { id: intranet, name: 'Intranet', description: 'Internal web applications', created_at: now });

  const seed = crypto.getRandomValues(new Uint8Array(20));
  const tokenId = crypto.randomUUID();
  insert('tokens', { id: tokenId, serial: 'TOTP-DEMO-ALICE', type: 'TOTP', kind: 'software', description: 'Demo authenticator app', algorithm: 'SHA1', digits: 6, period_seconds: 30, counter: 0, secret_encrypted: await sealSeed(seedKey, tokenId, seed), enabled: 1, activated: 1, owner_user_id: userIds.alice!, created_at: now });
  insert('assignments', { id: crypto.randomUUID(), resource_id: vpn, user_id: userIds.alice!, kind: 'token_with_user', token_id: tokenId, created_at: now });
  insert('assignments', { id: crypto.randomUUID(), resource_id: vpn, user_id: userIds.bob!, kind: 'user', token_id: null, created_at: now });
  insert('assignments', { id: crypto.randomUUID(), resource_id: intranet, user_id: userIds.carol!, kind: 'user', token_id: null, created_at: now });

  const hardwareSeed = crypto.getRandomValues(new Uint8Array(20));
  const hardwareId = crypto.randomUUID();
  insert('tokens', { id: hardwareId, serial: 'HOTP-HW-0001', type: 'HOTP', kind: 'hardware', description: 'Unassigned hardware token', algorithm: 'SHA1', digits: 6, period_seconds: 30, counter: 0, secret_encrypted: await sealSeed(seedKey, hardwareId, hardwareSeed), enabled: 1, activated: 1, owner_user_id: null, created_at: now });

  notes.push(`Demo users alice, bob, carol (password "${demoPassword}"); offices Berlin/Munich; groups Engineering/Sales; resources VPN/Intranet.`);
  notes.push(`Self-service portal of the VPN: /selfservice/${DEMO_PORTAL_ALIAS} (sign in as alice or bob).`);
  notes.push(`alice's TOTP token TOTP-DEMO-ALICE (assigned to VPN), secret for your authenticator app: ${bytesToBase32(seed)}`);
}

process.stdout.write(statements.join('\n') + '\n');
for (const note of notes) process.stderr.write(`  ${note}\n`);

function parseVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}
