/**
 * The per-user Durable Object design (VERIFY_STATE = "durable-object") against an attacker who sends everything at
 * once, over real HTTP to the Worker as `npm start` runs it (wrangler dev: local D1 and the local Durable Object),
 * so requests arrive concurrently at the object rather than serialised in one isolate. Every test opens with the
 * attack it shows failing; the d1 mode's own are otp-attempts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_MAX_FAILS, VERIFY_ATTEMPTS_PER_USER } from '../../../worker/constants';
import { hexToBytes } from '../../../worker/lib/encoding';
import { generateHotp, importHmacKey } from '../../../worker/otp/hotp';
import { unique } from '../../helpers/unique';
import { appWithResource } from './support';

const SEED_HEX = '3132333435363738393031323334353637383930';
const fixture = appWithResource({ browser: false, vars: { VERIFY_STATE: 'durable-object' } });

async function post(path: string, body: unknown): Promise<any> {
  const response = await fetch(`${fixture.app.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fixture.app.admin.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.json();
}

const hotp = async (counter: number) => generateHotp(await importHmacKey(hexToBytes(SEED_HEX), 'SHA1'), counter, 6);

async function userWithToken() {
  const user = await fixture.app.adminApi('POST', '/users', { login: unique('u') });
  const token = await fixture.app.adminApi('POST', '/tokens/hardware', { type: 'HOTP', serial: unique('HW'), seed: SEED_HEX, seedEncoding: 'hex', ownerUserId: user.id });
  await fixture.app.adminApi('PUT', `/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const verify = (otp: string) => post('/api/v1/verify', { login: user.login, resource: fixture.resource.name, otp });
  return { token, verify, state: () => fixture.app.adminApi('GET', `/tokens/${token.id}`) };
}

describe('object mode over HTTP', () => {
  it('25 concurrent copies of one code: exactly one accepted, and the mirror shows it consumed', async () => {
    // Attack: a captured code sent 25 times at once, hoping two requests reach the check before either consumes.
    const { verify, state } = await userWithToken();
    const code = await hotp(0);
    const results = await Promise.all(Array.from({ length: 25 }, () => verify(code)));
    expect(results.filter((r) => r.accepted === true)).toHaveLength(1);
    expect(results.every((r) => r.accepted === true || ['OTP_REPLAYED', 'OTP_INVALID'].includes(r.reason))).toBe(true);
    expect((await state()).counter).toBe(1);
  });

  it('a burst of wrong codes: at most the limit is looked at, the lock holds, Check OTP at the admin door sees it too', async () => {
    // Attack: 25 guesses in one burst (below the verify rate limit), hoping more than TOKEN_MAX_FAILS get looked at
    // before the count is written, then the right code through another door.
    const { verify, token, state } = await userWithToken();
    const valid = new Set(await Promise.all(Array.from({ length: 30 }, (_, counter) => hotp(counter))));
    const wrong: string[] = [];
    for (let n = 100_000; wrong.length < VERIFY_ATTEMPTS_PER_USER - 5; n += 7919) if (!valid.has(String(n))) wrong.push(String(n));
    const results = await Promise.all(wrong.map((otp) => verify(otp)));
    const invalid = results.filter((r) => r.reason === 'OTP_INVALID').length;
    expect(results.every((r) => r.accepted === false && ['OTP_INVALID', 'TOKEN_LOCKED'].includes(r.reason))).toBe(true);
    expect(invalid).toBeLessThanOrEqual(TOKEN_MAX_FAILS - 1);
    expect((await state()).lockedUntil).toBeGreaterThan(Date.now());
    expect(await post(`/api/admin/tokens/${token.id}/check`, { otp: await hotp(0) })).toMatchObject({ valid: false, reason: 'TOKEN_LOCKED' });
    // The admin's reset goes to the object: the right code is accepted again.
    expect((await fetch(`${fixture.app.url}/api/admin/tokens/${token.id}/reset-fail-counter`, { method: 'POST', headers: { authorization: `Bearer ${fixture.app.admin.apiKey}` } })).status).toBe(204);
    expect(await verify(await hotp(0))).toMatchObject({ accepted: true });
  });

  it('a code accepted by the admin Check OTP is refused at the verify API (one state for every door)', async () => {
    // Attack: reuse a code at another door than the one that consumed it.
    const { verify, token } = await userWithToken();
    expect(await post(`/api/admin/tokens/${token.id}/check`, { otp: await hotp(0) })).toMatchObject({ valid: true });
    expect(await verify(await hotp(0))).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    expect(await verify(await hotp(1))).toMatchObject({ accepted: true });
  });
});
