/**
 * Threat: an attacker who sees a valid code (shoulder surfing, phishing proxy, a log) races the real user and
 * submits it again, possibly many times at once. The code must be accepted exactly once, whatever the timing.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { TOKEN_MAX_FAILS } from '../../worker/constants';
import { adminClient, call, json, randomSeedBase32, totpAt, hotpAt, unique } from '../helpers/worker';
import { settled, settledForUser } from '../helpers/verify-state';

async function setup(type: 'TOTP' | 'HOTP') {
  const admin = await adminClient();
  const resource = await admin.post('/resources', { name: unique('R') });
  const user = await admin.post('/users', { login: unique('u') });
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type, serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const verify = (otp: string) =>
    json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));
  return { verify, seed, token, user };
}

describe('replay of one valid code', () => {
  it('TOTP: 50 concurrent submissions of one code give exactly one success', async () => {
    const { verify, seed, user } = await setup('TOTP');
    const code = await totpAt(seed, Date.now());
    const results = await Promise.all(Array.from({ length: 50 }, () => verify(code)));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    // The log says exactly what happened: one UserLogin (written in the consume batch only if the consume changed
    // the token), every other request an attempt.
    await settledForUser(user.id);
    const logged = await env.DB.prepare('SELECT type, count(*) AS n FROM user_activities WHERE user_id = ? GROUP BY type ORDER BY type')
      .bind(user.id)
      .all<{ type: string; n: number }>();
    expect(logged.results).toEqual([
      { type: 'UserLogin', n: 1 },
      { type: 'UserLoginAttempt', n: 49 },
    ]);
    // The rest fail as replays (not counted: a retransmission must not lock its user), and past the per-user cap
    // are rate limited: never accepted.
    expect(new Set(results.filter((r) => !r.accepted).map((r) => r.reason))).toSatisfy((reasons: Set<string>) =>
      [...reasons].every((reason) => ['OTP_REPLAYED', 'TOKEN_LOCKED', 'RATE_LIMITED'].includes(reason)),
    );
  });

  it('HOTP: 50 concurrent submissions of one code give exactly one success', async () => {
    const { verify, seed, token } = await setup('HOTP');
    const results = await Promise.all(Array.from({ length: 50 }, async () => verify(await hotpAt(seed, 0))));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    await settled(token.id);
    const row = await env.DB.prepare('SELECT counter FROM tokens WHERE id = ?').bind(token.id).first<{ counter: number }>();
    expect(row?.counter).toBe(1);
  });

  it('an older code after a newer one is refused (the step only moves forward)', async () => {
    const { verify, seed } = await setup('TOTP');
    const now = Date.now();
    expect((await verify(await totpAt(seed, now + 30_000))).accepted).toBe(true);
    expect((await verify(await totpAt(seed, now))).accepted).toBe(false);
  });
});

describe('a replay of the code accepted last is not a failure, and buys a guesser nothing', () => {
  const failCountOf = async (tokenId: string) =>
    (await settled(tokenId), await env.DB.prepare('SELECT fail_count FROM tokens WHERE id = ?').bind(tokenId).first<{ fail_count: number }>())!.fail_count;

  it('a RADIUS client retransmitting the accepted code many times does not lock its user', async () => {
    // Attack (or accident): a RADIUS client retransmits the request it already got an answer for; each copy used
    // to count as a failure, so a flaky network locked the user out after TOKEN_MAX_FAILS copies.
    const { verify, seed, token } = await setup('HOTP');
    const code = await hotpAt(seed, 0);
    expect((await verify(code)).accepted).toBe(true);
    for (let i = 0; i < TOKEN_MAX_FAILS + 2; i++) expect(await verify(code)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    expect(await failCountOf(token.id)).toBe(0);
    expect((await verify(await hotpAt(seed, 1))).accepted).toBe(true);
  });

  it('TOTP: replays of the accepted step are free; an older used code and wrong codes count', async () => {
    // Attack: use the uncounted replay answer as free guesses. Only the exact code accepted last is exempt; a
    // code of an earlier step and every wrong code still count towards the lock.
    const { verify, seed, token } = await setup('TOTP');
    // 10 s into a 30 s step, so that no step boundary passes during the test.
    const now = Date.UTC(2026, 5, 1, 12, 0, 10);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
    onTestFinished(() => void vi.useRealTimers());
    expect((await verify(await totpAt(seed, now - 30_000))).accepted).toBe(true);
    expect((await verify(await totpAt(seed, now))).accepted).toBe(true);
    expect(await verify(await totpAt(seed, now))).toMatchObject({ reason: 'OTP_REPLAYED' });
    expect(await failCountOf(token.id)).toBe(0);
    expect(await verify(await totpAt(seed, now - 30_000))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(await failCountOf(token.id)).toBe(1);
    const current = await totpAt(seed, now);
    const wrong = String((Number(current) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 1; i < TOKEN_MAX_FAILS - 1; i++) await verify(wrong);
    expect(await verify(wrong)).toMatchObject({ reason: 'TOKEN_LOCKED' });
    // Locked: the replay is no way around the lock either.
    expect(await verify(current)).toMatchObject({ reason: 'TOKEN_LOCKED' });
  });

  it('a right PIN is needed for the replay answer: a wrong PIN with the accepted code counts', async () => {
    // Attack: someone who saw the accepted code but not the PIN tries PINs with it, hoping wrong ones are free.
    const admin = await adminClient();
    const resource = await admin.post('/resources', { name: unique('R') });
    const user = await admin.post('/users', { login: unique('u') });
    const seed = randomSeedBase32();
    const token = await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id, pin: '4321' });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const verify = (otp: string) =>
      json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));
    const code = await hotpAt(seed, 0);
    expect((await verify(`${code}4321`)).accepted).toBe(true);
    expect(await verify(`${code}1111`)).toMatchObject({ reason: 'OTP_INVALID' });
    expect(await failCountOf(token.id)).toBe(1);
    expect(await verify(`${code}4321`)).toMatchObject({ reason: 'OTP_REPLAYED' });
    expect(await failCountOf(token.id)).toBe(1);
  });

  it('with several tokens, retransmitting one token\'s code locks none of the others; a wrong code counts on each', async () => {
    // Attack (or accident): the same retransmission for a user with two tokens on a plain "user" assignment; the
    // code was checked against the other token too and counted there, so resends locked that token.
    const admin = await adminClient();
    const resource = await admin.post('/resources', { name: unique('R') });
    const user = await admin.post('/users', { login: unique('u') });
    const seeds = [randomSeedBase32(), randomSeedBase32()];
    const tokens = [];
    for (const seed of seeds) tokens.push(await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id }));
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: null });
    const verify = (otp: string) =>
      json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));
    for (const index of [0, 1]) {
      const code = await hotpAt(seeds[index]!, 0);
      expect((await verify(code)).accepted).toBe(true);
      for (let i = 0; i < TOKEN_MAX_FAILS + 1; i++) expect(await verify(code)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    }
    expect([await failCountOf(tokens[0].id), await failCountOf(tokens[1].id)]).toEqual([0, 0]);
    const windows = await Promise.all(seeds.flatMap((seed) => Array.from({ length: 13 }, (_, counter) => hotpAt(seed, counter))));
    const wrong = ['123456', '654321', '111222'].find((code) => !windows.includes(code))!;
    expect(await verify(wrong)).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect([await failCountOf(tokens[0].id), await failCountOf(tokens[1].id)]).toEqual([1, 1]);
  });

  it('20 concurrent copies of a fresh HOTP code: one accepted, the rest OTP_REPLAYED, nothing counted', async () => {
    // Attack (or retransmission burst): many copies of one valid code at once race for it.
    const { verify, seed, token } = await setup('HOTP');
    const code = await hotpAt(seed, 0);
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(code)));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    expect(results.filter((r) => !r.accepted).map((r) => r.reason)).toEqual(Array(19).fill('OTP_REPLAYED'));
    expect(await failCountOf(token.id)).toBe(0);
  });
});
