/**
 * Threat: guessing one's way into the self-service portal, and learning from its answers which logins exist.
 *
 * An attacker who knows (or guesses) a login can try passwords, email codes and OTPs at /api/portal/<alias>/signin*.
 * What bounds them, each with its number from worker/constants.ts:
 * - a sign-in flow accepts CODE_MAX_ATTEMPTS answers, then is dead (a new flow must be started);
 * - starting flows is capped per client IP (SIGNIN_ATTEMPTS_PER_IP per SIGNIN_WINDOW_MS);
 * - wrong passwords lock the login NAME after LOGIN_MAX_FAILS for LOGIN_LOCK_DURATION_MS, the right password included,
 *   and unknown logins lock alike;
 * - an emailed code allows CODE_MAX_ATTEMPTS guesses, then is void even for the right code;
 * - wrong OTPs count against the token's own lockout (TOKEN_MAX_FAILS, TOKEN_LOCK_DURATION_MS), shared with the
 *   verify API.
 * Unknown, unassigned and disabled logins get the same answers as a known one with a wrong password, step by step.
 *
 * The clock is pinned (Date only) and moved past the windows; nothing waits.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CODE_MAX_ATTEMPTS,
  CODE_RESEND_COOLDOWN_MS,
  LOGIN_LOCK_DURATION_MS,
  LOGIN_MAX_FAILS,
  SIGNIN_ATTEMPTS_PER_IP,
  SIGNIN_WINDOW_MS,
  TOKEN_LOCK_DURATION_MS,
  TOKEN_MAX_FAILS,
} from '../../worker/constants';
import { assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { call, insertUser, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';

const T0 = Date.UTC(2026, 6, 1, 9, 0, 10);
const PASSWORD = 'portal password 1';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

// One address per test: the per-IP cap is its own test, the others must not trip it.
let ipCounter = 0;
const freshIp = () => `192.0.2.${++ipCounter}`;

type Answer = { status: number; body: any };

/** One sign-in attempt sequence for one login, from one IP: start flows and answer their steps. */
function attacker(alias: string, ip = freshIp()) {
  const client = portalClient(alias, { ip });
  return {
    start: (login: string) => client.send('POST', '/signin', { login }),
    password: (flow: string, password: string) => client.send('POST', '/signin/password', { flow, password }),
    emailCode: (flow: string, code: string) => client.send('POST', '/signin/email-code', { flow, code }),
    otp: (flow: string, otp: string) => client.send('POST', '/signin/otp', { flow, otp }),
    me: () => client.send('GET', '/me'),
  };
}

const otherCode = (code: string, offset: number) => String((Number(code) + offset) % 1_000_000).padStart(6, '0');

/** What a start answer reveals, without the random flow handle itself. */
const startShape = (answer: Answer) => ({ status: answer.status, keys: Object.keys(answer.body).sort(), state: answer.body.state, step: answer.body.step, flowLength: answer.body.flow?.length });

describe('password guessing at portal sign-in', () => {
  it(`a flow takes ${CODE_MAX_ATTEMPTS} answers; ${LOGIN_MAX_FAILS} wrong passwords lock the login, the right one included, until the lock runs out; unknown logins alike`, async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const known = await assignedUser(admin, resource.id);
    const ghost = unique('ghost');

    const guessed: Record<string, Answer[]> = {};
    for (const login of [known.login, ghost]) {
      const client = attacker(alias);
      const answers: Answer[] = [];
      let flow = '';
      for (let i = 0; i < LOGIN_MAX_FAILS; i++) {
        if (i % CODE_MAX_ATTEMPTS === 0) {
          if (flow) {
            // The used-up flow is dead, even for the right password (and that try counts nowhere).
            expect(await client.password(flow, PASSWORD)).toEqual({ status: 410, body: { error: { code: 'CODE_EXPIRED', message: 'The sign-in has expired. Start again.' } } });
          }
          flow = (await client.start(login)).body.flow;
        }
        answers.push(await client.password(flow, `wrong password ${i}`));
      }
      guessed[login] = answers;
    }
    const wrong = { status: 401, body: { error: { code: 'INVALID_CREDENTIALS', message: 'Login or password is wrong.' } } };
    expect(guessed[known.login]).toEqual(Array(LOGIN_MAX_FAILS).fill(wrong));
    expect(guessed[ghost]).toEqual(guessed[known.login]);

    // Locked: the right password is refused, from any address and in any letter case; the ghost answers the same.
    const locked = { status: 423, body: { error: { code: 'ACCOUNT_LOCKED', message: 'The account is locked for a while after too many failed attempts.' } } };
    const rightPassword = async (login: string) => {
      const client = attacker(alias);
      return client.password((await client.start(login)).body.flow, PASSWORD);
    };
    expect(await rightPassword(known.login)).toEqual(locked);
    expect(await rightPassword(known.login.toUpperCase())).toEqual(locked);
    expect(await rightPassword(ghost)).toEqual(locked);
    const failures = await env.DB.prepare(`SELECT count, expires_at FROM rate_limits WHERE key = ?`).bind(`login-fail:${known.login.toLowerCase()}`).first();
    expect(failures).toEqual({ count: LOGIN_MAX_FAILS, expires_at: T0 + LOGIN_LOCK_DURATION_MS });

    vi.setSystemTime(T0 + LOGIN_LOCK_DURATION_MS - 1000);
    expect(await rightPassword(known.login)).toEqual(locked);
    expect((await attacker(alias).me()).status).toBe(401);

    // The lock counts from the first failure and ends by itself.
    vi.setSystemTime(T0 + LOGIN_LOCK_DURATION_MS);
    const client = attacker(alias);
    const start = await client.start(known.login);
    expect((await client.password(start.body.flow, PASSWORD)).body.state).toBe('signed_in');
    expect((await client.me()).status).toBe(200);
    expect(await rightPassword(ghost)).toEqual(wrong);
  });

  it(`starting sign-ins is capped at ${SIGNIN_ATTEMPTS_PER_IP} per IP per window, for known and unknown logins alike`, async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const known = await assignedUser(admin, resource.id);
    const ip = freshIp();
    const client = attacker(alias, ip);
    for (let i = 0; i < SIGNIN_ATTEMPTS_PER_IP; i++) {
      const answer = await client.start(i % 2 === 0 ? known.login : unique('ghost'));
      expect(answer.status).toBe(200);
    }
    const limited = { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'Too many attempts. Try again later.' } } };
    expect(await client.start(known.login)).toEqual(limited);
    expect(await client.start(unique('ghost'))).toEqual(limited);
    // Another address is not affected.
    expect((await attacker(alias).start(known.login)).status).toBe(200);

    vi.setSystemTime(T0 + SIGNIN_WINDOW_MS - 1000);
    expect(await client.start(known.login)).toEqual(limited);
    vi.setSystemTime(T0 + SIGNIN_WINDOW_MS);
    const again = attacker(alias, ip);
    const start = await again.start(known.login);
    expect(start.status).toBe(200);
    expect((await again.password(start.body.flow, PASSWORD)).body.state).toBe('signed_in');
  });
});

describe('email code guessing at portal sign-in', () => {
  it(`an emailed code is void after ${CODE_MAX_ATTEMPTS} wrong guesses, even when the right one follows`, async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('guess')}@example.com`;
    const person = await assignedUser(admin, resource.id, { password: null, email });
    const client = attacker(alias);
    const start = await client.start(person.login);
    expect(start.body).toMatchObject({ state: 'continue', step: 'email_code' });
    const code = await lastEmailCode(email);

    for (let i = 1; i <= CODE_MAX_ATTEMPTS; i++) {
      expect(await client.emailCode(start.body.flow, otherCode(code, i))).toEqual({ status: 401, body: { error: { code: 'CODE_INVALID', message: 'The code is wrong.' } } });
    }
    const late = await client.emailCode(start.body.flow, code);
    expect(late).toEqual({ status: 410, body: { error: { code: 'CODE_EXPIRED', message: 'The sign-in has expired. Start again.' } } });
    expect((await client.me()).status).toBe(401);
    // The code's own challenge is spent too, not only the flow around it.
    const challenge = await env.DB.prepare(`SELECT attempts, max_attempts, consumed_at FROM challenges WHERE purpose = 'portal-signin' AND user_id = ? AND code_hash IS NOT NULL`)
      .bind(person.id)
      .first();
    expect(challenge).toEqual({ attempts: CODE_MAX_ATTEMPTS, max_attempts: CODE_MAX_ATTEMPTS, consumed_at: null });

    // A new sign-in (after the resend cooldown) sends a new code; the old one does not open it.
    vi.setSystemTime(T0 + CODE_RESEND_COOLDOWN_MS);
    const next = attacker(alias);
    const restart = await next.start(person.login);
    const newCode = await lastEmailCode(email);
    expect(newCode === code ? 'same code' : 'new code').toBe('new code');
    expect((await next.emailCode(restart.body.flow, code)).body.error.code).toBe('CODE_INVALID');
    expect((await next.emailCode(restart.body.flow, newCode)).body.state).toBe('signed_in');
  });
});

describe('OTP guessing at portal sign-in', () => {
  it(`wrong OTPs count against the token: after ${TOKEN_MAX_FAILS} it locks, the right OTP is refused until the lock runs out`, async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const person = await assignedUser(admin, resource.id);
    const seed = randomSeedBase32();
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId: person.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: person.id, tokenId: token.id });
    const otpStep = async () => {
      const client = attacker(alias);
      const start = await client.start(person.login);
      expect((await client.password(start.body.flow, PASSWORD)).body).toMatchObject({ state: 'continue', step: 'otp' });
      return { client, flow: start.body.flow as string };
    };

    const right = await totpAt(seed, Date.now());
    const answers: Answer[] = [];
    let step = await otpStep();
    for (let i = 1; i <= TOKEN_MAX_FAILS; i++) {
      answers.push(await step.client.otp(step.flow, otherCode(right, i)));
      if (i % CODE_MAX_ATTEMPTS === 0 && i < TOKEN_MAX_FAILS) step = await otpStep(); // the flow is used up; a new one
    }
    const invalid = { status: 401, body: { error: { code: 'OTP_INVALID', message: 'The one-time password is wrong.' } } };
    const lockedAnswer = { status: 423, body: { error: { code: 'TOKEN_LOCKED', message: 'The token is locked after too many failed attempts.' } } };
    expect(answers).toEqual([...Array(TOKEN_MAX_FAILS - 1).fill(invalid), lockedAnswer]);
    const row = () => env.DB.prepare('SELECT fail_count, locked_until FROM tokens WHERE id = ?').bind(token.id).first();
    expect(await row()).toEqual({ fail_count: TOKEN_MAX_FAILS, locked_until: T0 + TOKEN_LOCK_DURATION_MS });

    // The right OTP does not get through the lock, in the portal nor through the verify API.
    step = await otpStep();
    expect(await step.client.otp(step.flow, right)).toEqual(lockedAnswer);
    expect((await step.client.me()).status).toBe(401);
    const verify = await json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: person.login, resource: resource.name, otp: right } }));
    expect(verify).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });

    vi.setSystemTime(T0 + TOKEN_LOCK_DURATION_MS - 1000);
    step = await otpStep();
    expect(await step.client.otp(step.flow, await totpAt(seed, Date.now()))).toEqual(lockedAnswer);

    vi.setSystemTime(T0 + TOKEN_LOCK_DURATION_MS);
    step = await otpStep();
    expect((await step.client.otp(step.flow, await totpAt(seed, Date.now()))).body.state).toBe('signed_in');
    expect(await row()).toEqual({ fail_count: 0, locked_until: null });
  });
});

describe('enumeration at portal sign-in', () => {
  it('unknown, unassigned and disabled logins answer like a known login with a wrong password, at every step', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const known = await assignedUser(admin, resource.id);
    const unassigned = await insertUser({ password: PASSWORD });
    const disabled = await insertUser({ password: PASSWORD, enabled: false });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: disabled.id });
    const ghost = unique('ghost');

    const walk = async (login: string, password: string) => {
      const client = attacker(alias);
      const start = await client.start(login);
      const steps: unknown[] = [startShape(start)];
      for (let i = 0; i <= CODE_MAX_ATTEMPTS; i++) steps.push(await client.password(start.body.flow, password));
      return steps;
    };
    const reference = await walk(known.login, 'not the password');
    expect(reference[0]).toEqual({ status: 200, keys: ['flow', 'state', 'step'], state: 'continue', step: 'password', flowLength: expect.any(Number) });
    expect(reference.at(-1)).toMatchObject({ status: 410, body: { error: { code: 'CODE_EXPIRED' } } });
    // Even with their right password, users who may not use this portal get the wrong-password answer.
    expect(await walk(ghost, PASSWORD)).toEqual(reference);
    expect(await walk(unassigned.login, PASSWORD)).toEqual(reference);
    expect(await walk(disabled.login, PASSWORD)).toEqual(reference);
    // Nothing of theirs was touched: no session was created for them.
    const sessions = await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id IN (?, ?)').bind(unassigned.id, disabled.id).first<{ n: number }>();
    expect(sessions!.n).toBe(0);
  });
});
