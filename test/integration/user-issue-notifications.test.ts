/**
 * "User Issues" notification: administrators can switch on an email about each new access recovery request.
 * Off by default; only requests actually stored (a real login) send one, never a phantom flow for an unknown login.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { notifyAdminsOfNewIssue } from '../../worker/selfservice/issue-notifications';
import { ORIGIN, adminClient, call, insertUser, json, unique } from '../helpers/worker';

async function portalWithUser() {
  const admin = await adminClient();
  const resource = await admin.post('/resources', { name: unique('Notify-') });
  const alias = unique('n-').toLowerCase();
  await admin.put(`/resources/${resource.id}/self-service`, { enabled: true, alias, actions: ['changeName'], tokenTypes: [] });
  const user = await insertUser({ password: 'portal password 1' });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id });
  return { admin, alias, user };
}

async function fileRecoveryRequest(alias: string, login: string, known = true) {
  const send = (path: string, body: unknown) => call(`/api/portal/${alias}${path}`, { method: 'POST', headers: { origin: ORIGIN }, json: body }).then(json);
  const start = await send('/recovery', { login, lost: ['token'] });
  const proven = await send('/recovery/submit', { flow: start.flow, password: 'portal password 1' });
  if (known) return expect(proven).toEqual({ submitted: true });
  // An unknown login's password is refused like a wrong one; the request then goes as it is (and stores nothing).
  expect(proven).toMatchObject({ error: { code: 'RECOVERY_PROOF_INVALID' } });
  expect(await send('/recovery/submit', { flow: start.flow })).toEqual({ submitted: true });
}

const mailsTo = async (recipient: string) =>
  (await env.DB.prepare('SELECT subject, body FROM outbox WHERE recipient = ? ORDER BY at, rowid').bind(recipient).all<{ subject: string; body: string }>()).results;

describe('user issue notification setting', () => {
  it('is off by default, switches on and off, and refuses a malformed body without changing anything', async () => {
    const admin = await adminClient();
    expect(await admin.get('/user-issues/settings')).toEqual({ notifyByEmail: false });
    const bad = await admin.request('/user-issues/settings', { method: 'PUT', json: { notifyByEmail: 'yes' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('VALIDATION_FAILED');
    expect(await admin.get('/user-issues/settings')).toEqual({ notifyByEmail: false });
    await admin.put('/user-issues/settings', { notifyByEmail: true });
    expect(await admin.get('/user-issues/settings')).toEqual({ notifyByEmail: true });
    await admin.put('/user-issues/settings', { notifyByEmail: false });
    expect(await admin.get('/user-issues/settings')).toEqual({ notifyByEmail: false });
  });

  it('needs an administrator', async () => {
    const response = await call('/api/admin/user-issues/settings', { method: 'PUT', headers: { origin: ORIGIN }, json: { notifyByEmail: true } });
    expect(response.status).toBe(401);
  });

  it('sends nothing while switched off', async () => {
    const adminEmail = `${unique('off')}@example.com`;
    await insertUser({ isAdmin: true, email: adminEmail });
    await (await adminClient()).put('/user-issues/settings', { notifyByEmail: false });
    await notifyAdminsOfNewIssue(env, { login: 'someone', lost: ['token'] }, `${ORIGIN}/api/portal/x/recovery/submit`, Date.now());
    expect(await mailsTo(adminEmail)).toEqual([]);
  });

  it('when on, emails every administrator with an address about a stored request, never about an unknown login', async () => {
    const adminEmail = `${unique('on')}@example.com`;
    await insertUser({ isAdmin: true, email: adminEmail });
    const plainUserEmail = `${unique('plain')}@example.com`;
    await insertUser({ isAdmin: false, email: plainUserEmail });
    const { admin, alias, user } = await portalWithUser();
    await admin.put('/user-issues/settings', { notifyByEmail: true });

    const ghost = unique('ghost');
    await fileRecoveryRequest(alias, ghost, false);
    await fileRecoveryRequest(alias, user.login);
    // The email goes out after the response (waitUntil): wait for it to land in the outbox.
    await vi.waitFor(async () => expect(await mailsTo(adminEmail)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [mail] = await mailsTo(adminEmail);
    expect(mail!.subject).toBe('New access recovery request');
    expect(mail!.body).toContain(`"${user.login}"`);
    expect(mail!.body).toContain('lost: token');
    expect(mail!.body).toContain(`${ORIGIN}/admin/user-issues`);
    expect((await mailsTo(adminEmail)).some((m) => m.body.includes(ghost))).toBe(false);
    expect(await mailsTo(plainUserEmail)).toEqual([]);
  });
});
