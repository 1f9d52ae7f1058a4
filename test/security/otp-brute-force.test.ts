/**
 * Threat: guessing OTPs through the verify API. A 6-digit code has 10^6 values; the fail counter locks the token
 * after a few misses and the per-user rate limit caps attempts even across tokens, so guessing cannot scale.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_MAX_FAILS, VERIFY_ATTEMPTS_PER_USER } from '../../worker/constants';
import { adminClient, call, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';
import { settled } from '../helpers/verify-state';

describe('OTP guessing', () => {
  it('locks the token; the right code does not get through the lock; the rate limit caps the rest', async () => {
    const admin = await adminClient();
    const resource = await admin.post('/resources', { name: unique('R') });
    const user = await admin.post('/users', { login: unique('u') });
    const seed = randomSeedBase32();
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const verify = (otp: string) =>
      json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));

    const reasons: string[] = [];
    for (let guess = 0; guess < VERIFY_ATTEMPTS_PER_USER + 5; guess++) reasons.push((await verify(String(guess).padStart(6, '0'))).reason);
    expect(reasons.slice(0, TOKEN_MAX_FAILS - 1).every((r) => r === 'OTP_INVALID' || r === 'OTP_REPLAYED')).toBe(true);
    expect(reasons[TOKEN_MAX_FAILS - 1]).toBe('TOKEN_LOCKED');
    expect(reasons.slice(VERIFY_ATTEMPTS_PER_USER)).toEqual(Array(5).fill('RATE_LIMITED'));
    expect((await verify(await totpAt(seed, Date.now()))).accepted).toBe(false);
    await settled(token.id);
    expect((await admin.get(`/tokens/${token.id}`)).lockedUntil).toBeGreaterThan(Date.now());
  });

  it('callers without a valid key cannot use up a user\'s attempts (the rate limit counts only authenticated calls)', async () => {
    const admin = await adminClient();
    const resource = await admin.post('/resources', { name: unique('R') });
    const user = await admin.post('/users', { login: unique('u') });
    const seed = randomSeedBase32();
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const revoked = await admin.post('/api-keys', { name: unique('revoked-'), scope: 'verify' });
    await admin.request(`/api-keys/${revoked.id}`, { method: 'DELETE' });
    const body = { login: user.login, resource: resource.name, otp: '000000' };
    for (let i = 0; i < VERIFY_ATTEMPTS_PER_USER + 5; i++) {
      for (const key of ['eid_not-a-key', revoked.key]) {
        const response = await call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${key}` }, json: body });
        expect(response.status).toBe(401);
      }
    }
    await settled(token.id);
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(0);
    const verified = await json(
      call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { ...body, otp: await totpAt(seed, Date.now()) } }),
    );
    expect(verified.accepted).toBe(true);
  });
});
