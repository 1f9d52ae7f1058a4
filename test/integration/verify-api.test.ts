/**
 * POST /api/v1/verify end to end inside workerd with a real D1: PINs, windows, drift, replay, lockout, assignment
 * kinds and the reason codes integrations receive.
 */
import { describe, expect, it, vi } from 'vitest';
import { HOTP_LOOK_AHEAD_COUNTERS, TOKEN_LOCK_DURATION_MS, TOKEN_MAX_FAILS } from '../../worker/constants';
import { adminWithResource, freezeDateAt, VERIFY_T0, call, hotpAt, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';

const T0 = freezeDateAt(VERIFY_T0);
const fixture = adminWithResource();

async function userWithToken(options: { type?: 'TOTP' | 'HOTP'; pin?: string; pinPosition?: 'before' | 'after'; assign?: 'token' | 'user' | 'none'; counter?: number } = {}) {
  const user = await fixture.admin.post('/users', { login: unique('u'), password: 'a long enough password' });
  const seed = randomSeedBase32();
  const token = await fixture.admin.post('/tokens/hardware', {
    type: options.type ?? 'TOTP',
    serial: unique('HW'),
    seed,
    seedEncoding: 'base32',
    ownerUserId: user.id,
    counter: options.counter ?? 0,
    ...(options.pin ? { pin: options.pin, pinPosition: options.pinPosition ?? 'after' } : {}),
  });
  const assign = options.assign ?? 'token';
  if (assign !== 'none') await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: assign === 'token' ? token.id : null });
  return { user, token, seed };
}

function verify(login: string, otp: string, resourceName = fixture.resource.name) {
  return json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${fixture.admin.key}` }, json: { login, resource: resourceName, otp } }));
}

describe('POST /api/v1/verify', () => {
  it('accepts the current TOTP and names the token', async () => {
    const { user, token, seed } = await userWithToken();
    expect(await verify(user.login, await totpAt(seed, T0))).toEqual({ accepted: true, serial: token.serial });
  });

  it('refuses the same code a second time (replay)', async () => {
    const { user, seed } = await userWithToken();
    const code = await totpAt(seed, T0);
    expect((await verify(user.login, code)).accepted).toBe(true);
    expect(await verify(user.login, code)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
  });

  it('accepts a code from the previous or the next step, not two steps away', async () => {
    const behind = await userWithToken();
    expect(await verify(behind.user.login, await totpAt(behind.seed, T0 - 60_000))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(behind.user.login, await totpAt(behind.seed, T0 + 60_000))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect((await verify(behind.user.login, await totpAt(behind.seed, T0 - 30_000))).accepted).toBe(true);
    const ahead = await userWithToken();
    expect((await verify(ahead.user.login, await totpAt(ahead.seed, T0 + 30_000))).accepted).toBe(true);
  });

  it('remembers the drift of a token whose clock runs ahead', async () => {
    const { user, token, seed } = await userWithToken();
    expect((await verify(user.login, await totpAt(seed, T0 + 30_000))).accepted).toBe(true);
    expect((await fixture.admin.get(`/tokens/${token.id}`)).driftSteps).toBe(1);
    // Two steps ahead of the server is now only one step from the remembered drift.
    vi.setSystemTime(T0 + 60_000);
    expect((await verify(user.login, await totpAt(seed, T0 + 60_000 + 60_000))).accepted).toBe(true);
  });

  it('takes the PIN after the OTP ("1234561111") or before it, as the token says', async () => {
    const after = await userWithToken({ pin: '1111', pinPosition: 'after' });
    expect((await verify(after.user.login, `${await totpAt(after.seed, T0)}1111`)).accepted).toBe(true);
    const before = await userWithToken({ pin: '2222', pinPosition: 'before' });
    expect((await verify(before.user.login, `2222${await totpAt(before.seed, T0)}`)).accepted).toBe(true);
  });

  it('refuses a right OTP with a wrong or missing PIN, and counts it', async () => {
    const { user, token, seed } = await userWithToken({ pin: '1111' });
    const code = await totpAt(seed, T0);
    expect(await verify(user.login, `${code}1112`)).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(user.login, code)).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect((await fixture.admin.get(`/tokens/${token.id}`)).failCount).toBe(2);
    // The code was not consumed by the failed attempts.
    expect((await verify(user.login, `${code}1111`)).accepted).toBe(true);
  });

  it('locks the token after too many failures, says so, and unlocks by itself later', async () => {
    const { user, seed } = await userWithToken();
    for (let i = 1; i < TOKEN_MAX_FAILS; i++) expect((await verify(user.login, '000000')).reason).toMatch(/OTP_INVALID|OTP_REPLAYED/);
    expect(await verify(user.login, '000000')).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    // Even the right code is refused while locked.
    expect(await verify(user.login, await totpAt(seed, T0))).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    vi.setSystemTime(T0 + TOKEN_LOCK_DURATION_MS + 1000);
    expect((await verify(user.login, await totpAt(seed, T0 + TOKEN_LOCK_DURATION_MS + 1000))).accepted).toBe(true);
  });

  it('HOTP: accepts codes within the look-ahead window and moves the counter past them', async () => {
    const { user, seed } = await userWithToken({ type: 'HOTP' });
    expect((await verify(user.login, await hotpAt(seed, 3))).accepted).toBe(true);
    expect(await verify(user.login, await hotpAt(seed, 2))).toMatchObject({ accepted: false });
    expect((await verify(user.login, await hotpAt(seed, 4))).accepted).toBe(true);
    expect(await verify(user.login, await hotpAt(seed, 5 + HOTP_LOOK_AHEAD_COUNTERS + 1))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
  });

  it('HOTP resync with two consecutive codes far ahead', async () => {
    const { user, token, seed } = await userWithToken({ type: 'HOTP' });
    const response = await fixture.admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: await hotpAt(seed, 500), otp2: await hotpAt(seed, 501) } });
    expect(response.status).toBe(200);
    expect((await json(response)).counter).toBe(502);
    expect((await verify(user.login, await hotpAt(seed, 502))).accepted).toBe(true);
    const bad = await fixture.admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: await hotpAt(seed, 600), otp2: await hotpAt(seed, 602) } });
    expect((await json(bad)).error.code).toBe('OTP_INVALID');
  });

  it('TOTP resync re-anchors a token drifted by many steps', async () => {
    const { user, token, seed } = await userWithToken();
    const drifted = T0 + 40 * 30_000;
    expect((await verify(user.login, await totpAt(seed, drifted))).accepted).toBe(false);
    const response = await fixture.admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: await totpAt(seed, drifted + 30_000), otp2: await totpAt(seed, drifted + 60_000) } });
    expect(response.status).toBe(200);
    expect((await json(response)).driftSteps).toBe(42);
    expect((await verify(user.login, await totpAt(seed, drifted + 90_000))).accepted).toBe(true);
  });

  it('with a plain "user" assignment any of the user\'s own tokens verifies', async () => {
    const { user, seed } = await userWithToken({ assign: 'user' });
    expect((await verify(user.login, await totpAt(seed, T0))).accepted).toBe(true);
  });

  it('never verifies disabled, unassigned or pending tokens, and names why', async () => {
    const disabled = await userWithToken();
    await fixture.admin.request(`/tokens/${disabled.token.id}`, { method: 'PATCH', json: { enabled: false } });
    expect(await verify(disabled.user.login, await totpAt(disabled.seed, T0))).toMatchObject({ accepted: false, reason: 'TOKEN_DISABLED' });

    const unassigned = await userWithToken({ assign: 'none' });
    expect(await verify(unassigned.user.login, await totpAt(unassigned.seed, T0))).toMatchObject({ accepted: false, reason: 'NOT_ASSIGNED' });

    const user = await fixture.admin.post('/users', { login: unique('p') });
    const pending = await fixture.admin.post('/tokens/software', { type: 'TOTP', ownerUserId: user.id });
    await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: pending.token.id });
    expect(await verify(user.login, await totpAt(pending.enrolment.secretBase32, T0))).toMatchObject({ accepted: false, reason: 'TOKEN_PENDING' });

    expect(await verify('nobody-' + unique(''), '123456')).toMatchObject({ accepted: false, reason: 'USER_UNKNOWN' });
    expect(await verify(disabled.user.login, '123456', 'no-such-resource')).toMatchObject({ accepted: false, reason: 'RESOURCE_UNKNOWN' });
  });

  it('activates a software token with its first correct OTP through Check OTP', async () => {
    const user = await fixture.admin.post('/users', { login: unique('s') });
    const created = await fixture.admin.post('/tokens/software', { type: 'TOTP', ownerUserId: user.id });
    expect(created.token.activated).toBe(false);
    expect(created.enrolment.keyUri).toMatch(/^otpauth:\/\/totp\//);
    expect(created.enrolment.qrSvg).toContain('<svg');
    const wrong = await json(fixture.admin.request(`/tokens/${created.token.id}/check`, { method: 'POST', json: { otp: '000000' } }));
    expect(wrong.valid).toBe(false);
    const right = await json(fixture.admin.request(`/tokens/${created.token.id}/check`, { method: 'POST', json: { otp: await totpAt(created.enrolment.secretBase32, T0) } }));
    expect(right).toEqual({ valid: true });
    expect((await fixture.admin.get(`/tokens/${created.token.id}`)).activated).toBe(true);
  });

  it('records UserLogin and UserLoginAttempt activities for the API channel', async () => {
    const { user, seed } = await userWithToken();
    await verify(user.login, '999999');
    await verify(user.login, await totpAt(seed, T0));
    const { env } = await import('cloudflare:workers');
    const { results } = await env.DB.prepare('SELECT type, channel FROM user_activities WHERE user_id = ? ORDER BY at, rowid').bind(user.id).all();
    expect(results).toEqual([
      { type: 'UserLoginAttempt', channel: 'api' },
      { type: 'UserLogin', channel: 'api' },
    ]);
  });

  it('refuses requests without a valid API key', async () => {
    const response = await call('/api/v1/verify', { method: 'POST', json: { login: 'a', resource: 'b', otp: '123456' } });
    expect(response.status).toBe(401);
    const wrongKey = await call('/api/v1/verify', { method: 'POST', headers: { authorization: 'Bearer eid_wrong' }, json: { login: 'a', resource: 'b', otp: '1' } });
    expect(wrongKey.status).toBe(401);
    expect((await json(wrongKey)).error.code).toBe('UNAUTHENTICATED');
    // A bad key is named before a bad body, as before the key check moved into the verify batch.
    const wrongKeyBadBody = await call('/api/v1/verify', { method: 'POST', headers: { authorization: 'Bearer eid_wrong' }, json: { nonsense: true } });
    expect((await json(wrongKeyBadBody)).error.code).toBe('UNAUTHENTICATED');
    const rightKeyBadBody = await call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${fixture.admin.key}` }, json: { nonsense: true } });
    expect((await json(rightKeyBadBody)).error.code).toBe('VALIDATION_FAILED');
  });

  it('refuses a revoked key from the next request on (the key is read from D1 on every verify, never cached)', async () => {
    const { user, seed } = await userWithToken({ type: 'HOTP' });
    const created = await fixture.admin.post('/api-keys', { name: unique('integration-'), scope: 'verify' });
    const verifyWith = (otp: string) =>
      call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${created.key}` }, json: { login: user.login, resource: fixture.resource.name, otp } });
    expect(await json(verifyWith(await hotpAt(seed, 0)))).toEqual(expect.objectContaining({ accepted: true }));
    expect((await fixture.admin.get('/api-keys')).items.find((k: { id: string }) => k.id === created.id).lastUsedAt).toBe(T0);
    expect((await fixture.admin.request(`/api-keys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const refused = await verifyWith(await hotpAt(seed, 1));
    expect(refused.status).toBe(401);
    expect((await json(refused)).error.code).toBe('UNAUTHENTICATED');
    // The refused request consumed nothing: the same code still works with a valid key.
    expect((await verify(user.login, await hotpAt(seed, 1))).accepted).toBe(true);
  });

  it('logs each success once, in the consume batch, and a failure with its reason', async () => {
    const { user, seed, token } = await userWithToken({ type: 'HOTP' });
    const code = await hotpAt(seed, 0);
    expect((await verify(user.login, code)).accepted).toBe(true);
    expect(await verify(user.login, code)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    const { env } = await import('cloudflare:workers');
    const { results } = await env.DB.prepare('SELECT type, channel, login, detail FROM user_activities WHERE user_id = ? ORDER BY at, rowid').bind(user.id).all();
    expect(results).toEqual([
      { type: 'UserLogin', channel: 'api', login: user.login, detail: JSON.stringify({ resource: fixture.resource.name, serial: token.serial }) },
      { type: 'UserLoginAttempt', channel: 'api', login: user.login, detail: JSON.stringify({ resource: fixture.resource.name, reason: 'OTP_REPLAYED' }) },
    ]);
  });
});
