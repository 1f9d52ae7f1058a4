/**
 * The verify API's warm path over real HTTP (the Worker as `npm start` runs it): copies of a code racing at an
 * instance that has verified the user before, and an admin change between two requests. Every test opens with the
 * attack it shows failing.
 */
import { describe, expect, it } from 'vitest';
import { HOTP_LOOK_AHEAD_COUNTERS, VERIFY_ATTEMPTS_PER_USER } from '../../../worker/constants';
import { hexToBytes } from '../../../worker/lib/encoding';
import { generateHotp, importHmacKey } from '../../../worker/otp/hotp';
import { unique } from '../../helpers/unique';
import { appWithResource } from './support';

const SEED_HEX = '3132333435363738393031323334353637383930';
const fixture = appWithResource();

const hotp = async (counter: number) => generateHotp(await importHmacKey(hexToBytes(SEED_HEX), 'SHA1'), counter, 6);

/** A user with an HOTP token assigned on the resource, verified twice with `apiKey` (the instance is warm). */
async function warmUser(apiKey = fixture.app.admin.apiKey) {
  const user = await fixture.app.adminApi('POST', '/users', { login: unique('u') });
  const token = await fixture.app.adminApi('POST', '/tokens/hardware', { type: 'HOTP', serial: unique('HW'), seed: SEED_HEX, seedEncoding: 'hex', ownerUserId: user.id });
  await fixture.app.adminApi('PUT', `/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const verify = async (otp: string, key = apiKey) => {
    const response = await fetch(`${fixture.app.url}/api/v1/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ login: user.login, resource: fixture.resource.name, otp }),
    });
    return { status: response.status, ...((await response.json()) as { accepted: boolean; reason?: string; error?: { code: string } }) };
  };
  for (const counter of [0, 1]) expect(await verify(await hotp(counter))).toMatchObject({ accepted: true });
  return { user, token, verify, state: () => fixture.app.adminApi('GET', `/tokens/${token.id}`) };
}

describe('verify API warm path over HTTP', () => {
  it('20 concurrent copies of one valid code at a warm instance: one accepted, the others OTP_REPLAYED, nothing counted', async () => {
    // Attack: a sniffed code replayed in a burst at an instance whose copy of the token matches it for every copy;
    // only the database's conditional consume may pick the winner.
    const { verify, state } = await warmUser();
    const results = await Promise.all(Array.from({ length: 20 }, async () => verify(await hotp(2))));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    expect(results.filter((r) => !r.accepted).map((r) => r.reason)).toEqual(Array(19).fill('OTP_REPLAYED'));
    expect(await state()).toMatchObject({ failCount: 0, counter: 3, lockedUntil: null });
  });

  it('50 concurrent valid codes at a warm instance with 3 attempts left: exactly 3 are looked at, the rest RATE_LIMITED', async () => {
    // Attack: someone holding the token fires every code of its look-ahead window at once, several copies each, at
    // an instance whose copy matches them all, hoping the one-statement warm success (its rate limit hit written by
    // the consume's trigger) lets more than the limit through when they race.
    const { verify } = await warmUser();
    // warmUser spent 2 attempts; used codes (OTP_REPLAYED, no failure counted) spend all but 3 of the rest.
    for (let spent = 2; spent < VERIFY_ATTEMPTS_PER_USER - 3; spent++) expect(await verify(await hotp(1))).toMatchObject({ reason: 'OTP_REPLAYED' });
    const codes = await Promise.all(Array.from({ length: HOTP_LOOK_AHEAD_COUNTERS }, (_, i) => hotp(2 + i)));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => verify(codes[i % codes.length]!)));
    const answered = results.filter((r) => r.reason !== 'RATE_LIMITED');
    expect(answered).toHaveLength(3);
    expect(results.filter((r) => r.accepted).length).toBeLessThanOrEqual(3);
  });

  it('a token disabled between two requests is refused on the second', async () => {
    // Attack: the holder of a lost token keeps using it at an instance that verified it a moment ago, hoping that
    // instance still trusts its copy after the admin disabled the token.
    const { token, verify } = await warmUser();
    await fixture.app.adminApi('PATCH', `/tokens/${token.id}`, { enabled: false });
    expect(await verify(await hotp(2))).toEqual({ status: 200, accepted: false, reason: 'TOKEN_DISABLED' });
    await fixture.app.adminApi('PATCH', `/tokens/${token.id}`, { enabled: true });
    expect(await verify(await hotp(2))).toMatchObject({ accepted: true });
  });

  it('an API key that expires between two requests: a burst of valid codes after the expiry is refused, nothing consumed or counted', async () => {
    // Attack: an integration's key is given an expiry; once it has passed, whoever still holds the key fires valid
    // codes at an instance that verified with it a moment ago, hoping the instance's warm path still takes the key.
    // The key's expiry is compared with the request's clock in the consume itself (a bound parameter).
    const expiresAt = Date.now() + 4_000;
    const created = await fixture.app.adminApi('POST', '/api-keys', { name: unique('expiring-'), scope: 'verify', expiresAt });
    const { verify, state } = await warmUser(created.key);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => verify(await hotp(2 + (i % HOTP_LOOK_AHEAD_COUNTERS)))));
    expect(results.map((r) => [r.status, r.error?.code])).toEqual(Array(20).fill([401, 'UNAUTHENTICATED']));
    expect(await state()).toMatchObject({ counter: 2, failCount: 0, lockedUntil: null });
    // Nothing was spent by the refused key: the next code, with a usable key, is accepted.
    expect(await verify(await hotp(2), fixture.app.admin.apiKey)).toMatchObject({ accepted: true });
  });
});
