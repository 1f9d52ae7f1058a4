/**
 * Guessing passwords and second factors at /login and at portal sign-in the way attackers do: many concurrent
 * requests over real HTTP to the Worker as `npm start` runs it (wrangler dev), each from its own address so that
 * the per-IP cap is not what stops them. Every limit must hold however the guesses race: a guess claims its attempt
 * before the secret is examined, so at most the limit is evaluated, the rest answer locked, and the right secret
 * after the burst is refused too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_MAX_ATTEMPTS, LOGIN_MAX_FAILS, TOKEN_MAX_FAILS } from '../../../worker/constants';
import { base32ToBytes } from '../../../worker/lib/encoding';
import { importHmacKey } from '../../../worker/otp/hotp';
import { generateTotp } from '../../../worker/otp/totp';
import type { E2eApp } from '../../e2e/harness';
import { jsonPoster, startAttackedApp } from './support';

const SCENARIO = 'login-attempts';
const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'the right password 1';
const BURST = 50;
let app: E2eApp;

beforeAll(async () => {
  app = await startAttackedApp(SCENARIO);
});
afterAll(() => app?.stop());

const post = jsonPoster(() => app, '203.0.113.');
type Answer = Awaited<ReturnType<typeof post>>;

const burst = (send: (i: number) => Promise<Answer>) => Promise.all(Array.from({ length: BURST }, (_, i) => send(i)));
/** How many answers carry each error code (or state). */
const tally = (answers: Answer[]) => {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = answer.body?.error?.code ?? answer.body?.state ?? String(answer.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

const totpNow = async () => generateTotp(await importHmacKey(base32ToBytes(SEED), 'SHA1'), Date.now(), 30, 6);
/** Codes that are not the current one nor its neighbours in the accepted window. */
const wrongCode = (right: string, i: number) => String((Number(right) + 1000 + i) % 1_000_000).padStart(6, '0');

let serial = 0;
async function userWithToken(login: string, extra: Record<string, unknown> = {}) {
  const user = await app.adminApi('POST', '/users', { login, password: PASSWORD, ...extra });
  const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: `HW-ATTEMPTS-${++serial}`, seed: SEED, seedEncoding: 'base32', ownerUserId: user.id });
  return { user, token };
}

async function portalFor(name: string) {
  const resource = await app.adminApi('POST', '/resources', { name });
  const alias = name.toLowerCase();
  await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias, actions: ['changeName'], tokenTypes: ['TOTP'] });
  return { resource, alias };
}

describe('/login', () => {
  it(`${BURST} concurrent wrong passwords for one login: at most ${LOGIN_MAX_FAILS} evaluated, the rest and then the right one locked`, async () => {
    // Attack: a burst of password guesses at once, so that every request reads the lock before any failure is
    // counted (it used to evaluate 22 to 51 of them against a lock of 10, and the right one signed in after).
    await app.adminApi('POST', '/users', { login: 'burstvictim', password: PASSWORD });
    const answers = await burst((i) => post('/api/auth/login', { login: 'burstvictim', password: `wrong password ${i}` }));
    expect(tally(answers)).toEqual({ INVALID_CREDENTIALS: LOGIN_MAX_FAILS, ACCOUNT_LOCKED: BURST - LOGIN_MAX_FAILS });
    const right = await post('/api/auth/login', { login: 'burstvictim', password: PASSWORD });
    expect(right).toMatchObject({ status: 423, body: { error: { code: 'ACCOUNT_LOCKED', details: { lockedUntil: expect.any(Number) } } } });

    // An unknown login locks alike: the burst tells nothing about which logins exist.
    const ghost = await burst((i) => post('/api/auth/login', { login: 'burstghost', password: `wrong password ${i}` }));
    expect(tally(ghost)).toEqual(tally(answers));
  });

  it(`${BURST} concurrent wrong codes on one second-factor challenge: at most ${CODE_MAX_ATTEMPTS} evaluated, then the right code is refused`, async () => {
    // Attack: the password is known; the OTP step's challenge is guessed in parallel (it used to take 50 guesses
    // against its limit of 5, since each request read `attempts` before any failure was counted).
    await userWithToken('factorvictim');
    const first = await post('/api/auth/login', { login: 'factorvictim', password: PASSWORD });
    expect(first.body).toMatchObject({ state: 'second_factor', methods: ['otp'] });
    const right = await totpNow();
    const answers = await burst((i) => post('/api/auth/login/second-factor', { challenge: first.body.challenge, otp: wrongCode(right, i) }));
    expect(tally(answers)).toEqual({ OTP_INVALID: CODE_MAX_ATTEMPTS, CODE_EXPIRED: BURST - CODE_MAX_ATTEMPTS });
    expect(await post('/api/auth/login/second-factor', { challenge: first.body.challenge, otp: await totpNow() })).toMatchObject({ status: 410, body: { error: { code: 'CODE_EXPIRED' } } });
  });
  it(`${BURST} concurrent wrong codes over ${BURST / CODE_MAX_ATTEMPTS} restarted sign-ins: the token's lock bounds them all, then the right code is refused`, async () => {
    // Attack: the password is known (the threat 2FA is for). Each right password opens a new challenge with
    // CODE_MAX_ATTEMPTS guesses of its own, so the attacker restarts /login as often as needed and sends the
    // guesses of all challenges at once; only the token's own lock, which every challenge's guesses count on,
    // stands between that and unlimited guesses.
    await userWithToken('restartvictim');
    const challenges = await Promise.all(
      Array.from({ length: BURST / CODE_MAX_ATTEMPTS }, async () => (await post('/api/auth/login', { login: 'restartvictim', password: PASSWORD })).body.challenge as string),
    );
    expect(new Set(challenges).size).toBe(BURST / CODE_MAX_ATTEMPTS);
    const right = await totpNow();
    const answers = await burst((i) => post('/api/auth/login/second-factor', { challenge: challenges[i % challenges.length], otp: wrongCode(right, i) }));
    // The guess that reaches the limit says it locked the token.
    expect(tally(answers)).toEqual({ OTP_INVALID: TOKEN_MAX_FAILS - 1, TOKEN_LOCKED: BURST - TOKEN_MAX_FAILS + 1 });
    const fresh = await post('/api/auth/login', { login: 'restartvictim', password: PASSWORD });
    expect(await post('/api/auth/login/second-factor', { challenge: fresh.body.challenge, otp: await totpNow() })).toMatchObject({ status: 423, body: { error: { code: 'TOKEN_LOCKED' } } });
  });

  it('concurrent restarts for a user whose factor is an SMS token: one code goes out, so one challenge of guesses', async () => {
    // Attack: as above, but each restart texts a new code with fresh guesses; the resend cooldown lets one restart
    // through per minute (and the token's lock counts the guesses of all of them, as in the worker tests).
    const user = await app.adminApi('POST', '/users', { login: 'smsrestartvictim', password: PASSWORD });
    const phone = '+4915112340001';
    await app.adminApi('POST', '/tokens/message', { type: 'SMS', destination: phone, ownerUserId: user.id });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/auth/login', { login: 'smsrestartvictim', password: PASSWORD })));
    expect(answers.filter((answer) => answer.body.state === 'second_factor')).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.state !== 'second_factor').map((answer) => answer.body.error.code)).toEqual(Array(7).fill('RATE_LIMITED'));
    const texts = await app.adminApi('GET', `/messaging/outbox?channel=sms&recipient=${encodeURIComponent(phone)}`);
    expect(texts.items).toHaveLength(1);
  });
});

describe('portal sign-in', () => {
  const start = async (alias: string, login: string) => (await post(`/api/portal/${alias}/signin`, { login })).body.flow as string;

  it(`${BURST} concurrent wrong passwords in ${BURST} flows: at most ${LOGIN_MAX_FAILS} evaluated; in one flow at most ${CODE_MAX_ATTEMPTS}`, async () => {
    // Attack: one flow per guess, all answered at once, so neither the flow's limit nor a serial read of the lock
    // stops them; and a burst inside one flow, against its own limit.
    const { resource, alias } = await portalFor('Portal-Burst');
    for (const login of ['portalvictim', 'flowvictim']) {
      const user = await app.adminApi('POST', '/users', { login, password: PASSWORD });
      await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    }
    const flows = await Promise.all(Array.from({ length: BURST }, () => start(alias, 'portalvictim')));
    const answers = await Promise.all(flows.map((flow, i) => post(`/api/portal/${alias}/signin/password`, { flow, password: `wrong password ${i}` })));
    expect(tally(answers)).toEqual({ INVALID_CREDENTIALS: LOGIN_MAX_FAILS, ACCOUNT_LOCKED: BURST - LOGIN_MAX_FAILS });
    expect(await post(`/api/portal/${alias}/signin/password`, { flow: await start(alias, 'portalvictim'), password: PASSWORD })).toMatchObject({
      status: 423,
      body: { error: { code: 'ACCOUNT_LOCKED' } },
    });

    const flow = await start(alias, 'flowvictim');
    const inOneFlow = await burst((i) => post(`/api/portal/${alias}/signin/password`, { flow, password: `wrong password ${i}` }));
    expect(tally(inOneFlow)).toEqual({ INVALID_CREDENTIALS: CODE_MAX_ATTEMPTS, CODE_EXPIRED: BURST - CODE_MAX_ATTEMPTS });
    expect((await post(`/api/portal/${alias}/signin/password`, { flow, password: PASSWORD })).body.error.code).toBe('CODE_EXPIRED');
  });

  it(`${BURST} concurrent wrong OTPs in one flow: at most ${CODE_MAX_ATTEMPTS} evaluated, then the right OTP is refused`, async () => {
    // Attack: the password is known; the flow's OTP step is guessed in parallel against its limit.
    const { resource, alias } = await portalFor('Portal-Otp');
    const { user, token } = await userWithToken('otpvictim');
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const flow = await start(alias, 'otpvictim');
    expect((await post(`/api/portal/${alias}/signin/password`, { flow, password: PASSWORD })).body).toMatchObject({ state: 'continue', step: 'otp' });
    const right = await totpNow();
    const answers = await burst((i) => post(`/api/portal/${alias}/signin/otp`, { flow, otp: wrongCode(right, i) }));
    expect(tally(answers)).toEqual({ OTP_INVALID: CODE_MAX_ATTEMPTS, CODE_EXPIRED: BURST - CODE_MAX_ATTEMPTS });
    expect((await post(`/api/portal/${alias}/signin/otp`, { flow, otp: await totpNow() })).body.error.code).toBe('CODE_EXPIRED');
  });

  it(`${BURST} concurrent wrong email codes in one flow: at most ${CODE_MAX_ATTEMPTS} evaluated, then the right code is refused`, async () => {
    // Attack: a user without a password signs in with an emailed code; the code is guessed in parallel.
    const { resource, alias } = await portalFor('Portal-Email');
    const user = await app.adminApi('POST', '/users', { login: 'mailvictim', email: 'mailvictim@example.test' });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    const flow = await start(alias, 'mailvictim');
    expect((await post(`/api/portal/${alias}/signin/email-code/request`, { flow })).body).toMatchObject({ state: 'continue', step: 'email_code' });
    const mails = async () => (await app.providers!.requests(SCENARIO)).map((r) => JSON.parse(r.body)).filter((mail) => mail.To === 'mailvictim@example.test');
    await expect.poll(async () => (await mails()).length, { timeout: 10_000 }).toBe(1);
    const right = /\b(\d{6})\b/.exec((await mails())[0].TextBody)![1]!;

    const answers = await burst((i) => post(`/api/portal/${alias}/signin/email-code`, { flow, code: wrongCode(right, i) }));
    expect(tally(answers)).toEqual({ CODE_INVALID: CODE_MAX_ATTEMPTS, CODE_EXPIRED: BURST - CODE_MAX_ATTEMPTS });
    expect((await post(`/api/portal/${alias}/signin/email-code`, { flow, code: right })).body.error.code).toBe('CODE_EXPIRED');
  });

  it('a plain user assignment with an active token: the password alone gets no portal session', async () => {
    // Attack: Bob's password is known; he is assigned to VPN as a plain "user" and owns an active token, which
    // /api/v1/verify accepts for VPN. The portal used to sign him in with the password alone, where he could
    // register a token of the attacker's and pass every second factor from then on.
    const { resource, alias } = await portalFor('VPN');
    const { user } = await userWithToken('bob');
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    const flow = await start(alias, 'bob');
    const password = await post(`/api/portal/${alias}/signin/password`, { flow, password: PASSWORD });
    expect(password).toEqual({ status: 200, body: { state: 'continue', flow, step: 'otp', emailCodeOption: false }, sessionCookie: null });
    // With his token's OTP he does sign in.
    expect((await post(`/api/portal/${alias}/signin/otp`, { flow, otp: await totpNow() })).body.state).toBe('signed_in');
  });
});
