/**
 * Attack: /login with the password alone for a user whose only token is an SMS or EMAIL token. /login asked only
 * app tokens (TOTP/HOTP) for a second factor, so that user got a platform session from the password, while the
 * verify API and the portal wanted the token: a stolen password was the whole key. Now /login sends the code to
 * the token's destination (the answer says where, masked), gives no session until the code (with the token's PIN
 * where set) is right, and claims each guess first: the step's own attempts and the code's.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODE_MAX_ATTEMPTS } from '../../worker/constants';
import { freshPhone, providerScenario, smsTextsTo, twilioAndOutboxSettings } from '../helpers/messaging';
import { lastEmailCode } from '../helpers/portal';
import { adminClient, call, insertUser, json, unique } from '../helpers/worker';

const PASSWORD = 'a long enough password';
let sms: ReturnType<typeof providerScenario>;
let admin: Awaited<ReturnType<typeof adminClient>>;

beforeAll(async () => {
  sms = providerScenario();
  admin = await adminClient();
  expect((await admin.request('/messaging/settings', { method: 'PUT', json: twilioAndOutboxSettings(sms.baseUrl) })).status).toBe(200);
});

const login = (name: string, password = PASSWORD) => call('/api/auth/login', { method: 'POST', json: { login: name, password } });
const secondFactor = (challenge: string, otp: string) => call('/api/auth/login/second-factor', { method: 'POST', json: { challenge, otp } });
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)![1]!;
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const sessionsOf = async (userId: string) =>
  (await env.DB.prepare('SELECT method FROM sessions WHERE user_id = ?').bind(userId).all<{ method: string }>()).results.map((row) => row.method);

describe('/login: a user whose only token is an SMS or EMAIL token', () => {
  it('SMS token: the password alone gives no session; the texted code does, once', async () => {
    const user = await insertUser({ password: PASSWORD });
    const phone = freshPhone();
    await admin.post('/tokens/message', { type: 'SMS', destination: phone, ownerUserId: user.id });

    const first = await login(user.login);
    const body = await json(first);
    expect(body).toMatchObject({ state: 'second_factor', methods: ['code'], delivery: { channel: 'sms', to: `${phone.slice(0, 3)}${'•'.repeat(phone.length - 5)}${phone.slice(-2)}` } });
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([]);

    const code = codeIn((await smsTextsTo(sms, phone, 1)).at(-1)!);
    expect((await json(secondFactor(body.challenge, otherCode(code)))).error.code).toBe('OTP_INVALID');
    expect(await sessionsOf(user.id)).toEqual([]);
    const passed = await secondFactor(body.challenge, code);
    expect((await json(passed)).state).toBe('signed_in');
    expect(passed.headers.get('set-cookie')).toMatch(/^__Host-eid_session=/);
    expect(await sessionsOf(user.id)).toEqual(['password+sms']);
    // The code and the step are single use.
    expect((await json(secondFactor(body.challenge, code))).error.code).toBe('CODE_EXPIRED');
  });

  it('EMAIL token with a PIN: the code alone is not enough, code and PIN are', async () => {
    const user = await insertUser({ password: PASSWORD });
    const address = `${unique('login-token-')}@example.com`;
    await admin.post('/tokens/message', { type: 'EMAIL', destination: address, ownerUserId: user.id, pin: '4711', pinPosition: 'before' });
    const body = await json(login(user.login));
    expect(body).toMatchObject({ state: 'second_factor', methods: ['code'], delivery: { channel: 'email', to: 'l•••@example.com' } });
    const code = await lastEmailCode(address);
    expect((await json(secondFactor(body.challenge, code))).error.code).toBe('OTP_INVALID');
    expect((await json(secondFactor(body.challenge, `4711${code}`))).state).toBe('signed_in');
    expect(await sessionsOf(user.id)).toEqual(['password+email']);
  });

  it('a burst of guesses at the step: at most its limit is looked at, then the right code is refused too', async () => {
    const user = await insertUser({ password: PASSWORD });
    const phone = freshPhone();
    await admin.post('/tokens/message', { type: 'SMS', destination: phone, ownerUserId: user.id });
    const body = await json(login(user.login));
    const code = codeIn((await smsTextsTo(sms, phone, 1)).at(-1)!);
    const guesses = Array.from({ length: 20 }, (_, i) => String(i).padStart(6, '0')).filter((guess) => guess !== code);
    const answers = await Promise.all(guesses.map(async (guess) => (await json(secondFactor(body.challenge, guess))).error.code as string));
    expect(answers.filter((reason) => reason === 'OTP_INVALID').length).toBeLessThanOrEqual(CODE_MAX_ATTEMPTS);
    expect(answers.every((reason) => reason === 'OTP_INVALID' || reason === 'CODE_EXPIRED')).toBe(true);
    expect((await json(secondFactor(body.challenge, code))).error.code).toBe('CODE_EXPIRED');
    expect(await sessionsOf(user.id)).toEqual([]);
  });
});
