/**
 * The admin audit trail beyond changes made in an admin batch: Check OTP, resync and "Send code" (which change no
 * row of an admin batch, or change it inside the verification) are recorded as their own rows, with the outcome; and
 * how long the trail keeps rows is a platform setting within bounds, which the hourly purge and every read go by.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUDIT_RETENTION_DAYS, ADMIN_AUDIT_RETENTION_MAX_DAYS, ADMIN_AUDIT_RETENTION_MIN_DAYS, DAY_MS } from '../../worker/constants';
import { runScheduledPurge } from '../../worker/maintenance/purge';
import { providerScenario, twilioAndOutboxSettings } from '../helpers/messaging';
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
  return { token, seed };
}

describe('token actions that change no admin batch are recorded as their own rows', () => {
  it('Check OTP: each check with its outcome, by the key and its owner, named by the serial', async () => {
    const { token, seed } = await totpToken();
    const right = await totpAt(seed, Date.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: wrong } }))).toMatchObject({ valid: false });
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: right } }))).toEqual({ valid: true });
    const rows = await rowsFor(token.id, 'check_otp');
    expect(rows.map(({ object_type, object_name, actor_user_id, api_key_id }) => ({ object_type, object_name, actor_user_id, api_key_id }))).toEqual(
      Array(2).fill({ object_type: 'token', object_name: token.serial, actor_user_id: admin.ownerUserId, api_key_id: admin.keyId }),
    );
    expect(afterOf(rows)).toEqual([{ valid: false, reason: 'OTP_INVALID' }, { valid: true }]);
  });

  it('resync: a refused and an accepted resync, each recorded', async () => {
    const { token, seed } = await totpToken();
    const now = Date.now();
    const refused = await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: '000000', otp2: '000001' } });
    expect(refused.status).toBe(401);
    const accepted = await admin.request(`/tokens/${token.id}/resync`, {
      method: 'POST',
      json: { otp1: await totpAt(seed, now + 20 * 30_000), otp2: await totpAt(seed, now + 21 * 30_000) },
    });
    expect(accepted.status).toBe(200);
    expect(afterOf(await rowsFor(token.id, 'resync'))).toEqual([{ resynced: false, reason: 'OTP_INVALID' }, { resynced: true }]);
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
