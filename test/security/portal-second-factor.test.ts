/**
 * Threat: signing in to a portal with less than its resource asks for.
 *
 * A user assigned to a resource as a plain "user" who owns an active token passes /api/v1/verify for that resource
 * only with the token. The portal used to ask for the OTP only with a "token with user" assignment, so the password
 * alone opened the portal, where a new token could be registered: the password became the whole key. The portal now
 * asks for the OTP of any token this resource's verification accepts, whatever the assignment kind; the concurrent
 * attack over HTTP is in test/security/http/login-attempts.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { providerScenario, twilioAndOutboxSettings } from '../helpers/messaging';
import { assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { randomSeedBase32, totpAt, unique } from '../helpers/worker';

const PASSWORD = 'portal password 1';

beforeAll(async () => {
  const { admin } = await portalWith(['changeName']);
  expect((await admin.request('/messaging/settings', { method: 'PUT', json: twilioAndOutboxSettings(providerScenario().baseUrl) })).status).toBe(200);
});

let ipCounter = 0;
async function passwordStep(alias: string, login: string) {
  const browser = portalClient(alias, { ip: `198.51.100.${++ipCounter % 250}` });
  const start = await browser.send('POST', '/signin', { login });
  const answer = await browser.send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD });
  return {
    answer,
    otp: (otp: string) => browser.send('POST', '/signin/otp', { flow: start.body.flow, otp }),
    resend: () => browser.send('POST', '/signin/otp/send', { flow: start.body.flow }),
    me: () => browser.send('GET', '/me'),
  };
}

describe('portal sign-in with a plain "user" assignment', () => {
  it('an owned app token: the password alone gets the OTP step, and the OTP signs in', async () => {
    // Attack: Bob's password alone, at the portal of a resource whose verification takes his token.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const bob = await assignedUser(admin, resource.id);
    const seed = randomSeedBase32();
    await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('BOB-'), seed, seedEncoding: 'base32', ownerUserId: bob.id });

    const step = await passwordStep(alias, bob.login);
    expect(step.answer.body).toEqual({ state: 'continue', flow: expect.any(String), step: 'otp', emailCodeOption: false });
    expect((await step.me()).status).toBe(401);
    expect((await step.otp(await totpAt(seed, Date.now()))).body.state).toBe('signed_in');
  });

  it('only an owned EMAIL token: its code is sent at once and signs in; with an app token too, a code comes only on request', async () => {
    // Attack: the same, for a user whose tokens receive their codes instead of showing them.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    const address = `${unique('tok')}@example.com`;
    await admin.post('/tokens/message', { type: 'EMAIL', destination: address, ownerUserId: user.id });

    const step = await passwordStep(alias, user.login);
    expect(step.answer.body).toMatchObject({ state: 'continue', step: 'otp', delivery: { channel: 'email' } });
    expect((await step.otp(await lastEmailCode(address))).body.state).toBe('signed_in');


    const withApp = await assignedUser(admin, resource.id);
    const appAddress = `${unique('tok')}@example.com`;
    await admin.post('/tokens/message', { type: 'EMAIL', destination: appAddress, ownerUserId: withApp.id });
    await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('APP-'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: withApp.id });
    const both = await passwordStep(alias, withApp.login);
    expect(both.answer.body).toEqual({ state: 'continue', flow: expect.any(String), step: 'otp', emailCodeOption: false });
    expect((await both.resend()).body).toMatchObject({ step: 'otp', delivery: { channel: 'email' } });
    expect((await both.otp(await lastEmailCode(appAddress))).body.state).toBe('signed_in');
  });

  it('a disabled token, or one owned by someone else, asks for nothing more than the password', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    const other = await assignedUser(admin, resource.id);
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('OFF-'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: user.id });
    await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('OTHER-'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: other.id });
    expect((await admin.request(`/tokens/${token.id}`, { method: 'PATCH', json: { enabled: false } })).status).toBe(200);
    expect((await passwordStep(alias, user.login)).answer.body.state).toBe('signed_in');
  });
});
