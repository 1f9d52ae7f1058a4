/**
 * Threats on "forgot password": learning which logins exist from the answer, reusing or sharing a reset link,
 * using a link after it expired, and flooding someone's mailbox.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PASSWORD_RESET_TTL_MS } from '../../worker/constants';
import { call, insertUser, json, unique } from '../helpers/worker';

afterEach(() => vi.useRealTimers());

async function resetLinkFor(email: string): Promise<string> {
  const row = await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY at DESC, rowid DESC LIMIT 1').bind(email).first<{ body: string }>();
  return decodeURIComponent(/token=([\w%-]+)/.exec(row!.body)![1]!);
}

describe('forgot password', () => {
  it('answers the same for unknown logins, users without email and real users', async () => {
    const withEmail = await insertUser({ email: `${unique('r')}@example.com` });
    const withoutEmail = await insertUser();
    for (const login of [unique('ghost'), withoutEmail.login, withEmail.login]) {
      const response = await call('/api/auth/password-reset', { method: 'POST', json: { login } });
      expect({ status: response.status, body: await json(response) }).toEqual({ status: 202, body: { requested: true } });
    }
  });

  it('the link works once, ends old sessions, and the new password signs in', async () => {
    const email = `${unique('r')}@example.com`;
    const user = await insertUser({ email, password: 'old password 123' });
    await call('/api/auth/password-reset', { method: 'POST', json: { login: user.login } });
    const token = await resetLinkFor(email);
    expect((await call('/api/auth/password-reset/complete', { method: 'POST', json: { token, password: 'new password 456' } })).status).toBe(204);
    const again = await call('/api/auth/password-reset/complete', { method: 'POST', json: { token, password: 'attacker pw 789' } });
    expect((await json(again)).error.code).toBe('CODE_EXPIRED');
    expect((await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'new password 456' } }))).state).toBe('signed_in');
    const kinds = await env.DB.prepare(`SELECT type FROM user_activities WHERE user_id = ? AND type LIKE 'UserPassw%' ORDER BY at, rowid`).bind(user.id).all();
    expect(kinds.results.map((r) => r.type)).toEqual(['UserPasswortChangeRequest', 'UserPasswordChange']);
  });

  it('an expired link is refused and changes nothing', async () => {
    const email = `${unique('r')}@example.com`;
    const user = await insertUser({ email, password: 'old password 123' });
    await call('/api/auth/password-reset', { method: 'POST', json: { login: user.login } });
    const token = await resetLinkFor(email);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + PASSWORD_RESET_TTL_MS + 1000);
    const late = await call('/api/auth/password-reset/complete', { method: 'POST', json: { token, password: 'new password 456' } });
    expect((await json(late)).error.code).toBe('CODE_EXPIRED');
    vi.useRealTimers();
    expect((await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'old password 123' } }))).state).toBe('signed_in');
  });

  it('a newer link voids the older one, and requests are throttled per recipient', async () => {
    const email = `${unique('r')}@example.com`;
    const user = await insertUser({ email });
    await call('/api/auth/password-reset', { method: 'POST', json: { login: user.login } });
    const first = await resetLinkFor(email);
    for (let i = 0; i < 5; i++) await call('/api/auth/password-reset', { method: 'POST', json: { login: user.login } });
    const sent = await env.DB.prepare('SELECT count(*) AS n FROM outbox WHERE recipient = ?').bind(email).first<{ n: number }>();
    expect(sent!.n).toBeLessThanOrEqual(2); // the resend cooldown holds back the flood
    const latest = await resetLinkFor(email);
    if (latest !== first) {
      expect((await json(call('/api/auth/password-reset/complete', { method: 'POST', json: { token: first, password: 'new password 456' } }))).error.code).toBe('CODE_EXPIRED');
    }
  });
});
