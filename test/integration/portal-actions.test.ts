/**
 * The portal's token and profile actions inside workerd against the real local D1: Register Existing Token,
 * Reassign Token, Synchronize Token, PIN setup and removal, Create Password, Change Phone Number (through
 * a real Twilio-shaped HTTP call to the provider impersonation server) and Change First/Last Name. Each action: its
 * effect in D1 and through the API, its refusals (clear error code, nothing changed), and its refusal when the
 * administrator has not enabled it.
 *
 * The clock is pinned (Date only) so TOTP steps are predictable; successful codes are spent, so each next sign-in
 * moves the clock on by one step.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { TWILIO_SID, freshPhone, providerScenario, twilioAndOutboxSettings } from '../helpers/messaging';
import { assignedUser, lastEmailCode, portalClient, portalWith, type AdminClient } from '../helpers/portal';
import { call, freezeDateAt, hotpAt, insertUser, json, randomSeedBase32, totpAt, unique, VERIFY_T0 } from '../helpers/worker';

freezeDateAt(VERIFY_T0);
const STEP_MS = 30_000;
const PASSWORD = 'portal password 1';


const nextStep = () => vi.setSystemTime(Date.now() + STEP_MS);

// Every client gets its own address, so the per-IP sign-in and message limits of one test never touch another.
let ipCounter = 0;
const browserFor = (alias: string) => portalClient(alias, { ip: `198.51.100.${++ipCounter % 250}` });

async function hardwareToken(admin: AdminClient, options: { type?: 'TOTP' | 'HOTP'; ownerUserId?: string | null } = {}) {
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type: options.type ?? 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId: options.ownerUserId ?? null });
  return { token: token as { id: string; serial: string }, seed };
}

/** A hardware token owned by the user and assigned to the resource "with" them, as the admin would set it up. */
async function assignedHardwareToken(admin: AdminClient, resourceId: string, userId: string, type: 'TOTP' | 'HOTP' = 'TOTP') {
  const hardware = await hardwareToken(admin, { type, ownerUserId: userId });
  await admin.put(`/resources/${resourceId}/assignments`, { userId, tokenId: hardware.token.id });
  return hardware;
}

const tokenRow = (id: string) =>
  env.DB.prepare('SELECT owner_user_id, enabled, activated, pin_hash, pin_position, counter, last_used_step, drift_steps, fail_count, locked_until FROM tokens WHERE id = ?')
    .bind(id)
    .first<{ owner_user_id: string | null; enabled: number; activated: number; pin_hash: string | null; pin_position: string; counter: number; last_used_step: number; drift_steps: number; fail_count: number; locked_until: number | null }>();

const assignmentRow = (resourceId: string, userId: string) =>
  env.DB.prepare('SELECT kind, token_id FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resourceId, userId).first<{ kind: string; token_id: string | null }>();

const userRow = (id: string) =>
  env.DB.prepare('SELECT login, first_name, last_name, email, phone, password_hash, updated_at FROM users WHERE id = ?').bind(id).first<Record<string, unknown>>();

/** Signs in with the password and answers the OTP step with `otp` (the step must be asked for). */
async function signInWithOtp(alias: string, login: string, otp: string) {
  const browser = browserFor(alias);
  const start = await browser.send('POST', '/signin', { login });
  const afterPassword = await browser.send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD });
  expect(afterPassword.body).toMatchObject({ state: 'continue', step: 'otp' });
  return { browser, answer: await browser.send('POST', '/signin/otp', { flow: start.body.flow, otp }) };
}

/** A fresh sign-in flow at the OTP step, to try several codes against (up to the flow's attempts). */
async function otpStep(alias: string, login: string) {
  const browser = browserFor(alias);
  const start = await browser.send('POST', '/signin', { login });
  const afterPassword = await browser.send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD });
  expect(afterPassword.body).toMatchObject({ state: 'continue', step: 'otp' });
  return (otp: string) => browser.send('POST', '/signin/otp', { flow: start.body.flow, otp });
}

async function signedInUser(actions: string[]) {
  const portal = await portalWith(actions);
  const user = await assignedUser(portal.admin, portal.resource.id);
  const browser = browserFor(portal.alias);
  expect((await browser.signIn(user.login, PASSWORD)).body.state).toBe('signed_in');
  return { ...portal, user, browser };
}

describe('Register Existing Token', () => {
  it('an unowned hardware token becomes the user\'s "token with user" here only with a valid OTP from it', async () => {
    const { admin, resource, alias, user, browser } = await signedInUser(['registerExistingToken']);
    const { token, seed } = await hardwareToken(admin);

    const wrong = await browser.send('POST', '/tokens/claim', { serial: token.serial, otp: '000000' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'OTP_INVALID' } } });
    expect((await tokenRow(token.id))!.owner_user_id).toBeNull();
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'user', token_id: null });

    // The serial is matched case-insensitively, as people type it from the back of the device.
    const claimed = await browser.send('POST', '/tokens/claim', { serial: token.serial.toLowerCase(), otp: await totpAt(seed, Date.now()) });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ id: token.id, serial: token.serial });
    expect((await tokenRow(token.id))!.owner_user_id).toBe(user.id);
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: token.id });
    expect((await browser.send('GET', '/me')).body.token).toMatchObject({ id: token.id, serial: token.serial });

    // From now on the portal asks for this token's OTP.
    nextStep();
    expect((await signInWithOtp(alias, user.login, '000000')).answer.body.error.code).toBe('OTP_INVALID');
    expect((await signInWithOtp(alias, user.login, await totpAt(seed, Date.now()))).answer.body.state).toBe('signed_in');
  });

  it('an HOTP token from the admin\'s CSV import is claimed the same way', async () => {
    const { admin, resource, alias, user, browser } = await signedInUser(['registerExistingToken']);
    const serial = unique('CSV-');
    const seed = randomSeedBase32();
    const imported = await admin.request('/tokens/import/csv', { method: 'POST', json: { csv: `serial,seed,type,counter\n${serial},${seed},hotp,5\n` } });
    expect((await json(imported)).imported).toBe(1);
    const id = (await env.DB.prepare('SELECT id FROM tokens WHERE serial = ?').bind(serial).first<{ id: string }>())!.id;

    expect((await browser.send('POST', '/tokens/claim', { serial, otp: await hotpAt(seed, 4) })).body.error.code).toBe('OTP_INVALID');
    expect((await tokenRow(id))!.owner_user_id).toBeNull();
    expect((await browser.send('POST', '/tokens/claim', { serial, otp: await hotpAt(seed, 5) })).status).toBe(200);
    expect(await tokenRow(id)).toMatchObject({ owner_user_id: user.id, counter: 6 });
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: id });
    expect((await signInWithOtp(alias, user.login, await hotpAt(seed, 6))).answer.body.state).toBe('signed_in');
  });

  it('refuses somebody else\'s token (even with its valid OTP), an unknown serial and a wrong OTP with one identical answer', async () => {
    const { admin, resource, user, browser } = await signedInUser(['registerExistingToken']);
    const other = await insertUser();
    const theirs = await hardwareToken(admin, { ownerUserId: other.id });
    const unowned = await hardwareToken(admin);
    const disabled = await hardwareToken(admin);
    await admin.request(`/tokens/${disabled.token.id}`, { method: 'PATCH', json: { enabled: false } });
    const theirsBefore = await tokenRow(theirs.token.id);

    const answers = [
      await browser.send('POST', '/tokens/claim', { serial: theirs.token.serial, otp: await totpAt(theirs.seed, Date.now()) }),
      await browser.send('POST', '/tokens/claim', { serial: unique('NO-SUCH-'), otp: '123456' }),
      await browser.send('POST', '/tokens/claim', { serial: unowned.token.serial, otp: '123456' === (await totpAt(unowned.seed, Date.now())) ? '654321' : '123456' }),
      await browser.send('POST', '/tokens/claim', { serial: disabled.token.serial, otp: await totpAt(disabled.seed, Date.now()) }),
    ];
    for (const answer of answers) {
      expect(answer).toEqual({ status: 401, body: { error: { code: 'OTP_INVALID', message: 'The serial or the one-time password is wrong.' } } });
    }
    expect(await tokenRow(theirs.token.id)).toEqual(theirsBefore); // not even a fail count: its code was never tried
    expect((await tokenRow(unowned.token.id))!.owner_user_id).toBeNull();
    expect((await tokenRow(disabled.token.id))!.owner_user_id).toBeNull();
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'user', token_id: null });
    expect((await browser.send('POST', '/tokens/claim', { serial: '', otp: '123456' })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('locking an unowned token by guessing does not tell its serial apart from an unknown one', async () => {
    const { admin, browser } = await signedInUser(['registerExistingToken']);
    const unowned = await hardwareToken(admin);
    const right = await totpAt(unowned.seed, Date.now());
    const guess = (i: number) => {
      const code = String(i).padStart(6, '0');
      return code === right ? '999999' : code;
    };
    // One more guess than the token's fail limit: the guess that locks it and the ones after must look like misses.
    for (let i = 0; i < 11; i++) {
      const known = await browser.send('POST', '/tokens/claim', { serial: unowned.token.serial, otp: guess(i) });
      const unknown = await browser.send('POST', '/tokens/claim', { serial: unique('NO-SUCH-'), otp: guess(i) });
      expect(known).toEqual(unknown);
    }
    expect((await tokenRow(unowned.token.id))!.owner_user_id).toBeNull();
  });
});

describe('Reassign Token', () => {
  it('confirming a new token with "reassign" replaces the old one, which is unusable afterwards', async () => {
    const { admin, resource, alias, user, browser } = await signedInUser(['registerNewToken', 'reassignToken']);
    const first = await browser.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'old phone' });
    const oldSecret = first.body.enrolment.secretBase32;
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: first.body.token.id, otp: await totpAt(oldSecret, Date.now()) })).status).toBe(200);
    const oldId = first.body.token.id as string;

    const second = await browser.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'new phone', reassign: true });
    expect(second.status).toBe(201);
    const newSecret = second.body.enrolment.secretBase32;
    const newId = second.body.token.id as string;
    // A wrong first code changes nothing: the old token stays assigned and usable.
    const wrong = await browser.send('POST', '/tokens/confirm', { tokenId: newId, otp: '000000', reassign: true });
    expect(wrong.body.error.code).toBe('OTP_INVALID');
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: oldId });
    expect((await tokenRow(oldId))!.enabled).toBe(1);

    nextStep();
    const confirmed = await browser.send('POST', '/tokens/confirm', { tokenId: newId, otp: await totpAt(newSecret, Date.now()), reassign: true });
    expect(confirmed.status).toBe(200);
    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: newId });
    expect(await tokenRow(oldId)).toMatchObject({ enabled: 0, owner_user_id: user.id });

    // The old token's code opens neither the portal nor the verify API; the new token's does.
    nextStep();
    const oldCode = await totpAt(oldSecret, Date.now());
    expect((await signInWithOtp(alias, user.login, oldCode)).answer.body.error.code).toBe('OTP_INVALID');
    const verify = await json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp: oldCode } }));
    expect(verify.accepted).toBe(false);
    expect((await signInWithOtp(alias, user.login, await totpAt(newSecret, Date.now()))).answer.body.state).toBe('signed_in');
  });

  it('the new token replaces the old one on the user\'s other resources too, so their OTP step stays', async () => {
    const { admin, resource, user, browser } = await signedInUser(['registerNewToken', 'reassignToken']);
    const first = await browser.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'old phone' });
    const oldId = first.body.token.id as string;
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: oldId, otp: await totpAt(first.body.enrolment.secretBase32, Date.now()) })).status).toBe(200);
    // The administrator also gave this token to the user on a second resource (the VPN, say).
    const vpn = await admin.post('/resources', { name: unique('vpn') });
    await admin.put(`/resources/${vpn.id}/assignments`, { userId: user.id, tokenId: oldId });

    const second = await browser.send('POST', '/tokens/enrol', { type: 'TOTP', description: 'new phone', reassign: true });
    const newSecret = second.body.enrolment.secretBase32;
    nextStep();
    expect((await browser.send('POST', '/tokens/confirm', { tokenId: second.body.token.id, otp: await totpAt(newSecret, Date.now()), reassign: true })).status).toBe(200);

    expect(await assignmentRow(resource.id, user.id)).toEqual({ kind: 'token_with_user', token_id: second.body.token.id });
    expect(await assignmentRow(vpn.id, user.id)).toEqual({ kind: 'token_with_user', token_id: second.body.token.id });
    nextStep();
    const verify = async (otp: string) =>
      json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: vpn.name, otp } }));
    expect((await verify('000000')).accepted).toBe(false);
    expect((await verify(await totpAt(newSecret, Date.now()))).accepted).toBe(true);
  });

  it('"reassign" needs the Reassign action, and Register New Token alone does not replace a token by that path', async () => {
    const { browser } = await signedInUser(['registerNewToken']);
    expect((await browser.send('POST', '/tokens/enrol', { type: 'TOTP', reassign: true })).body.error.code).toBe('ACTION_DISABLED');
    const enrol = await browser.send('POST', '/tokens/enrol', { type: 'TOTP' });
    const refused = await browser.send('POST', '/tokens/confirm', { tokenId: enrol.body.token.id, otp: await totpAt(enrol.body.enrolment.secretBase32, Date.now()), reassign: true });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'ACTION_DISABLED' } } });
    expect((await tokenRow(enrol.body.token.id))!.activated).toBe(0);
  });
});

describe('Synchronize Token', () => {
  it('re-anchors a drifted HOTP token with two consecutive codes; gaps, wrong order and wrong codes are refused', async () => {
    const { admin, resource, alias } = await portalWith(['synchronizeToken']);
    const person = await assignedUser(admin, resource.id);
    const { token, seed } = await assignedHardwareToken(admin, resource.id, person.id, 'HOTP');
    const { browser, answer } = await signInWithOtp(alias, person.login, await hotpAt(seed, 0));
    expect(answer.body.state).toBe('signed_in');
    expect((await tokenRow(token.id))!.counter).toBe(1);

    // The button was pressed 60 times without signing in: far beyond the look-ahead window.
    const tryCode = await otpStep(alias, person.login);
    expect((await tryCode(await hotpAt(seed, 60))).body.error.code).toBe('OTP_INVALID');

    for (const [otp1, otp2] of [
      [await hotpAt(seed, 60), await hotpAt(seed, 62)],
      [await hotpAt(seed, 61), await hotpAt(seed, 60)],
      ['000000', '000001'],
    ]) {
      const refused = await browser.send('POST', '/tokens/sync', { otp1, otp2 });
      expect(refused).toMatchObject({ status: 401, body: { error: { code: 'OTP_INVALID' } } });
    }
    expect((await tokenRow(token.id))!.counter).toBe(1);
    expect((await browser.send('POST', '/tokens/sync', { otp1: await hotpAt(seed, 60) })).body.error.code).toBe('VALIDATION_FAILED');

    expect((await browser.send('POST', '/tokens/sync', { otp1: await hotpAt(seed, 60), otp2: await hotpAt(seed, 61) })).status).toBe(204);
    expect((await tokenRow(token.id))!.counter).toBe(62);
    // The same two codes do not synchronize twice, and the next code signs in.
    expect((await browser.send('POST', '/tokens/sync', { otp1: await hotpAt(seed, 60), otp2: await hotpAt(seed, 61) })).body.error.code).toBe('OTP_INVALID');
    expect((await signInWithOtp(alias, person.login, await hotpAt(seed, 62))).answer.body.state).toBe('signed_in');
  });

  it('re-anchors a TOTP token whose clock runs ahead', async () => {
    const { admin, resource, alias } = await portalWith(['synchronizeToken']);
    const person = await assignedUser(admin, resource.id);
    const { token, seed } = await assignedHardwareToken(admin, resource.id, person.id, 'TOTP');
    const { browser } = await signInWithOtp(alias, person.login, await totpAt(seed, Date.now()));
    const AHEAD_MS = 10 * STEP_MS; // the device clock is five minutes fast

    nextStep();
    const tryCode = await otpStep(alias, person.login);
    expect((await tryCode(await totpAt(seed, Date.now() + AHEAD_MS))).body.error.code).toBe('OTP_INVALID');

    const first = await totpAt(seed, Date.now() + AHEAD_MS);
    const skipped = await totpAt(seed, Date.now() + AHEAD_MS + 2 * STEP_MS);
    expect((await browser.send('POST', '/tokens/sync', { otp1: first, otp2: skipped })).body.error.code).toBe('OTP_INVALID');
    expect((await tokenRow(token.id))!.drift_steps).toBe(0);

    nextStep(); // the user waits for the device's next code
    const second = await totpAt(seed, Date.now() + AHEAD_MS);
    expect((await browser.send('POST', '/tokens/sync', { otp1: first, otp2: second })).status).toBe(204);
    expect((await tokenRow(token.id))!.drift_steps).toBe(10);

    nextStep();
    expect((await signInWithOtp(alias, person.login, await totpAt(seed, Date.now() + AHEAD_MS))).answer.body.state).toBe('signed_in');
  });

  it('a user without a token on this resource is told so', async () => {
    const { browser } = await signedInUser(['synchronizeToken']);
    expect((await browser.send('POST', '/tokens/sync', { otp1: '123456', otp2: '234567' })).body.error.code).toBe('NO_TOKEN');
  });
});

describe('PIN setup and removal', () => {
  it('a 4-digit PIN before or after the OTP is then needed at sign-in, and no longer after removal', async () => {
    const { admin, resource, alias } = await portalWith(['setupPin', 'removePin']);
    const person = await assignedUser(admin, resource.id);
    const { token, seed } = await assignedHardwareToken(admin, resource.id, person.id);
    const { browser } = await signInWithOtp(alias, person.login, await totpAt(seed, Date.now()));

    for (const pin of ['123', '12345', '12a4', '', '１２３４']) {
      const refused = await browser.send('PUT', '/tokens/pin', { pin, pinPosition: 'before' });
      expect(refused).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    }
    expect((await browser.send('PUT', '/tokens/pin', { pin: 1234, pinPosition: 'before' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await browser.send('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'middle' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await tokenRow(token.id))!.pin_hash).toBeNull();

    expect((await browser.send('PUT', '/tokens/pin', { pin: '4711', pinPosition: 'before' })).status).toBe(204);
    expect(await tokenRow(token.id)).toMatchObject({ pin_position: 'before', pin_hash: expect.any(String) });
    expect((await tokenRow(token.id))!.pin_hash).not.toContain('4711');
    expect((await browser.send('GET', '/me')).body.token).toMatchObject({ hasPin: true, pinPosition: 'before' });

    nextStep();
    let tryCode = await otpStep(alias, person.login);
    let code = await totpAt(seed, Date.now());
    expect((await tryCode(code)).body.error.code).toBe('OTP_INVALID');
    expect((await tryCode(`${code}4711`)).body.error.code).toBe('OTP_INVALID');
    expect((await tryCode(`0000${code}`)).body.error.code).toBe('OTP_INVALID');
    expect((await tryCode(`4711${code}`)).body.state).toBe('signed_in');

    expect((await browser.send('PUT', '/tokens/pin', { pin: '4711', pinPosition: 'after' })).status).toBe(204);
    nextStep();
    tryCode = await otpStep(alias, person.login);
    code = await totpAt(seed, Date.now());
    expect((await tryCode(`4711${code}`)).body.error.code).toBe('OTP_INVALID');
    expect((await tryCode(`${code}4711`)).body.state).toBe('signed_in');

    expect((await browser.send('DELETE', '/tokens/pin')).status).toBe(204);
    expect((await tokenRow(token.id))!.pin_hash).toBeNull();
    expect((await browser.send('GET', '/me')).body.token.hasPin).toBe(false);
    nextStep();
    tryCode = await otpStep(alias, person.login);
    code = await totpAt(seed, Date.now());
    expect((await tryCode(`${code}4711`)).body.error.code).toBe('OTP_INVALID');
    expect((await tryCode(code)).body.state).toBe('signed_in');
  });

  it('a user without a token on this resource cannot set a PIN', async () => {
    const { browser } = await signedInUser(['setupPin']);
    expect((await browser.send('PUT', '/tokens/pin', { pin: '4711', pinPosition: 'after' })).body.error.code).toBe('NO_TOKEN');
  });
});

describe('Create Password', () => {
  it('only when the user has none; a weak password is refused; afterwards sign-in asks for it', async () => {
    const { admin, resource, alias } = await portalWith(['createPassword']);
    const email = `${unique('np')}@example.com`;
    const person = await assignedUser(admin, resource.id, { password: null, email });
    const browser = browserFor(alias);
    const start = await browser.send('POST', '/signin', { login: person.login });
    expect(start.body).toMatchObject({ step: 'password', emailCodeOption: true });
    expect((await browser.send('POST', '/signin/email-code/request', { flow: start.body.flow })).body.step).toBe('email_code');
    expect((await browser.send('POST', '/signin/email-code', { flow: start.body.flow, code: await lastEmailCode(email) })).body.state).toBe('signed_in');
    expect((await browser.send('GET', '/me')).body.user.hasPassword).toBe(false);

    for (const weak of ['short', '123456789', '']) {
      expect((await browser.send('POST', '/password', { password: weak })).body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await userRow(person.id))!.password_hash).toBeNull();

    expect((await browser.send('POST', '/password', { password: 'my first real password' })).status).toBe(204);
    const hash = (await userRow(person.id))!.password_hash;
    expect(hash).toEqual(expect.any(String));
    expect((await browser.send('GET', '/me')).body.user.hasPassword).toBe(true);

    // A second "create" does not overwrite it, and records nothing.
    const again = await browser.send('POST', '/password', { password: 'an attacker password' });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'PASSWORD_EXISTS' } } });
    expect((await userRow(person.id))!.password_hash).toBe(hash);
    const changes = await env.DB.prepare(`SELECT count(*) AS n FROM user_activities WHERE user_id = ? AND type = 'UserPasswordChange'`).bind(person.id).first<{ n: number }>();
    expect(changes!.n).toBe(1);

    const next = browserFor(alias);
    const restart = await next.send('POST', '/signin', { login: person.login });
    expect(restart.body.step).toBe('password');
    expect((await next.send('POST', '/signin/password', { flow: restart.body.flow, password: 'my first real password' })).body.state).toBe('signed_in');
  });
});

describe('Change Phone Number', () => {
  it('sends the code by SMS to the NEW number through the SMS supplier; nothing changes until it is confirmed', async () => {
    const scenario = providerScenario();
    const { admin, user, browser } = await signedInUser(['changePhone']);
    const saved = await admin.request('/messaging/settings', {
      method: 'PUT',
      json: twilioAndOutboxSettings(scenario.baseUrl),
    });
    expect(saved.status).toBe(200);
    const oldPhone = freshPhone();
    await env.DB.prepare('UPDATE users SET phone = ? WHERE id = ?').bind(oldPhone, user.id).run();
    const before = await userRow(user.id);

    for (const phone of ['12', 'not a phone number', '+49 151']) {
      const refused = await browser.send('POST', '/phone', { phone });
      expect(refused).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    }
    expect(await scenario.requests()).toEqual([]);

    const newPhone = freshPhone();
    const national = `0${newPhone.slice(3, 6)} ${newPhone.slice(6)}`; // typed the German way: 0151 2345678
    const requested = await browser.send('POST', '/phone', { phone: national });
    expect(requested.status).toBe(200);
    const sent = await scenario.requests();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
    const form = new URLSearchParams(sent[0]!.body);
    expect(form.get('To')).toBe(newPhone);
    const code = /\b(\d{6})\b/.exec(form.get('Body')!)![1]!;
    expect(await userRow(user.id)).toEqual(before);

    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await browser.send('POST', '/phone/confirm', { challengeId: requested.body.challengeId, code: wrongCode });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'CODE_INVALID' } } });
    expect(await userRow(user.id)).toEqual(before);
    expect((await browser.send('POST', '/phone/confirm', { challengeId: 'x'.repeat(43), code })).body.error.code).toBe('CODE_INVALID');
    expect(await userRow(user.id)).toEqual(before);

    const confirmed = await browser.send('POST', '/phone/confirm', { challengeId: requested.body.challengeId, code });
    expect(confirmed).toEqual({ status: 200, body: { phone: newPhone } });
    expect((await userRow(user.id))!.phone).toBe(newPhone);
    expect((await browser.send('GET', '/me')).body.user.phone).toBe(newPhone);
    // The code is spent.
    expect((await browser.send('POST', '/phone/confirm', { challengeId: requested.body.challengeId, code })).body.error.code).toBe('CODE_INVALID');
  });
});

describe('Change Name', () => {
  it('validates both names and stores them trimmed', async () => {
    const { user, browser } = await signedInUser(['changeName']);
    const before = await userRow(user.id);
    for (const body of [
      { firstName: '', lastName: 'Lovelace' },
      { firstName: '   ', lastName: 'Lovelace' },
      { firstName: 'Ada', lastName: 'x'.repeat(101) },
      { firstName: 'Ada' },
      { firstName: 'Ada', lastName: 'Lovelace', login: 'someone-else' },
      { firstName: 42, lastName: 'Lovelace' },
    ]) {
      const refused = await browser.send('PUT', '/name', body);
      expect(refused).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    }
    expect(await userRow(user.id)).toEqual(before);

    expect((await browser.send('PUT', '/name', { firstName: '  Ada ', lastName: 'King-Lovelace ' })).status).toBe(204);
    expect(await userRow(user.id)).toMatchObject({ first_name: 'Ada', last_name: 'King-Lovelace', login: user.login });
    expect((await browser.send('GET', '/me')).body.user).toMatchObject({ firstName: 'Ada', lastName: 'King-Lovelace' });
  });
});

describe('disabled actions', () => {
  it('every one of these actions is refused when the administrator has not enabled it, and nothing changes', async () => {
    // Every action except the ones tested here, so that only the switch can be the reason for the refusal.
    const { admin, resource, alias } = await portalWith(['registerNewToken', 'unassignToken', 'changePassword', 'changeEmail', 'changeLogin', 'manageEnvironment']);
    const email = `${unique('off')}@example.com`;
    const person = await assignedUser(admin, resource.id, { password: null, email });
    const { token, seed } = await assignedHardwareToken(admin, resource.id, person.id);
    const unowned = await hardwareToken(admin);
    const browser = browserFor(alias);
    const start = await browser.send('POST', '/signin', { login: person.login });
    await browser.send('POST', '/signin/email-code/request', { flow: start.body.flow });
    expect((await browser.send('POST', '/signin/email-code', { flow: start.body.flow, code: await lastEmailCode(email) })).body.step).toBe('otp');
    expect((await browser.send('POST', '/signin/otp', { flow: start.body.flow, otp: await totpAt(seed, Date.now()) })).body.state).toBe('signed_in');
    nextStep();

    const snapshot = async () => ({
      user: await userRow(person.id),
      token: await tokenRow(token.id),
      unowned: await tokenRow(unowned.token.id),
      assignment: await assignmentRow(resource.id, person.id),
      tokens: (await env.DB.prepare('SELECT count(*) AS n FROM tokens WHERE owner_user_id = ?').bind(person.id).first<{ n: number }>())!.n,
      outbox: (await env.DB.prepare('SELECT count(*) AS n FROM outbox').first<{ n: number }>())!.n,
    });
    const before = await snapshot();
    const requests: Array<[string, string, unknown]> = [
      ['POST', '/tokens/claim', { serial: unowned.token.serial, otp: await totpAt(unowned.seed, Date.now()) }],
      ['POST', '/tokens/enrol', { type: 'TOTP', reassign: true }],
      ['POST', '/tokens/confirm', { tokenId: token.id, otp: await totpAt(seed, Date.now()), reassign: true }],
      ['POST', '/tokens/sync', { otp1: await totpAt(seed, Date.now()), otp2: await totpAt(seed, Date.now() + STEP_MS) }],
      ['PUT', '/tokens/pin', { pin: '4711', pinPosition: 'after' }],
      ['DELETE', '/tokens/pin', undefined],
      ['POST', '/password', { password: 'my first real password' }],
      ['POST', '/phone', { phone: freshPhone() }],
      ['POST', '/phone/confirm', { challengeId: 'x'.repeat(43), code: '123456' }],
      ['PUT', '/name', { firstName: 'Ada', lastName: 'Lovelace' }],
    ];
    for (const [method, path, body] of requests) {
      const answer = await browser.send(method, path, body);
      expect({ path, ...answer }).toMatchObject({ path, status: 403, body: { error: { code: 'ACTION_DISABLED' } } });
    }
    expect(await snapshot()).toEqual(before);
  });
});
