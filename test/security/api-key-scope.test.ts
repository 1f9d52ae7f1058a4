/**
 * Threats: an API key is worth more than the job it was made for, or outlives the admin who vouched for it.
 * - A VPN box holding the README's verify key is broken into; the attacker takes the key to the admin API and
 *   tries to create an admin, mint more keys, reset the admin's password and read the user list.
 * - A key meant for reading writes; a key mints a wider key (or an admin key) than itself.
 * - The admin who made a key is demoted, disabled or deleted (they left, or were compromised), and the key
 *   keeps working; an expired key keeps working.
 * - The last enabled admin is demoted, disabled or deleted (two admins demoting each other at the same moment
 *   both succeed), and nobody can administer the platform any more.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiKey, type ApiKeyScope } from '../../worker/auth/api-keys';
import { updateUser } from '../../worker/users/service';
import { testAudit } from '../helpers/audit';
import { adminClient, call, hotpAt, insertUser, json, randomSeedBase32, signIn, unique } from '../helpers/worker';

const PASSWORD = 'long password 123';

async function keyOf(scope: ApiKeyScope, ownerUserId: string, expiresAt: number | null = null): Promise<string> {
  return (await createApiKey(env.DB, { name: unique(`${scope}-`), scope, ownerUserId, expiresAt, nowMs: Date.now() })).key;
}

function withKey(key: string, path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return call(path, { ...init, headers });
}

async function expectError(response: Promise<Response>, status: number, code: string) {
  const r = await response;
  expect({ status: r.status, code: (await json(r)).error?.code }).toEqual({ status, code });
}

/** A resource, a user with an HOTP token assigned to it: something a verify key can verify. */
async function verifiable() {
  const admin = await adminClient();
  const resource = await admin.post('/resources', { name: unique('VPN') });
  const user = await admin.post('/users', { login: unique('vpnuser') });
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  let counter = 0;
  return {
    admin,
    token,
    verify: async (key: string) =>
      withKey(key, '/api/v1/verify', { method: 'POST', json: { login: user.login, resource: resource.name, otp: await hotpAt(seed, counter++) } }),
  };
}

const loginsNamed = async (login: string) => (await env.DB.prepare('SELECT count(*) AS n FROM users WHERE login = ?').bind(login).first<{ n: number }>())!.n;

describe('a verify key on the admin API', () => {
  it('cannot create an admin, create keys, reset a password or read users, and still verifies', async () => {
    const owner = await insertUser({ isAdmin: true, password: PASSWORD });
    const target = await verifiable();
    const verifyKey = (await target.admin.post('/api-keys', { name: unique('vpn-box-'), scope: 'verify' })).key as string;
    const passwordHashBefore = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?').bind(owner.id).first('password_hash');

    const login = unique('intruder');
    await expectError(withKey(verifyKey, '/api/admin/users', { method: 'POST', json: { login, password: 'intruder password 1', isAdmin: true } }), 403, 'FORBIDDEN');
    expect(await loginsNamed(login)).toBe(0);
    for (const scope of ['admin', 'read', 'verify']) {
      await expectError(withKey(verifyKey, '/api/admin/api-keys', { method: 'POST', json: { name: 'more', scope } }), 403, 'FORBIDDEN');
    }
    await expectError(withKey(verifyKey, `/api/admin/users/${owner.id}/password`, { method: 'PUT', json: { password: 'attacker chose this' } }), 403, 'FORBIDDEN');
    expect(await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?').bind(owner.id).first('password_hash')).toBe(passwordHashBefore);
    await expectError(withKey(verifyKey, '/api/admin/users'), 403, 'FORBIDDEN');
    await expectError(withKey(verifyKey, '/api/admin/api-keys'), 403, 'FORBIDDEN');
    await expectError(withKey(verifyKey, `/api/admin/tokens/${target.token.id}`, { method: 'DELETE' }), 403, 'FORBIDDEN');

    expect(await json(target.verify(verifyKey))).toMatchObject({ accepted: true });
  });
});

describe('a read key', () => {
  it('reads the admin API and changes nothing', async () => {
    const admin = await adminClient();
    const victim = await admin.post('/users', { login: unique('victim'), password: PASSWORD });
    const readKey = (await admin.post('/api-keys', { name: unique('monitoring-'), scope: 'read' })).key as string;

    expect((await withKey(readKey, `/api/admin/users/${victim.id}`)).status).toBe(200);
    expect((await withKey(readKey, '/api/admin/api-keys')).status).toBe(200);
    const login = unique('intruder');
    await expectError(withKey(readKey, '/api/admin/users', { method: 'POST', json: { login, isAdmin: true } }), 403, 'FORBIDDEN');
    await expectError(withKey(readKey, `/api/admin/users/${victim.id}/password`, { method: 'PUT', json: { password: null } }), 403, 'FORBIDDEN');
    await expectError(withKey(readKey, `/api/admin/users/${victim.id}`, { method: 'PATCH', json: { isAdmin: true } }), 403, 'FORBIDDEN');
    await expectError(withKey(readKey, `/api/admin/users/${victim.id}`, { method: 'DELETE' }), 403, 'FORBIDDEN');
    await expectError(withKey(readKey, '/api/admin/api-keys', { method: 'POST', json: { name: 'wider', scope: 'admin' } }), 403, 'FORBIDDEN');
    expect(await loginsNamed(login)).toBe(0);
    expect(await admin.get(`/users/${victim.id}`)).toMatchObject({ isAdmin: false, hasPassword: true });
  });

  it('cannot verify OTPs (and the attempt is not counted against the user)', async () => {
    const target = await verifiable();
    const readKey = await keyOf('read', target.admin.ownerUserId);
    await expectError(target.verify(readKey), 403, 'FORBIDDEN');
    expect((await target.admin.get(`/tokens/${target.token.id}`)).failCount).toBe(0);
  });
});

describe('creating keys', () => {
  it('an admin key makes only narrower keys, owned by its own owner; admin keys come from an admin session', async () => {
    const admin = await adminClient();
    await expectError(admin.request('/api-keys', { method: 'POST', json: { name: 'twin', scope: 'admin' } }), 403, 'FORBIDDEN');
    const verifyKey = await admin.post('/api-keys', { name: unique('v-'), scope: 'verify' });
    expect(verifyKey).toMatchObject({ scope: 'verify', ownerUserId: admin.ownerUserId, status: 'active' });

    const person = await insertUser({ isAdmin: true, password: PASSWORD });
    const session = await signIn(person.login, PASSWORD);
    const created = await call('/api/admin/api-keys', {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      json: { name: unique('ops-'), scope: 'admin' },
    });
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body).toMatchObject({ scope: 'admin', ownerUserId: person.id, ownerLogin: person.login });
    expect((await withKey(body.key, '/api/admin/users', { method: 'POST', json: { login: unique('made-by-key') } })).status).toBe(201);
  });

  // Attack: a leaked admin key first mints a read key for itself; the admin revokes the leaked key, and the read
  // key it left behind keeps reading users, messages and settings.
  it('revoking a key revokes the keys it made', async () => {
    const admin = await adminClient();
    const leaked = await admin.post('/api-keys', { name: unique('leaked-'), scope: 'read' });
    expect((await withKey(leaked.key, '/api/admin/users')).status).toBe(200);
    const colleague = await insertUser({ isAdmin: true, password: PASSWORD });
    const session = await signIn(colleague.login, PASSWORD);
    const list = async () => (await json(call('/api/admin/api-keys', { headers: { cookie: session.cookie } }))).items as { id: string; status: string }[];
    const revoked = await call(`/api/admin/api-keys/${admin.keyId}`, { method: 'DELETE', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } });
    expect(revoked.status).toBe(204);
    await expectError(withKey(leaked.key, '/api/admin/users'), 401, 'UNAUTHENTICATED');
    expect((await list()).find((key) => key.id === leaked.id)?.status).toBe('revoked');
  });

  it('the scope is required, and an expiry must lie in the future', async () => {
    const admin = await adminClient();
    const missing = await admin.request('/api-keys', { method: 'POST', json: { name: 'no scope' } });
    expect(missing.status).toBe(400);
    expect((await json(missing)).error.details.issues[0].path).toBe('scope');
    const past = await admin.request('/api-keys', { method: 'POST', json: { name: 'old', scope: 'verify', expiresAt: Date.now() - 1000 } });
    expect(past.status).toBe(400);
    expect((await json(past)).error.details.issues[0].path).toBe('expiresAt');
    await expectError(admin.request('/api-keys', { method: 'POST', json: { name: 'x', scope: 'root' } }), 400, 'VALIDATION_FAILED');
  });
});

describe('a key dies with its owner\'s admin rights', () => {
  const demote = { isAdmin: false };
  const disable = { enabled: false };
  for (const [what, change] of [['demoted', demote], ['disabled', disable], ['deleted', null]] as const) {
    it(`stops working at the next request once its owner is ${what}, on the admin API and the verify API`, async () => {
      const target = await verifiable();
      const owner = await insertUser({ isAdmin: true, password: null });
      const adminKey = await keyOf('admin', owner.id);
      const verifyKey = await keyOf('verify', owner.id);
      expect((await withKey(adminKey, '/api/admin/users')).status).toBe(200);
      expect(await json(target.verify(verifyKey))).toMatchObject({ accepted: true });

      if (change) await target.admin.request(`/users/${owner.id}`, { method: 'PATCH', json: change });
      else expect((await target.admin.request(`/users/${owner.id}`, { method: 'DELETE' })).status).toBe(204);

      await expectError(withKey(adminKey, '/api/admin/users'), 401, 'UNAUTHENTICATED');
      await expectError(withKey(adminKey, '/api/admin/users', { method: 'POST', json: { login: unique('late'), isAdmin: true } }), 401, 'UNAUTHENTICATED');
      await expectError(target.verify(verifyKey), 401, 'UNAUTHENTICATED');
      // Nothing was counted against the user for the refused requests.
      expect((await target.admin.get(`/tokens/${target.token.id}`)).failCount).toBe(0);
      const listed = (await target.admin.get('/api-keys')).items.filter((k: { ownerUserId: string | null }) => k.ownerUserId === (change ? owner.id : null));
      if (change) expect(listed.map((k: { status: string }) => k.status)).toEqual(['owner_inactive', 'owner_inactive']);
    });
  }
});

describe('expiry', () => {
  afterEach(() => vi.useRealTimers());

  it('an expired key is refused and listed as expired', async () => {
    const admin = await adminClient();
    const t0 = Date.UTC(2026, 5, 1, 12);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(t0);
    const created = await admin.post('/api-keys', { name: unique('short-'), scope: 'read', expiresAt: t0 + 60_000 });
    expect((await withKey(created.key, '/api/admin/users')).status).toBe(200);
    vi.setSystemTime(t0 + 60_000);
    await expectError(withKey(created.key, '/api/admin/users'), 401, 'UNAUTHENTICATED');
    expect((await admin.get('/api-keys')).items.find((k: { id: string }) => k.id === created.id)).toMatchObject({ status: 'expired', expiresAt: t0 + 60_000 });
  });
});

// Last in the file: it leaves exactly one enabled admin in this file's database.
describe('the last enabled administrator', () => {
  const enabledAdmins = async () => (await env.DB.prepare('SELECT count(*) AS n FROM users WHERE is_admin = 1 AND enabled = 1').first<{ n: number }>())!.n;

  // Called on the service, so both statements are in flight together: a read-the-count-then-update rule lets both
  // through here (over HTTP the session check of the loser usually runs after the winner and hides the race).
  it('two concurrent demotions/disables of the last two admins: one succeeds, one admin remains', async () => {
    await env.DB.prepare('UPDATE users SET is_admin = 0').run();
    const a = await insertUser({ isAdmin: true, password: null });
    const b = await insertUser({ isAdmin: true, password: null });
    const outcomes = await Promise.allSettled([updateUser(env.DB, a.id, { isAdmin: false }, Date.now(), testAudit()), updateUser(env.DB, b.id, { enabled: false }, Date.now(), testAudit())]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('LAST_ADMIN');
    expect(await enabledAdmins()).toBe(1);
  });

  it('cannot be demoted, disabled or deleted; other changes and other users are unaffected', async () => {
    await env.DB.prepare('UPDATE users SET is_admin = 0').run();
    const last = await insertUser({ isAdmin: true, password: PASSWORD });
    const session = await signIn(last.login, PASSWORD);
    const asLast = (path: string, init: RequestInit & { json?: unknown }) =>
      call(`/api/admin${path}`, { ...init, headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } });

    await expectError(asLast(`/users/${last.id}`, { method: 'PATCH', json: { isAdmin: false } }), 409, 'LAST_ADMIN');
    await expectError(asLast(`/users/${last.id}`, { method: 'PATCH', json: { enabled: false, firstName: 'Gone' } }), 409, 'LAST_ADMIN');
    await expectError(asLast(`/users/${last.id}`, { method: 'DELETE' }), 409, 'LAST_ADMIN');
    const unchanged = await json(asLast(`/users/${last.id}`, { method: 'GET' }));
    expect(unchanged).toMatchObject({ isAdmin: true, enabled: true, firstName: '' });
    expect(await enabledAdmins()).toBe(1);

    expect((await asLast(`/users/${last.id}`, { method: 'PATCH', json: { firstName: 'Still here' } })).status).toBe(200);
    const plain = await insertUser({ password: null });
    expect((await asLast(`/users/${plain.id}`, { method: 'PATCH', json: { isAdmin: false, enabled: false } })).status).toBe(200);
    expect((await asLast(`/users/${plain.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectError(asLast(`/users/${crypto.randomUUID()}`, { method: 'DELETE' }), 404, 'USER_NOT_FOUND');
  });
});
