/**
 * Threat: guessing one's way into the self-service portal, and learning from its answers which logins exist.
 *
 * An attacker who knows (or guesses) a login can try passwords, email codes and OTPs at /api/portal/<alias>/signin*.
 * What bounds them, each with its number from worker/constants.ts:
 * - a sign-in flow accepts CODE_MAX_ATTEMPTS answers, then is dead (a new flow must be started);
 * - starting flows is capped per client IP (SIGNIN_ATTEMPTS_PER_IP per SIGNIN_WINDOW_MS);
 * - wrong passwords lock the login NAME after LOGIN_MAX_FAILS for LOGIN_LOCK_DURATION_MS, the right password included,
 *   and unknown logins lock alike;
 * - an emailed code allows CODE_MAX_ATTEMPTS guesses, then is void even for the right code; asking for a code is
 *   limited per login (resend cooldown, EMAIL_PER_RECIPIENT_PER_HOUR) and per IP (EMAIL_PER_IP_PER_HOUR) for every
 *   login alike, so a 429 tells nothing either;
 * - wrong OTPs count against the token's own lockout (TOKEN_MAX_FAILS, TOKEN_LOCK_DURATION_MS), shared with the
 *   verify API.
 * Unknown, unassigned and disabled logins, and users without a password, get the same answers as a known one with
 * a wrong password, step by step: the first answer is always "password, or get a code by email", asking for a code
 * answers alike whether one was sent, and a code for an account that got none is answered like a wrong code.
 *
 * The clock is pinned (Date only) and moved past the windows; nothing waits.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CODE_MAX_ATTEMPTS,
  CODE_RESEND_COOLDOWN_MS,
  EMAIL_PER_IP_PER_HOUR,
  EMAIL_PER_RECIPIENT_PER_HOUR,
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
    requestCode: (flow: string) => client.send('POST', '/signin/email-code/request', { flow }),
    emailCode: (flow: string, code: string) => client.send('POST', '/signin/email-code', { flow, code }),
    otp: (flow: string, otp: string) => client.send('POST', '/signin/otp', { flow, otp }),
    me: () => client.send('GET', '/me'),
  };
}

const otherCode = (code: string, offset: number) => String((Number(code) + offset) % 1_000_000).padStart(6, '0');

/** An answer as an observer compares it: the random flow handle replaced by its length. */
const withoutFlow = (answer: Answer) => ({ status: answer.status, body: answer.body?.flow ? { ...answer.body, flow: `<${answer.body.flow.length} chars>` } : answer.body });

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
    // Refused claims stop counting one past the limit; the window is not extended by them.
    expect(failures).toEqual({ count: LOGIN_MAX_FAILS + 1, expires_at: T0 + LOGIN_LOCK_DURATION_MS });

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
    expect(start.body).toMatchObject({ state: 'continue', step: 'password', emailCodeOption: true });
    expect((await client.requestCode(start.body.flow)).body).toMatchObject({ state: 'continue', step: 'email_code' });
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
    await next.requestCode(restart.body.flow);
    const newCode = await lastEmailCode(email, { except: code });
    expect((await next.emailCode(restart.body.flow, code)).body.error.code).toBe('CODE_INVALID');
    expect((await next.emailCode(restart.body.flow, newCode)).body.state).toBe('signed_in');
  });

  it('asking for a new code in the same flow does not buy new guesses', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('again')}@example.com`;
    const person = await assignedUser(admin, resource.id, { password: null, email });
    const client = attacker(alias);
    const { flow } = (await client.start(person.login)).body;
    await client.requestCode(flow);
    const first = await lastEmailCode(email);
    for (let i = 1; i < CODE_MAX_ATTEMPTS; i++) expect((await client.emailCode(flow, otherCode(first, i))).body.error.code).toBe('CODE_INVALID');
    vi.setSystemTime(T0 + CODE_RESEND_COOLDOWN_MS);
    expect((await client.requestCode(flow)).body.step).toBe('email_code');
    const second = await lastEmailCode(email, { except: first });
    expect((await client.emailCode(flow, otherCode(second, 1))).body.error.code).toBe('CODE_INVALID');
    expect((await client.emailCode(flow, second)).body.error.code).toBe('CODE_EXPIRED');
  });

  it(`asking for codes is limited per login (cooldown, ${EMAIL_PER_RECIPIENT_PER_HOUR} an hour) and per IP (${EMAIL_PER_IP_PER_HOUR} an hour), for every login alike`, async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('cap')}@example.com`;
    const passwordless = await assignedUser(admin, resource.id, { password: null, email });
    const ghost = unique('ghost');
    const cooldown = (seconds: number) => ({
      status: 429,
      body: { error: { code: 'RATE_LIMITED', message: `Please wait ${seconds} seconds before requesting a new code.`, details: { limit: 'cooldown', retryAfterMs: seconds * 1000 } } },
    });

    // Per login: a second request within the cooldown is refused alike, from any address; then the hourly cap.
    const perLogin: Record<string, Answer[]> = {};
    for (const login of [passwordless.login, ghost]) {
      vi.setSystemTime(T0);
      const answers: Answer[] = [];
      const client = attacker(alias);
      const { flow } = (await client.start(login)).body;
      answers.push(withoutFlow(await client.requestCode(flow)));
      answers.push(await attacker(alias).requestCode((await attacker(alias).start(login)).body.flow));
      answers.push(await client.requestCode(flow));
      for (let i = 1; i <= EMAIL_PER_RECIPIENT_PER_HOUR; i++) {
        vi.setSystemTime(T0 + i * CODE_RESEND_COOLDOWN_MS);
        answers.push(withoutFlow(await attacker(alias).requestCode((await attacker(alias).start(login)).body.flow)));
      }
      perLogin[login] = answers;
    }
    const codeSent = { status: 200, body: { state: 'continue', flow: '<32 chars>', step: 'email_code', emailCodeOption: false } };
    expect(perLogin[passwordless.login]!.slice(0, 3)).toEqual([codeSent, cooldown(60), cooldown(60)]);
    expect(perLogin[passwordless.login]!.slice(3)).toEqual([...Array(EMAIL_PER_RECIPIENT_PER_HOUR - 1).fill(codeSent), expect.objectContaining({ status: 429 })]);
    expect(perLogin[passwordless.login]!.at(-1)!.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'recipient' } });
    expect(perLogin[ghost]).toEqual(perLogin[passwordless.login]);

    // Per IP: the cap counts every request from the address, real recipient or not.
    vi.setSystemTime(T0 + 2 * 60 * 60 * 1000);
    const ip = freshIp();
    for (let i = 0; i < EMAIL_PER_IP_PER_HOUR; i++) {
      const client = attacker(alias, ip);
      const answer = await client.requestCode((await client.start(unique('someone'))).body.flow);
      expect(answer.status).toBe(200);
    }
    const capped = async (login: string) => {
      const client = attacker(alias, ip);
      return client.requestCode((await client.start(login)).body.flow);
    };
    const ipCapped = await capped(passwordless.login);
    expect(ipCapped).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', details: { limit: 'ip' } } } });
    expect(await capped(ghost)).toEqual(ipCapped);
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
  it('password-less, unknown, unassigned and disabled logins answer exactly like a known login with a wrong password, at every step', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const [knownEmail, unassignedEmail, disabledEmail] = ['known', 'unassigned', 'disabled'].map((name) => `${unique(name)}@example.com`);
    const known = await assignedUser(admin, resource.id, { email: knownEmail });
    const passwordlessEmail = `${unique('nopw')}@example.com`;
    const passwordless = await assignedUser(admin, resource.id, { password: null, email: passwordlessEmail });
    const noEmail = await assignedUser(admin, resource.id, { password: null });
    const unassigned = await insertUser({ password: PASSWORD, email: unassignedEmail });
    const disabled = await insertUser({ password: PASSWORD, enabled: false, email: disabledEmail });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: disabled.id });
    const ghost = unique('ghost');

    // Three walks per login, each in a fresh flow: wrong passwords to the end, a code asked for and wrong codes to
    // the end, and a code asked for twice (the cooldown). Even with their right password, users who may not use
    // this portal get the wrong-password answer.
    const walk = async (login: string, password: string, wrongCode: (i: number) => Promise<string>) => {
      const steps: unknown[] = [];
      const byPassword = attacker(alias);
      const first = await byPassword.start(login);
      steps.push(withoutFlow(first));
      for (let i = 0; i <= CODE_MAX_ATTEMPTS; i++) steps.push(await byPassword.password(first.body.flow, password));

      const byCode = attacker(alias);
      const second = await byCode.start(login);
      steps.push(withoutFlow(second));
      const requested = await byCode.requestCode(second.body.flow);
      steps.push(withoutFlow(requested));
      steps.push(await byCode.password(second.body.flow, password));
      for (let i = 1; i <= CODE_MAX_ATTEMPTS + 1; i++) steps.push(await byCode.emailCode(second.body.flow, await wrongCode(i)));
      steps.push(await byCode.requestCode(second.body.flow));

      const again = attacker(alias);
      steps.push(await again.requestCode((await again.start(login)).body.flow));
      steps.push(await byCode.me(), await byPassword.me());
      return steps;
    };
    const anyCode = async (i: number) => otherCode('000000', i);
    const reference = await walk(known.login, 'not the password', anyCode);
    expect(reference.slice(0, 2)).toEqual([
      { status: 200, body: { state: 'continue', flow: '<32 chars>', step: 'password', emailCodeOption: true } },
      { status: 401, body: { error: { code: 'INVALID_CREDENTIALS', message: 'Login or password is wrong.' } } },
    ]);
    expect(reference[CODE_MAX_ATTEMPTS + 1]).toMatchObject({ status: 410, body: { error: { code: 'CODE_EXPIRED' } } });
    expect(reference.slice(CODE_MAX_ATTEMPTS + 3, CODE_MAX_ATTEMPTS + 6)).toEqual([
      { status: 200, body: { state: 'continue', flow: '<32 chars>', step: 'email_code', emailCodeOption: false } },
      { status: 400, body: { error: { code: 'SIGNIN_WRONG_STEP', message: 'This sign-in is at another step. Start again.', details: { step: 'email_code' } } } },
      { status: 401, body: { error: { code: 'CODE_INVALID', message: 'The code is wrong.' } } },
    ]);
    expect(reference.at(-3)).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', details: { limit: 'cooldown' } } } });

    // The password-less user really gets a code (and every wrong guess is a real wrong guess against it)...
    const passwordlessWalk = await walk(passwordless.login, 'not the password', async (i) => otherCode(await lastEmailCode(passwordlessEmail), i));
    expect(passwordlessWalk).toEqual(reference);
    for (const [login, password] of [[ghost, PASSWORD], [unassigned.login, PASSWORD], [disabled.login, PASSWORD], [noEmail.login, 'not the password']] as const) {
      expect({ login, steps: await walk(login, password, anyCode) }).toEqual({ login, steps: reference });
    }

    // ... and nobody else does, nor is a session created for those who may not use this portal. (Whether to send
    // is decided before the answer; the password-less user's code above landed after these requests were made.)
    const mails = await env.DB.prepare('SELECT recipient FROM outbox WHERE recipient IN (?, ?, ?, ?)')
      .bind(knownEmail, unassignedEmail, disabledEmail, passwordlessEmail)
      .all<{ recipient: string }>();
    expect(mails.results.map((m) => m.recipient)).toEqual([passwordlessEmail]);
    const sessions = await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id IN (?, ?, ?, ?)').bind(unassigned.id, disabled.id, passwordless.id, noEmail.id).first<{ n: number }>();
    expect(sessions!.n).toBe(0);
  });
});
