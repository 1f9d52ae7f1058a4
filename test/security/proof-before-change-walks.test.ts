/**
 * Proof before change, walked from the portal into /login.
 *
 * The attack: Bob's /login asks the OTP of his authenticator app (a TOTP token of his own); he also has an EMAIL
 * token, which the VPN's verification accepts. The attacker has Bob's password and reads his mailbox. At the VPN
 * portal they sign in with the password and the code mailed to the EMAIL token, register an app token of their own
 * (it becomes Bob's, and so one of the tokens /login asks for) and from then on pass /login's second factor: the
 * mailbox has replaced the app. /profile already refuses to take an emailed code when /login asks an app's OTP; the
 * portal must not be the way around it.
 *
 * Now a token the portal adds must be proven with at least what /login asks: the OTP of an app token (one the
 * resource accepts, else the one /login asks), and a sign-in with a mailed code counts as no such proof.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SESSION_COOKIE } from '../../worker/constants';
import { csrfTokenFor, mintSessionToken, sessionStatement } from '../../worker/auth/sessions';
import { createMessageToken } from '../../worker/tokens/service';
import { ALL_ACTIONS, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { call, insertUser, json, ORIGIN, randomSeedBase32, totpAt, unique } from '../helpers/worker';

const T0 = Date.UTC(2026, 6, 1, 9, 0, 10);
const PASSWORD = 'bob password 1';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

async function bobWithAppAndMailbox(vpnAssignment: 'user' | 'email_token_with_user') {
  const portal = await portalWith(ALL_ACTIONS, ['TOTP', 'HOTP', 'SMS', 'EMAIL']);
  const bob = await insertUser({ password: PASSWORD });
  const seed = randomSeedBase32();
  await portal.admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('APP-'), seed, seedEncoding: 'base32', ownerUserId: bob.id });
  const mailbox = `${unique('bob')}@example.com`;
  const emailToken = await portal.admin.post<{ id: string }>('/tokens/message', { type: 'EMAIL', destination: mailbox, ownerUserId: bob.id });
  await portal.admin.put(`/resources/${portal.resource.id}/assignments`, vpnAssignment === 'user' ? { userId: bob.id } : { userId: bob.id, tokenId: emailToken.id });
  return { ...portal, bob, seed, mailbox, emailToken };
}

/** /login with the password and the given OTP: whether it signs in. */
async function loginWith(login: string, otp: string) {
  const first = await json(call('/api/auth/login', { method: 'POST', json: { login, password: PASSWORD } }));
  expect(first.state).toBe('second_factor');
  return json(call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp } }));
}

describe.each([
  ['a plain "user" assignment (his app and EMAIL token both accepted there)', 'user'],
  ['his EMAIL token assigned "with" him there', 'email_token_with_user'],
] as const)('portal sign-in with the mailed code, VPN with %s', (_label, vpnAssignment) => {
  it('does not let the attacker register an app token that /login would then take', async () => {
    const { alias, bob, seed, mailbox } = await bobWithAppAndMailbox(vpnAssignment);
    const attacker = portalClient(alias);
    const started = await attacker.signIn(bob.login, PASSWORD);
    expect(started.body.step).toBe('otp');
    // With both tokens accepted the code is sent on request; with only the EMAIL token it went out by itself.
    if (vpnAssignment === 'user') expect((await attacker.send('POST', '/signin/otp/send', { flow: started.body.flow })).status).toBe(200);
    const signedIn = await attacker.send('POST', '/signin/otp', { flow: started.body.flow, otp: await lastEmailCode(mailbox) });
    expect(signedIn.body.state).toBe('signed_in'); // the VPN's verification accepts the EMAIL token: so does its portal

    const enrol = await attacker.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'attacker phone' });
    expect(enrol.status).toBe(403);
    expect(enrol.body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: true, codeTargets: [] } });
    expect(enrol.body.enrolment).toBeUndefined();
    // A step-up with another mailed code is not offered either.
    const { id: emailTokenId } = (await env.DB.prepare(`SELECT id FROM tokens WHERE owner_user_id = ? AND type = 'EMAIL'`).bind(bob.id).first<{ id: string }>())!;
    expect((await attacker.send('POST', '/step-up/code', { factorId: emailTokenId })).body.error.code).toBe('VALIDATION_FAILED');

    // Bob himself proves his app's OTP and registers a token as before.
    expect((await attacker.send('POST', '/step-up', { otp: await totpAt(seed, Date.now()) })).status).toBe(204);
    const own = await attacker.send('POST', '/tokens/enrol', { type: 'TOTP' });
    expect(own.status).toBe(201);
    vi.setSystemTime(Date.now() + 30_000);
    expect((await attacker.send('POST', '/tokens/confirm', { tokenId: own.body.token.id, otp: await totpAt(own.body.enrolment.secretBase32, Date.now()) })).status).toBe(200);
    vi.setSystemTime(Date.now() + 30_000);
    expect((await loginWith(bob.login, await totpAt(own.body.enrolment.secretBase32, Date.now()))).state).toBe('signed_in');
  });
});

describe('portal: the enrolment\'s "send a new code"', () => {
  /**
   * The attack: a session without a fresh proof (the password alone, or a session left open) has codes sent to a
   * pending SMS/EMAIL token's destination, as often as the limits allow: sending costs and reaches the victim, and
   * the confirmation it leads to is refused anyway. Now it is refused like the enrolment itself, before anything is sent.
   */
  it('needs the fresh proof like the enrolment, and sends nothing without it', async () => {
    const { alias, resource, bob } = await bobWithAppAndMailbox('user');
    const pendingAddress = `${unique('pending')}@example.com`;
    const pending = await createMessageToken(env, { type: 'EMAIL', destination: pendingAddress, ownerUserId: bob.id, activated: false }, Date.now());
    const { token, sessionId } = await mintSessionToken();
    await sessionStatement(env.DB, sessionId, { userId: bob.id, kind: 'portal', resourceId: resource.id, method: 'password', nowMs: Date.now() }).run();
    const headers = { origin: ORIGIN, cookie: `${SESSION_COOKIE.replace('session', 'portal')}=${token}`, 'x-csrf-token': await csrfTokenFor(env.SESSION_KEY, sessionId) };
    const outbox = () => env.DB.prepare('SELECT COUNT(*) AS n FROM outbox WHERE recipient = ?').bind(pendingAddress).first<{ n: number }>();
    const before = await outbox();

    const resent = await json(call(`/api/portal/${alias}/tokens/enrol/resend`, { method: 'POST', headers, json: { tokenId: pending.id } }));
    expect(resent.error?.code).toBe('STEP_UP_REQUIRED');
    expect(await outbox()).toEqual(before);
  });
});
