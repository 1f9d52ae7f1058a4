/**
 * Threats: learning which logins exist from the sign-in answers (user enumeration), and guessing passwords.
 * Unknown logins, wrong passwords and users without a password get the same answer, and lockout applies to the
 * login name whether or not it exists.
 */
import { describe, expect, it } from 'vitest';
import { LOGIN_MAX_FAILS } from '../../worker/constants';
import { call, insertUser, json, unique } from '../helpers/worker';

const attempt = async (login: string, password: string) => {
  const response = await call('/api/auth/login', { method: 'POST', headers: { 'cf-connecting-ip': `10.0.${Math.floor(Math.random() * 250)}.1` }, json: { login, password } });
  return { status: response.status, body: await json(response) };
};

describe('sign-in enumeration and guessing', () => {
  it('answers unknown login, wrong password and no-password user identically', async () => {
    const known = await insertUser({ password: 'the right password' });
    const passwordless = await insertUser({ password: null });
    const answers = [await attempt(unique('ghost'), 'whatever pw'), await attempt(known.login, 'wrong password'), await attempt(passwordless.login, 'whatever pw')];
    for (const answer of answers) expect(answer).toEqual({ status: 401, body: { error: { code: 'INVALID_CREDENTIALS', message: 'Login or password is wrong.' } } });
  });

  it('locks known and unknown logins alike after repeated failures; the right password does not pass the lock', async () => {
    const known = await insertUser({ password: 'the right password' });
    const ghost = unique('ghost');
    for (let i = 0; i < LOGIN_MAX_FAILS; i++) {
      await attempt(known.login, `wrong ${i}`);
      await attempt(ghost, `wrong ${i}`);
    }
    const knownLocked = await attempt(known.login, 'the right password');
    const ghostLocked = await attempt(ghost, 'the right password');
    expect(knownLocked.status).toBe(423);
    expect(knownLocked.body.error.code).toBe('ACCOUNT_LOCKED');
    expect(ghostLocked.status).toBe(423);
    expect(Object.keys(ghostLocked.body.error)).toEqual(Object.keys(knownLocked.body.error));
  });

  it('a disabled user cannot sign in even with the right password', async () => {
    const disabled = await insertUser({ password: 'the right password', enabled: false });
    expect((await attempt(disabled.login, 'the right password')).body.error.code).toBe('INVALID_CREDENTIALS');
  });
});
