/**
 * Recovery codes against an attacker who sends one code many times at once: 50 concurrent requests over real HTTP
 * to the Worker as `npm start` runs it (local D1), not calls serialised inside one isolate. A check-then-mark would
 * let several through; the conditional consume lets exactly one.
 */
import { describe, expect, it } from 'vitest';
import { RECOVERY_CODE_COUNT } from '../../../worker/constants';
import { unique } from '../../helpers/unique';
import { appWithResource } from './support';

const PASSWORD = 'a long enough password';
const CONCURRENT = 50;
const fixture = appWithResource();

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; cookie: string | null }> {
  const response = await fetch(`${fixture.app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: fixture.app.url, ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? null };
}

/** A user with a password and nothing else, assigned on the resource, who makes a set of recovery codes in /profile. */
async function userWithCodes() {
  const email = `${unique('rc')}@example.com`;
  const user = await fixture.app.adminApi('POST', '/users', { login: unique('rc'), email });
  await fixture.app.adminApi('PUT', `/users/${user.id}/password`, { password: PASSWORD });
  await fixture.app.adminApi('PUT', `/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: null });
  const signedIn = await post('/api/auth/login', { login: user.login, password: PASSWORD });
  expect(signedIn.body.state).toBe('signed_in');
  const made = await post('/api/profile/recovery-codes', {}, { cookie: signedIn.cookie!, 'x-csrf-token': signedIn.body.csrfToken });
  expect(made.status).toBe(201);
  expect(made.body.codes).toHaveLength(RECOVERY_CODE_COUNT);
  const mailsToUser = async () => (await fixture.app.adminApi('GET', `/messaging/outbox?channel=email&recipient=${encodeURIComponent(email)}`)).items.length as number;
  return { user, codes: made.body.codes as string[], mailsToUser };
}

describe('one recovery code, 50 concurrent uses over HTTP', () => {
  it('verify API: exactly one of 50 is accepted, and the owner gets one notice', async () => {
    // Attack: whoever holds the integration's key (or sits between it and us) replays a recovery code it saw, 50
    // times at once, hoping the reads of "unused" all happen before the first mark.
    const { user, codes, mailsToUser } = await userWithCodes();
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () => post('/api/v1/verify', { login: user.login, resource: fixture.resource.name, otp: codes[0] }, { authorization: `Bearer ${fixture.app.admin.apiKey}` })),
    );
    expect(answers.filter((answer) => answer.body.accepted === true)).toHaveLength(1);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true);
    expect(await mailsToUser()).toBe(1);
    const set = (await fixture.app.adminApi('GET', `/tokens?ownerUserId=${user.id}&page=1&pageSize=10`)).items[0];
    expect(set.recoveryCodes).toMatchObject({ remaining: RECOVERY_CODE_COUNT - 1, total: RECOVERY_CODE_COUNT });
  });

  it('/login second factor: of 50 concurrent submissions of one code over 5 challenges, exactly one session', async () => {
    // Attack: the password is known and one recovery code was seen; 50 submissions of it over several fresh
    // challenges at once, hoping for more than one session (each one a foothold the owner's new set won't end).
    const { user, codes } = await userWithCodes();
    const challenges = await Promise.all(Array.from({ length: 5 }, () => post('/api/auth/login', { login: user.login, password: PASSWORD })));
    for (const started of challenges) expect(started.body).toMatchObject({ state: 'second_factor', methods: expect.arrayContaining(['recovery_code']) });
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => post('/api/auth/login/second-factor', { challenge: challenges[i % challenges.length]!.body.challenge, otp: codes[1] })),
    );
    expect(answers.filter((answer) => answer.body?.state === 'signed_in')).toHaveLength(1);
    const set = (await fixture.app.adminApi('GET', `/tokens?ownerUserId=${user.id}&page=1&pageSize=10`)).items[0];
    expect(set.recoveryCodes.remaining).toBe(RECOVERY_CODE_COUNT - 1);
  });
});
