/**
 * Proof before change (DESIGN §4): no one changes a factor with less proof than that factor gives.
 *
 * The attack: Bob's password leaked. Bob has a plain "user" assignment on the VPN and an active token of his own,
 * which /api/v1/verify accepts for the VPN. With the password alone the attacker held a portal session, registered
 * a token of their own and from then on passed the VPN's and /login's second factor: the password had become the
 * whole key. The same goes for any session whose proof of the factor is old (left open, or stolen): it must not
 * add, re-assign or remove a token, set or remove a PIN, or change email, phone, password or the SMS 2FA number.
 *
 * Now each of those needs the CURRENT second factor proven within STEP_UP_VALID_MS (the step-up, or signing in
 * with it); otherwise STEP_UP_REQUIRED (403) and nothing changes in D1, nothing is sent, no attempt is spent.
 *
 * "Password-only" sessions are written straight into D1 as the portal used to issue them for the password alone
 * (method "password"), so this file proves the guard whatever the sign-in asks.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SESSION_COOKIE, STEP_UP_VALID_MS, TOKEN_MAX_FAILS } from '../../worker/constants';
import { csrfTokenFor, mintSessionToken, sessionStatement } from '../../worker/auth/sessions';
import { freshPhone } from '../helpers/messaging';
import { ALL_ACTIONS, lastEmailCode, portalWith, type AdminClient } from '../helpers/portal';
import { call, insertUser, json, ORIGIN, randomSeedBase32, totpAt, unique } from '../helpers/worker';
import { settled, settledForUser } from '../helpers/verify-state';

const T0 = Date.UTC(2026, 6, 1, 9, 0, 10); // 10 s into a 30 s step
const STEP_MS = 30_000;
const PASSWORD = 'bob password 1';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

const nextStep = () => vi.setSystemTime(Date.now() + STEP_MS);

type Answer = { status: number; body: any };
type Client = (method: string, path: string, body?: unknown) => Promise<Answer>;

/** A session written into D1 (how it was established is `method`), and a browser-like client for it. */
async function sessionClient(input: { userId: string; kind: 'portal' | 'platform'; resourceId?: string; method: string; base: string }): Promise<Client> {
  const { token, sessionId } = await mintSessionToken();
  await sessionStatement(env.DB, sessionId, { userId: input.userId, kind: input.kind, resourceId: input.resourceId ?? null, method: input.method, nowMs: Date.now() }).run();
  const cookieName = input.kind === 'portal' ? SESSION_COOKIE.replace('session', 'portal') : SESSION_COOKIE;
  return clientFor(input.base, `${cookieName}=${token}`, await csrfTokenFor(env.SESSION_KEY, sessionId));
}

function clientFor(base: string, cookie: string, csrf: string): Client {
  return async (method, path, body) => {
    const response = await call(`${base}${path}`, {
      method,
      headers: { origin: ORIGIN, cookie, 'x-csrf-token': csrf },
      ...(body !== undefined ? { json: body } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

async function hardwareToken(admin: AdminClient, ownerUserId: string | null) {
  const seed = randomSeedBase32();
  const token = await admin.post<{ id: string; serial: string }>('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId });
  return { id: token.id, serial: token.serial, seed };
}

const verifyApi = (admin: AdminClient, login: string, resource: string, otp: string) =>
  json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login, resource, otp } }));

/** Everything a guarded action could change or spend, for one user. */
async function stateOf(userId: string, resourceId: string) {
  const db = env.DB;
  await settledForUser(userId);
  const { login } = (await db.prepare('SELECT lower(login) AS login FROM users WHERE id = ?').bind(userId).first<{ login: string }>())!;
  const [tokens, assignment, user, challenges, outbox, passwordAttempts] = await Promise.all([
    db.prepare('SELECT id, enabled, activated, owner_user_id, pin_hash, pin_position, fail_count FROM tokens WHERE owner_user_id = ? OR owner_user_id IS NULL ORDER BY id').bind(userId).all(),
    db.prepare('SELECT kind, token_id FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resourceId, userId).first(),
    db.prepare('SELECT login, email, phone, password_hash, sms_phone, sms_phone_verified, sms_two_factor_active FROM users WHERE id = ?').bind(userId).first(),
    db.prepare('SELECT COUNT(*) AS n FROM challenges WHERE user_id = ?').bind(userId).first<{ n: number }>(),
    db.prepare('SELECT COUNT(*) AS n FROM outbox').first<{ n: number }>(),
    db.prepare('SELECT count FROM rate_limits WHERE key = ?').bind(`login-fail:${login}`).first(),
  ]);
  return { tokens: tokens.results, assignment, user, challenges: challenges!.n, outbox: outbox!.n, passwordAttempts };
}

/** Every guarded portal action, as the attacker would send it. */
async function guardedPortalAttempts(admin: AdminClient, userId: string) {
  // A pending token of Bob's (the admin's "new software token" he never finished) and a hardware token the
  // attacker holds: both would join the VPN with their first OTP.
  const pending = await admin.post('/tokens/software', { type: 'TOTP', ownerUserId: userId });
  const stray = await hardwareToken(admin, null);
  return [
    ['register a new app token', 'POST', '/tokens/enrol', { type: 'TOTP' }],
    ['register an EMAIL token to the attacker', 'POST', '/tokens/enrol', { type: 'EMAIL', destination: 'attacker@evil.example' }],
    ['re-assign to a new token', 'POST', '/tokens/enrol', { type: 'TOTP', reassign: true }],
    ['confirm a pending token', 'POST', '/tokens/confirm', { tokenId: pending.token.id, otp: await totpAt(pending.enrolment.secretBase32, Date.now()) }],
    ['claim a hardware token', 'POST', '/tokens/claim', { serial: stray.serial, otp: await totpAt(stray.seed, Date.now()) }],
    ['unassign the token', 'POST', '/tokens/unassign', undefined],
    ['set a PIN', 'PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' }],
    ['remove the PIN', 'DELETE', '/tokens/pin', undefined],
    ['change the email', 'POST', '/email', { email: 'attacker@evil.example' }],
    ['change the phone', 'POST', '/phone', { phone: '+49 151 99999999' }],
    ['change the password', 'PUT', '/password', { currentPassword: PASSWORD, newPassword: 'attacker password 9' }],
    ['create a password', 'POST', '/password', { password: 'attacker password 9' }],
    ['rename the account', 'PUT', '/login', { login: unique('attacker-') }],
  ] as const;
}

async function vpnWithBob(kind: 'user' | 'token_with_user') {
  const portal = await portalWith(ALL_ACTIONS, ['TOTP', 'HOTP', 'SMS', 'EMAIL']);
  const bob = await insertUser({ password: PASSWORD });
  const token = await hardwareToken(portal.admin, bob.id);
  await portal.admin.put(`/resources/${portal.resource.id}/assignments`, kind === 'user' ? { userId: bob.id } : { userId: bob.id, tokenId: token.id });
  const passwordOnly = await sessionClient({ userId: bob.id, kind: 'portal', resourceId: portal.resource.id, method: 'password', base: `/api/portal/${portal.alias}` });
  return { ...portal, bob, token, passwordOnly };
}

describe.each([
  ['a plain "user" assignment and a token of his own', 'user'],
  ['his token assigned "with" him', 'token_with_user'],
] as const)('portal: Bob with %s, signed in with his password only', (_label, kind) => {
  it('every factor and contact change answers STEP_UP_REQUIRED and changes, sends and spends nothing', async () => {
    const { admin, resource, bob, token, passwordOnly } = await vpnWithBob(kind);
    // The setting of the report: the VPN's verification accepts Bob's token.
    expect(await verifyApi(admin, bob.login, resource.name, await totpAt(token.seed, Date.now()))).toMatchObject({ accepted: true });
    nextStep();

    const attempts = await guardedPortalAttempts(admin, bob.id);
    const before = await stateOf(bob.id, resource.id);
    for (const [what, method, path, body] of attempts) {
      const answer = await passwordOnly(method, path, body);
      expect({ what, status: answer.status, code: answer.body?.error?.code }).toEqual({ what, status: 403, code: 'STEP_UP_REQUIRED' });
      // The answer says how to prove it: the OTP of his token.
      expect(answer.body.error.details).toEqual({ otp: true, codeTargets: [], passkey: false, recoveryCode: false });
    }
    expect(await stateOf(bob.id, resource.id)).toEqual(before);
  });

  it('with a fresh step-up each change goes through; a wrong code proves nothing and counts on the token', async () => {
    const { resource, bob, token, passwordOnly } = await vpnWithBob(kind);
    expect((await passwordOnly('POST', '/step-up', { otp: '000000' })).body.error.code).toBe('OTP_INVALID');
    await settled(token.id);
    expect(await env.DB.prepare('SELECT fail_count FROM tokens WHERE id = ?').bind(token.id).first()).toEqual({ fail_count: 1 });
    expect((await passwordOnly('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).body.error.code).toBe('STEP_UP_REQUIRED');

    expect((await passwordOnly('POST', '/step-up', { otp: await totpAt(token.seed, Date.now()) })).status).toBe(204);
    // The same code again is no second proof (it was consumed).
    expect((await passwordOnly('POST', '/step-up', { otp: await totpAt(token.seed, Date.now()) })).body.error.code).toBe('OTP_INVALID');

    expect((await passwordOnly('POST', '/email', { email: `${unique('bob')}@example.com` })).status).toBe(200);
    expect((await passwordOnly('POST', '/phone', { phone: freshPhone() })).status).toBe(200);
    const enrol = await passwordOnly('POST', '/tokens/enrol', { type: 'TOTP' });
    expect(enrol.status).toBe(201);
    expect((await passwordOnly('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, otp: await totpAt(enrol.body.enrolment.secretBase32, Date.now()) })).status).toBe(200);
    expect(await env.DB.prepare('SELECT kind, token_id FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resource.id, bob.id).first()).toEqual({
      kind: 'token_with_user',
      token_id: enrol.body.token.id,
    });
    expect((await passwordOnly('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).status).toBe(204);
    expect((await passwordOnly('DELETE', '/tokens/pin')).status).toBe(204);
    expect((await passwordOnly('PUT', '/password', { currentPassword: PASSWORD, newPassword: 'bob password 2' })).status).toBe(204);
    expect((await passwordOnly('POST', '/tokens/unassign')).status).toBe(204);
  });
});

describe('portal: the proof runs out', () => {
  it('a step-up older than STEP_UP_VALID_MS is refused again, and so is a sign-in with the OTP that long ago', async () => {
    const { alias, bob, token, passwordOnly } = await vpnWithBob('token_with_user');
    expect((await passwordOnly('POST', '/step-up', { otp: await totpAt(token.seed, Date.now()) })).status).toBe(204);
    vi.setSystemTime(T0 + STEP_UP_VALID_MS - 1000);
    expect((await passwordOnly('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).status).toBe(204);
    vi.setSystemTime(T0 + STEP_UP_VALID_MS);
    expect((await passwordOnly('DELETE', '/tokens/pin')).body.error.code).toBe('STEP_UP_REQUIRED');

    // The portal's own sign-in with the OTP counts as the proof, for the same few minutes.
    nextStep();
    const signInAt = Date.now();
    let cookie = '';
    let csrf = '';
    const send: Client = async (method, path, body) => {
      const response = await call(`/api/portal/${alias}${path}`, { method, headers: { origin: ORIGIN, cookie, 'x-csrf-token': csrf }, ...(body !== undefined ? { json: body } : {}) });
      cookie = response.headers.get('set-cookie')?.split(';')[0] ?? cookie;
      const parsed = await response.json<any>().catch(() => null);
      csrf = parsed?.csrfToken ?? csrf;
      return { status: response.status, body: parsed };
    };
    const start = await send('POST', '/signin', { login: bob.login });
    expect((await send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD })).body.step).toBe('otp');
    expect((await send('POST', '/signin/otp', { flow: start.body.flow, otp: `${await totpAt(token.seed, Date.now())}1234` })).body.state).toBe('signed_in');
    expect((await send('DELETE', '/tokens/pin')).status).toBe(204);
    expect((await send('PUT', '/tokens/pin', { pin: '4321', pinPosition: 'before' })).status).toBe(204);
    vi.setSystemTime(signInAt + STEP_UP_VALID_MS);
    expect((await send('DELETE', '/tokens/pin')).body.error.code).toBe('STEP_UP_REQUIRED');
  });
});

describe('portal: the cross-feature walk of the report', () => {
  it('enrolling in the portal with the password alone gives no token that /login or /api/v1/verify would take', async () => {
    const { admin, resource, bob, passwordOnly } = await vpnWithBob('user');
    const tokensBefore = await env.DB.prepare('SELECT id FROM tokens WHERE owner_user_id = ?').bind(bob.id).all();

    const enrol = await passwordOnly('POST', '/tokens/enrol', { type: 'TOTP', description: 'attacker phone' });
    expect(enrol.body.error.code).toBe('STEP_UP_REQUIRED');
    expect(enrol.body.enrolment).toBeUndefined(); // no secret handed out
    expect((await env.DB.prepare('SELECT id FROM tokens WHERE owner_user_id = ?').bind(bob.id).all()).results).toEqual(tokensBefore.results);

    // What the attacker would have typed from the seed they hoped to register: refused everywhere.
    const attackerSeed = randomSeedBase32();
    const attackerCode = await totpAt(attackerSeed, Date.now());
    const login = await json(call('/api/auth/login', { method: 'POST', json: { login: bob.login, password: PASSWORD } }));
    expect(login.state).toBe('second_factor');
    const second = await json(call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: login.challenge, otp: attackerCode } }));
    expect(second.error.code).toBe('OTP_INVALID');
    expect(await verifyApi(admin, bob.login, resource.name, attackerCode)).toMatchObject({ accepted: false });
  });
});

describe('portal: step-up itself', () => {
  it(`a burst of wrong step-up codes locks the token after ${TOKEN_MAX_FAILS}; then the right code proves nothing`, async () => {
    const { token, passwordOnly } = await vpnWithBob('token_with_user');
    const right = await totpAt(token.seed, Date.now());
    const wrong = right === '000000' ? '111111' : '000000';
    const answers = await Promise.all(Array.from({ length: 3 * TOKEN_MAX_FAILS }, () => passwordOnly('POST', '/step-up', { otp: wrong })));
    expect(answers.every((answer) => ['OTP_INVALID', 'TOKEN_LOCKED'].includes(answer.body.error.code))).toBe(true);
    expect((await passwordOnly('POST', '/step-up', { otp: right })).body.error.code).toBe('TOKEN_LOCKED');
    expect((await passwordOnly('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).body.error.code).toBe('STEP_UP_REQUIRED');
  });

  it('an EMAIL token is proven with a code sent to its address; a wrong code or another factor\'s id proves nothing', async () => {
    const portal = await portalWith(ALL_ACTIONS, ['TOTP', 'EMAIL']);
    const dave = await insertUser({ password: PASSWORD });
    const address = `${unique('dave')}@example.com`;
    const token = await portal.admin.post<{ id: string }>('/tokens/message', { type: 'EMAIL', destination: address, ownerUserId: dave.id });
    await portal.admin.put(`/resources/${portal.resource.id}/assignments`, { userId: dave.id, tokenId: token.id });
    const session = await sessionClient({ userId: dave.id, kind: 'portal', resourceId: portal.resource.id, method: 'password', base: `/api/portal/${portal.alias}` });

    const refused = await session('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' });
    expect(refused.body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: false, codeTargets: [{ factorId: token.id, channel: 'email', to: expect.stringMatching(/^d•••@example\.com$/) }] } });
    // Refused at the field, as a code the page renders in its language (no English sentence to show).
    expect((await session('POST', '/step-up/code', { factorId: 'sms-2fa' })).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'factorId', code: 'NOT_OFFERED' }] },
    });
    const sent = await session('POST', '/step-up/code', { factorId: token.id });
    expect(sent.body).toMatchObject({ channel: 'email', to: expect.stringContaining('@example.com') });
    const code = await lastEmailCode(address);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect((await session('POST', '/step-up', { otp: wrong, challengeId: sent.body.challengeId, factorId: token.id })).body.error.code).toBe('CODE_INVALID');
    expect((await session('POST', '/step-up', { otp: code, challengeId: sent.body.challengeId, factorId: token.id })).status).toBe(204);
    expect((await session('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).status).toBe(204);
  });

  it('a user without any second factor is not asked: there is nothing to prove beyond the password', async () => {
    const portal = await portalWith(ALL_ACTIONS);
    const erin = await insertUser({ password: PASSWORD });
    await portal.admin.put(`/resources/${portal.resource.id}/assignments`, { userId: erin.id });
    const session = await sessionClient({ userId: erin.id, kind: 'portal', resourceId: portal.resource.id, method: 'password', base: `/api/portal/${portal.alias}` });
    expect((await session('POST', '/email', { email: `${unique('erin')}@example.com` })).status).toBe(200);
    expect((await session('POST', '/tokens/enrol', { type: 'TOTP' })).status).toBe(201);
    expect((await session('POST', '/step-up', { otp: '123456' })).body.error.code).toBe('STEP_UP_NO_FACTOR');
  });
});

describe('/profile: the SMS 2FA number', () => {
  async function platformUser() {
    const admin = (await portalWith([])).admin;
    await admin.request('/security', { method: 'PUT', json: { twoFactorEnabled: true } });
    const frank = await insertUser({ password: PASSWORD });
    return { admin, frank };
  }
  const smsPhoneOf = (userId: string) => env.DB.prepare('SELECT sms_phone, sms_phone_verified, sms_two_factor_active FROM users WHERE id = ?').bind(userId).first();
  const lastSmsCode = async (phone: string) =>
    /\b(\d{6})\b/.exec((await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY at DESC, rowid DESC LIMIT 1').bind(phone).first<{ body: string }>())!.body)![1]!;

  it('a session without a fresh proof of his token cannot set the number; after the step-up he can', async () => {
    const { admin, frank } = await platformUser();
    const token = await hardwareToken(admin, frank.id);
    // Signed in at /login with the token, then the session stayed open past the window (or it is a stolen one).
    const login = await json(call('/api/auth/login', { method: 'POST', json: { login: frank.login, password: PASSWORD } }));
    const done = await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: login.challenge, otp: await totpAt(token.seed, Date.now()) } });
    const profile = clientFor('/api/profile', done.headers.get('set-cookie')!.split(';')[0]!, (await json(done)).csrfToken);
    vi.setSystemTime(T0 + STEP_UP_VALID_MS);

    const before = await stateOf(frank.id, 'none');
    const refused = await profile('POST', '/two-factor/phone', { phone: '+49 151 55555555' });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'STEP_UP_REQUIRED', details: { otp: true } } } });
    expect((await profile('POST', '/two-factor/activate', {})).body.error.code).toBe('STEP_UP_REQUIRED');
    expect(await stateOf(frank.id, 'none')).toEqual(before);

    expect((await profile('POST', '/step-up', { otp: await totpAt(token.seed, Date.now()) })).status).toBe(204);
    const requested = await profile('POST', '/two-factor/phone', { phone: '+49 151 55555555' });
    expect(requested.status).toBe(200);
    await profile('POST', '/two-factor/phone/confirm', { challengeId: requested.body.challengeId, code: await lastSmsCode('+4915155555555') });
    expect((await profile('POST', '/two-factor/activate', {})).status).toBe(200);
    expect(await smsPhoneOf(frank.id)).toEqual({ sms_phone: '+4915155555555', sms_phone_verified: 1, sms_two_factor_active: 1 });
  });

  it('asks for what /login asks: with an app token, a code to an email token of the same user is not offered nor taken', async () => {
    const { admin, frank } = await platformUser();
    await hardwareToken(admin, frank.id);
    const address = `${unique('frank')}@example.com`;
    const emailToken = await admin.post<{ id: string }>('/tokens/message', { type: 'EMAIL', destination: address, ownerUserId: frank.id });
    const stale = await sessionClient({ userId: frank.id, kind: 'platform', method: 'password', base: '/api/profile' });
    expect((await stale('POST', '/two-factor/phone', { phone: freshPhone() })).body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: true, codeTargets: [] } });
    expect((await stale('POST', '/step-up/code', { factorId: emailToken.id })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('switching SMS 2FA off needs the token when a token is the /login factor; the code to the number alone is not enough', async () => {
    const { admin, frank } = await platformUser();
    const token = await hardwareToken(admin, frank.id);
    const phone = '+4915177777777';
    await env.DB.prepare('UPDATE users SET sms_phone = ?, sms_phone_verified = 1, sms_two_factor_active = 1 WHERE id = ?').bind(phone, frank.id).run();
    const stale = await sessionClient({ userId: frank.id, kind: 'platform', method: 'password', base: '/api/profile' });
    const outboxBefore = await env.DB.prepare('SELECT COUNT(*) AS n FROM outbox WHERE recipient = ?').bind(phone).first();
    expect((await stale('POST', '/two-factor/deactivate/code', {})).body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: true } });
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM outbox WHERE recipient = ?').bind(phone).first()).toEqual(outboxBefore);

    expect((await stale('POST', '/step-up', { otp: await totpAt(token.seed, Date.now()) })).status).toBe(204);
    const sent = await stale('POST', '/two-factor/deactivate/code', {});
    expect(sent.status).toBe(200);
    const off = await stale('POST', '/two-factor/deactivate', { challengeId: sent.body.challengeId, code: await lastSmsCode(phone) });
    expect(off.body.twoFactor.active).toBe(false);
  });

  it('a user whose factor is the SMS number proves it with a code to that number; a SAML session is no proof', async () => {
    const { frank } = await platformUser();
    const phone = '+4915166666666';
    await env.DB.prepare('UPDATE users SET sms_phone = ?, sms_phone_verified = 1, sms_two_factor_active = 0 WHERE id = ?').bind(phone, frank.id).run();
    const fresh = await sessionClient({ userId: frank.id, kind: 'platform', method: 'password', base: '/api/profile' });
    // Not yet active: no factor, nothing to prove.
    expect((await fresh('POST', '/two-factor/activate', {})).status).toBe(200);

    const saml = await sessionClient({ userId: frank.id, kind: 'platform', method: 'saml', base: '/api/profile' });
    const refused = await saml('POST', '/two-factor/activate', {});
    expect(refused.body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: false, codeTargets: [{ factorId: 'sms-2fa', channel: 'sms' }] } });
    const sent = await saml('POST', '/step-up/code', { factorId: 'sms-2fa' });
    expect(sent.status).toBe(200);
    expect((await saml('POST', '/step-up', { otp: await lastSmsCode(phone), challengeId: sent.body.challengeId, factorId: 'sms-2fa' })).status).toBe(204);
    expect((await saml('POST', '/two-factor/activate', {})).status).toBe(200);
  });
});
