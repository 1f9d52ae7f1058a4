/**
 * The admin audit trail of the token actions whose change happens in the verification: Check OTP, resync and "Send
 * code" are recorded with the change they make (the consume, the counted failure, the claimed resync attempt, the
 * stored code: the same D1 batch, or in object mode the object's transaction, whose outbox brings the row to D1),
 * with the outcome; and how long the trail keeps rows is a platform setting within bounds, which the hourly purge
 * and every read go by. Runs in both projects (worker, worker-object).
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUDIT_RETENTION_DAYS, ADMIN_AUDIT_RETENTION_MAX_DAYS, ADMIN_AUDIT_RETENTION_MIN_DAYS, DAY_MS } from '../../worker/constants';
import { runScheduledPurge } from '../../worker/maintenance/purge';
import { providerScenario, twilioAndOutboxSettings } from '../helpers/messaging';
import { verifyStateMode, verifyStateSettled } from '../../worker/verify-state/client';
import { adminClient, insertUser, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';

type Admin = Awaited<ReturnType<typeof adminClient>>;
let admin: Admin;

beforeAll(async () => {
  admin = await adminClient();
  const saved = await admin.request('/messaging/settings', { method: 'PUT', json: twilioAndOutboxSettings(providerScenario().baseUrl) });
  expect(saved.status).toBe(200);
});

interface AuditRow {
  action: string;
  object_type: string;
  object_name: string | null;
  actor_user_id: string | null;
  api_key_id: string | null;
  after: string | null;
}

const rowsFor = async (objectId: string, action?: string) =>
  (
    await env.DB.prepare('SELECT action, object_type, object_name, actor_user_id, api_key_id, after FROM admin_audit WHERE object_id = ?1 AND (?2 IS NULL OR action = ?2) ORDER BY at, rowid')
      .bind(objectId, action ?? null)
      .all<AuditRow>()
  ).results;

const afterOf = (rows: AuditRow[]) => rows.map((row) => JSON.parse(row.after!));

async function totpToken() {
  const user = await insertUser({ password: null });
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-AUDIT-'), seed, seedEncoding: 'base32', ownerUserId: user.id });
  // In object mode the rows (and the token's columns) reach D1 with the object's flush, after the answer.
  const drained = () => verifyStateSettled(env, { id: token.id, owner_user_id: user.id });
  const settled = async () => expect(await drained()).toBe(true);
  const failCount = async () => (await settled(), (await env.DB.prepare('SELECT fail_count FROM tokens WHERE id = ?').bind(token.id).first<{ fail_count: number }>())!.fail_count);
  return { token, seed, drained, settled, failCount };
}

describe('token actions are recorded with the change they make in the verification', () => {
  it('a change and its row come together: a Check OTP whose row D1 refuses changes nothing, or (object mode) its row arrives with the flush', async () => {
    // Failure: the trail's insert fails after the check consumed the user's code (the row written on its own,
    // after the action). An admin could then test a user's code, using it up, without the trail saying so.
    const { token, seed, drained, settled, failCount } = await totpToken();
    const right = await totpAt(seed, Date.now());
    await env.DB.prepare('ALTER TABLE admin_audit RENAME TO admin_audit_away').run();
    const check = await admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: right } });
    if (verifyStateMode(env) === 'd1') {
      // One batch: the refused row rolls the consume back, so the code is still the user's.
      expect(check.status).toBe(500);
      await env.DB.prepare('ALTER TABLE admin_audit_away RENAME TO admin_audit').run();
      expect(await rowsFor(token.id, 'check_otp')).toEqual([]);
      expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: right } }))).toEqual({ valid: true });
    } else {
      // The consume and the row are one object transaction; D1 takes the row once it is back.
      expect(await json(check)).toEqual({ valid: true });
      expect(await drained()).toBe(false);
      await env.DB.prepare('ALTER TABLE admin_audit_away RENAME TO admin_audit').run();
    }
    await settled();
    expect(afterOf(await rowsFor(token.id, 'check_otp'))).toEqual([{ valid: true }]);
    expect(await failCount()).toBe(0);
  });

  it('the row says what the check changed: a counted failure with its count, a replay (nothing counted) on its own', async () => {
    const { token, seed, failCount } = await totpToken();
    const right = await totpAt(seed, Date.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: wrong } }))).toMatchObject({ valid: false, reason: 'OTP_INVALID' });
    expect(await failCount()).toBe(1);
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: right } }))).toEqual({ valid: true });
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: right } }))).toMatchObject({ valid: false, reason: 'OTP_REPLAYED' });
    expect(await failCount()).toBe(0);
    expect(afterOf(await rowsFor(token.id, 'check_otp'))).toEqual([{ valid: false, reason: 'OTP_INVALID' }, { valid: true }, { valid: false, reason: 'OTP_REPLAYED' }]);
  });

  it('Check OTP: each check with its outcome, by the key and its owner, named by the serial', async () => {
    const { token, seed, settled } = await totpToken();
    const right = await totpAt(seed, Date.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: wrong } }))).toMatchObject({ valid: false });
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: right } }))).toEqual({ valid: true });
    await settled();
    const rows = await rowsFor(token.id, 'check_otp');
    expect(rows.map(({ object_type, object_name, actor_user_id, api_key_id }) => ({ object_type, object_name, actor_user_id, api_key_id }))).toEqual(
      Array(2).fill({ object_type: 'token', object_name: token.serial, actor_user_id: admin.ownerUserId, api_key_id: admin.keyId }),
    );
    expect(afterOf(rows)).toEqual([{ valid: false, reason: 'OTP_INVALID' }, { valid: true }]);
  });

  it('resync: a refused and an accepted resync, each recorded', async () => {
    const { token, seed, settled } = await totpToken();
    const now = Date.now();
    const refused = await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: '000000', otp2: '000001' } });
    expect(refused.status).toBe(401);
    const accepted = await admin.request(`/tokens/${token.id}/resync`, {
      method: 'POST',
      json: { otp1: await totpAt(seed, now + 20 * 30_000), otp2: await totpAt(seed, now + 21 * 30_000) },
    });
    expect(accepted.status).toBe(200);
    await settled();
    expect(afterOf(await rowsFor(token.id, 'resync'))).toEqual([{ resynced: false, reason: 'OTP_INVALID' }, { resynced: true }]);
    // Disabled: refused before an attempt is claimed, nothing counted: a row of its own.
    await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } });
    expect((await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: '000000', otp2: '000001' } })).status).toBe(403);
    await settled();
    expect(afterOf(await rowsFor(token.id, 'resync')).at(-1)).toEqual({ resynced: false, reason: 'TOKEN_DISABLED' });
  });

  it('Send code: recorded with where the code went (masked), never the code', async () => {
    const user = await insertUser({ password: null });
    const destination = `${unique('audit')}@example.test`;
    const token = await admin.post('/tokens/message', { type: 'EMAIL', destination, ownerUserId: user.id });
    const sent = await admin.post(`/tokens/${token.id}/send-code`, {});
    const rows = await rowsFor(token.id, 'send_code');
    expect(afterOf(rows)).toEqual([{ sentTo: sent.sentTo }]);
    expect(rows[0]!.after).not.toContain(destination);
    // A refused send (not a message token) records nothing.
    const { token: totp } = await totpToken();
    expect((await admin.request(`/tokens/${totp.id}/send-code`, { method: 'POST', json: {} })).status).toBe(400);
    expect(await rowsFor(totp.id, 'send_code')).toEqual([]);
  });
});

describe('audit retention is a platform setting', () => {
  it('defaults to a year; out-of-bounds values are refused at the field and change nothing; a change is itself recorded', async () => {
    expect(await admin.get('/security/audit-retention')).toEqual({ days: ADMIN_AUDIT_RETENTION_DAYS, minDays: ADMIN_AUDIT_RETENTION_MIN_DAYS, maxDays: ADMIN_AUDIT_RETENTION_MAX_DAYS });
    // Attack: an administrator sets the retention to a day, so the next hourly purge erases what they just did.
    for (const days of [1, ADMIN_AUDIT_RETENTION_MIN_DAYS - 1, ADMIN_AUDIT_RETENTION_MAX_DAYS + 1, 120.5]) {
      const refused = await admin.request('/security/audit-retention', { method: 'PUT', json: { days } });
      expect(refused.status).toBe(400);
      expect(await json(refused)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'days' }] } } });
    }
    expect((await admin.get('/security/audit-retention')).days).toBe(ADMIN_AUDIT_RETENTION_DAYS);
    const reader = await adminClient('read');
    expect((await reader.request('/security/audit-retention', { method: 'PUT', json: { days: 120 } })).status).toBe(403);

    expect(await json(admin.request('/security/audit-retention', { method: 'PUT', json: { days: 120 } }))).toMatchObject({ days: 120 });
    const rows = await rowsFor('platform.adminAuditRetentionDays');
    expect(rows.map((row) => ({ action: row.action, object_type: row.object_type, after: JSON.parse(row.after!) }))).toEqual([
      { action: 'update', object_type: 'security_settings', after: { auditRetentionDays: 120 } },
    ]);
  });

  it('the hourly purge and the trail both go by the setting', async () => {
    await admin.put('/security/audit-retention', { days: 120 });
    const objectId = crypto.randomUUID();
    const now = Date.now();
    for (const ageDays of [121, 119]) {
      await env.DB.prepare("INSERT INTO admin_audit (id, at, action, object_type, object_id) VALUES (?, ?, 'update', 'user', ?)").bind(crypto.randomUUID(), now - ageDays * DAY_MS, objectId).run();
    }
    // Past the retention, a row is not shown even before the purge removes it (in the list and in the CSV).
    expect((await admin.get<{ total: number }>(`/audit?object=${objectId}`)).total).toBe(1);
    expect((await (await admin.request(`/audit/export?object=${objectId}`)).text()).trim().split('\r\n')).toHaveLength(2);
    await runScheduledPurge(env, now);
    const left = await env.DB.prepare('SELECT at FROM admin_audit WHERE object_id = ?').bind(objectId).all<{ at: number }>();
    expect(left.results.map((row) => Math.round((now - row.at) / DAY_MS))).toEqual([119]);

    // Longer again: the purge keeps what the default would have removed.
    await admin.put('/security/audit-retention', { days: 400 });
    const older = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO admin_audit (id, at, action, object_type, object_id) VALUES (?, ?, 'update', 'user', ?)").bind(crypto.randomUUID(), now - (ADMIN_AUDIT_RETENTION_DAYS + 10) * DAY_MS, older).run();
    await runScheduledPurge(env, now);
    expect((await admin.get<{ total: number }>(`/audit?object=${older}`)).total).toBe(1);
  });
});
