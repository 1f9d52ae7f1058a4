/**
 * Restore access during the email code's resend cooldown. A user who went back from the proof step and started
 * again used to get a 429 for the whole request, and later only the password was asked for: the code that had just
 * arrived by email could not be typed any more. Now the second start takes over the codes of the flow started a
 * moment ago: the email code already received still proves, the password too, and the page says when a new email
 * code can go out. The answer depends on the login as typed only, never on whether it exists or what it has: a
 * ghost login gets the same shape.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { unique } from '../helpers/worker';

const openIssueOf = async (userId: string) =>
  env.DB.prepare(`SELECT authenticators FROM user_issues WHERE user_id = ? AND state = 'open'`).bind(userId).first<{ authenticators: string }>();
const outboxCount = async (to: string) => (await env.DB.prepare('SELECT count(*) AS n FROM outbox WHERE recipient = ?').bind(to).first<{ n: number }>())!.n;

function pinClock() {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

describe('restore access within the email cooldown', () => {
  it('asks for the password and the code already sent, says how long the cooldown lasts, and sends no second email', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('cd')}@example.com`;
    const user = await assignedUser(admin, resource.id, { email });
    pinClock();
    const shapes: unknown[] = [];
    for (const login of [user.login, unique('ghost')]) {
      const first = await portalClient(alias).send('POST', '/recovery', { login, lost: ['token'] });
      expect(first.body.verify).toEqual(['password', 'email']);
      const again = await portalClient(alias).send('POST', '/recovery', { login, lost: ['token'] });
      expect(again.status).toBe(200);
      shapes.push({ ...again.body, flow: typeof again.body.flow });
    }
    expect(shapes[0]).toEqual({ flow: 'string', verify: ['password', 'email'], needs: { newPassword: false, newEmail: false }, emailCooldownMs: expect.any(Number) });
    expect(shapes[1]).toEqual(shapes[0]);
    expect((shapes[0] as { emailCooldownMs: number }).emailCooldownMs).toBeGreaterThan(0);
    expect(await lastEmailCode(email)).toMatch(/^\d{6}$/);
    expect(await outboxCount(email)).toBe(1);

    const third = portalClient(alias);
    const start = await third.send('POST', '/recovery', { login: user.login, lost: ['token'] });
    expect((await third.send('POST', '/recovery/submit', { flow: start.body.flow, password: 'portal password 1' })).body).toEqual({ submitted: true });
    // The email code was asked for and not typed: the account has it, unproven, as when no cooldown runs.
    expect(JSON.parse((await openIssueOf(user.id))!.authenticators)).toEqual({ password: 'verified', email: 'failed', token: 'lost' });
  });

  it('the code from the first email proves the second start; a wrong one is refused there and counts against that code', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('cd')}@example.com`;
    const user = await assignedUser(admin, resource.id, { email, password: null });
    pinClock();
    expect((await portalClient(alias).send('POST', '/recovery', { login: user.login, lost: ['token'] })).body.verify).toEqual(['password', 'email']);
    const code = await lastEmailCode(email);

    const again = portalClient(alias);
    const second = await again.send('POST', '/recovery', { login: user.login, lost: ['token'] });
    expect(second.body).toMatchObject({ verify: ['password', 'email'], emailCooldownMs: expect.any(Number) });
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await again.send('POST', '/recovery/proof', { flow: second.body.flow, emailCode: wrong })).body.error.code).toBe('RECOVERY_PROOF_INVALID');
    // The guess was counted on the email code itself, which the first flow shares: a new flow adds no guesses.
    const codeRow = await env.DB.prepare('SELECT attempts FROM challenges WHERE user_id = ? AND code_hash IS NOT NULL').bind(user.id).first<{ attempts: number }>();
    expect(codeRow).toEqual({ attempts: 1 });
    expect((await again.send('POST', '/recovery/proof', { flow: second.body.flow, emailCode: code })).body).toMatchObject({ verified: ['email'] });
    expect((await again.send('POST', '/recovery/submit', { flow: second.body.flow })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssueOf(user.id))!.authenticators)).toEqual({ password: 'none', email: 'verified', token: 'lost' });
    expect(await outboxCount(email)).toBe(1);
  });

  it('still refuses, alike for every login, when the email code is the only proof left and no open flow holds one', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id, { email: `${unique('cd')}@example.com` });
    for (const login of [user.login, unique('ghost')]) {
      const client = portalClient(alias);
      const first = await client.send('POST', '/recovery', { login, lost: ['password', 'token'] });
      expect(first.status).toBe(200);
      // A wrong code tried, then filed as it is: the flow is used up, so no open flow is left to carry its code over.
      expect((await client.send('POST', '/recovery/proof', { flow: first.body.flow, emailCode: '000000' })).body.error.code).toBe('RECOVERY_PROOF_INVALID');
      expect((await client.send('POST', '/recovery/submit', { flow: first.body.flow, newPassword: 'a brand new password' })).body).toEqual({ submitted: true });
      const again = await portalClient(alias).send('POST', '/recovery', { login, lost: ['password', 'token'] });
      expect(again).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', details: { limit: 'cooldown' } } } });
    }
  });
});
