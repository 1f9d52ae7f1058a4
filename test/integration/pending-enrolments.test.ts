/**
 * Enrolments that are never activated: a reload of the portal's Register New Token replaces the user's pending
 * enrolment for that resource (one batch) instead of adding another each time, and the hourly cron removes every
 * enrolment older than PENDING_ENROLMENT_TTL_MS. Activated tokens, and pending ones of other resources or made by
 * an administrator, are never touched by a reload; the cron leaves younger ones alone. Real local D1 in workerd.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { PENDING_ENROLMENT_TTL_MS } from '../../worker/constants';
import { runScheduledPurge } from '../../worker/maintenance/purge';
import { freshPhone, providerScenario, twilioAndOutboxSettings } from '../helpers/messaging';
import { assignedUser, portalClient, portalWith } from '../helpers/portal';
import { totpAt, unique } from '../helpers/worker';

const PASSWORD = 'portal password 1';

beforeAll(async () => {
  // SMS enrolments send their code through the impersonated Twilio.
  const admin = (await portalWith(['registerNewToken'])).admin;
  expect((await admin.request('/messaging/settings', { method: 'PUT', json: twilioAndOutboxSettings(providerScenario().baseUrl) })).status).toBe(200);
});

const tokenIds = async (userId: string) =>
  (await env.DB.prepare('SELECT id, activated FROM tokens WHERE owner_user_id = ? ORDER BY created_at').bind(userId).all<{ id: string; activated: number }>()).results;

async function signedIn(actions = ['registerNewToken'], tokenTypes = ['TOTP', 'HOTP']) {
  const portal = await portalWith(actions, tokenTypes);
  const user = await assignedUser(portal.admin, portal.resource.id);
  const browser = portalClient(portal.alias, { ip: `203.0.113.${Math.floor(Math.random() * 250) + 1}` });
  expect((await browser.signIn(user.login, PASSWORD)).body.state).toBe('signed_in');
  return { ...portal, user, browser };
}

describe('Register New Token, reloaded', () => {
  it('each new start replaces the previous pending enrolment for this resource: one pending token, the newest, which confirms', async () => {
    const { browser, user } = await signedIn();
    const starts = [];
    for (let i = 0; i < 4; i++) starts.push(await browser.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'phone' }));
    expect(starts.every((start) => start.status === 201)).toBe(true);
    const last = starts.at(-1)!.body;
    expect(await tokenIds(user.id)).toEqual([{ id: last.token.id, activated: 0 }]);
    // An earlier QR code is gone with its token: confirming it answers as for an unknown token.
    const stale = await browser.send('POST', '/tokens/confirm', { tokenId: starts[0]!.body.token.id, otp: await totpAt(starts[0]!.body.enrolment.secretBase32, Date.now()) });
    expect(stale.body.error.code).toBe('TOKEN_NOT_FOUND');
    const confirmed = await browser.send('POST', '/tokens/confirm', { tokenId: last.token.id, otp: await totpAt(last.enrolment.secretBase32, Date.now()) });
    expect(confirmed.status).toBe(200);
    expect(await tokenIds(user.id)).toEqual([{ id: last.token.id, activated: 1 }]);
  });

  it('an SMS enrolment started again (another number) replaces the pending one once its code is sent; a refused send keeps it', async () => {
    const { browser, user } = await signedIn(['registerNewToken'], ['SMS']);
    const first = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: freshPhone() });
    expect(first.status).toBe(201);
    const secondPhone = freshPhone();
    const second = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: secondPhone });
    expect(second.status).toBe(201);
    expect(await tokenIds(user.id)).toEqual([{ id: second.body.token.id, activated: 0 }]);
    // The same number again within its resend cooldown: refused, and the pending enrolment stays as it was.
    const refused = await browser.send('POST', '/tokens/enrol', { type: 'SMS', destination: secondPhone });
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(await tokenIds(user.id)).toEqual([{ id: second.body.token.id, activated: 0 }]);
  });

  it('leaves the user\'s activated tokens, their pending enrolment at another resource and a pending token an administrator made', async () => {
    const first = await signedIn();
    const { browser, user, admin } = first;
    // The same user at a second portal starts an enrolment there (signed in by password while they have no token).
    const other = await portalWith(['registerNewToken']);
    await other.admin.put(`/resources/${other.resource.id}/assignments`, { userId: user.id });
    const otherBrowser = portalClient(other.alias, { ip: '203.0.113.251' });
    expect((await otherBrowser.signIn(user.login, PASSWORD)).body.state).toBe('signed_in');
    const elsewhere = (await otherBrowser.send('POST', '/tokens/enrol', { type: 'TOTP' })).body;

    const activated = (await browser.send('POST', '/tokens/enrol', { type: 'TOTP' })).body;
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: activated.token.id, otp: await totpAt(activated.enrolment.secretBase32, Date.now()) })).status).toBe(200);
    const byAdmin = await admin.post('/tokens/software', { type: 'TOTP', algorithm: 'SHA1', digits: 6, periodSeconds: 30, ownerUserId: user.id });

    const newest = (await browser.send('POST', '/tokens/enrol', { type: 'HOTP' })).body;
    const again = (await browser.send('POST', '/tokens/enrol', { type: 'TOTP' })).body;
    const ids = (await tokenIds(user.id)).map((row) => row.id);
    expect(ids).toEqual(expect.arrayContaining([activated.token.id, byAdmin.token.id, elsewhere.token.id, again.token.id]));
    expect(ids).not.toContain(newest.token.id);
    expect(ids).toHaveLength(4);
  });
});

describe('the cron removes enrolments never activated', () => {
  it(`past ${PENDING_ENROLMENT_TTL_MS / 86_400_000} days: pending tokens go (an assignment naming one falls back to "user"); activated and younger ones stay`, async () => {
    const { admin, resource, browser, user } = await signedIn();
    const portalPending = (await browser.send('POST', '/tokens/enrol', { type: 'TOTP' })).body.token.id as string;
    const adminPending = (await admin.post('/tokens/software', { type: 'TOTP', algorithm: 'SHA1', digits: 6, periodSeconds: 30, ownerUserId: user.id })).token.id as string;
    const activeToken = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed: 'JBSWY3DPEHPK3PXP', seedEncoding: 'base32', ownerUserId: user.id });
    // An administrator assigned the pending token meanwhile: the CHECK forbids a dangling "token with user".
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: adminPending });

    const made = Date.now();
    await runScheduledPurge(env, made + PENDING_ENROLMENT_TTL_MS - 60_000);
    expect((await tokenIds(user.id)).map((row) => row.id).sort()).toEqual([portalPending, adminPending, activeToken.id].sort());

    await runScheduledPurge(env, made + PENDING_ENROLMENT_TTL_MS + 60_000);
    expect(await tokenIds(user.id)).toEqual([{ id: activeToken.id, activated: 1 }]);
    const assignment = await env.DB.prepare('SELECT kind, token_id FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resource.id, user.id).first();
    expect(assignment).toEqual({ kind: 'user', token_id: null });
  });
});
