/**
 * Restore access with an SMS or EMAIL token left: the user cannot read a code off such a token, so the flow sends
 * one to the token's destination (after the response, under the same per-login and per-IP limits for every login)
 * and the code typed into the OTP field is the token's evidence in the user issue: right -> verified, wrong -> failed.
 *
 * The threat next to the feature is enumeration: the answers to a login with an SMS token, one with an app token
 * and an unknown login must be identical, the resend cooldown's 429 included, and only the real token gets a code.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW } from '../../worker/constants';
import { freshPhone, providerScenario, smsTextsTo, twilioAndOutboxSettings } from '../helpers/messaging';
import { assignedUser, lastEmailCode, portalClient, portalWith, type AdminClient } from '../helpers/portal';
import { unique } from '../helpers/worker';

const PASSWORD = 'portal password 1';
let sms: ReturnType<typeof providerScenario>;

beforeAll(async () => {
  sms = providerScenario();
  const admin = (await portalWith(['changeName'])).admin;
  const saved = await admin.request('/messaging/settings', {
    method: 'PUT',
    json: twilioAndOutboxSettings(sms.baseUrl),
  });
  expect(saved.status).toBe(200);
});
afterEach(() => vi.useRealTimers());

let ipCounter = 0;
const browserFor = (alias: string) => portalClient(alias, { ip: `198.51.100.${++ipCounter % 250}` });

const smsTo = (phone: string, count = 1) => smsTextsTo(sms, phone, count);
const smsCount = async (phone: string) => (await sms.requests()).filter((request) => new URLSearchParams(request.body).get('To') === phone).length;
const lastSmsCode = async (phone: string, count: number) => /\b(\d{6})\b/.exec((await smsTo(phone, count)).at(-1)!)![1]!;
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** A user of the portal whose token on its resource is an SMS or EMAIL token created by the admin API. */
async function userWithMessageToken(admin: AdminClient, resourceId: string, type: 'SMS' | 'EMAIL', destination: string, extra: { pin?: string } = {}) {
  const user = await assignedUser(admin, resourceId);
  const token = await admin.post('/tokens/message', { type, destination, ownerUserId: user.id, ...extra });
  await admin.put(`/resources/${resourceId}/assignments`, { userId: user.id, tokenId: token.id });
  return { user, token };
}

const issueOf = async (admin: AdminClient, userId: string) =>
  (await admin.get('/user-issues')).items.find((issue: { user: { id: string } }) => issue.user.id === userId);

describe('restore access with an SMS or EMAIL token', () => {
  it('an SMS token: the code sent to its number verifies it (green)', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const phone = freshPhone();
    const { user, token } = await userWithMessageToken(admin, resource.id, 'SMS', phone);

    const browser = browserFor(alias);
    const start = await browser.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    expect(start.body).toEqual({ flow: expect.any(String), verify: ['email', 'token'], needs: { newPassword: true, newEmail: false } });
    const code = await lastSmsCode(phone, 1);
    const submitted = await browser.send('POST', '/recovery/submit', { flow: start.body.flow, otp: code, newPassword: 'a brand new password' });
    expect(submitted).toEqual({ status: 200, body: { submitted: true } });
    expect((await issueOf(admin, user.id)).authenticators).toEqual({ password: 'lost', email: 'none', token: 'verified' });
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(0);
  });

  it('an EMAIL token with a PIN: code + PIN verifies; a wrong code is red but not counted against the token (anyone can file one)', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const address = `${unique('tok')}@example.com`;
    const { user, token } = await userWithMessageToken(admin, resource.id, 'EMAIL', address, { pin: '4711' });

    const right = browserFor(alias);
    const start = await right.send('POST', '/recovery', { login: user.login, lost: ['email'] });
    expect(start.body.verify).toEqual(['password', 'token']);
    const code = await lastEmailCode(address);
    await right.send('POST', '/recovery/submit', { flow: start.body.flow, password: PASSWORD, otp: `${code}4711`, newEmail: `${unique('new')}@example.com` });
    expect((await issueOf(admin, user.id)).authenticators).toEqual({ password: 'verified', email: 'lost', token: 'verified' });
    await admin.request(`/user-issues/${(await issueOf(admin, user.id)).id}`, { method: 'DELETE' });

    // A second user (the first one is still in the cooldown) types a wrong code.
    const secondAddress = `${unique('tok')}@example.com`;
    const second = await userWithMessageToken(admin, resource.id, 'EMAIL', secondAddress, { pin: '4711' });
    const wrong = browserFor(alias);
    const again = await wrong.send('POST', '/recovery', { login: second.user.login, lost: ['email'] });
    const sent = await lastEmailCode(secondAddress);
    const newEmail = `${unique('new')}@example.com`;
    const refused = await wrong.send('POST', '/recovery/submit', { flow: again.body.flow, password: PASSWORD, otp: `${otherCode(sent)}4711`, newEmail });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'token' } } } });
    expect(await issueOf(admin, second.user.id)).toBeUndefined();
    // Sent as it is, the request keeps the password verified in the refused submission and marks the token failed.
    await wrong.send('POST', '/recovery/submit', { flow: again.body.flow, newEmail });
    expect((await issueOf(admin, second.user.id)).authenticators).toEqual({ password: 'verified', email: 'lost', token: 'failed' });
    expect((await admin.get(`/tokens/${second.token.id}`)).failCount).toBe(0);
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(0);
  });

  it('a pending sign-in code is no evidence for restore access, and the recovery code does not void it', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const phone = freshPhone();
    const { user } = await userWithMessageToken(admin, resource.id, 'SMS', phone);
    // The real user is at the sign-in OTP step: a sign-in code went to the phone.
    const signIn = browserFor(alias);
    const signInStart = await signIn.send('POST', '/signin', { login: user.login });
    expect((await signIn.send('POST', '/signin/password', { flow: signInStart.body.flow, password: PASSWORD })).body).toMatchObject({ step: 'otp' });
    const signInCode = await lastSmsCode(phone, 1);

    const recovery = browserFor(alias);
    const start = await recovery.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    await smsTo(phone, 2);
    const refused = await recovery.send('POST', '/recovery/submit', { flow: start.body.flow, otp: signInCode, newPassword: 'a brand new password' });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'token' } } } });
    expect(await issueOf(admin, user.id)).toBeUndefined();
    // The sign-in code still signs in.
    expect((await signIn.send('POST', '/signin/otp', { flow: signInStart.body.flow, otp: signInCode })).body.state).toBe('signed_in');
  });

  it('answers a login with an SMS token exactly like one with an app token and an unknown login, the cooldown included', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const phone = freshPhone();
    const { user: smsUser } = await userWithMessageToken(admin, resource.id, 'SMS', phone);
    const appUser = await assignedUser(admin, resource.id);
    const appToken = await admin.post('/tokens/software', { type: 'TOTP', ownerUserId: appUser.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: appUser.id, tokenId: appToken.token.id });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const observe = async (login: string) => {
      const answers: unknown[] = [];
      const first = await browserFor(alias).send('POST', '/recovery', { login, lost: ['password'] });
      answers.push({ status: first.status, body: { ...first.body, flow: first.body.flow.length } });
      // Within the cooldowns no code goes out; the codes sent a moment ago still prove (and an app's OTP needs none).
      const again = await browserFor(alias).send('POST', '/recovery', { login, lost: ['password'] });
      answers.push({ status: again.status, body: { ...again.body, flow: again.body.flow.length } });
      answers.push(await browserFor(alias).send('POST', '/recovery/submit', { flow: first.body.flow, otp: '123456', newPassword: 'a brand new password' }));
      return answers;
    };
    const real = await observe(smsUser.login);
    expect(real[0]).toEqual({ status: 200, body: { flow: 32, verify: ['email', 'token'], needs: { newPassword: true, newEmail: false } } });
    expect(real[1]).toEqual({ status: 200, body: { flow: 32, verify: ['email', 'token'], needs: { newPassword: true, newEmail: false }, emailCooldownMs: expect.any(Number) } });
    expect(real[2]).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'token', attemptsLeft: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW - 1 } } } });
    expect(await observe(appUser.login)).toEqual(real);
    expect(await observe(unique('ghost'))).toEqual(real);
    // Only the SMS token got a code, once (the second start, within the cooldown, sent nothing).
    await smsTo(phone, 1);
    expect(await smsCount(phone)).toBe(1);
  });
});
