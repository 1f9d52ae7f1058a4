/**
 * Threats to the admin audit trail:
 * - A leaked API key is used to change users and tokens, and the trail names nobody (or only "an API key"), so the
 *   admin who must answer for it, and the key to revoke, stay unknown.
 * - The trail becomes a second place secrets leak from: a seed, PIN, password or API key written into
 *   before/after is readable by every `read` key and in every CSV export.
 * - The trail says something happened that did not (a refused change), or misses a change (written apart from it).
 * - An export of "everything" quietly holds only the page on screen, and an incident review misses rows.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditStatement } from '../../worker/audit/record';
import { auditCsvStream } from '../../worker/audit/repo';
import { ADMIN_AUDIT_RETENTION_DAYS, DAY_MS } from '../../worker/constants';
import { runScheduledPurge } from '../../worker/maintenance/purge';
import { samlYaml } from '../setup/saml-test-support';
import { providerScenario, twilioAndOutboxSettings } from '../helpers/messaging';
import { adminClient, call, insertUser, json, randomSeedBase32, signIn, unique } from '../helpers/worker';

type Admin = Awaited<ReturnType<typeof adminClient>>;

interface AuditRow {
  id: string;
  actor_user_id: string | null;
  actor_login: string | null;
  api_key_id: string | null;
  api_key_name: string | null;
  action: string;
  object_type: string;
  object_id: string | null;
  object_name: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  client: string | null;
  at: number;
}

async function rowsFor(objectId: string): Promise<AuditRow[]> {
  return (await env.DB.prepare('SELECT * FROM admin_audit WHERE object_id = ? ORDER BY at, rowid').bind(objectId).all<AuditRow>()).results;
}

async function auditCount(): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM admin_audit').first<{ n: number }>())!.n;
}

const parsed = (text: string | null) => (text === null ? null : JSON.parse(text));

let admin: Admin;
beforeAll(async () => {
  admin = await adminClient();
});

describe('who made a change', () => {
  it('a change made with an API key is attributed to the key and to the admin who owns it, with IP and client', async () => {
    // Attack: a key leaks and changes a user; afterwards the trail must name the key to revoke and its owner.
    const user = await insertUser();
    const response = await admin.request(`/users/${user.id}`, {
      method: 'PATCH',
      json: { firstName: 'Mallory' },
      headers: { 'cf-connecting-ip': '203.0.113.7', 'user-agent': 'attack-script/1.0' },
    });
    expect(response.status).toBe(200);
    const [row] = await rowsFor(user.id);
    const owner = await env.DB.prepare('SELECT login FROM users WHERE id = ?').bind(admin.ownerUserId).first<{ login: string }>();
    const key = await env.DB.prepare('SELECT name FROM api_keys WHERE id = ?').bind(admin.keyId).first<{ name: string }>();
    expect(row).toMatchObject({
      api_key_id: admin.keyId,
      api_key_name: key!.name,
      actor_user_id: admin.ownerUserId,
      actor_login: owner!.login,
      action: 'update',
      object_type: 'user',
      object_name: user.login,
      ip: '203.0.113.7',
      client: 'attack-script/1.0',
    });
    expect(parsed(row!.before)).toMatchObject({ firstName: '' });
    expect(parsed(row!.after)).toMatchObject({ firstName: 'Mallory' });
  });

  it('a change made in the admin center names the admin signed in, and no key', async () => {
    const person = await insertUser({ isAdmin: true, password: 'admin password 123' });
    const session = await signIn(person.login, 'admin password 123');
    const target = await insertUser();
    const response = await call(`/api/admin/users/${target.id}`, {
      method: 'PATCH',
      json: { enabled: false },
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, origin: 'https://id.example.test' },
    });
    expect(response.status).toBe(200);
    const [row] = await rowsFor(target.id);
    expect(row).toMatchObject({ actor_user_id: person.id, actor_login: person.login, api_key_id: null, api_key_name: null });
    expect([parsed(row!.before).enabled, parsed(row!.after).enabled]).toEqual([true, false]);
  });
});

describe('a failed change records nothing', () => {
  it('refused, unknown and conflicting changes leave the trail as it was', async () => {
    // Attack on the record itself: a trail written apart from the change would say the change happened.
    const taken = await insertUser();
    const before = await auditCount();
    const refusals = await Promise.all([
      admin.request(`/users/${crypto.randomUUID()}`, { method: 'PATCH', json: { firstName: 'x' } }),
      admin.request('/users', { method: 'POST', json: { login: taken.login } }),
      admin.request(`/tokens/${crypto.randomUUID()}/reset-fail-counter`, { method: 'POST' }),
      admin.request(`/resources/${crypto.randomUUID()}`, { method: 'DELETE' }),
      admin.request(`/api-keys/${crypto.randomUUID()}`, { method: 'DELETE' }),
    ]);
    expect(refusals.map((r) => r.status)).toEqual([404, 409, 404, 404, 404]);
    // The last enabled admin cannot be demoted: the guarded UPDATE changes nothing, so no row either.
    await env.DB.prepare('UPDATE users SET is_admin = 0 WHERE id != ?').bind(admin.ownerUserId).run();
    const lastAdmin = await admin.request(`/users/${admin.ownerUserId}`, { method: 'PATCH', json: { isAdmin: false } });
    expect(lastAdmin.status).toBe(409);
    expect(await auditCount()).toBe(before);
  });

  it('a batch that fails after the audit row was inserted takes the row back with it', async () => {
    const before = await auditCount();
    const actor = { userId: admin.ownerUserId, apiKeyId: null, ip: null, client: null, nowMs: Date.now() };
    const existing = await insertUser();
    await expect(
      env.DB.batch([
        env.DB.prepare("UPDATE users SET first_name = 'changed' WHERE id = ?").bind(existing.id),
        auditStatement(env.DB, actor, { action: 'update', objectType: 'user', objectId: existing.id }),
        // A constraint violation later in the same batch: D1 rolls the whole batch back.
        env.DB.prepare('INSERT INTO users (id, login, created_at, updated_at) VALUES (?, ?, 0, 0)').bind(existing.id, unique('dup')),
      ]),
    ).rejects.toThrow();
    expect(await auditCount()).toBe(before);
  });
});

describe('every kind of admin change is recorded with its values before and after', () => {
  it('users: create, update, password, unlock, delete', async () => {
    const created = await admin.post<{ id: string; login: string }>('/users', { login: unique('audited-'), email: 'a@example.test' });
    await admin.request(`/users/${created.id}`, { method: 'PATCH', json: { email: 'b@example.test' } });
    await admin.put(`/users/${created.id}/password`, { password: 'a brand new password' });
    await admin.post(`/users/${created.id}/unlock`, {}); // not locked: nothing changes, nothing recorded
    expect((await admin.request(`/users/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const rows = await rowsFor(created.id);
    expect(rows.map((r) => r.action)).toEqual(['create', 'update', 'set_password', 'delete']);
    expect(parsed(rows[0]!.after)).toMatchObject({ login: created.login, email: 'a@example.test', hasPassword: false });
    expect([parsed(rows[1]!.before).email, parsed(rows[1]!.after).email]).toEqual(['a@example.test', 'b@example.test']);
    expect([parsed(rows[2]!.before), parsed(rows[2]!.after)]).toEqual([{ hasPassword: false }, { hasPassword: true }]);
    expect(parsed(rows[3]!.before)).toMatchObject({ login: created.login });
  });

  it('tokens: create, update, PIN, fail counter, delete', async () => {
    const owner = await insertUser();
    const token = await admin.post<{ id: string; serial: string }>('/tokens/hardware', { serial: unique('HW-'), type: 'HOTP', seed: randomSeedBase32(), ownerUserId: owner.id });
    await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false, description: 'desk drawer' } });
    await admin.put(`/tokens/${token.id}/pin`, { pin: '4711' });
    await env.DB.prepare('UPDATE tokens SET fail_count = 7 WHERE id = ?').bind(token.id).run();
    await admin.post(`/tokens/${token.id}/reset-fail-counter`, {});
    expect((await admin.request(`/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(204);
    const rows = await rowsFor(token.id);
    expect(rows.map((r) => r.action)).toEqual(['create', 'update', 'set_pin', 'reset_fail_counter', 'delete']);
    expect(rows.every((r) => r.object_name === token.serial && r.object_type === 'token')).toBe(true);
    expect(parsed(rows[0]!.after)).toMatchObject({ type: 'HOTP', kind: 'hardware', owner: { id: owner.id } });
    expect([parsed(rows[1]!.before).enabled, parsed(rows[1]!.after).enabled, parsed(rows[1]!.after).description]).toEqual([true, false, 'desk drawer']);
    expect([parsed(rows[2]!.before).hasPin, parsed(rows[2]!.after).hasPin]).toEqual([false, true]);
    expect([parsed(rows[3]!.before).failCount, parsed(rows[3]!.after).failCount]).toEqual([7, 0]);
  });

  it('resources, assignments and self-service settings', async () => {
    const resource = await admin.post<{ id: string; name: string }>('/resources', { name: unique('VPN-') });
    await admin.request(`/resources/${resource.id}`, { method: 'PATCH', json: { description: 'the office VPN' } });
    const user = await insertUser();
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id });
    await admin.put(`/resources/${resource.id}/self-service`, { enabled: true, alias: unique('vpn-').toLowerCase().slice(0, 30), actions: ['changePassword'], tokenTypes: [] });
    await admin.request(`/resources/${resource.id}/assignments/${user.id}`, { method: 'DELETE' });
    await admin.request(`/resources/${resource.id}`, { method: 'DELETE' });
    const rows = await rowsFor(resource.id);
    expect(rows.map((r) => `${r.object_type}:${r.action}`)).toEqual(['resource:create', 'resource:update', 'assignment:create', 'self_service:update', 'assignment:delete', 'resource:delete']);
    expect(parsed(rows[1]!.after)).toEqual({ name: resource.name, description: 'the office VPN' });
    expect(parsed(rows[2]!.after)).toMatchObject({ user: user.login, kind: 'user' });
    expect([parsed(rows[3]!.before).enabled, parsed(rows[3]!.after).enabled, parsed(rows[3]!.after).actions]).toEqual([false, true, ['changePassword']]);
  });

  it('security settings, SAML configuration and its apply, the sign-in script, API keys, workspaces', async () => {
    const start = Date.now() - 1;
    await admin.put('/security', { twoFactorEnabled: true });
    await admin.put('/user-issues/settings', { notifyByEmail: true });
    await admin.put('/saml', { yaml: samlYaml(), allowSignIn: true });
    await admin.post('/saml/apply', {});
    await admin.put('/sign-in-script', { source: 'version: 1\nactions:\n  - Comment: audited\n' });
    await admin.put('/sign-in-script/enabled', { enabled: false });
    const key = await admin.post<{ id: string }>('/api-keys', { name: unique('audited-key-'), scope: 'read' });
    await admin.request(`/api-keys/${key.id}`, { method: 'DELETE' });
    const office = await admin.post<{ id: string }>('/offices', { name: unique('Office-') });
    const member = await insertUser();
    await admin.put(`/offices/${office.id}/members/${member.id}`, {});
    const { results } = await env.DB.prepare('SELECT * FROM admin_audit WHERE at >= ? AND api_key_id = ? ORDER BY at, rowid').bind(start, admin.keyId).all<AuditRow>();
    const seen = results.map((r) => `${r.object_type}:${r.action}`);
    for (const expected of ['security_settings:update', 'saml_config:save', 'saml_config:apply', 'sign_in_script:save', 'sign_in_script:update', 'api_key:create', 'api_key:revoke', 'office:create', 'office:add_member']) {
      expect(seen).toContain(expected);
    }
    const byKind = (kind: string) => results.find((r) => `${r.object_type}:${r.action}` === kind)!;
    expect(results.filter((r) => r.object_type === 'security_settings').map((r) => parsed(r.after))).toEqual([{ twoFactorEnabled: true }, { notifyByEmail: true }]);
    expect(parsed(byKind('saml_config:apply').after).appliedVersion).toEqual(expect.any(Number));
    expect([parsed(byKind('sign_in_script:update').before), parsed(byKind('sign_in_script:update').after)]).toEqual([{ enabled: true }, { enabled: false }]);
    expect(parsed(byKind('office:add_member').after)).toMatchObject({ member: member.login });
  });
});

describe('user issues', () => {
  it('approving and deleting a request are recorded; the new password given is not', async () => {
    const user = await insertUser();
    const insertIssue = async () => {
      const id = crypto.randomUUID();
      await env.DB.prepare(`INSERT INTO user_issues (id, user_id, lost, authenticators, pending_password_hash, state, created_at) VALUES (?, ?, '["password"]', '{}', 'pbkdf2$pending-hash-value', 'open', ?)`)
        .bind(id, user.id, Date.now())
        .run();
      return id;
    };
    const approved = await insertIssue();
    expect((await admin.request(`/user-issues/${approved}/approve`, { method: 'POST' })).status).toBe(204);
    expect((await admin.request(`/user-issues/${approved}/approve`, { method: 'POST' })).status).toBe(404);
    const deleted = await insertIssue();
    expect((await admin.request(`/user-issues/${deleted}`, { method: 'DELETE' })).status).toBe(204);
    const [approval] = await rowsFor(approved);
    expect(await rowsFor(approved)).toHaveLength(1);
    expect(approval).toMatchObject({ action: 'approve', object_type: 'user_issue', object_name: user.login });
    expect(parsed(approval!.before)).toEqual({ state: 'open', lost: ['password'], newEmail: null, newPasswordGiven: true });
    expect((await rowsFor(deleted)).map((r) => r.action)).toEqual(['delete']);
    expect(JSON.stringify([...(await rowsFor(approved)), ...(await rowsFor(deleted))])).not.toContain('pending-hash-value');
  });
});

describe('secrets never reach the trail', () => {
  it('seeds, PINs, passwords and API keys are nowhere in any row', async () => {
    // Attack: a `read` key (or a CSV export) reads the trail to harvest what admins typed.
    const password = `pw-${crypto.randomUUID()}`;
    const seed = randomSeedBase32();
    const pin = '90817263';
    const user = await admin.post<{ id: string }>('/users', { login: unique('secretive-'), password });
    await admin.put(`/users/${user.id}/password`, { password: `${password}-2` });
    const token = await admin.post<{ id: string }>('/tokens/hardware', { serial: unique('HW-'), type: 'TOTP', seed, ownerUserId: user.id, pin });
    await admin.put(`/tokens/${token.id}/pin`, { pin: '56473829' });
    const software = await admin.post<{ enrolment: { secretBase32: string } }>('/tokens/software', { type: 'TOTP', ownerUserId: user.id });
    const apiKey = await admin.post<{ key: string }>('/api-keys', { name: unique('harvest-'), scope: 'verify' });
    const providerSecret = `twilio-secret-${crypto.randomUUID()}`;
    const settings = twilioAndOutboxSettings(providerScenario().baseUrl);
    settings.sms.primary.authToken = providerSecret;
    await admin.put('/messaging/settings', settings);
    const [providerRow] = (await env.DB.prepare("SELECT * FROM admin_audit WHERE object_type = 'messaging_settings' ORDER BY at DESC LIMIT 1").all<AuditRow>()).results;
    expect(parsed(providerRow!.after).sms.primary).toMatchObject({ type: 'twilio', accountSid: settings.sms.primary.accountSid });
    const hashes = await env.DB.prepare('SELECT password_hash AS v FROM users WHERE id = ? UNION ALL SELECT pin_hash FROM tokens WHERE owner_user_id = ? UNION ALL SELECT secret_encrypted FROM tokens WHERE owner_user_id = ?')
      .bind(user.id, user.id, user.id)
      .all<{ v: string | null }>();
    const secrets = [password, `${password}-2`, seed, pin, '56473829', software.enrolment.secretBase32, apiKey.key, providerSecret, ...hashes.results.map((r) => r.v).filter((v): v is string => Boolean(v))];
    const { results } = await env.DB.prepare('SELECT * FROM admin_audit').all<AuditRow>();
    expect(results.length).toBeGreaterThan(4);
    const everything = JSON.stringify(results);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // The CSV export holds the same rows: scanned too.
    const csv = await (await admin.request('/audit/export')).text();
    for (const secret of secrets) expect(csv).not.toContain(secret);
  });
});

describe('reading the trail', () => {
  it('filters by admin, object type, object and time, and pages by keyset without gaps or repeats', async () => {
    const other = await adminClient();
    const resource = await other.post<{ id: string; name: string }>('/resources', { name: unique('Paged-') });
    for (let i = 0; i < 7; i++) await other.request(`/resources/${resource.id}`, { method: 'PATCH', json: { description: `d${i}` } });
    const ownerLogin = (await env.DB.prepare('SELECT login FROM users WHERE id = ?').bind(other.ownerUserId).first<{ login: string }>())!.login;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string; actor: { login: string }; objectType: string }>; total: number; nextCursor: string | null } = await admin.get(
        `/audit?admin=${encodeURIComponent(ownerLogin)}&objectType=resource&object=${encodeURIComponent(resource.name)}&pageSize=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.total).toBe(8);
      expect(page.items.every((item) => item.actor.login === ownerLogin && item.objectType === 'resource')).toBe(true);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    const future = await admin.get<{ total: number }>(`/audit?object=${encodeURIComponent(resource.name)}&from=${Date.now() + 60_000}`);
    expect(future.total).toBe(0);
  });

  it('the CSV export holds every row of the filter, read in chunks, not the page shown', async () => {
    const resource = await admin.post<{ id: string; name: string }>('/resources', { name: unique('Exported-') });
    for (let i = 0; i < 11; i++) await admin.request(`/resources/${resource.id}`, { method: 'PATCH', json: { description: `e${i}` } });
    const response = await admin.request(`/audit/export?object=${resource.id}`);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines).toHaveLength(1 + 12);
    // Read 5 at a time, the stream still yields all 12, newest first.
    const chunked = (await new Response(auditCsvStream(env.DB, { object: resource.id }, Date.now(), 5)).text()).trim().split('\r\n');
    expect(chunked).toEqual(lines);
    expect(chunked[1]).toContain('e10');
    expect(chunked[12]).toContain('create');
  });

  it('rows older than the retention are not shown and the hourly purge removes them', async () => {
    const objectId = crypto.randomUUID();
    const now = Date.now();
    for (const ageDays of [ADMIN_AUDIT_RETENTION_DAYS + 1, ADMIN_AUDIT_RETENTION_DAYS - 1]) {
      await env.DB.prepare("INSERT INTO admin_audit (id, at, action, object_type, object_id) VALUES (?, ?, 'update', 'user', ?)").bind(crypto.randomUUID(), now - ageDays * DAY_MS, objectId).run();
    }
    expect((await admin.get<{ total: number }>(`/audit?object=${objectId}`)).total).toBe(1);
    await runScheduledPurge(env, now);
    expect((await rowsFor(objectId)).map((r) => Math.round((now - r.at) / DAY_MS))).toEqual([ADMIN_AUDIT_RETENTION_DAYS - 1]);
  });

  it('a verify key cannot read the trail', async () => {
    const verifier = await adminClient('verify');
    expect((await verifier.request('/audit')).status).toBe(403);
    expect(await json(verifier.request('/audit/export'))).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});
