/**
 * Restore access during the email code's resend cooldown. A user who went back from the proof step and started
 * again used to get a 429 for the whole request, although the password would prove them; now the second start
 * asks for what is left (the password) and says when a new email code can go out. The answer depends on the login
 * as typed only, never on whether it exists or what it has: a ghost login gets the same shape.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { unique } from '../helpers/worker';

const openIssueOf = async (userId: string) =>
  env.DB.prepare(`SELECT authenticators FROM user_issues WHERE user_id = ? AND state = 'open'`).bind(userId).first<{ authenticators: string }>();

describe('restore access within the email cooldown', () => {
  it('asks for the password alone, says how long the cooldown lasts, and files the request proven by the password', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('cd')}@example.com`;
    const user = await assignedUser(admin, resource.id, { email });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const shapes: unknown[] = [];
    for (const login of [user.login, unique('ghost')]) {
      const first = await portalClient(alias).send('POST', '/recovery', { login, lost: ['token'] });
      expect(first.body.verify).toEqual(['password', 'email']);
      const again = await portalClient(alias).send('POST', '/recovery', { login, lost: ['token'] });
      expect(again.status).toBe(200);
      shapes.push({ ...again.body, flow: typeof again.body.flow });
    }
    expect(shapes[0]).toEqual({ flow: 'string', verify: ['password'], needs: { newPassword: false, newEmail: false }, emailCooldownMs: expect.any(Number) });
    expect(shapes[1]).toEqual(shapes[0]);
    expect((shapes[0] as { emailCooldownMs: number }).emailCooldownMs).toBeGreaterThan(0);
    expect(await lastEmailCode(email)).toMatch(/^\d{6}$/);

    const third = portalClient(alias);
    const start = await third.send('POST', '/recovery', { login: user.login, lost: ['token'] });
    expect((await third.send('POST', '/recovery/submit', { flow: start.body.flow, password: 'portal password 1' })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssueOf(user.id))!.authenticators)).toEqual({ password: 'verified', email: 'none', token: 'lost' });
  });

  it('still refuses, alike for every login, when the email code is the only proof left', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id, { email: `${unique('cd')}@example.com` });
    for (const login of [user.login, unique('ghost')]) {
      expect((await portalClient(alias).send('POST', '/recovery', { login, lost: ['password', 'token'] })).status).toBe(200);
      const again = await portalClient(alias).send('POST', '/recovery', { login, lost: ['password', 'token'] });
      expect(again).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', details: { limit: 'cooldown' } } } });
    }
  });
});
