/**
 * Threat: resync as a side door. Resync searches a window of a thousand counters for two consecutive codes; if
 * its failures were free, ran while the token is locked, or if a success lifted the lock, it would be a guessing
 * oracle next to the verify API that the fail counter does not see, and a way to unlock a token an attacker
 * locked (or locked out its owner). Each attempt is claimed first: rate limited per token, counted on the fail
 * counter, refused while the token is locked.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { RESYNC_ATTEMPTS_PER_TOKEN, TOKEN_MAX_FAILS } from '../../worker/constants';
import { adminClient, call, hotpAt, json, randomSeedBase32, unique } from '../helpers/worker';
import { settled } from '../helpers/verify-state';

async function hotpToken() {
  const admin = await adminClient();
  const resource = await admin.post('/resources', { name: unique('R') });
  const user = await admin.post('/users', { login: unique('u') });
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const resync = async (otp1: string, otp2: string) => {
    const response = await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1, otp2 } });
    return { status: response.status, body: await response.json<any>() };
  };
  const verify = (otp: string) =>
    json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));
  const row = async () => (
    await settled(token.id),
    await env.DB.prepare('SELECT counter, fail_count, locked_until FROM tokens WHERE id = ?').bind(token.id).first<{ counter: number; fail_count: number; locked_until: number | null }>()
  );
  return { admin, token, seed, resync, verify, row };
}

const codeOf = (response: { body: any }) => response.body.error?.code ?? 'OK';

describe('resync', () => {
  it('counts each failed attempt on the token and is rate limited per token', async () => {
    // Attack: search the resync window with guessed pairs, hoping misses are free and unlimited.
    const { seed, resync, row } = await hotpToken();
    for (let i = 1; i <= RESYNC_ATTEMPTS_PER_TOKEN; i++) {
      expect(codeOf(await resync('000000', '000001'))).toBe('OTP_INVALID');
      expect((await row())!.fail_count).toBe(i);
    }
    // Past the cap even the right pair is refused, and the refusal is not counted.
    const refused = await resync(await hotpAt(seed, 500), await hotpAt(seed, 501));
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.body.error.details.retryAfterMs).toBeGreaterThan(0);
    expect(await row()).toMatchObject({ counter: 0, fail_count: RESYNC_ATTEMPTS_PER_TOKEN });
  });

  it('never unlocks a locked token: it answers TOKEN_LOCKED until the admin reset', async () => {
    // Attack: lock a victim's token with wrong codes, or unlock one locked against guessing, through resync.
    const { admin, token, seed, resync, verify, row } = await hotpToken();
    for (let i = 0; i < TOKEN_MAX_FAILS; i++) await verify('999999');
    const lockedUntil = (await row())!.locked_until;
    expect(lockedUntil).toBeGreaterThan(Date.now());
    const refused = await resync(await hotpAt(seed, 500), await hotpAt(seed, 501));
    expect(refused.status).toBe(423);
    expect(codeOf(refused)).toBe('TOKEN_LOCKED');
    expect(await row()).toMatchObject({ counter: 0, locked_until: lockedUntil });
    await admin.post(`/tokens/${token.id}/reset-fail-counter`, {});
    expect(codeOf(await resync(await hotpAt(seed, 500), await hotpAt(seed, 501)))).toBe('OK');
    expect(await row()).toMatchObject({ counter: 502, fail_count: 0, locked_until: null });
  });

  it('the attempt that reaches the limit locks the token unless it is right; a right one clears the count', async () => {
    // Attack: spend the last allowed attempt on resync and keep going. The attempt that reaches TOKEN_MAX_FAILS
    // locks at once; only a right pair (proof of possession) lifts the lock it set itself.
    const first = await hotpToken();
    for (let i = 0; i < TOKEN_MAX_FAILS - 1; i++) await first.verify('999999');
    expect(codeOf(await first.resync('000000', '000001'))).toBe('TOKEN_LOCKED');
    expect((await first.row())!.locked_until).toBeGreaterThan(Date.now());

    const second = await hotpToken();
    for (let i = 0; i < TOKEN_MAX_FAILS - 1; i++) await second.verify('999999');
    expect(codeOf(await second.resync(await hotpAt(second.seed, 700), await hotpAt(second.seed, 701)))).toBe('OK');
    expect(await second.row()).toMatchObject({ counter: 702, fail_count: 0, locked_until: null });
  });

  it('40 concurrent resync guesses: at most the cap is searched, the rest are refused, nothing unlocks', async () => {
    // Attack: a burst of parallel resync guesses, all sent before any failure is written.
    const { seed, resync, row } = await hotpToken();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => resync(String(i).padStart(6, '0'), String(i + 1).padStart(6, '0'))));
    const searched = results.filter((r) => codeOf(r) === 'OTP_INVALID' || codeOf(r) === 'TOKEN_LOCKED');
    expect(searched.length).toBeLessThanOrEqual(RESYNC_ATTEMPTS_PER_TOKEN);
    expect(results.filter((r) => codeOf(r) === 'RATE_LIMITED').length).toBe(40 - searched.length);
    expect((await row())!.fail_count).toBe(searched.length);
    expect(codeOf(await resync(await hotpAt(seed, 10), await hotpAt(seed, 11)))).toBe('RATE_LIMITED');
  });
});
