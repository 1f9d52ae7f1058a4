/**
 * SMS and EMAIL tokens end to end inside workerd against the real local D1, with real provider HTTP calls (a
 * Twilio-shaped request to the provider impersonation server for SMS; the outbox for email):
 *
 * - portal Register New Token: the code goes to the phone number / address the user gave, and only that code
 *   activates the token and assigns it "with" the user on this resource (a wrong code activates nothing);
 * - portal sign-in: the OTP step sends a code to the token's destination; wrong, expired and reused codes are
 *   refused; the resend cooldown applies; the token PIN goes with the code where set;
 * - the verify API: no otp (or only the PIN) sends a code and answers CHALLENGE_SENT; the code then passes once;
 * - the admin API creates SMS tokens and shows their destination only masked.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CODE_TTL_MS } from '../../worker/constants';
import { freshPhone, providerScenario, smsTextsTo, twilioAndOutboxSettings } from '../helpers/messaging';
import { assignedUser, lastEmailCode, portalClient, portalWith, type AdminClient } from '../helpers/portal';
import { call, json, unique } from '../helpers/worker';

const PASSWORD = 'portal password 1';
let sms: ReturnType<typeof providerScenario>;

beforeAll(async () => {
  sms = providerScenario();
  const admin = (await portalWith(['registerNewToken'])).admin;
  const saved = await admin.request('/messaging/settings', {
    method: 'PUT',
    json: twilioAndOutboxSettings(sms.baseUrl),
  });
  expect(saved.status).toBe(200);
});
afterEach(() => vi.useRealTimers());

let ipCounter = 0;
const browserFor = (alias: string) => portalClient(alias, { ip: `203.0.113.${++ipCounter % 250}` });

const smsTo = (phone: string, count = 1) => smsTextsTo(sms, phone, count);
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)![1]!;
const lastSmsCode = async (phone: string, count: number) => codeIn((await smsTo(phone, count)).at(-1)!);
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

const tokenRow = (id: string) =>
  env.DB.prepare('SELECT type, destination, activated, enabled, owner_user_id, secret_encrypted, fail_count FROM tokens WHERE id = ?')
    .bind(id)
    .first<{ type: string; destination: string; activated: number; enabled: number; owner_user_id: string; secret_encrypted: string | null; fail_count: number }>();
const assignmentRow = (resourceId: string, userId: string) =>
  env.DB.prepare('SELECT kind, token_id FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resourceId, userId).first<{ kind: string; token_id: string | null }>();

async function signedInPortalUser(tokenTypes: string[], actions = ['registerNewToken', 'setupPin']) {
  const portal = await portalWith(actions, tokenTypes);
  const user = await assignedUser(portal.admin, portal.resource.id, { email: `${unique('m')}@example.com` });
  const browser = browserFor(portal.alias);
  expect((await browser.signIn(user.login, PASSWORD)).body.state).toBe('signed_in');
  return { ...portal, user, browser };
}

/** Password step of a new sign-in: must land on the OTP step; returns the answer and a way to submit codes. */
async function toOtpStep(alias: string, login: string) {
  const browser = browserFor(alias);
  const start = await browser.send('POST', '/signin', { login });
  const answer = await browser.send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD });
  expect(answer.body).toMatchObject({ state: 'continue', step: 'otp' });
  return {
    answer,
    submit: (otp: string) => browser.send('POST', '/signin/otp', { flow: start.body.flow, otp }),
    resend: () => browser.send('POST', '/signin/otp/send', { flow: start.body.flow }),
  };
}

describe('portal: SMS token', () => {
  it('registers with a code sent to the given number, and from then on signs in with an SMS code', async () => {
    const { alias, resource, user, browser } = await signedInPortalUser(['TOTP', 'SMS']);
    const phone = freshPhone();

    // Bad input: no destination, an invalid number. Nothing is created, nothing is sent.
    const tokensBefore = (await env.DB.prepare('SELECT count(*) AS n FROM tokens WHERE owner_user_id = ?').bind(user.id).first<{ n: number }>())!.n;
    expect(await browser.send('POST', '/tokens/enrol', { type: 'SMS' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: 'not a number' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect((await env.DB.prepare('SELECT count(*) AS n FROM tokens WHERE owner_user_id = ?').bind(user.id).first<{ n: number }>())!.n).toBe(tokensBefore);
    expect((await sms.requests()).filter((r) => new URLSearchParams(r.body).get('To') === phone)).toEqual([]);

    // Typed the German way; stored and sent in E.164.
    const enrol = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: `0${phone.slice(3, 6)} ${phone.slice(6)}`, description: 'my phone' });
    expect(enrol.status).toBe(201);
    expect(enrol.body).toMatchObject({ token: { type: 'SMS', destination: `${phone.slice(0, 3)}${'•'.repeat(phone.length - 5)}${phone.slice(-2)}` }, channel: 'sms' });
    const tokenId = enrol.body.token.id as string;
    const code = await lastSmsCode(phone, 1);
    expect(await tokenRow(tokenId)).toMatchObject({ type: 'SMS', destination: phone, activated: 0, owner_user_id: user.id, secret_encrypted: null });
    // The code is nowhere in clear.
    const stored = await env.DB.prepare('SELECT * FROM challenges WHERE user_id = ? AND target = ?').bind(user.id, phone).all();
    expect(JSON.stringify(stored.results)).not.toContain(code);
    expect(JSON.stringify(await tokenRow(tokenId))).not.toContain(code);

    // A wrong code: refused, nothing activated or assigned.
    const wrong = await browser.send('POST', '/tokens/confirm', { tokenId, challengeId: enrol.body.challengeId, otp: otherCode(code) });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'OTP_INVALID' } } });
    // The right code without its challenge is no answer either.
    expect((await browser.send('POST', '/tokens/confirm', { tokenId, otp: code })).body.error.code).toBe('OTP_INVALID');
    expect((await tokenRow(tokenId))!.activated).toBe(0);
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'user', token_id: null });

    const confirmed = await browser.send('POST', '/tokens/confirm', { tokenId, challengeId: enrol.body.challengeId, otp: code });
    expect(confirmed).toMatchObject({ status: 200, body: { id: tokenId, activated: true, type: 'SMS' } });
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: tokenId });
    expect((await browser.send('GET', '/me')).body.token).toMatchObject({ id: tokenId, type: 'SMS', destination: enrol.body.token.destination });

    // Next sign-in: the OTP step sends a code to the token's number and says where (masked).
    const first = await toOtpStep(alias, user.login);
    expect(first.answer.body.delivery).toEqual({ channel: 'sms', to: enrol.body.token.destination });
    const signInCode = await lastSmsCode(phone, 2);
    expect(signInCode).not.toBe(code);
    // The resend cooldown: a second code right away is refused.
    expect(await first.resend()).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(await smsTo(phone)).toHaveLength(2);
    // The enrolment code is spent and was for another purpose; a wrong code is refused.
    expect((await first.submit(code)).body.error.code).toBe('OTP_INVALID');
    expect((await first.submit(otherCode(signInCode))).body.error.code).toBe('OTP_INVALID');
    expect((await first.submit(signInCode)).body.state).toBe('signed_in');
    const session = await env.DB.prepare(`SELECT method FROM sessions WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`).bind(user.id).first<{ method: string }>();
    expect(session!.method).toBe('password+sms');

    // Reused: the same code does not open a second sign-in.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * 60_000); // past the resend cooldown
    const second = await toOtpStep(alias, user.login);
    const secondCode = await lastSmsCode(phone, 3);
    expect((await second.submit(signInCode)).body.error.code).toBe('OTP_INVALID');

    // Expired: the code of a flow that ran out no longer signs in.
    vi.setSystemTime(Date.now() + CODE_TTL_MS + 1000);
    const expired = await second.submit(secondCode);
    expect(expired.status).toBeGreaterThanOrEqual(400);
    expect(['OTP_INVALID', 'CODE_EXPIRED']).toContain(expired.body.error.code);
  });

  it('refuses a type the administrator did not allow, and an unknown or foreign pending token', async () => {
    const { browser } = await signedInPortalUser(['TOTP']);
    const refused = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: freshPhone() });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'ACTION_DISABLED' } } });

    const other = await signedInPortalUser(['SMS']);
    const phone = freshPhone();
    const enrol = await other.browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: phone });
    const code = await lastSmsCode(phone, 1);
    // Another user (on a portal allowing SMS) cannot confirm it even with the right code.
    const intruder = await signedInPortalUser(['SMS']);
    const foreign = await intruder.browser.send('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, challengeId: enrol.body.challengeId, otp: code });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'TOKEN_NOT_FOUND' } } });
    expect((await tokenRow(enrol.body.token.id))!.activated).toBe(0);
  });

  it('leaves no token behind when the send is refused by the limits', async () => {
    const { user, browser } = await signedInPortalUser(['SMS']);
    const phone = freshPhone();
    expect((await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: phone })).status).toBe(201);
    const count = async () => (await env.DB.prepare('SELECT count(*) AS n FROM tokens WHERE owner_user_id = ?').bind(user.id).first<{ n: number }>())!.n;
    const before = await count();
    // Within the resend cooldown for this number and purpose.
    const again = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: phone });
    expect(again).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(await count()).toBe(before);
  });
});

describe('portal: Reassign Token to an SMS token', () => {
  it('replaces the old token only when the texted code confirms the new one', async () => {
    const { resource, user, browser } = await signedInPortalUser(['TOTP', 'SMS'], ['registerNewToken', 'reassignToken']);
    const firstPhone = freshPhone();
    const first = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: firstPhone });
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: first.body.token.id, challengeId: first.body.challengeId, otp: await lastSmsCode(firstPhone, 1) })).status).toBe(200);

    const newPhone = freshPhone();
    const second = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: newPhone, reassign: true });
    expect(second.status).toBe(201);
    const code = await lastSmsCode(newPhone, 1);
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: second.body.token.id, challengeId: second.body.challengeId, otp: otherCode(code), reassign: true })).status).toBe(401);
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: first.body.token.id });
    expect((await tokenRow(first.body.token.id))!.enabled).toBe(1);

    expect((await browser.send('POST', '/tokens/confirm', { tokenId: second.body.token.id, challengeId: second.body.challengeId, otp: code, reassign: true })).status).toBe(200);
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: second.body.token.id });
    expect((await tokenRow(first.body.token.id))!.enabled).toBe(0);
  });
});

describe('portal: EMAIL token', () => {
  it('registers with a code sent to the given address and signs in with the emailed code plus the PIN', async () => {
    const { alias, resource, user, browser } = await signedInPortalUser(['EMAIL']);
    const address = `${unique('token-')}@Example.com`;
    expect((await browser.send('POST', '/tokens/enrol', { type: 'EMAIL', destination: 'no-at-sign' })).body.error.code).toBe('VALIDATION_FAILED');

    const enrol = await browser.send('POST', '/tokens/enrol', { type: 'EMAIL', destination: address });
    expect(enrol).toMatchObject({ status: 201, body: { token: { type: 'EMAIL', destination: `t•••@example.com` }, channel: 'email' } });
    const recipient = address.toLowerCase();
    const code = await lastEmailCode(recipient);
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, challengeId: enrol.body.challengeId, otp: otherCode(code) })).body.error.code).toBe('OTP_INVALID');
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'user', token_id: null });
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, challengeId: enrol.body.challengeId, otp: code })).status).toBe(200);
    expect(await tokenRow(enrol.body.token.id)).toMatchObject({ destination: recipient, activated: 1 });
    expect((await browser.send('PUT', '/tokens/pin', { pin: '4711', pinPosition: 'before' })).status).toBe(204);

    const signIn = await toOtpStep(alias, user.login);
    expect(signIn.answer.body.delivery).toEqual({ channel: 'email', to: 't•••@example.com' });
    const emailed = await lastEmailCode(recipient, { except: code });
    // The code alone is not enough with a PIN set; PIN before the code passes.
    expect((await signIn.submit(emailed)).body.error.code).toBe('OTP_INVALID');
    expect((await signIn.submit(`4711${emailed}`)).body.state).toBe('signed_in');
  });
});

describe('verify API: SMS token challenge', () => {
  let admin: AdminClient;
  let resourceName: string;
  beforeAll(async () => {
    const portal = await portalWith([]);
    admin = portal.admin;
    resourceName = portal.resource.name;
  });

  const verify = (login: string, otp?: string) =>
    json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login, resource: resourceName, ...(otp === undefined ? {} : { otp }) } }));

  async function userWithSmsToken(pin?: string) {
    const user = await admin.post('/users', { login: unique('v'), password: 'a long enough password' });
    const phone = freshPhone();
    const token = await admin.post('/tokens/message', { type: 'SMS', destination: phone, ownerUserId: user.id, ...(pin ? { pin, pinPosition: 'after' } : {}) });
    const resource = (await admin.get<{ items: Array<{ id: string; name: string }> }>(`/resources?search=${encodeURIComponent(resourceName)}`)).items[0]!;
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    return { user, phone, token };
  }

  it('sends a code on a request without otp, accepts it once, and refuses wrong codes', async () => {
    const { user, phone, token } = await userWithSmsToken();
    // The admin sees the type and only the masked number.
    expect(token).toMatchObject({ type: 'SMS', activated: true, destination: `${phone.slice(0, 3)}${'•'.repeat(phone.length - 5)}${phone.slice(-2)}` });
    expect(JSON.stringify(await admin.get(`/tokens/${token.id}`))).not.toContain(phone);

    // No code out yet: a guess is simply wrong.
    expect(await verify(user.login, '123456')).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(user.login)).toEqual({ accepted: false, reason: 'CHALLENGE_SENT' });
    const code = await lastSmsCode(phone, 1);
    // Within the cooldown a second challenge is refused by the limits.
    expect(await verify(user.login, '')).toMatchObject({ accepted: false, reason: 'RATE_LIMITED' });
    expect(await smsTo(phone)).toHaveLength(1);

    expect(await verify(user.login, otherCode(code))).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(user.login, code)).toEqual({ accepted: true, serial: token.serial });
    expect(await verify(user.login, code)).toEqual({ accepted: false, reason: 'OTP_INVALID' });
  });

  it('with a PIN: only the PIN asks for a code, and the code needs the PIN', async () => {
    const { user, phone } = await userWithSmsToken('2468');
    expect(await verify(user.login)).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(user.login, '1357')).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect((await sms.requests()).filter((r) => new URLSearchParams(r.body).get('To') === phone)).toEqual([]);
    expect(await verify(user.login, '2468')).toEqual({ accepted: false, reason: 'CHALLENGE_SENT' });
    const code = await lastSmsCode(phone, 1);
    expect(await verify(user.login, code)).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(user.login, `${code}2468`)).toMatchObject({ accepted: true });
  });

  it('refuses an expired code', async () => {
    const { user, phone } = await userWithSmsToken();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    expect(await verify(user.login)).toEqual({ accepted: false, reason: 'CHALLENGE_SENT' });
    const code = await lastSmsCode(phone, 1);
    vi.setSystemTime(Date.now() + CODE_TTL_MS + 1000);
    expect(await verify(user.login, code)).toEqual({ accepted: false, reason: 'OTP_INVALID' });
  });

  it('admin API: refuses an invalid destination and an unknown user', async () => {
    const user = await admin.post('/users', { login: unique('v'), password: 'a long enough password' });
    const bad = await admin.request('/tokens/message', { method: 'POST', json: { type: 'SMS', destination: '12', ownerUserId: user.id } });
    expect(bad.status).toBe(400);
    const badEmail = await admin.request('/tokens/message', { method: 'POST', json: { type: 'EMAIL', destination: 'nobody', ownerUserId: user.id } });
    expect(badEmail.status).toBe(400);
    const unknown = await admin.request('/tokens/message', { method: 'POST', json: { type: 'EMAIL', destination: 'a@example.com', ownerUserId: crypto.randomUUID() } });
    expect(unknown.status).toBe(404);
  });
});
