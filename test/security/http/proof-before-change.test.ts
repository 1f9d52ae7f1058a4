/**
 * Proof before change over real HTTP (wrangler dev, as `npm start` runs it), the way an attacker holding only a
 * user's password would go at the portal: every factor and contact change at once, then bursts of guesses at the
 * step-up's code and at the current password of Change Password. Each must hold however the requests race.
 *
 * The attacker's session has not proven the token: the user signed in while they had none, then the administrator
 * handed them one (the same state as the portal's old password-only sessions for users with a token).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_MAX_FAILS, TOKEN_MAX_FAILS } from '../../../worker/constants';
import { base32ToBytes } from '../../../worker/lib/encoding';
import { importHmacKey } from '../../../worker/otp/hotp';
import { generateTotp } from '../../../worker/otp/totp';
import { startApp, type E2eApp } from '../../e2e/harness';

const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'the right password 1';
const BURST = 40;
const ACTIONS = ['registerNewToken', 'reassignToken', 'unassignToken', 'setupPin', 'removePin', 'changePassword', 'changeEmail', 'changePhone'];
let app: E2eApp;
let resource: { id: string };
const alias = 'step-up-vpn';

beforeAll(async () => {
  app = await startApp({ browser: false });
  resource = await app.adminApi('POST', '/resources', { name: 'Step-up VPN' });
  await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias, actions: ACTIONS, tokenTypes: ['TOTP', 'EMAIL'] });
});
afterAll(() => app?.stop());

type Answer = { status: number; body: any };
let ipCounter = 0;

/** Signs in to the portal with the password (the user has no token yet) and returns a client for that session. */
async function portalSession(login: string) {
  const ip = `198.51.100.${++ipCounter % 250}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${app.url}/api/portal/${alias}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip, ...headers },
      body: JSON.stringify(body),
    });
    return { response, body: (await response.json()) as any };
  };
  const start = await post('/signin', { login });
  const signedIn = await post('/signin/password', { flow: start.body.flow, password: PASSWORD });
  expect(signedIn.body.state).toBe('signed_in');
  const cookie = signedIn.response.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = signedIn.body.csrfToken as string;
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${app.url}/api/portal/${alias}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip, cookie, 'x-csrf-token': csrf },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

async function userHandedATokenMidSession(login: string) {
  const user = await app.adminApi('POST', '/users', { login, password: PASSWORD, email: `${login}@example.test` });
  await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
  const session = await portalSession(login);
  const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: `HW-${login}`, seed: SEED, seedEncoding: 'base32', ownerUserId: user.id });
  await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  return { user, token, session };
}

const tally = (answers: Answer[]) => {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = answer.body?.error?.code ?? String(answer.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};
const totpNow = async () => generateTotp(await importHmacKey(base32ToBytes(SEED), 'SHA1'), Date.now(), 30, 6);
const wrongCode = (right: string, i: number) => String((Number(right) + 1000 + i) % 1_000_000).padStart(6, '0');

describe('portal: a session that has not proven the token', () => {
  it('sends every factor and contact change at once: all answer STEP_UP_REQUIRED and nothing changes', async () => {
    // Attack: with the password alone, register a token of one's own (and change everything else that would lock
    // the owner out or let the attacker in), many requests at once in case one slips between check and change.
    const { user, token, session } = await userHandedATokenMidSession('stepup-victim');
    const before = { user: await app.adminApi('GET', `/users/${user.id}`), token: await app.adminApi('GET', `/tokens/${token.id}`) };
    const attempts: [string, string, unknown][] = [
      ['POST', '/tokens/enrol', { type: 'TOTP' }],
      ['POST', '/tokens/enrol', { type: 'EMAIL', destination: 'attacker@evil.example' }],
      ['POST', '/tokens/enrol', { type: 'TOTP', reassign: true }],
      ['POST', '/tokens/unassign', undefined],
      ['PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' }],
      ['DELETE', '/tokens/pin', undefined],
      ['POST', '/email', { email: 'attacker@evil.example' }],
      ['POST', '/phone', { phone: '+49 151 99999999' }],
      ['PUT', '/password', { currentPassword: PASSWORD, newPassword: 'attacker password 9' }],
    ];
    const answers = await Promise.all(Array.from({ length: 3 }, () => attempts.map(([method, path, body]) => session(method, path, body))).flat());
    expect(tally(answers)).toEqual({ STEP_UP_REQUIRED: 3 * attempts.length });
    expect(answers.every((answer) => answer.status === 403)).toBe(true);
    // No token was created for them, pending or not: the one the administrator handed out is all they own.
    expect((await app.adminApi('GET', `/tokens?ownerUserId=${user.id}`)).items.map((item: { id: string }) => item.id)).toEqual([token.id]);
    expect({ user: await app.adminApi('GET', `/users/${user.id}`), token: await app.adminApi('GET', `/tokens/${token.id}`) }).toEqual(before);
  });

  it(`${BURST} concurrent wrong step-up codes: at most ${TOKEN_MAX_FAILS} evaluated, the rest and then the right code locked`, async () => {
    // Attack: guess the step-up's OTP in parallel, hoping the token's lock is read before the failures count.
    const { token, session } = await userHandedATokenMidSession('stepup-guesser');
    const right = await totpNow();
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => session('POST', '/step-up', { otp: wrongCode(right, i) })));
    const counts = tally(answers);
    expect(counts.OTP_INVALID).toBeLessThanOrEqual(TOKEN_MAX_FAILS);
    expect((counts.OTP_INVALID ?? 0) + (counts.TOKEN_LOCKED ?? 0)).toBe(BURST);
    expect((await session('POST', '/step-up', { otp: await totpNow() })).body.error.code).toBe('TOKEN_LOCKED');
    expect((await session('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).body.error.code).toBe('STEP_UP_REQUIRED');
    expect((await app.adminApi('GET', `/tokens/${token.id}`)).hasPin).toBe(false);
  });
});

describe('portal: Change Password', () => {
  it(`${BURST} concurrent wrong current passwords: at most ${LOGIN_MAX_FAILS} evaluated, the rest and then the right one locked`, async () => {
    // Attack: a session (of a user with nothing more to prove) used to guess the current password without limit.
    const user = await app.adminApi('POST', '/users', { login: 'stepup-password', password: PASSWORD });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    const session = await portalSession(user.login);
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) => session('PUT', '/password', { currentPassword: `wrong password ${i}`, newPassword: 'a new password 7' })),
    );
    expect(tally(answers)).toEqual({ INVALID_CREDENTIALS: LOGIN_MAX_FAILS, ACCOUNT_LOCKED: BURST - LOGIN_MAX_FAILS });
    expect((await session('PUT', '/password', { currentPassword: PASSWORD, newPassword: 'a new password 7' })).body.error.code).toBe('ACCOUNT_LOCKED');
  });
});
