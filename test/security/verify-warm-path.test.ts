/**
 * The verify API's warm path (worker/verify-api/warm-path.ts): a TOTP/HOTP success in one D1 round trip from an
 * isolate that verified the same login on the same resource before, and every admin change refused on the very
 * next request however warm the isolate is.
 *
 * Requests go through the Worker (SELF) where only the answer matters, and straight to verifyForResource where the
 * test counts D1 round trips (the same module, so the same isolate's copies): that count proves the isolate warm.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { apiKeyHashOf } from '../../worker/auth/api-keys';
import { API_KEY_LAST_USED_RESOLUTION_MS, VERIFY_ATTEMPTS_PER_USER } from '../../worker/constants';
import type { Env } from '../../worker/env';
import { verifyForResource } from '../../worker/verify-api/service';
import { WARM_CHECKED_TOKEN_COLUMNS } from '../../worker/verify-api/warm-path';
import { TOKEN_RECORD_COLUMNS } from '../../worker/tokens/verification';
import { base32ToBytes } from '../../worker/lib/encoding';
import { sealSeed } from '../../worker/tokens/secrets';
import { adminWithResource, freezeDateAt, VERIFY_T0, call, hotpAt, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';

const T0 = freezeDateAt(VERIFY_T0);
const fixture = adminWithResource();

/** The D1 round trips of one call: each the SQL of one batch, or of one statement run alone. */
function countingEnv() {
  const trips: string[][] = [];
  const real = new WeakMap<object, { statement: D1PreparedStatement; sql: string }>();
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, property) {
        if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (property === 'first' || property === 'run' || property === 'all' || property === 'raw') {
          return (...args: unknown[]) => {
            trips.push([sql]);
            return (target[property] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    real.set(proxy, { statement, sql });
    return proxy;
  };
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql.replace(/\s+/g, ' ').trim());
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          trips.push(statements.map((statement) => real.get(statement)!.sql));
          return target.batch(statements.map((statement) => real.get(statement)!.statement));
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { env: { ...env, DB: db } as Env, trips };
}

async function verifyCounted(login: string, otp: string, key = fixture.admin.key) {
  const counted = countingEnv();
  const request = { apiKeyHash: (await apiKeyHashOf(key))!, login, resource: fixture.resource.name, otp, ip: null, client: null };
  const result = await verifyForResource(counted.env, request, Date.now()).catch((error: { code?: string }) => ({ error: error.code }));
  return { result, trips: counted.trips };
}

function verifyThroughWorker(login: string, otp: string) {
  return json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${fixture.admin.key}` }, json: { login, resource: fixture.resource.name, otp } }));
}

/**
 * The warm round trip: the one consume statement (its trigger writes the rate limit hit and the activity row), and
 * the key's last-use write beside it when this isolate's is due.
 */
const isWarmBatch = (trip: string[] | undefined) =>
  trip !== undefined && (trip.length === 1 || trip.length === 2) && trip[0]!.startsWith('UPDATE tokens SET counter') && trip[0]!.includes('warm_success = ?');

/** A user with an HOTP token (with `pin` when given) assigned as "token with user", made warm through the Worker. */
async function warmUser(pin?: string) {
  const user = await fixture.admin.post('/users', { login: unique('w') });
  const seed = randomSeedBase32();
  const token = await fixture.admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id, ...(pin ? { pin } : {}) });
  await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const code = async (counter: number) => `${await hotpAt(seed, counter)}${pin ?? ''}`;
  expect(await verifyThroughWorker(user.login, await code(0))).toEqual({ accepted: true, serial: token.serial });
  // Warm: the next success is one round trip.
  const warm = await verifyCounted(user.login, await code(1));
  expect(warm.result).toMatchObject({ accepted: true, serial: token.serial });
  expect(warm.trips).toHaveLength(1);
  expect(isWarmBatch(warm.trips[0])).toBe(true);
  return { user, token, seed, code };
}

describe('verify API warm path', () => {
  it('a success from a warm isolate is one D1 statement: the conditional consume, whose trigger writes the rate limit hit and the activity', async () => {
    const user = await fixture.admin.post('/users', { login: unique('w') });
    const seed = randomSeedBase32();
    const token = await fixture.admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: null });
    const cold = await verifyCounted(user.login, await totpAt(seed, T0));
    expect(cold.result).toMatchObject({ accepted: true });
    expect(cold.trips).toHaveLength(2);
    for (const step of [1, 2, 3]) {
      vi.setSystemTime(T0 + step * 30_000);
      const warm = await verifyCounted(user.login, await totpAt(seed, T0 + step * 30_000));
      expect(warm.result).toEqual({ accepted: true, serial: token.serial, userId: user.id });
      expect(warm.trips).toHaveLength(1);
      expect(warm.trips[0]![0]).toMatch(/^UPDATE tokens SET last_used_step/);
    }
    // Each success logged once, by the batch that consumed it.
    const logins = await env.DB.prepare("SELECT count(*) AS n FROM user_activities WHERE user_id = ? AND type = 'UserLogin'").bind(user.id).first<number>('n');
    expect(logins).toBe(4);
  });

  it('replay, wrong codes and lockout are unchanged: the warm path never answers a failure itself', async () => {
    // Attack: a used or wrong code sent to a warm isolate, hoping its copy (with an old counter and no fail count)
    // accepts it or lets the guesses go uncounted.
    const { user, token, code } = await warmUser();
    expect((await verifyCounted(user.login, await code(1))).result).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    const wrong = await verifyCounted(user.login, '000000');
    expect(wrong.result).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(isWarmBatch(wrong.trips[0])).toBe(false);
    expect((await fixture.admin.get(`/tokens/${token.id}`)).failCount).toBe(1);
  });

  it('of 10 concurrent requests with one code at a warm isolate exactly one is accepted', async () => {
    // Attack: a sniffed code replayed many times at once against a warm isolate, whose copies all match it.
    const { user, code } = await warmUser();
    const next = await code(2);
    const results = await Promise.all(Array.from({ length: 10 }, () => verifyCounted(user.login, next)));
    expect(results.filter(({ result }) => 'accepted' in result && result.accepted)).toHaveLength(1);
    const logins = await env.DB.prepare("SELECT count(*) AS n FROM user_activities WHERE user_id = ? AND type = 'UserLogin'").bind(user.id).first<number>('n');
    expect(logins).toBe(3);
  });

  describe('every admin change refuses the next request from the warm isolate', () => {
    // Attack, for each: someone holding a token (or an integration key) an admin has just taken away sends a valid
    // code to an isolate whose copy of the records predates the change, hoping the copy still vouches for them.
    async function refusedWarm(login: string, otp: string, key?: string) {
      const next = await verifyCounted(login, otp, key);
      // The warm batch ran and its consume was refused; the cold path answered.
      expect(isWarmBatch(next.trips[0])).toBe(true);
      expect(next.trips.length).toBeGreaterThan(1);
      return next.result;
    }

    it('a revoked API key', async () => {
      const { user, code } = await warmUser();
      const created = await fixture.admin.post('/api-keys', { name: unique('integration-'), scope: 'verify' });
      expect((await verifyCounted(user.login, await code(2), created.key)).result).toMatchObject({ accepted: true });
      expect((await fixture.admin.request(`/api-keys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await refusedWarm(user.login, await code(3), created.key)).toEqual({ error: 'UNAUTHENTICATED' });
      expect((await verifyCounted(user.login, await code(3))).result).toMatchObject({ accepted: true });
    });

    it('a disabled token', async () => {
      const { user, token, code } = await warmUser();
      await fixture.admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } });
      expect(await refusedWarm(user.login, await code(2))).toMatchObject({ accepted: false, reason: 'TOKEN_DISABLED' });
    });

    it('a token given to another user', async () => {
      const { user, token, code } = await warmUser();
      const other = await fixture.admin.post('/users', { login: unique('o') });
      await fixture.admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { ownerUserId: other.id } });
      expect(await refusedWarm(user.login, await code(2))).toMatchObject({ accepted: false, reason: 'NO_TOKEN' });
    });

    it('an assignment changed to another token, and a removed assignment', async () => {
      const { user, code } = await warmUser();
      const seed = randomSeedBase32();
      const second = await fixture.admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id });
      await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: second.id });
      expect(await refusedWarm(user.login, await code(2))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
      expect((await verifyCounted(user.login, await hotpAt(seed, 0))).result).toMatchObject({ accepted: true, serial: second.serial });
      expect((await verifyCounted(user.login, await hotpAt(seed, 1))).trips).toHaveLength(1);
      expect((await fixture.admin.request(`/resources/${fixture.resource.id}/assignments/${user.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await refusedWarm(user.login, await hotpAt(seed, 2))).toMatchObject({ accepted: false, reason: 'NOT_ASSIGNED' });
    });

    it('a PIN set, changed or removed', async () => {
      const { user, token, seed, code } = await warmUser('1111');
      await fixture.admin.put(`/tokens/${token.id}/pin`, { pin: '2222' });
      expect(await refusedWarm(user.login, await code(2))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
      expect((await verifyCounted(user.login, `${await hotpAt(seed, 2)}2222`)).result).toMatchObject({ accepted: true });
      expect((await verifyCounted(user.login, `${await hotpAt(seed, 3)}2222`)).trips).toHaveLength(1);
      await fixture.admin.put(`/tokens/${token.id}/pin`, { pin: null });
      expect(await refusedWarm(user.login, `${await hotpAt(seed, 4)}2222`)).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
      expect((await verifyCounted(user.login, await hotpAt(seed, 4))).result).toMatchObject({ accepted: true });
    });

    it('a new seed: the HMAC key the warm copy made from the old one is not used for it', async () => {
      // Attack: a token re-seeded (its old seed leaked), and the leaked seed's next code sent to an isolate whose
      // copy holds the key it opened from the old seed.
      const { user, token, code } = await warmUser();
      const seed = randomSeedBase32();
      const sealed = await sealSeed(env.SEED_ENCRYPTION_KEY, token.id, base32ToBytes(seed));
      await env.DB.prepare('UPDATE tokens SET secret_encrypted = ?, counter = 0 WHERE id = ?').bind(sealed, token.id).run();
      expect(await refusedWarm(user.login, await code(2))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
      expect((await verifyCounted(user.login, await hotpAt(seed, 0))).result).toMatchObject({ accepted: true });
      const warm = await verifyCounted(user.login, await hotpAt(seed, 1));
      expect(warm.result).toMatchObject({ accepted: true });
      expect(warm.trips).toHaveLength(1);
    });

    it('a disabled user, and a renamed login', async () => {
      const disabled = await warmUser();
      await fixture.admin.request(`/users/${disabled.user.id}`, { method: 'PATCH', json: { enabled: false } });
      expect(await refusedWarm(disabled.user.login, await disabled.code(2))).toMatchObject({ accepted: false, reason: 'USER_DISABLED' });
      const renamed = await warmUser();
      await fixture.admin.request(`/users/${renamed.user.id}`, { method: 'PATCH', json: { login: unique('renamed') } });
      expect(await refusedWarm(renamed.user.login, await renamed.code(2))).toMatchObject({ accepted: false, reason: 'USER_UNKNOWN' });
    });

    it('a renamed resource', async () => {
      const { user, code } = await warmUser();
      const oldName = fixture.resource.name;
      // The file's resource goes on under its new name, for the tests after this one.
      Object.assign(fixture.resource, await json(fixture.admin.request(`/resources/${fixture.resource.id}`, { method: 'PATCH', json: { name: unique('VPN-') } })));
      const counted = countingEnv();
      const request = { apiKeyHash: (await apiKeyHashOf(fixture.admin.key))!, login: user.login, resource: oldName, otp: await code(2), ip: null, client: null };
      expect(await verifyForResource(counted.env, request, Date.now())).toMatchObject({ accepted: false, reason: 'RESOURCE_UNKNOWN' });
      expect(isWarmBatch(counted.trips[0])).toBe(true);
    });
  });

  it('the rate limit rides in the warm batch, and a refused warm batch spends no second attempt', async () => {
    // Attack: codes fired at a warm isolate beyond the verify limit, hoping the one-batch path skips the limit.
    const { user, token, seed, code } = await warmUser('1111');
    const hits = () => env.DB.prepare('SELECT count FROM rate_limits WHERE key = ?').bind(`verify:${user.id}:${fixture.resource.id}`).first<number>('count');
    expect(await hits()).toBe(2);
    // A PIN change voids the copy: that request is one warm batch and one cold read, and one attempt.
    await fixture.admin.put(`/tokens/${token.id}/pin`, { pin: '3333' });
    expect((await verifyCounted(user.login, await code(2))).result).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(await hits()).toBe(3);
    let counter = 2;
    for (let attempt = 4; attempt <= VERIFY_ATTEMPTS_PER_USER; attempt++) {
      const success = await verifyCounted(user.login, `${await hotpAt(seed, counter++)}3333`);
      expect(success.result).toMatchObject({ accepted: true });
      // The refused request's cold read made a new copy: warm at once.
      expect(success.trips).toHaveLength(1);
    }
    expect(await hits()).toBe(VERIFY_ATTEMPTS_PER_USER);
    const beyond = await verifyCounted(user.login, `${await hotpAt(seed, counter)}3333`);
    expect(beyond.result).toMatchObject({ accepted: false, reason: 'RATE_LIMITED' });
    expect(isWarmBatch(beyond.trips[0])).toBe(true);
    expect(await hits()).toBe(VERIFY_ATTEMPTS_PER_USER + 1);
    // Not consumed: the code is still the token's next.
    expect((await fixture.admin.get(`/tokens/${token.id}`)).counter).toBe(counter);
  });

  it('past the limit a right and a wrong code cost a warm isolate the same round trips: no timing oracle', async () => {
    // Attack: the verify limit is spent, so every answer is RATE_LIMITED; the attacker keeps guessing anyway and
    // times the answers. If a code the warm copy matches took one more D1 round trip than a wrong one, the slower
    // answers would name the right code without any attempt being left.
    const { user, token, seed, code } = await warmUser();
    let counter = 2;
    for (let attempt = 3; attempt <= VERIFY_ATTEMPTS_PER_USER; attempt++) {
      expect((await verifyCounted(user.login, await code(counter++))).result).toMatchObject({ accepted: true });
    }
    const right = await verifyCounted(user.login, await hotpAt(seed, counter));
    const wrong = await verifyCounted(user.login, (await hotpAt(seed, counter)) === '000000' ? '111111' : '000000');
    expect(right.result).toMatchObject({ accepted: false, reason: 'RATE_LIMITED' });
    expect(wrong.result).toMatchObject({ accepted: false, reason: 'RATE_LIMITED' });
    expect(right.trips.map((trip) => trip.length)).toEqual(wrong.trips.map((trip) => trip.length));
    expect(wrong.trips[0]![0]).toMatch(/^INSERT INTO rate_limits/);
    // Neither was looked at further: the right code is still the token's next, and no failure was counted.
    expect((await fixture.admin.get(`/tokens/${token.id}`))).toMatchObject({ counter, failCount: 0 });
  });

  it('a wrong code at a warm isolate claims its attempt before anything else, once', async () => {
    // Attack: wrong codes sent to a warm isolate, hoping the in-memory check lets them go uncounted (or counted twice
    // would lock the user out early).
    const { user } = await warmUser();
    const hits = () => env.DB.prepare('SELECT count FROM rate_limits WHERE key = ?').bind(`verify:${user.id}:${fixture.resource.id}`).first<number>('count');
    expect(await hits()).toBe(2);
    const wrong = await verifyCounted(user.login, '000000');
    expect(wrong.result).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(wrong.trips[0]).toHaveLength(1);
    expect(wrong.trips[0]![0]).toMatch(/^INSERT INTO rate_limits/);
    expect(await hits()).toBe(3);
  });

  it("a key's last use is still written once a minute: a warm batch leaves the write out only while its isolate made it", async () => {
    const { user, code } = await warmUser();
    const hash = (await apiKeyHashOf(fixture.admin.key))!;
    const lastUsedAt = () => env.DB.prepare('SELECT last_used_at FROM api_keys WHERE key_hash = ?').bind(hash).first<number>('last_used_at');
    // The suite's other requests ran at the real clock, ahead of this test's: start from a key never used.
    await env.DB.prepare('UPDATE api_keys SET last_used_at = NULL WHERE key_hash = ?').bind(hash).run();
    const later = T0 + API_KEY_LAST_USED_RESOLUTION_MS + 1_000;
    vi.setSystemTime(later);
    const due = await verifyCounted(user.login, await code(2));
    expect(due.result).toMatchObject({ accepted: true });
    expect(due.trips[0]).toHaveLength(2);
    expect(await lastUsedAt()).toBe(later);
    vi.setSystemTime(later + 1_000);
    const within = await verifyCounted(user.login, await code(3));
    expect(within.result).toMatchObject({ accepted: true });
    expect(within.trips[0]).toHaveLength(1);
    expect(isWarmBatch(within.trips[0])).toBe(true);
  });

  it('a warm success writes its UserLogin row and its rate limit hit exactly once; a refused warm consume writes neither', async () => {
    // Attack: the activity log and the verify limit made to disagree with what was consumed. A success whose row is
    // missing hides a sign-in from the admin; a refused consume that still logs one forges a sign-in that never
    // happened; a hit counted twice (warm statement and cold fallback) or not at all bends the limit. The warm
    // statement writes both through its trigger (migration 0013), so they must follow the consume exactly.
    const { user, token, code } = await warmUser();
    const limitKey = `verify:${user.id}:${fixture.resource.id}`;
    const hits = () => env.DB.prepare('SELECT count FROM rate_limits WHERE key = ?').bind(limitKey).first<number>('count');
    const rows = async (type: 'UserLogin' | 'UserLoginAttempt') =>
      (
        await env.DB.prepare('SELECT login, channel, detail, at FROM user_activities WHERE user_id = ? AND type = ? ORDER BY at, rowid')
          .bind(user.id, type)
          .all<{ login: string; channel: string; detail: string; at: number }>()
      ).results;
    const warmSuccessColumn = () => env.DB.prepare('SELECT warm_success FROM tokens WHERE id = ?').bind(token.id).first<string | null>('warm_success');
    // warmUser: one cold success and one warm one.
    expect(await hits()).toBe(2);
    expect(await rows('UserLogin')).toHaveLength(2);

    vi.setSystemTime(T0 + 5_000);
    const warm = await verifyCounted(user.login, await code(2));
    expect(warm.result).toMatchObject({ accepted: true });
    expect(warm.trips).toHaveLength(1);
    expect(isWarmBatch(warm.trips[0])).toBe(true);
    expect(await hits()).toBe(3);
    const logins = await rows('UserLogin');
    expect(logins).toHaveLength(3);
    expect(logins[2]).toEqual({ login: user.login, channel: 'api', detail: JSON.stringify({ resource: fixture.resource.name, serial: token.serial }), at: T0 + 5_000 });
    expect(await warmSuccessColumn()).toBeNull();

    // Eight copies of the next code at once: every request spends one attempt (the winner in its warm statement,
    // the others in the cold path they fall back to), and one UserLogin row is written.
    const next = await code(3);
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyCounted(user.login, next)));
    expect(results.filter(({ result }) => 'accepted' in result && result.accepted)).toHaveLength(1);
    expect(await hits()).toBe(3 + 8);
    expect(await rows('UserLogin')).toHaveLength(4);

    // A refused warm consume that fell back: no UserLogin row, the cold path's one attempt and its one failure row.
    await fixture.admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } });
    const attemptsBefore = (await rows('UserLoginAttempt')).length;
    const refused = await verifyCounted(user.login, await code(4));
    expect(refused.result).toMatchObject({ accepted: false, reason: 'TOKEN_DISABLED' });
    expect(isWarmBatch(refused.trips[0])).toBe(true);
    expect(await hits()).toBe(3 + 8 + 1);
    expect(await rows('UserLogin')).toHaveLength(4);
    expect(await rows('UserLoginAttempt')).toHaveLength(attemptsBefore + 1);
    expect(await warmSuccessColumn()).toBeNull();
  });

  it('every token column is either compared by the warm consume or checked on the row by it', async () => {
    // A column added to tokens (or read by verification) must be classified here, or a warm copy could miss a
    // change to it: the copy is only as safe as the list of what the consume compares.
    const { results } = await env.DB.prepare("SELECT name FROM pragma_table_info('tokens')").all<{ name: string }>();
    const checkedOnTheRow = ['counter', 'last_used_step', 'fail_count', 'locked_until'];
    // enrolling_resource_id marks a pending enrolment (never activated, so never verified: 'activated' is compared).
    // warm_success is what the warm consume itself writes for its trigger (migration 0013), NULL at rest.
    const notRead = ['id', 'kind', 'description', 'last_used_at', 'created_at', 'enrolling_resource_id', 'warm_success'];
    expect(results.map((row) => row.name).sort()).toEqual([...WARM_CHECKED_TOKEN_COLUMNS, ...checkedOnTheRow, ...notRead].sort());
    expect(TOKEN_RECORD_COLUMNS.split(', ').sort()).toEqual(['id', ...WARM_CHECKED_TOKEN_COLUMNS, ...checkedOnTheRow].sort());
  });
});
