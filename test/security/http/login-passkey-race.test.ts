/**
 * /login's passkeys against an attacker who sends one captured WebAuthn answer many times at once: concurrent
 * requests over real HTTP to the Worker as `npm start` runs it (local D1). A challenge read, checked and then
 * deleted would let several copies through; the one conditional DELETE that takes it lets exactly one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp } from '../../e2e/harness';
import { unique } from '../../helpers/unique';
import { softwareAuthenticator } from '../../helpers/software-authenticator';

const PASSWORD = 'a long enough password';
const CONCURRENT = 30;
let app: E2eApp;

beforeAll(async () => {
  app = await startApp({ browser: false });
});
afterAll(async () => app?.stop());

async function post(path: string, body: unknown, session?: { cookie: string; csrf: string }) {
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url, ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? null };
}

/** A user who signed in with the password alone (no factor yet) and added a passkey in /profile. */
async function userWithPasskey() {
  const user = await app.adminApi('POST', '/users', { login: unique('pk') });
  await app.adminApi('PUT', `/users/${user.id}/password`, { password: PASSWORD });
  const signedIn = await post('/api/auth/login', { login: user.login, password: PASSWORD });
  expect(signedIn.body.state).toBe('signed_in');
  const session = { cookie: signedIn.cookie!, csrf: signedIn.body.csrfToken as string };
  const authenticator = softwareAuthenticator({ origin: app.url });
  const options = await post('/api/profile/passkeys/options', {}, session);
  const added = await post('/api/profile/passkeys', { credential: await authenticator.register(options.body.options), name: 'Laptop' }, session);
  expect(added.status).toBe(201);
  return { user: user as { id: string; login: string }, authenticator };
}

const sessionsOf = async (login: string) => (await app.adminApi('GET', `/activities?user=${login}&type=UserLogin&page=1&pageSize=100`)).items.length as number;

describe('one passkey assertion, sent many times at once over HTTP', () => {
  it('passwordless: of 30 concurrent copies, one session', async () => {
    // Attack: an assertion for a passwordless flow was captured; 30 copies at once, hoping for more than one session.
    const { user, authenticator } = await userWithPasskey();
    const before = await sessionsOf(user.login);
    const start = await post('/api/auth/passkey/options', {});
    const credential = await authenticator.authenticate(start.body.options);
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post('/api/auth/passkey', { flow: start.body.flow, credential })));
    expect(answers.filter((reply) => reply.status === 200 && reply.cookie)).toHaveLength(1);
    expect(answers.filter((reply) => reply.status !== 200).map((reply) => reply.body.error.code)).toEqual(Array(CONCURRENT - 1).fill('CHALLENGE_EXPIRED'));
    expect((await sessionsOf(user.login)) - before).toBe(1);
  });

  it('second factor: of 30 concurrent copies after the password, one session', async () => {
    // Attack: the password is known and one assertion for this /login challenge was captured; 30 copies at once.
    const { user, authenticator } = await userWithPasskey();
    const before = await sessionsOf(user.login);
    const step = await post('/api/auth/login', { login: user.login, password: PASSWORD });
    expect(step.body.methods).toEqual(['passkey']);
    const options = await post('/api/auth/login/passkey/options', { challenge: step.body.challenge });
    const credential = await authenticator.authenticate(options.body.options);
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post('/api/auth/login/passkey', { challenge: step.body.challenge, credential })));
    expect(answers.filter((reply) => reply.status === 200 && reply.cookie)).toHaveLength(1);
    // The others lost the challenge's race, or found the step's attempts already claimed.
    expect(answers.filter((reply) => reply.status !== 200).every((reply) => ['CHALLENGE_EXPIRED', 'CODE_EXPIRED'].includes(reply.body.error.code))).toBe(true);
    expect((await sessionsOf(user.login)) - before).toBe(1);
  });
});
