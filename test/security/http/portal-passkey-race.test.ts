/**
 * Portal passkeys against an attacker who sends one WebAuthn answer many times at once: concurrent requests over
 * real HTTP to the Worker as `npm start` runs it (local D1), not calls serialised inside one isolate. A challenge
 * read, checked, then deleted would let several copies through; the one conditional DELETE that takes it (and the
 * flow's claimed attempt) lets exactly one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp } from '../../e2e/harness';
import { unique } from '../../helpers/unique';
import { softwareAuthenticator } from '../../helpers/software-authenticator';

const PASSWORD = 'a long enough password';
const CONCURRENT = 30;
let app: E2eApp;
let alias: string;
let resourceId: string;

beforeAll(async () => {
  app = await startApp({ browser: false });
  const resource = await app.adminApi('POST', '/resources', { name: unique('VPN-') });
  resourceId = resource.id;
  alias = unique('pk-').toLowerCase();
  await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias, actions: ['registerNewToken'], tokenTypes: ['TOTP', 'PASSKEY'] });
});
afterAll(async () => app?.stop());

async function post(path: string, body: unknown, session?: { cookie: string; csrf: string }) {
  const response = await fetch(`${app.url}/api/portal/${alias}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url, ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? null };
}

/** A user with a password and no factor yet, assigned to the portal's resource. */
async function assignedUser() {
  const user = await app.adminApi('POST', '/users', { login: unique('pk') });
  await app.adminApi('PUT', `/users/${user.id}/password`, { password: PASSWORD });
  await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: user.id, tokenId: null });
  return user as { id: string; login: string };
}

async function passwordStep(login: string) {
  const start = await post('/signin', { login });
  return { flow: start.body.flow as string, answer: await post('/signin/password', { flow: start.body.flow, password: PASSWORD }) };
}

const passkeysOf = async (userId: string) =>
  ((await app.adminApi('GET', `/tokens?ownerUserId=${userId}&page=1&pageSize=50`)).items as { type: string }[]).filter((token) => token.type === 'PASSKEY');

describe('one passkey answer, sent many times at once over HTTP', () => {
  it('Register New Token: of 30 concurrent copies of one credential, one passkey is stored', async () => {
    // Attack: a registration answer replayed in parallel, hoping each copy stores a token (or that a copy lands
    // after the first one's challenge read but before its delete).
    const user = await assignedUser();
    const { answer } = await passwordStep(user.login);
    expect(answer.body.state).toBe('signed_in');
    const session = { cookie: answer.cookie!, csrf: answer.body.csrfToken as string };
    const authenticator = softwareAuthenticator({ origin: app.url });
    const options = await post('/tokens/passkey/options', {}, session);
    expect(options.status).toBe(200);
    const credential = await authenticator.register(options.body.options);

    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post('/tokens/passkey', { credential, name: 'Laptop' }, session)));
    expect(answers.filter((reply) => reply.status === 201)).toHaveLength(1);
    expect(answers.every((reply) => reply.status === 201 || reply.body.error.code === 'CHALLENGE_EXPIRED')).toBe(true);
    expect(await passkeysOf(user.id)).toHaveLength(1);
  });

  it('portal sign-in: of 30 concurrent copies of one assertion, one session', async () => {
    // Attack: the password is known and one assertion of the victim's passkey was captured for this flow; 30 copies
    // at once, hoping for more than one session.
    const user = await assignedUser();
    const first = await passwordStep(user.login);
    const session = { cookie: first.answer.cookie!, csrf: first.answer.body.csrfToken as string };
    const authenticator = softwareAuthenticator({ origin: app.url });
    const options = await post('/tokens/passkey/options', {}, session);
    expect((await post('/tokens/passkey', { credential: await authenticator.register(options.body.options), name: 'Laptop' }, session)).status).toBe(201);

    const step = await passwordStep(user.login);
    expect(step.answer.body).toMatchObject({ state: 'continue', step: 'otp', passkey: true });
    const request = await post('/signin/passkey/options', { flow: step.flow });
    const assertion = await authenticator.authenticate(request.body.options);
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post('/signin/passkey', { flow: step.flow, credential: assertion })));
    const signedIn = answers.filter((reply) => reply.body?.state === 'signed_in');
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0]!.cookie).toMatch(/eid_portal=/);
    // The others were refused by the taken challenge or by the flow that is spent: none examined the passkey again.
    expect(answers.filter((reply) => reply.body?.state !== 'signed_in').every((reply) => ['CHALLENGE_EXPIRED', 'CODE_EXPIRED'].includes(reply.body.error.code))).toBe(true);
  });
});
