/**
 * The self-service portal's remaining actions end to end in headless Chromium, on a phone-size screen: Register
 * Existing Token (a hardware HOTP token the administrator imported by CSV, claimed by serial with an OTP the
 * test computes from the known seed), Synchronize Token (the device's counter drifted past the look-ahead),
 * Remove PIN, Change Email Address (code read from the outbox), Change Phone Number (code read from the SMS
 * that reached the impersonated Twilio), Change Login (warning shown, a taken login refused), Reassign Token (the
 * old token's OTP refused afterwards), Create Password (a user who signed in with an email code) and the step-up
 * ("confirm with your current code") that a session which has not proven the user's token asks before a change. Each effect is
 * checked through the admin API, and each dialog refuses one bad input with a clear message and changes nothing.
 * The admin center's own portal settings are driven in portal.test.ts; here the setup goes through the admin API.
 */
import { HOTP, Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_TWILIO_SID, startApp, type E2eApp } from './harness';

const ALIAS = 'field-office';
const PASSWORD = 'portal password 1';
const SCENARIO = 'portal-actions';
/** RFC 4226's test seed ("12345678901234567890"): the "device" the administrator hands out. */
const HARDWARE_SEED_HEX = '3132333435363738393031323334353637383930';
const HARDWARE_SERIAL = 'HW-HOTP-0001';
const NEW_EMAIL = 'rosa.marsh@example.test';
const NEW_PHONE = '+4915123456789';

let app: E2eApp;
let page: Page;
let rosaId: string;
let resourceId: string;
let hardwareTokenId: string;

const hotp = (counter: number) => new HOTP({ secret: Secret.fromHex(HARDWARE_SEED_HEX), algorithm: 'SHA1', digits: 6 }).generate({ counter });
const totp = (secretBase32: string, nowMs = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: nowMs });

beforeAll(async () => {
  app = await startApp({ providers: true });
  const context = await app.browser.newContext({ baseURL: app.url, locale: 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page = await context.newPage();

  // Setup through the admin API (the admin center's screens for it are driven in portal.test.ts).
  const resource = await app.adminApi('POST', '/resources', { name: 'Field Office' });
  resourceId = resource.id;
  await app.adminApi('PUT', `/resources/${resource.id}/self-service`, {
    enabled: true,
    alias: ALIAS,
    actions: ['registerExistingToken', 'synchronizeToken', 'setupPin', 'removePin', 'changeEmail', 'changePhone', 'changeLogin', 'reassignToken', 'createPassword'],
    tokenTypes: ['TOTP'],
  });
  rosaId = (await app.adminApi('POST', '/users', { login: 'rosa', firstName: 'Rosa', lastName: 'Marsh', email: 'rosa@example.test', password: PASSWORD })).id;
  const sven = await app.adminApi('POST', '/users', { login: 'sven', email: 'sven@example.test' });
  for (const userId of [rosaId, sven.id]) await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId });

  // SMS go to the impersonated Twilio, so the phone change's code is read from what the "phone" received.
  await app.useTwilio(SCENARIO);
});
afterAll(async () => app?.stop());

const dialog = () => page.getByRole('dialog');
const user = () => app.adminApi('GET', `/users/${rosaId}`);
const tokenById = (id: string) => app.adminApi('GET', `/tokens/${id}`);

async function signIn(login: string, password: string) {
  await page.goto(`/selfservice/${ALIAS}`);
  await page.getByLabel('Login').fill(login);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
}

async function openAction(name: string) {
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await dialog().waitFor();
}

/** The dialog's error line (role="alert") with exactly this text appears. */
/** A refusal said at the field it concerns (the one field component), not in a box below the form. */
const dialogError = (text: string) => dialog().locator('[data-field-error]').filter({ hasText: text }).waitFor();

/** Usable on the phone: nothing (dialogs included) wider than the screen. */
async function expectFitsScreen() {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  const dialogBox = await dialog().boundingBox();
  if (dialogBox) expect(dialogBox.x + dialogBox.width).toBeLessThanOrEqual(page.viewportSize()!.width);
}

/** The one email code sent to `recipient`; sign-in codes go out after the answer, so this waits for it. */
async function emailCode(recipient: string): Promise<string> {
  const outbox = () => app.adminApi('GET', `/messaging/outbox?channel=email&recipient=${encodeURIComponent(recipient)}`);
  await expect.poll(async () => (await outbox()).items.length).toBe(1);
  return /\b(\d{6})\b/.exec((await outbox()).items[0].body)![1]!;
}

describe('self-service portal actions', () => {
  it('Register Existing Token: the user claims an imported hardware token by serial; a wrong OTP is refused', async () => {
    const imported = await app.adminApi('POST', '/tokens/import/csv', {
      csv: ['serial,seed,type,digits,counter,description', `${HARDWARE_SERIAL},${HARDWARE_SEED_HEX},hotp,6,0,Key fob`].join('\n'),
    });
    expect(imported.imported).toBe(1);
    hardwareTokenId = (await app.adminApi('GET', `/tokens?search=${HARDWARE_SERIAL}`)).items[0].id;

    await signIn('rosa', PASSWORD);
    await page.getByRole('heading', { name: 'Field Office' }).waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain('No token on this resource');
    // The actions by their names in one style, verb first (once "Existing Token Registration", "PIN Setup"...).
    expect(await page.locator('.action-grid button strong').allTextContents()).toEqual([
      'Register Existing Token',
      'Synchronize Token',
      'Set Up PIN',
      'Remove PIN',
      'Change Email Address',
      'Change Phone Number',
      'Change Login',
      'Reassign Token',
      'Create Password',
    ]);

    await openAction('Register Existing Token');
    await dialog().getByLabel('Serial number').fill(HARDWARE_SERIAL);
    await dialog().getByLabel('Code shown by the device').fill('000000');
    await dialog().getByRole('button', { name: 'Register token' }).click();
    await dialogError('The serial or the one-time password is wrong.');
    expect((await tokenById(hardwareTokenId)).owner).toBeNull();

    // The serial as printed, in another case: serials match case-insensitively.
    await dialog().getByLabel('Serial number').fill(HARDWARE_SERIAL.toLowerCase());
    await dialog().getByLabel('Code shown by the device').fill(hotp(0));
    await dialog().getByRole('button', { name: 'Register token' }).click();
    await page.getByText('The token is registered to you.').waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain(HARDWARE_SERIAL);
    const token = await tokenById(hardwareTokenId);
    expect(token).toMatchObject({ owner: { id: rosaId, login: 'rosa' }, activated: true, enabled: true, counter: 1 });
  });

  it('Synchronize Token: a device whose counter drifted past the look-ahead is resynchronized by two consecutive OTPs', async () => {
    // The fob's button was pressed 39 more times without signing in: counter 40 is beyond the look-ahead of 10.
    await openAction('Synchronize Token');
    await dialog().getByLabel('First code').fill(hotp(40));
    await dialog().getByLabel('Next code').fill(hotp(42));
    await dialog().getByRole('button', { name: 'Synchronize' }).click();
    await dialogError('The two codes were not found next to each other. Type two consecutive codes.');
    expect((await tokenById(hardwareTokenId)).counter).toBe(1);
    // German users get the same hint, in German.
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await openAction('Token synchronisieren');
    await dialog().getByLabel('Erster Code').fill(hotp(40));
    await dialog().getByLabel('Nächster Code').fill(hotp(42));
    await dialog().getByRole('button', { name: 'Synchronisieren' }).click();
    await dialogError('Die beiden Codes folgen nicht direkt aufeinander. Geben Sie zwei aufeinanderfolgende Codes ein.');
    await dialog().getByRole('button', { name: 'Abbrechen' }).click();
    await page.getByRole('button', { name: 'English' }).click();
    expect((await tokenById(hardwareTokenId)).counter).toBe(1);
    await openAction('Synchronize Token');

    await dialog().getByLabel('First code').fill(hotp(40));
    await dialog().getByLabel('Next code').fill(hotp(41));
    await dialog().getByRole('button', { name: 'Synchronize' }).click();
    await page.getByText('Your token is synchronized.').waitFor();
    expect((await tokenById(hardwareTokenId)).counter).toBe(42);

    // The next sign-in accepts the device's next code.
    await signOut();
    await signIn('rosa', PASSWORD);
    await page.getByLabel('One-time password').fill(hotp(42));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Field Office' }).waitFor();
  });

  it('Remove PIN: after a PIN is set, the user removes it', async () => {
    expect(await page.getByRole('button', { name: /^Remove PIN/ }).isDisabled()).toBe(true);
    await openAction('Set Up PIN');
    await dialog().getByLabel('PIN (4 digits)').fill('2468');
    await dialog().getByLabel('Repeat the PIN').fill('2468');
    await dialog().getByRole('button', { name: 'Save PIN' }).click();
    await page.getByText('Your PIN is set.', { exact: false }).waitFor();
    expect((await tokenById(hardwareTokenId)).hasPin).toBe(true);

    await openAction('Remove PIN');
    await dialog().getByText('After this, your token works without a PIN.').waitFor();
    await dialog().getByRole('button', { name: 'Remove PIN' }).click();
    await page.getByText('The PIN is removed.').waitFor();
    expect(await page.getByTestId('portal-token').textContent()).not.toContain('PIN');
    expect((await tokenById(hardwareTokenId)).hasPin).toBe(false);
    expect(await page.getByRole('button', { name: /^Remove PIN/ }).isDisabled()).toBe(true);
  });

  it('Change Email Address: a code sent to the new address confirms it; a wrong code is refused', async () => {
    await openAction('Change Email Address');
    await dialog().getByLabel('New email address').fill(NEW_EMAIL);
    await dialog().getByRole('button', { name: 'Send code' }).click();
    await dialog().getByText(`We sent a code to ${NEW_EMAIL}.`, { exact: false }).waitFor();
    const code = await emailCode(NEW_EMAIL);

    await dialog().getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await dialogError('The code is wrong.');
    expect((await user()).email).toBe('rosa@example.test');

    await dialog().getByLabel('Code').fill(code);
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(`Your email address is now ${NEW_EMAIL}.`).waitFor();
    expect((await user()).email).toBe(NEW_EMAIL);
  });

  it('Change Phone Number: an invalid number is refused; a code by SMS to the new number confirms it', async () => {
    // In German, the server's refusal of a number that does not exist reads as German too.
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await openAction('Telefonnummer ändern');
    await dialog().getByLabel('Neue Telefonnummer').fill('+1 123 456 7890');
    await dialog().getByRole('button', { name: 'Code senden' }).click();
    await dialogError('Das ist keine gültige Telefonnummer.');
    await dialog().getByRole('button', { name: 'Abbrechen' }).click();
    await page.getByRole('button', { name: 'English' }).click();

    await openAction('Change Phone Number');
    const invalid = 'This is not a valid phone number. Use digits, with the country code, for example +49 30 1234567.';
    // Not a number at all: caught before sending.
    await dialog().getByLabel('New phone number').fill('call me');
    await dialog().getByRole('button', { name: 'Send code' }).click();
    await dialogError(invalid);
    // Shaped like a number but no valid one: the server refuses it (INVALID_PHONE), shown in the same words.
    await dialog().getByLabel('New phone number').fill('+1 123 456 7890');
    const refused = page.waitForResponse((response) => response.url().endsWith(`/api/portal/${ALIAS}/phone`));
    await dialog().getByRole('button', { name: 'Send code' }).click();
    expect((await refused).status()).toBe(400);
    await dialogError(invalid);
    expect((await app.providers!.requests(SCENARIO)).length).toBe(0);
    expect((await user()).phone).toBeNull();

    await dialog().getByLabel('New phone number').fill('+49 151 23456789');
    await dialog().getByRole('button', { name: 'Send code' }).click();
    await dialog().getByText('We sent a code by SMS to', { exact: false }).waitFor();
    await expectFitsScreen();
    const sms = (await app.providers!.requests(SCENARIO)).filter((r) => r.path === `/2010-04-01/Accounts/${E2E_TWILIO_SID}/Messages.json`);
    expect(sms).toHaveLength(1);
    const form = new URLSearchParams(sms[0]!.body);
    expect(form.get('To')).toBe(NEW_PHONE);
    const code = /\b(\d{6})\b/.exec(form.get('Body') ?? '')![1]!;

    await dialog().getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await dialogError('The code is wrong.');
    expect((await user()).phone).toBeNull();

    await dialog().getByLabel('Code').fill(code);
    await dialog().getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(`Your phone number is now ${NEW_PHONE}.`).waitFor();
    expect((await user()).phone).toBe(NEW_PHONE);
  });

  it('Change Login: warns about integrations, refuses a login with a space and a taken one, then changes it', async () => {
    await openAction('Change Login');
    await dialog().getByText('Applications connected to this resource may identify you by your login.', { exact: false }).waitFor();
    await dialog().getByLabel('New login').fill('rosa marsh');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialogError('A login may contain only letters, digits and . _ @ + - (no spaces).');
    await dialog().getByLabel('New login').fill('sven');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialogError('This login is already taken.');
    expect((await user()).login).toBe('rosa');

    await dialog().getByLabel('New login').fill('rosa.marsh');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your login is now rosa.marsh.').waitFor();
    await page.getByText('Signed in as rosa.marsh').waitFor();
    expect((await user()).login).toBe('rosa.marsh');
  });

  it('Reassign Token: a new software token replaces the hardware one, whose OTP is refused afterwards', async () => {
    await openAction('Reassign Token');
    await dialog().getByText(`your current token (${HARDWARE_SERIAL}) stops working`, { exact: false }).waitFor();
    // Only the type the administrator allowed (TOTP) is offered, so no choice that the server would refuse.
    expect(await dialog().getByLabel('Token type').count()).toBe(0);
    await dialog().getByText('Authenticator app, time-based (TOTP)').waitFor();
    await dialog().getByLabel('Name (optional)').fill('Phone app');
    await dialog().getByRole('button', { name: 'Continue' }).click();
    const secret = (await dialog().getByTestId('token-secret').textContent())!.trim();
    await expectFitsScreen();

    await dialog().getByLabel('First code from the app').fill(totp(secret) === '000000' ? '111111' : '000000');
    await dialog().getByRole('button', { name: 'Confirm token' }).click();
    await dialogError('The one-time password is wrong.');
    expect((await tokenById(hardwareTokenId)).enabled).toBe(true);

    await dialog().getByLabel('First code from the app').fill(totp(secret));
    await dialog().getByRole('button', { name: 'Confirm token' }).click();
    await page.getByText('Your new token is registered; the old one no longer works.').waitFor();
    const summary = (await page.getByTestId('portal-token').textContent())!;
    expect(summary).toContain('Phone app');
    expect(summary).not.toContain(HARDWARE_SERIAL);
    expect((await tokenById(hardwareTokenId)).enabled).toBe(false);
    expect(await app.adminApi('POST', `/tokens/${hardwareTokenId}/check`, { otp: hotp(43) })).toMatchObject({ valid: false, reason: 'TOKEN_DISABLED' });

    // At sign-in (with the new login) the old device's next code is refused, the new token's accepted.
    await signOut();
    await signIn('rosa.marsh', PASSWORD);
    await page.getByLabel('One-time password').fill(hotp(43));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();
    await page.getByLabel('One-time password').fill(totp(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Field Office' }).waitFor();
    await signOut();
  });

  it('Create Password: a user who signed in with an email code sets a password (two different ones refused)', async () => {
    await page.goto(`/selfservice/${ALIAS}`);
    await page.getByLabel('Login').fill('sven');
    await page.getByRole('button', { name: 'Next' }).click();
    // In German first: the option and the step read in German too.
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await page.getByRole('button', { name: 'Kein Passwort? Anmeldecode per E-Mail erhalten' }).click();
    await page.getByText('Falls sich Ihr Konto mit einem Code anmeldet, haben wir einen an seine E-Mail-Adresse gesendet.').waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByLabel('Code from the email').waitFor();
    await page.getByLabel('Code from the email').fill(await emailCode('sven@example.test'));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByText('Signed in as sven').waitFor();
    expect(await page.getByRole('button', { name: /^Create Password/ }).isDisabled()).toBe(false);

    await openAction('Create Password');
    await dialog().getByLabel('New password', { exact: true }).fill('sven password 1');
    await dialog().getByLabel('Repeat the new password').fill('sven password 2');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialogError('The two passwords differ.');
    const sven = (await app.adminApi('GET', '/users?search=sven')).items[0];
    expect(sven.hasPassword).toBe(false);

    await dialog().getByLabel('Repeat the new password').fill('sven password 1');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your password is set.').waitFor();
    expect((await app.adminApi('GET', `/users/${sven.id}`)).hasPassword).toBe(true);
    expect(await page.getByRole('button', { name: /^Create Password/ }).isDisabled()).toBe(true);

    await signOut();
    await signIn('sven', 'sven password 1');
    await page.getByText('Signed in as sven').waitFor();
  });

  it('Proof before change: a token handed out during the session is confirmed with its current code before the PIN is set', async () => {
    await signOut();
    const tilda = await app.adminApi('POST', '/users', { login: 'tilda', email: 'tilda@example.test', password: PASSWORD });
    await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: tilda.id });
    await signIn('tilda', PASSWORD);
    await page.getByText('Signed in as tilda').waitFor();
    // The administrator hands her a token while she is signed in: this session has not proven it.
    const seed = new Secret({ size: 20 });
    const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'HW-TOTP-0002', seed: seed.base32, seedEncoding: 'base32', ownerUserId: tilda.id });
    await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: tilda.id, tokenId: token.id });
    await page.reload();
    await page.getByTestId('portal-token').getByText('HW-TOTP-0002').waitFor();

    await openAction('Set Up PIN');
    await dialog().getByLabel('PIN (4 digits)').fill('1357');
    await dialog().getByLabel('Repeat the PIN').fill('1357');
    await dialog().getByRole('button', { name: 'Save PIN' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm with your current code' });
    await stepUp.getByLabel('Current one-time password').fill('000000');
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();
    expect((await tokenById(token.id)).hasPin).toBe(false);

    await stepUp.getByLabel('Current one-time password').fill(totp(seed.base32));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    // The confirmed step-up sends the PIN again by itself.
    await page.getByText('Your PIN is set.', { exact: false }).waitFor();
    expect((await tokenById(token.id)).hasPin).toBe(true);
  });
});
