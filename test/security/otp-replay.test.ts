/**
 * Threat: an attacker who sees a valid code (shoulder surfing, phishing proxy, a log) races the real user and
 * submits it again, possibly many times at once. The code must be accepted exactly once, whatever the timing.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { adminClient, call, json, randomSeedBase32, totpAt, hotpAt, unique } from '../helpers/worker';

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
    const logged = await env.DB.prepare('SELECT type, count(*) AS n FROM user_activities WHERE user_id = ? GROUP BY type ORDER BY type')
      .bind(user.id)
      .all<{ type: string; n: number }>();
    expect(logged.results).toEqual([
      { type: 'UserLogin', n: 1 },
      { type: 'UserLoginAttempt', n: 49 },
    ]);
    // The rest fail as replays, then lock the token, and past the per-user cap are rate limited: never accepted.
    expect(new Set(results.filter((r) => !r.accepted).map((r) => r.reason))).toSatisfy((reasons: Set<string>) =>
      [...reasons].every((reason) => ['OTP_REPLAYED', 'TOKEN_LOCKED', 'RATE_LIMITED'].includes(reason)),
    );
  });

  it('HOTP: 50 concurrent submissions of one code give exactly one success', async () => {
    const { verify, seed, token } = await setup('HOTP');
    const results = await Promise.all(Array.from({ length: 50 }, async () => verify(await hotpAt(seed, 0))));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
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
