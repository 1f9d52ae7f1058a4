/**
 * The hot verification state in the per-user Durable Objects (VERIFY_STATE = "durable-object", worker/verify-state;
 * runs in the worker-object project only). Threats: a code consumed at one door used again at another, because the
 * doors kept their used steps in different places; a D1 row (the admin's mirror) deciding a verify; an admin change
 * the object never hears of; state lost when an object restarts or meets a token for the first time.
 */
import { env } from 'cloudflare:workers';
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { TOKEN_LOCK_DURATION_MS, TOKEN_MAX_FAILS } from '../../worker/constants';
import type { Env } from '../../worker/env';
import { TOKEN_RECORD_COLUMNS, verifyTokenOtp, type TokenRecord } from '../../worker/tokens/verification';
import { verifyKeysOf } from '../../worker/tokens/service';
import { objectHotStateOf, objectNameOf } from '../../worker/verify-state/client';
import { apiKeyHashOf } from '../../worker/auth/api-keys';
import { verifyForResource } from '../../worker/verify-api/service';
import { adminClient, call, hotpAt, insertUser, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';

const PASSWORD = 'a long enough password';

async function setup(type: 'TOTP' | 'HOTP', options: { counter?: number } = {}) {
  const admin = await adminClient();
  const resource = await admin.post('/resources', { name: unique('R') });
  const user = await insertUser({ password: PASSWORD });
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type, serial: unique('S'), seed, seedEncoding: 'base32', ownerUserId: user.id, ...options });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const verify = (otp: string) =>
    json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));
  const tokenRef = { id: token.id as string, owner_user_id: user.id as string };
  const stateEnv = env as Parameters<typeof objectHotStateOf>[0];
  const objectState = () => objectHotStateOf(stateEnv, tokenRef);
  const stub = env.VERIFY_STATE_OBJECT!.get(env.VERIFY_STATE_OBJECT!.idFromName(objectNameOf(tokenRef)));
  const readMirror = () => env.DB.prepare('SELECT counter, last_used_step, fail_count, locked_until, activated FROM tokens WHERE id = ?').bind(token.id).first<Record<string, number | null>>();
  // The mirror follows the object's answer (rule 5): read it once the object's flush is through.
  const mirror = async () => (expect(await stub.flushed()).toBe(true), readMirror());
  const logins = async () => (await env.DB.prepare("SELECT count(*) AS n FROM user_activities WHERE user_id = ? AND type = 'UserLogin'").bind(user.id).first<{ n: number }>())!.n;
  return { admin, resource, user, seed, token, verify, objectState, mirror, readMirror, logins, stub, stateEnv };
}

/** /login with the password, then the second factor: 'signed_in' or the error code. */
async function signInWith(login: string, otp: string): Promise<string> {
  const first = await json(call('/api/auth/login', { method: 'POST', json: { login, password: PASSWORD } }));
  expect(first).toMatchObject({ state: 'second_factor', methods: ['otp'] });
  const second = await json(call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp } }));
  return second.state ?? second.error.code;
}

describe('one consume for every door', () => {
  it('a TOTP used at /api/v1/verify is refused at /login, and one used at /login is refused at the verify API', async () => {
    // Attack: a phishing proxy relays the code the user typed into the VPN (verify API) to /login within its step.
    const { user, seed, verify, objectState, mirror } = await setup('TOTP');
    const now = Date.now();
    const code = await totpAt(seed, now);
    expect(await verify(code)).toMatchObject({ accepted: true });
    expect(await signInWith(user.login, code)).toBe('OTP_INVALID');
    // And the other way round, with the next step's code.
    const next = await totpAt(seed, now + 30_000);
    expect(await signInWith(user.login, next)).toBe('signed_in');
    expect(await verify(next)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    // The object holds the used step; D1 mirrors it.
    const state = await objectState();
    expect(state!.last_used_step).toBe(Math.floor((now + 30_000) / 30_000));
    expect((await mirror())!.last_used_step).toBe(state!.last_used_step);
  });

  it('the mirror decides nothing: a D1 row set back does not make a used code usable, nor lift a lock', async () => {
    // Attack (or a lagging mirror): D1's hot columns say the token is fresh and unlocked; the object says not.
    const { seed, verify, token } = await setup('HOTP');
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: true });
    await env.DB.prepare('UPDATE tokens SET counter = 0, last_used_step = -1, fail_count = 0, locked_until = NULL WHERE id = ?').bind(token.id).run();
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    for (let i = 0; i < TOKEN_MAX_FAILS; i++) await verify('000000');
    await env.DB.prepare('UPDATE tokens SET fail_count = 0, locked_until = NULL WHERE id = ?').bind(token.id).run();
    expect(await verify(await hotpAt(seed, 1))).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
  });

  it('of 10 concurrent uses of one code across the verify API and /login exactly one wins', async () => {
    const { user, seed, verify } = await setup('TOTP');
    const code = await totpAt(seed, Date.now());
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? verify(code).then((r) => r.accepted === true) : signInWith(user.login, code).then((r) => r === 'signed_in'))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('admin changes reach the object, on the very next verify', () => {
  it('disable, PIN change and reassignment refuse; re-enable answers again', async () => {
    const { admin, seed, token, user, verify, stateEnv } = await setup('HOTP');
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: true });
    await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } });
    expect(await verify(await hotpAt(seed, 1))).toMatchObject({ accepted: false });
    await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: true } });
    expect(await verify(await hotpAt(seed, 1))).toMatchObject({ accepted: true });
    await admin.put(`/tokens/${token.id}/pin`, { pin: '4711' });
    expect(await verify(await hotpAt(seed, 2))).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(await verify(`${await hotpAt(seed, 2)}4711`)).toMatchObject({ accepted: true });
    // Given to another user: the old owner's object forgets it (rule 8), the new one starts from D1's mirror.
    const other = await insertUser();
    await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { ownerUserId: other.id } });
    expect(await verify(`${await hotpAt(seed, 3)}4711`)).toMatchObject({ accepted: false });
    expect(await objectHotStateOf(stateEnv, { id: token.id, owner_user_id: user.id })).toBeNull();
  });

  it('a removed assignment and a disabled user refuse on the next verify (the warm copy\'s claim compares them in D1)', async () => {
    // Attack: keep using a token after the admin took the user off the resource, or disabled the user.
    const { admin, resource, user, seed, verify } = await setup('HOTP');
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: true });
    expect((await admin.request(`/resources/${resource.id}/assignments/${user.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await verify(await hotpAt(seed, 1))).toMatchObject({ accepted: false, reason: 'NOT_ASSIGNED' });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: null });
    expect(await verify(await hotpAt(seed, 1))).toMatchObject({ accepted: true });
    await admin.request(`/users/${user.id}`, { method: 'PATCH', json: { enabled: false } });
    expect(await verify(await hotpAt(seed, 2))).toMatchObject({ accepted: false, reason: 'USER_DISABLED' });
  });

  it('reset fail counter unlocks in the object; resync re-anchors there; delete forgets', async () => {
    const { admin, seed, token, verify, objectState, mirror } = await setup('HOTP');
    for (let i = 0; i < TOKEN_MAX_FAILS; i++) await verify('000000');
    expect(await objectState()).toMatchObject({ fail_count: TOKEN_MAX_FAILS });
    expect((await mirror())!.locked_until).toBeGreaterThan(Date.now());
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    expect((await admin.request(`/tokens/${token.id}/reset-fail-counter`, { method: 'POST' })).status).toBe(204);
    expect(await objectState()).toMatchObject({ fail_count: 0, locked_until: null });
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: true });
    // Resync with codes 50 and 51: the object's counter moves to 52, the mirror follows.
    const resync = await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: await hotpAt(seed, 50), otp2: await hotpAt(seed, 51) } });
    expect(resync.status).toBe(200);
    expect(await objectState()).toMatchObject({ counter: 52 });
    expect((await mirror())!.counter).toBe(52);
    expect(await verify(await hotpAt(seed, 51))).toMatchObject({ accepted: false });
    expect(await verify(await hotpAt(seed, 52))).toMatchObject({ accepted: true });
    expect((await admin.request(`/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await objectState()).toBeNull();
  });

  it('a verify carrying a record read before an admin change is answered stale and decided on a fresh read', async () => {
    // The race: the Worker read the token (enabled), the admin disabled it and told the object, then the verify
    // reached the object with the old record. The epoch it carries is older: the object refuses to decide on it.
    const { admin, user, seed, token } = await setup('HOTP');
    const stub = env.VERIFY_STATE_OBJECT!.get(env.VERIFY_STATE_OBJECT!.idFromName(objectNameOf({ id: token.id, owner_user_id: user.id })));
    const readAtMs = Date.now();
    const record = await env.DB.prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE id = ?`).bind(token.id).first<TokenRecord>();
    const before = await stub.adminChange(token.id, 'changed');
    await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } });
    const answer = await stub.verify(record!, await hotpAt(seed, 0), Date.now(), {}, before.epoch);
    expect(answer).toMatchObject({ stale: true });
    expect(answer.epoch).toBeGreaterThan(before.epoch);
    // Nothing was looked at or written for the stale question, nor for one that knows no epoch.
    expect(await stub.verify(record!, await hotpAt(seed, 0), Date.now(), {}, null)).toMatchObject({ stale: true });
    expect(await stub.hotStateOf(token.id)).toBeNull();
    // Through the common check (every door's): the stale answer makes it read the token afresh, which is disabled.
    const keys = verifyKeysOf(env as Env);
    expect(await verifyTokenOtp(env.DB, keys, record!, await hotpAt(seed, 0), readAtMs)).toMatchObject({ ok: false, reason: 'TOKEN_DISABLED' });
    expect(await stub.hotStateOf(token.id)).toMatchObject({ counter: 0, fail_count: 0 });
  });
});

/** The D1 round trips of one call straight to verifyForResource (the Worker's module, so this isolate's copies). */
async function verifyCounted(key: string, login: string, resource: string, otp: string) {
  const trips: string[] = [];
  const counted = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === 'bind') return (...values: unknown[]) => counted(target.bind(...values), sql);
        if (['first', 'run', 'all', 'raw'].includes(property as string)) trips.push(sql);
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => counted(target.prepare(sql), sql.replace(/\s+/g, ' ').trim());
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          trips.push(`batch of ${statements.length}`);
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const request = { apiKeyHash: (await apiKeyHashOf(key))!, login, resource, otp, ip: null, client: null };
  const result = await verifyForResource({ ...env, DB: db } as Env, request, Date.now()).catch((error: { code?: string }) => ({ error: error.code }));
  return { result, trips };
}

describe('the warm copy: one D1 statement before the object, and every admin change refused on the very next verify', () => {
  /** An HOTP user verified once through the Worker (the copy is made), then once warm: one round trip. */
  async function warmUser() {
    const context = await setup('HOTP');
    const verifyKey = await context.admin.post('/api-keys', { name: unique('verify-'), scope: 'verify' });
    const code = (counter: number) => hotpAt(context.seed, counter);
    const warmVerify = async (counter: number) => verifyCounted(verifyKey.key, context.user.login, context.resource.name, await code(counter));
    const cold = await warmVerify(0);
    expect(cold.result).toMatchObject({ accepted: true });
    const warm = await warmVerify(1);
    expect(warm.result).toMatchObject({ accepted: true, serial: context.token.serial });
    // The claim of the attempt under the copy's conditions with the key's last-use write (due: a new key), instead of
    // the cold read batch (the key, its last use, the rate limit, the resource, the user, the assignment, the tokens).
    expect(cold.trips).toEqual([expect.stringMatching(/^batch of [6-9]$/)]);
    expect(warm.trips).toEqual(['batch of 2']);
    return { ...context, verifyKey, warmVerify };
  }

  it('a warm success is one D1 round trip; the object holds the consume, D1 gets it with the flush', async () => {
    const { warmVerify, objectState, mirror, logins } = await warmUser();
    expect(await objectState()).toMatchObject({ counter: 2 });
    expect((await mirror())!.counter).toBe(2);
    expect(await logins()).toBe(2);
    // A used code from the warm isolate: refused by the object, counted nowhere, logged as an attempt.
    const replay = await warmVerify(1);
    expect(replay.result).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
  });

  it('each admin change refuses the next verify from the warm isolate', async () => {
    // Attack: keep using a token from an isolate that still holds the copy made before the admin's change.
    const changes: [string, (context: Awaited<ReturnType<typeof warmUser>>) => Promise<unknown>, (result: unknown) => void][] = [
      ['user disabled', ({ admin, user }) => admin.request(`/users/${user.id}`, { method: 'PATCH', json: { enabled: false } }), (r) => expect(r).toMatchObject({ reason: 'USER_DISABLED' })],
      ['assignment removed', ({ admin, resource, user }) => admin.request(`/resources/${resource.id}/assignments/${user.id}`, { method: 'DELETE' }), (r) => expect(r).toMatchObject({ reason: 'NOT_ASSIGNED' })],
      [
        'assignment changed to another token',
        async ({ admin, resource, user }) => {
          const other = await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('S'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: user.id });
          return admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: other.id });
        },
        (r) => expect(r).toMatchObject({ accepted: false, reason: 'OTP_INVALID' }),
      ],
      ['API key revoked', ({ admin, verifyKey }) => admin.request(`/api-keys/${verifyKey.id}`, { method: 'DELETE' }), (r) => expect(r).toEqual({ error: 'UNAUTHENTICATED' })],
      ['token disabled', ({ admin, token }) => admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } }), (r) => expect(r).toMatchObject({ accepted: false })],
      ['token PIN set', ({ admin, token }) => admin.put(`/tokens/${token.id}/pin`, { pin: '4711' }), (r) => expect(r).toMatchObject({ accepted: false, reason: 'OTP_INVALID' })],
      ['token given to another user', async ({ admin, token }) => admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { ownerUserId: (await insertUser()).id } }), (r) => expect(r).toMatchObject({ accepted: false })],
    ];
    for (const [name, change, refused] of changes) {
      const context = await warmUser();
      await change(context);
      const next = await context.warmVerify(2);
      expect.soft(next.result, name).not.toMatchObject({ accepted: true });
      refused(next.result);
    }
  });
});

describe('restart and first use', () => {
  it('state survives the object being evicted: a used code stays used', async () => {
    const { seed, verify, user, token } = await setup('TOTP');
    const stub = env.VERIFY_STATE_OBJECT!.get(env.VERIFY_STATE_OBJECT!.idFromName(objectNameOf({ id: token.id, owner_user_id: user.id })));
    const code = await totpAt(seed, Date.now());
    expect(await verify(code)).toMatchObject({ accepted: true });
    await evictDurableObject(stub);
    expect(await verify(code)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
  });

  it("a token's first use in the object starts from D1's columns: counter, step and lock", async () => {
    // Rule 7: a user whose state moves from D1 (the d1 mode ran before) keeps every code D1 saw used as used.
    const { seed, verify, objectState } = await setup('HOTP', { counter: 5 });
    expect(await objectState()).toBeNull();
    expect(await verify(await hotpAt(seed, 4))).toMatchObject({ accepted: false });
    expect(await verify(await hotpAt(seed, 5))).toMatchObject({ accepted: true });
    expect(await objectState()).toMatchObject({ counter: 6 });

    const locked = await setup('TOTP');
    const until = Date.now() + TOKEN_LOCK_DURATION_MS;
    await env.DB.prepare('UPDATE tokens SET fail_count = ?, locked_until = ? WHERE id = ?').bind(TOKEN_MAX_FAILS, until, locked.token.id).run();
    expect(await locked.verify(await totpAt(locked.seed, Date.now()))).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    expect(await locked.objectState()).toMatchObject({ locked_until: until });
  });
});

describe('the outbox: what D1 is told after the answer arrives, once', () => {
  it('a failing D1 flush, then the object evicted before it retried: the mirror and the UserLogin row still arrive, once', async () => {
    // Failure: D1 refuses the write that follows the answer (an outage), and the object is evicted before any
    // retry. Were the mirror and the log row written only after answering, from memory, both would be lost: an
    // accepted VPN sign-in missing from the user's activities, and D1's counter behind the consumed code.
    const { seed, verify, stub, readMirror, logins } = await setup('HOTP');
    await env.DB.prepare('ALTER TABLE user_activities RENAME TO user_activities_away').run();
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: true });
    expect(await stub.flushed()).toBe(false);
    expect(await readMirror()).toMatchObject({ counter: 0 });
    await evictDurableObject(stub);
    await env.DB.prepare('ALTER TABLE user_activities_away RENAME TO user_activities').run();
    expect(await logins()).toBe(0);
    // The alarm set with the consume retries what is left (run now rather than waiting VERIFY_OUTBOX_RETRY_MS; had
    // it fired on its own meanwhile, it did the same).
    await runDurableObjectAlarm(stub);
    expect(await readMirror()).toMatchObject({ counter: 1, activated: 1 });
    expect(await logins()).toBe(1);
    // Nothing is left to send again, and the code stays used.
    expect(await stub.flushed()).toBe(true);
    expect(await logins()).toBe(1);
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
  });

  it("a failing D1 flush, then the object evicted: the admin's Check OTP and resync audit rows arrive once, with the outcome", async () => {
    // Failure: D1 refuses the flush after the object consumed the code (Check OTP) and re-anchored the token
    // (resync), and the object is evicted. Were the audit rows written by the Worker after the answer, or kept in
    // memory, the trail would miss an admin using up a user's code; a row sent twice would say it twice.
    const { admin, seed, token, stub } = await setup('HOTP');
    const audited = async (action: string) =>
      (await env.DB.prepare('SELECT after FROM admin_audit WHERE object_id = ? AND action = ? ORDER BY at, rowid').bind(token.id, action).all<{ after: string }>()).results.map((row) => JSON.parse(row.after));
    await env.DB.prepare('ALTER TABLE admin_audit RENAME TO admin_audit_away').run();
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: await hotpAt(seed, 0) } }))).toEqual({ valid: true });
    expect(await json(admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp: '000000' } }))).toMatchObject({ valid: false });
    // The claimed attempt's row (refused until found) and the re-anchoring's rewrite of it: one row, resynced.
    const resync = await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: await hotpAt(seed, 20), otp2: await hotpAt(seed, 21) } });
    expect(resync.status).toBe(200);
    expect(await stub.flushed()).toBe(false);
    await evictDurableObject(stub);
    const owed = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ id: string; step: string; version: number }>('SELECT id, step, version FROM audit_outbox').toArray());
    expect(owed).toHaveLength(3);
    await env.DB.prepare('ALTER TABLE admin_audit_away RENAME TO admin_audit').run();
    await runDurableObjectAlarm(stub);
    const expected = { check_otp: [{ valid: true }, { valid: false, reason: 'OTP_INVALID' }], resync: [{ resynced: true }] };
    expect({ check_otp: await audited('check_otp'), resync: await audited('resync') }).toEqual(expected);
    // Sent again (D1 took it, the object never heard): the same rows, once.
    await runInDurableObject(stub, (_instance, state) => {
      for (const row of owed) state.storage.sql.exec('INSERT INTO audit_outbox (id, step, version) VALUES (?, ?, ?)', row.id, row.step, row.version);
    });
    expect(await stub.flushed()).toBe(true);
    expect({ check_otp: await audited('check_otp'), resync: await audited('resync') }).toEqual(expected);
    // A row exists exactly when the state moved: the object's counter is past the resync's pair, the failure counted
    // and then cleared by the resync.
    expect(await stub.hotStateOf(token.id)).toMatchObject({ counter: 22, fail_count: 0 });
  });

  it('a flush sent again (D1 took it, the object never heard) writes each activity once: the id is chosen in the object', async () => {
    // Failure: the batch committed in D1 but its answer was lost, so the outbox still holds the rows it sent.
    const { seed, verify, stub, logins } = await setup('HOTP');
    await env.DB.prepare('ALTER TABLE user_activities RENAME TO user_activities_away').run();
    expect(await verify(await hotpAt(seed, 0))).toMatchObject({ accepted: true });
    expect(await stub.flushed()).toBe(false);
    const sent = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ id: string; activity: string }>('SELECT id, activity FROM activity_outbox').toArray());
    expect(sent).toHaveLength(1);
    await env.DB.prepare('ALTER TABLE user_activities_away RENAME TO user_activities').run();
    expect(await stub.flushed()).toBe(true);
    expect(await logins()).toBe(1);
    await runInDurableObject(stub, (_instance, state) => {
      for (const row of sent) state.storage.sql.exec('INSERT INTO activity_outbox (id, activity) VALUES (?, ?)', row.id, row.activity);
    });
    expect(await stub.flushed()).toBe(true);
    expect(await logins()).toBe(1);
  });

  it('of 12 concurrent verifies of the next codes, every accepted one is logged exactly once and D1 ends at the object\'s counter', async () => {
    const { seed, verify, stub, logins, objectState, mirror } = await setup('HOTP');
    const results = await Promise.all(Array.from({ length: 12 }, async (_, i) => verify(await hotpAt(seed, i % 4))));
    const accepted = results.filter((result) => result.accepted === true).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(4);
    expect((await mirror())!.counter).toBe((await objectState())!.counter);
    expect(await logins()).toBe(accepted);
    await runDurableObjectAlarm(stub);
    expect(await logins()).toBe(accepted);
  });
});
