/**
 * The self-service portal end to end inside workerd: enabling it, sign-in (password, email code, OTP), the actions,
 * and restore access with administrator approval.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW } from '../../worker/constants';
import { ALL_ACTIONS, assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { call, insertUser, json, totpAt, unique } from '../helpers/worker';

describe('portal settings', () => {
  it('validates the alias and keeps it unique', async () => {
    const { admin, alias } = await portalWith(['changeName']);
    const other = await admin.post('/resources', { name: unique('R') });
    const taken = await admin.request(`/resources/${other.id}/self-service`, { method: 'PUT', json: { enabled: true, alias: alias.toUpperCase(), actions: [] } });
    expect((await json(taken)).error.code).toBe('ALIAS_TAKEN');
    for (const bad of ['a', 'has space', '-x-', 'admin', 'ümlaut']) {
      const response = await admin.request(`/resources/${other.id}/self-service`, { method: 'PUT', json: { enabled: true, alias: bad, actions: [] } });
      expect((await json(response)).error.code).toBe('VALIDATION_FAILED');
    }
    // The service's own rules name their field with a code, so the admin center says them there in either language.
    const put = async (settings: object) => json(await admin.request(`/resources/${other.id}/self-service`, { method: 'PUT', json: settings }));
    expect(await put({ enabled: true, alias: null, actions: [] })).toMatchObject({ error: { details: { issues: [{ path: 'alias', code: 'REQUIRED' }] } } });
    expect(await put({ enabled: true, alias: unique('a').toLowerCase(), actions: ['changeName', 'changeName'] })).toMatchObject({ error: { details: { issues: [{ path: 'actions', code: 'DUPLICATE_ENTRY' }] } } });
    expect(await put({ enabled: true, alias: unique('a').toLowerCase(), actions: ['registerNewToken'], tokenTypes: [] })).toMatchObject({
      error: { details: { issues: [{ path: 'tokenTypes', code: 'too_small', params: { minimum: 1, origin: 'array' } }] } },
    });
  });

  it('an unknown portal is a 404 page, not an error dump', async () => {
    const page = await call('/selfservice/no-such-portal-here', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    const api = await call('/api/portal/no-such-portal-here/signin', { method: 'POST', json: { login: 'x' } });
    expect((await json(api)).error.code).toBe('PORTAL_NOT_FOUND');
  });
});

describe('portal sign-in and actions', () => {
  it('password sign-in, register a TOTP token, then the next sign-in needs the OTP', async () => {
    const { admin, resource, alias } = await portalWith(['registerNewToken', 'changeName']);
    const user = await assignedUser(admin, resource.id);
    const browser = portalClient(alias);
    expect((await browser.signIn(user.login, 'portal password 1')).body.state).toBe('signed_in');
    const me = await browser.send('GET', '/me');
    expect(me.body.actions).toEqual(['registerNewToken', 'changeName']);

    const enrol = await browser.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'phone' });
    expect(enrol.status).toBe(201);
    const secret = enrol.body.enrolment.secretBase32;
    const confirm = await browser.send('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, otp: await totpAt(secret, Date.now()) });
    expect(confirm.status).toBe(200);

    const next = portalClient(alias);
    const start = await next.send('POST', '/signin', { login: user.login });
    const afterPassword = await next.send('POST', '/signin/password', { flow: start.body.flow, password: 'portal password 1' });
    expect(afterPassword.body).toMatchObject({ state: 'continue', step: 'otp' });
    const wrong = await next.send('POST', '/signin/otp', { flow: start.body.flow, otp: '000000' });
    expect(wrong.body.error.code).toBe('OTP_INVALID');
    const ok = await next.send('POST', '/signin/otp', { flow: start.body.flow, otp: await totpAt(secret, Date.now() + 30_000) });
    expect(ok.body.state).toBe('signed_in');
  });

  it('a user without a password signs in with a code sent by email', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('m')}@example.com`;
    const user = await assignedUser(admin, resource.id, { password: null, email });
    const browser = portalClient(alias);
    const start = await browser.send('POST', '/signin', { login: user.login });
    // The first answer is the same for every login: the password, with the option to get a code instead.
    expect(start.body).toEqual({ state: 'continue', flow: expect.any(String), step: 'password', emailCodeOption: true });
    const requested = await browser.send('POST', '/signin/email-code/request', { flow: start.body.flow });
    expect(requested).toEqual({ status: 200, body: { state: 'continue', flow: start.body.flow, step: 'email_code', emailCodeOption: false } });
    const done = await browser.send('POST', '/signin/email-code', { flow: start.body.flow, code: await lastEmailCode(email) });
    expect(done.body.state).toBe('signed_in');
  });

  it('refuses disabled actions, other portals\' sessions, and requests without a session or CSRF token', async () => {
    const first = await portalWith(['changeName']);
    const second = await portalWith(ALL_ACTIONS);
    const user = await assignedUser(first.admin, first.resource.id);
    await first.admin.put(`/resources/${second.resource.id}/assignments`, { userId: user.id });
    const browser = portalClient(first.alias);
    await browser.signIn(user.login, 'portal password 1');

    expect((await browser.send('PUT', '/login', { login: unique('new') })).body.error.code).toBe('ACTION_DISABLED');
    expect((await browser.send('POST', '/tokens/enrol', { type: 'TOTP' })).body.error.code).toBe('ACTION_DISABLED');
    // The first portal's session does not open the second portal.
    const crossPortal = await call(`/api/portal/${second.alias}/name`, { method: 'PUT', headers: { cookie: browser.cookie, origin: 'https://id.example.test' }, json: { firstName: 'A', lastName: 'B' } });
    expect(crossPortal.status).toBe(401);
    // No session at all.
    expect((await call(`/api/portal/${first.alias}/me`)).status).toBe(401);
    // The portal's page asks whether there is a session before it asks for the overview (no 401 to log).
    const signedIn = async (alias: string, cookie?: string) => (await json(await call(`/api/portal/${alias}`, cookie ? { headers: { cookie } } : {}))).signedIn;
    expect(await signedIn(first.alias, browser.cookie)).toBe(true);
    expect(await signedIn(first.alias)).toBe(false);
    expect(await signedIn(second.alias, browser.cookie)).toBe(false);
    // A session but no CSRF token.
    const noCsrf = await call(`/api/portal/${first.alias}/name`, { method: 'PUT', headers: { cookie: browser.cookie }, json: { firstName: 'A', lastName: 'B' } });
    expect((await json(noCsrf)).error.code).toBe('CSRF_REJECTED');
    expect((await browser.send('PUT', '/name', { firstName: 'Ada', lastName: 'Lovelace' })).status).toBe(204);
  });

  it('a user not assigned to the resource cannot sign in, and looks like an unknown user', async () => {
    const { alias } = await portalWith(['changeName']);
    const stranger = await insertUser({ password: 'portal password 1' });
    const browser = portalClient(alias);
    const start = await browser.send('POST', '/signin', { login: stranger.login });
    const ghostStart = await portalClient(alias).send('POST', '/signin', { login: unique('ghost') });
    expect(start.body.step).toBe(ghostStart.body.step);
    const attempt = await browser.send('POST', '/signin/password', { flow: start.body.flow, password: 'portal password 1' });
    expect(attempt.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('change password needs the current one, refuses weak or equal ones, and ends other sessions', async () => {
    const { admin, resource, alias } = await portalWith(['changePassword']);
    const user = await assignedUser(admin, resource.id);
    const browser = portalClient(alias);
    const other = portalClient(alias);
    await browser.signIn(user.login, 'portal password 1');
    await other.signIn(user.login, 'portal password 1');
    expect((await browser.send('PUT', '/password', { currentPassword: 'wrong one', newPassword: 'a new long password' })).body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await browser.send('PUT', '/password', { currentPassword: 'portal password 1', newPassword: 'short' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await browser.send('PUT', '/password', { currentPassword: 'portal password 1', newPassword: 'portal password 1' })).body.error.code).toBe('SAME_PASSWORD');
    expect((await browser.send('PUT', '/password', { currentPassword: 'portal password 1', newPassword: 'a new long password' })).status).toBe(204);
    expect((await other.send('GET', '/me')).status).toBe(401);
    expect((await browser.send('GET', '/me')).status).toBe(200);
  });

  it('change email is confirmed with a code sent to the new address', async () => {
    const { admin, resource, alias } = await portalWith(['changeEmail']);
    const user = await assignedUser(admin, resource.id);
    const browser = portalClient(alias);
    await browser.signIn(user.login, 'portal password 1');
    expect((await browser.send('POST', '/email', { email: 'not-an-email' })).body.error.code).toBe('VALIDATION_FAILED');
    const newEmail = `${unique('n')}@example.com`;
    const requested = await browser.send('POST', '/email', { email: newEmail });
    expect((await browser.send('POST', '/email/confirm', { challengeId: requested.body.challengeId, code: '000000' })).status).not.toBe(200);
    const confirmed = await browser.send('POST', '/email/confirm', { challengeId: requested.body.challengeId, code: await lastEmailCode(newEmail) });
    expect(confirmed.body).toEqual({ email: newEmail });
    const types = await env.DB.prepare('SELECT type FROM user_activities WHERE user_id = ? AND type LIKE ? ORDER BY at').bind(user.id, 'UserEmail%').all();
    expect(types.results.map((r) => r.type)).toEqual(['UserEmailChangeRequest', 'UserEmailChange']);
  });

  it('a code issued for one flow is refused by another (a phone code cannot confirm an email change)', async () => {
    const { admin, resource, alias } = await portalWith(['changeEmail', 'changePhone']);
    const user = await assignedUser(admin, resource.id);
    const browser = portalClient(alias);
    await browser.signIn(user.login, 'portal password 1');
    const requested = await browser.send('POST', '/phone', { phone: '+49 30 1234567' });
    expect(requested.status).toBe(200);
    const sms = await env.DB.prepare(`SELECT body FROM outbox WHERE recipient = '+49301234567' ORDER BY at DESC LIMIT 1`).first<{ body: string }>();
    const code = /\b(\d{6})\b/.exec(sms!.body)![1]!;
    const crossed = await browser.send('POST', '/email/confirm', { challengeId: requested.body.challengeId, code });
    expect(crossed.status).not.toBe(200);
    expect((await browser.send('GET', '/me')).body.user.email).toBeNull();
    expect((await browser.send('POST', '/phone/confirm', { challengeId: requested.body.challengeId, code })).body).toEqual({ phone: '+49301234567' });
  });

  it('change login warns nothing server-side but refuses a taken login', async () => {
    const { admin, resource, alias } = await portalWith(['changeLogin']);
    const user = await assignedUser(admin, resource.id);
    const other = await insertUser();
    const browser = portalClient(alias);
    await browser.signIn(user.login, 'portal password 1');
    expect((await browser.send('PUT', '/login', { login: other.login.toUpperCase() })).body.error.code).toBe('LOGIN_TAKEN');
    expect((await browser.send('PUT', '/login', { login: unique('renamed') })).status).toBe(204);
  });

  it('records the sign-in environment, scores repeat sign-ins as familiar, and lets the user forget it', async () => {
    const { admin, resource, alias } = await portalWith(['manageEnvironment']);
    const user = await assignedUser(admin, resource.id);
    const first = portalClient(alias);
    await first.signIn(user.login, 'portal password 1');
    await portalClient(alias).signIn(user.login, 'portal password 1');
    const scores = await env.DB.prepare(`SELECT detail FROM user_activities WHERE user_id = ? AND type = 'UserLogin' ORDER BY at, rowid`).bind(user.id).all<{ detail: string }>();
    expect(scores.results.map((r) => JSON.parse(r.detail).environmentScore)).toEqual([null, expect.any(Number)]);
    expect(JSON.parse(scores.results[1]!.detail).environmentScore).toBeGreaterThanOrEqual(90);
    const list = await first.send('GET', '/environments');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].signInCount).toBe(2);
    expect((await first.send('PUT', `/environments/${list.body.items[0].id}`, { name: 'Office laptop' })).status).toBe(204);
    expect((await first.send('DELETE', `/environments/${list.body.items[0].id}`)).status).toBe(204);
  });
});

describe('restore access', () => {
  it('lost token: request, admin approval disables the token but keeps it assigned, user signs in without it', async () => {
    const { admin, resource, alias } = await portalWith(['registerNewToken'], ['TOTP']);
    const user = await assignedUser(admin, resource.id);
    const browser = portalClient(alias);
    await browser.signIn(user.login, 'portal password 1');
    const enrol = await browser.send('POST', '/tokens/enrol', { type: 'TOTP' });
    await browser.send('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, otp: await totpAt(enrol.body.enrolment.secretBase32, Date.now()) });

    const anonymous = portalClient(alias);
    const start = await anonymous.send('POST', '/recovery', { login: user.login, lost: ['token'] });
    expect(start.body).toMatchObject({ verify: ['password', 'email'], needs: { newPassword: false, newEmail: false } });
    expect((await anonymous.send('POST', '/recovery/submit', { flow: start.body.flow, password: 'portal password 1' })).body).toEqual({ submitted: true });

    const issues = await admin.get('/user-issues');
    const issue = issues.items.find((i: { user: { id: string } }) => i.user.id === user.id);
    expect(issue).toMatchObject({ lost: ['token'], authenticators: { password: 'verified', email: 'none', token: 'lost' } });
    expect((await admin.get('/user-issues/count')).open).toBeGreaterThanOrEqual(1);
    expect((await admin.request(`/user-issues/${issue.id}/approve`, { method: 'POST' })).status).toBe(204);
    expect((await admin.request(`/user-issues/${issue.id}/approve`, { method: 'POST' })).status).toBe(404);

    const token = await admin.get(`/tokens/${enrol.body.token.id}`);
    expect(token.enabled).toBe(false);
    const assignments = await admin.get(`/resources/${resource.id}/assignments`);
    expect(assignments.items[0]).toMatchObject({ kind: 'token_with_user', token: { id: enrol.body.token.id } });
    expect((await portalClient(alias).signIn(user.login, 'portal password 1')).body.state).toBe('signed_in');
  });

  it('lost password: the new password given replaces the old after approval', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('r')}@example.com`;
    const user = await assignedUser(admin, resource.id, { email });
    const anonymous = portalClient(alias);
    const start = await anonymous.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    expect(start.body.needs.newPassword).toBe(true);
    await anonymous.send('POST', '/recovery/submit', { flow: start.body.flow, emailCode: await lastEmailCode(email), newPassword: 'brand new password' });
    const issue = (await admin.get('/user-issues')).items.find((i: { user: { id: string } }) => i.user.id === user.id);
    expect(issue.authenticators).toEqual({ password: 'lost', email: 'verified', token: 'none' });
    await admin.request(`/user-issues/${issue.id}/approve`, { method: 'POST' });
    expect((await portalClient(alias).signIn(user.login, 'brand new password')).body.state).toBe('signed_in');
  });

  it('a request is deleted by itself when the user signs in with the old data (defeats fraudulent requests)', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    const attacker = portalClient(alias);
    const start = await attacker.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    // A guessed code: a request without any proof is refused (test/security/restore-access.test.ts).
    // The guess is refused (nothing filed); the attacker sends the request without it, marked failed.
    expect((await attacker.send('POST', '/recovery/submit', { flow: start.body.flow, emailCode: '000000', newPassword: 'attacker password 1' })).status).toBe(401);
    await attacker.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword: 'attacker password 1' });
    const count = async () => (await env.DB.prepare(`SELECT count(*) AS n FROM user_issues WHERE user_id = ? AND state = 'open'`).bind(user.id).first<{ n: number }>())!.n;
    expect(await count()).toBe(1);
    await portalClient(alias).signIn(user.login, 'portal password 1');
    expect(await count()).toBe(0);
  });

  it('answers a password-less user exactly like an unknown login, the resend cooldown included; only the real user gets the code', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const email = `${unique('rq')}@example.com`;
    const passwordless = await assignedUser(admin, resource.id, { password: null, email });
    const ghost = unique('ghost');
    // Date pinned, so the 429's retry-after compares exactly.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const observe = async (login: string) => {
      const answers: unknown[] = [];
      const first = await portalClient(alias).send('POST', '/recovery', { login, lost: ['token'] });
      answers.push({ status: first.status, body: { ...first.body, flow: first.body.flow.length } });
      // Within the resend cooldown: no second email code, known or not (it used to be refused only for real
      // addresses); the password and the code sent a moment ago are asked for, so the user can still prove.
      const again = await portalClient(alias).send('POST', '/recovery', { login, lost: ['token'] });
      answers.push({ status: again.status, body: { ...again.body, flow: again.body.flow.length } });
      answers.push(await portalClient(alias).send('POST', '/recovery/submit', { flow: first.body.flow, password: 'x', emailCode: '123456' }));
      // Refused at the password (the same for both); sent as it is, the request is filed with what was tried.
      answers.push(await portalClient(alias).send('POST', '/recovery/submit', { flow: first.body.flow }));
      return answers;
    };
    const real = await observe(passwordless.login);
    expect(real[0]).toEqual({ status: 200, body: { flow: 32, verify: ['password', 'email'], needs: { newPassword: false, newEmail: false } } });
    expect(real[1]).toEqual({ status: 200, body: { flow: 32, verify: ['password', 'email'], needs: { newPassword: false, newEmail: false }, emailCooldownMs: expect.any(Number) } });
    expect((real[1] as { body: { emailCooldownMs: number } }).body.emailCooldownMs).toBeGreaterThan(0);
    expect(real[2]).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'password', attemptsLeft: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW - 1 } } } });
    expect(real[3]).toEqual({ status: 200, body: { submitted: true } });
    expect(await observe(ghost)).toEqual(real);
    // The real user's code did go out (after the answer), and the request with the wrong code is marked failed.
    expect(await lastEmailCode(email)).toMatch(/^\d{6}$/);
    const issue = (await admin.get('/user-issues')).items.find((i: { user: { id: string } }) => i.user.id === passwordless.id);
    expect(issue.authenticators).toEqual({ password: 'none', email: 'failed', token: 'lost' });
  });

  it('answers the same for unknown logins and stores nothing for them', async () => {
    const { alias } = await portalWith(['changeName']);
    const before = (await env.DB.prepare('SELECT count(*) AS n FROM user_issues').first<{ n: number }>())!.n;
    const ghost = portalClient(alias);
    const start = await ghost.send('POST', '/recovery', { login: unique('ghost'), lost: ['token'] });
    expect(start.body).toMatchObject({ verify: ['password', 'email'] });
    expect((await ghost.send('POST', '/recovery/submit', { flow: start.body.flow, password: 'x' })).body.error.code).toBe('RECOVERY_PROOF_INVALID');
    expect((await ghost.send('POST', '/recovery/submit', { flow: start.body.flow })).body).toEqual({ submitted: true });
    expect((await env.DB.prepare('SELECT count(*) AS n FROM user_issues').first<{ n: number }>())!.n).toBe(before);
  });
});
