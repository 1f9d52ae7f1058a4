/**
 * The admin center's "Check OTP" for SMS and EMAIL tokens: "Send code" sends one to the token's destination, and
 * the check verifies the code typed against it. The admin's codes have their own purpose, so a user who is signing
 * in at that moment keeps a working code: the admin's send does not void it and the admin's check does not use it.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshPhone, providerScenario, smsTextsTo, twilioAndOutboxSettings } from '../helpers/messaging';
import { assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { adminClient, json, unique } from '../helpers/worker';

const PASSWORD = 'portal password 1';
let sms: ReturnType<typeof providerScenario>;

beforeAll(async () => {
  sms = providerScenario();
  const admin = await adminClient();
  const saved = await admin.request('/messaging/settings', {
    method: 'PUT',
    json: twilioAndOutboxSettings(sms.baseUrl),
  });
  expect(saved.status).toBe(200);
});
afterEach(() => vi.useRealTimers());

const smsTo = (phone: string, count = 1) => smsTextsTo(sms, phone, count);
const lastSmsCode = async (phone: string, count: number) => /\b(\d{6})\b/.exec((await smsTo(phone, count)).at(-1)!)![1]!;

describe('admin "Check OTP" for SMS and EMAIL tokens', () => {
  it('sends a code to the token, accepts it once, counts a wrong one, and leaves the user\'s sign-in code working', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const phone = freshPhone();
    const user = await assignedUser(admin, resource.id);
    const token = await admin.post('/tokens/message', { type: 'SMS', destination: phone, ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const check = async (otp: string) => {
      const response = await admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp } });
      return { status: response.status, body: await json(response) };
    };

    // Nothing sent yet: nothing to guess at, and nothing counted.
    expect(await check('123456')).toMatchObject({ status: 410, body: { error: { code: 'CODE_EXPIRED' } } });
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(0);

    // The user is at the portal's OTP step: their sign-in code is out.
    const browser = portalClient(alias, { ip: '192.0.2.10' });
    const start = await browser.send('POST', '/signin', { login: user.login });
    expect((await browser.send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD })).body).toMatchObject({ step: 'otp' });
    const signInCode = await lastSmsCode(phone, 1);

    const sent = await admin.request(`/tokens/${token.id}/send-code`, { method: 'POST' });
    expect(sent.status).toBe(200);
    expect(await json(sent)).toEqual({ sentTo: token.destination, expiresAt: expect.any(Number) });
    const adminCode = await lastSmsCode(phone, 2);
    // Within the resend cooldown a second send is refused (SMS costs money).
    expect((await admin.request(`/tokens/${token.id}/send-code`, { method: 'POST' })).status).toBe(429);

    // The user's code is no answer to the admin's check; a wrong code counts on the token.
    expect((await check(signInCode)).body).toEqual({ valid: false, reason: 'OTP_INVALID', lockedUntil: null });
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(1);
    expect((await check(adminCode)).body).toEqual({ valid: true });
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(0);
    // Used up.
    expect((await check(adminCode)).body.error.code).toBe('CODE_EXPIRED');

    // The user's sign-in code still signs them in.
    expect((await browser.send('POST', '/signin/otp', { flow: start.body.flow, otp: signInCode })).body.state).toBe('signed_in');
  });

  it('an EMAIL token with a PIN: the code needs the PIN; OTP tokens have no code to send', async () => {
    const admin = await adminClient();
    const user = await assignedUser(admin, (await admin.post('/resources', { name: unique('R') })).id);
    const address = `${unique('chk')}@example.com`;
    const token = await admin.post('/tokens/message', { type: 'EMAIL', destination: address, ownerUserId: user.id, pin: '2468' });
    expect((await admin.request(`/tokens/${token.id}/send-code`, { method: 'POST' })).status).toBe(200);
    const code = await lastEmailCode(address);
    const withoutPin = await admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: code } });
    expect(await json(withoutPin)).toEqual({ valid: false, reason: 'OTP_INVALID', lockedUntil: null });
    const withPin = await admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: `${code}2468` } });
    expect(await json(withPin)).toEqual({ valid: true });

    const app = await admin.post('/tokens/software', { type: 'TOTP', ownerUserId: user.id });
    const refused = await admin.request(`/tokens/${app.token.id}/send-code`, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.code).toBe('TOKEN_TYPE_MISMATCH');
    expect((await env.DB.prepare(`SELECT count(*) AS n FROM challenges WHERE purpose = 'admin-check-token' AND user_id = ?`).bind(user.id).first<{ n: number }>())!.n).toBe(1);
  });

  it('refuses what is not an email address, or a PIN against the rule, at the field it concerns (code and parameters for the UI)', async () => {
    const { admin, resource } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    const refused = await admin.request('/tokens/message', { method: 'POST', json: { type: 'EMAIL', destination: 'not-an-address@', ownerUserId: user.id } });
    expect(refused.status).toBe(400);
    expect(await json(refused)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'destination', code: 'invalid_format', params: { format: 'email' } }] } } });

    const token = await admin.post('/tokens/message', { type: 'EMAIL', destination: `${unique('pin')}@example.test`, ownerUserId: user.id });
    const shortPin = await admin.request(`/tokens/${token.id}/pin`, { method: 'PUT', json: { pin: '12', pinPosition: 'after' } });
    expect(shortPin.status).toBe(400);
    expect(await json(shortPin)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'pin', code: 'invalid_format', params: { pattern: 'tokenPin' } }] } } });
  });
});
