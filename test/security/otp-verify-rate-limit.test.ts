/**
 * Threat: multiplying the verify API's per-user budget by spelling. The rate limit once counted per spelling of
 * login and resource, so naming the resource by its name, its id or in another case (and the login likewise)
 * gave a fresh VERIFY_ATTEMPTS_PER_USER each. It is keyed by the resolved user and resource now.
 */
import { describe, expect, it } from 'vitest';
import { VERIFY_ATTEMPTS_PER_USER } from '../../worker/constants';
import { adminClient, call, json, randomSeedBase32, unique } from '../helpers/worker';

describe('verify rate limit', () => {
  it('one budget per user and resource, however the caller spells them', async () => {
    const admin = await adminClient();
    const resource = await admin.post('/resources', { name: unique('Vpn-') });
    const user = await admin.post('/users', { login: unique('u') });
    const other = await admin.post('/users', { login: unique('u') });
    for (const owner of [user, other]) {
      const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('S'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: owner.id });
      await admin.put(`/resources/${resource.id}/assignments`, { userId: owner.id, tokenId: token.id });
    }
    const verify = (login: string, resourceName: string) =>
      json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login, resource: resourceName, otp: '000000' } }));
    const spellings = [
      [user.login, resource.name],
      [user.login.toUpperCase(), resource.id],
      [user.login, resource.name.toUpperCase()],
      [user.login.toUpperCase(), resource.name.toLowerCase()],
    ] as const;
    for (let i = 0; i < VERIFY_ATTEMPTS_PER_USER; i++) {
      const [login, name] = spellings[i % spellings.length]!;
      expect((await verify(login, name)).reason).not.toBe('RATE_LIMITED');
    }
    for (const [login, name] of spellings) expect(await verify(login, name)).toMatchObject({ accepted: false, reason: 'RATE_LIMITED' });
    // Another user's budget on the same resource is their own.
    expect((await verify(other.login, resource.id)).reason).toBe('OTP_INVALID');
  });
});
