/**
 * Two-factor by SMS for the platform sign-in: the admin switch, the profile's number confirmation and activation,
 * the workspace that forbids it, and the sign-in that then asks for the SMS code.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { adminClient, call, insertUser, json, signIn, unique } from '../helpers/worker';

async function lastSmsCode(phone: string): Promise<string> {
  const row = await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY at DESC, rowid DESC LIMIT 1').bind(phone).first<{ body: string }>();
  return /\b(\d{6})\b/.exec(row!.body)![1]!;
}

function as(session: { cookie: string; csrfToken: string }) {
  return (path: string, body?: unknown) =>
    call(path, { method: body === undefined ? 'GET' : 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken }, ...(body !== undefined ? { json: body } : {}) }).then(async (r) => ({ status: r.status, body: await json(r) }));
}

describe('two-factor authentication by SMS', () => {
  it('is unavailable until the admin switches it on; then a user confirms a number, activates, and signs in with the SMS code', async () => {
    const admin = await adminClient();
    const user = await insertUser({ password: 'user password 1' });
    const profile = as(await signIn(user.login, 'user password 1'));
    await admin.request('/security', { method: 'PUT', json: { twoFactorEnabled: false } });
    expect((await profile('/api/profile')).body.twoFactor.available).toBe(false);
    expect((await profile('/api/profile/two-factor/phone', { phone: '+49 151 23456789' })).body.error.code).toBe('TWO_FACTOR_UNAVAILABLE');

    await admin.request('/security', { method: 'PUT', json: { twoFactorEnabled: true } });
    expect((await profile('/api/profile/two-factor/phone', { phone: '12' })).body.error.code).toBe('VALIDATION_FAILED');
    const requested = await profile('/api/profile/two-factor/phone', { phone: '0151 23456789' });
    expect(requested.status).toBe(200);
    expect((await profile('/api/profile/two-factor/activate', {})).body.error.code).toBe('CONFLICT'); // not confirmed yet
    const confirmed = await profile('/api/profile/two-factor/phone/confirm', { challengeId: requested.body.challengeId, code: await lastSmsCode('+4915123456789') });
    expect(confirmed.body.twoFactor).toMatchObject({ phone: '+4915123456789', phoneVerified: true, active: false });
    expect((await profile('/api/profile/two-factor/activate', {})).body.twoFactor.active).toBe(true);

    const first = await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'user password 1' } }));
    expect(first).toMatchObject({ state: 'second_factor', methods: ['sms'] });
    const wrong = await json(call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: '000000' } }));
    expect(wrong.error.code).toBe('CODE_INVALID');
    const done = await json(call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: await lastSmsCode('+4915123456789') } }));
    expect(done.state).toBe('signed_in');
    const types = await env.DB.prepare(`SELECT type FROM user_activities WHERE user_id = ? AND channel = 'login' ORDER BY at, rowid`).bind(user.id).all();
    expect(types.results.map((r) => r.type)).toEqual(['UserLogin', 'UserLoginAttempt', 'UserLogin']);
  });

  it('a workspace that disables 2FA keeps its members from activating it, and says why', async () => {
    const admin = await adminClient();
    await admin.request('/security', { method: 'PUT', json: { twoFactorEnabled: true } });
    const office = await admin.post('/offices', { name: unique('NoTwoFactor-'), twoFactorDisabled: true });
    const user = await insertUser({ password: 'user password 1' });
    await admin.put(`/offices/${office.id}/members/${user.id}`, {});
    const profile = as(await signIn(user.login, 'user password 1'));
    expect((await profile('/api/profile')).body.twoFactor.disabledByOffices).toEqual([office.name]);
    const refused = await profile('/api/profile/two-factor/phone', { phone: '+49 151 23456780' });
    expect(refused.body.error).toMatchObject({ code: 'TWO_FACTOR_FORBIDDEN_BY_OFFICE', details: { offices: [office.name] } });
  });

  it('deactivating needs a code sent to the number on file', async () => {
    const admin = await adminClient();
    await admin.request('/security', { method: 'PUT', json: { twoFactorEnabled: true } });
    const user = await insertUser({ password: 'user password 1' });
    const phone = '+4915123456781';
    await env.DB.prepare('UPDATE users SET sms_phone = ?, sms_phone_verified = 1, sms_two_factor_active = 1 WHERE id = ?').bind(phone, user.id).run();
    const start = await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'user password 1' } }));
    const done = await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: start.challenge, otp: await lastSmsCode(phone) } });
    const body = await json(done);
    const profile = as({ cookie: done.headers.get('set-cookie')!.split(';')[0]!, csrfToken: body.csrfToken });
    expect((await profile('/api/profile/two-factor/deactivate', { challengeId: 'x', code: '123456' })).status).not.toBe(200);
    const code = await profile('/api/profile/two-factor/deactivate/code', {});
    await new Promise((r) => setTimeout(r, 5));
    const off = await profile('/api/profile/two-factor/deactivate', { challengeId: code.body.challengeId, code: await lastSmsCode(phone) });
    expect(off.body.twoFactor.active).toBe(false);
  });
});
