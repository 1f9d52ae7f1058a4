/**
 * The self-service portal end to end in headless Chromium. The administrator, in the admin center, creates a user
 * with a password and a resource, assigns the user, and enables the resource's portal with Register New Token; the
 * user, on a phone-size screen, signs in at /selfservice/<alias>, registers a software TOTP token (the test computes
 * codes from the secret the page shows, with the independent `otpauth` package), and the next sign-in asks for the
 * OTP; the user loses the token and files "Restore access", the administrator approves it under User Issues
 * ("Verify Identity"), the user signs in without the token and registers a new one. Plus bad input: an unknown
 * portal, wrong password, wrong OTP, and the other action dialogs.
 */
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp } from './harness';
import { wordsBrokenInside } from './layout';

const ALIAS = 'team-mail';
const LOGIN = 'paula';
const PASSWORD = 'portal password 1';

let app: E2eApp;
let context: BrowserContext;
/** The end user's browser (phone-size) and the administrator's (desktop). */
let page: Page;
let adminPage: Page;
let resourceId: string;
let firstToken: { secret: string; serial: string };

function totp(secretBase32: string, nowMs = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: nowMs });
}

beforeAll(async () => {
  app = await startApp();
  // The user's browser: a phone-size screen.
  context = await app.browser.newContext({ baseURL: app.url, locale: 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page = await context.newPage();
  adminPage = await (await app.newContext()).newPage();
  await app.signInAsAdmin(adminPage);
});
afterAll(async () => app?.stop());

const adminToasts = () => adminPage.locator('.toast').allTextContents();

/** Switches portal actions on in the open Self-Service tab (saved by the caller). */
async function enableActionsHere(names: string[]) {
  // By the start of the name: "Manage User Environment" carries an "experimental" badge in its label.
  for (const name of names) await adminPage.getByRole('switch', { name: new RegExp(`^${name}`) }).check();
}

async function startSignIn(login: string, password: string) {
  await page.goto(`/selfservice/${ALIAS}`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Login').fill(login);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
}

/** Register New Token through its dialog; returns the secret and serial the page showed. */
async function registerTotp(name: string) {
  await page.getByRole('button', { name: /^Register New Token/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Token type').selectOption('TOTP');
  await dialog.getByLabel('Name (optional)').fill(name);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  const qr = dialog.locator('img.qr');
  await qr.waitFor();
  expect(await qr.getAttribute('alt')).toMatch(/^otpauth:\/\/totp\/.*paula.*secret=/);
  expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
  const secret = (await dialog.getByTestId('token-secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);

  // A wrong first code is refused and the dialog stays open.
  await dialog.getByLabel('First code from the app').fill('000000');
  await dialog.getByRole('button', { name: 'Confirm token' }).click();
  await dialog.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();

  await dialog.getByLabel('First code from the app').fill(totp(secret));
  await dialog.getByRole('button', { name: 'Confirm token' }).click();
  await page.getByText('Your token is registered. From now on this portal asks for its code when you sign in.').waitFor();
  const summary = (await page.getByTestId('portal-token').textContent())!;
  expect(summary).toContain('TOTP');
  expect(summary).toContain(name);
  return { secret, serial: summary.trim().split(/\s/)[0]! };
}

describe('self-service portal', () => {
  it('the administrator creates the user and the resource, assigns the user and enables the portal (admin center)', async () => {
    await adminPage.goto('/admin/users');
    await adminPage.getByRole('button', { name: 'New user' }).click();
    const dialog = adminPage.getByRole('dialog');
    await dialog.getByLabel('Login').fill(LOGIN);
    await dialog.getByLabel('First name').fill('Paula');
    await dialog.getByLabel('Last name').fill('Portal');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await adminPage.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);

    await adminPage.goto('/admin/resources');
    await adminPage.getByRole('button', { name: 'New resource' }).click();
    await adminPage.getByRole('dialog').getByLabel('Name').fill('Team Mail');
    await adminPage.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await adminPage.waitForURL(/\/admin\/resources\/[0-9a-f-]{36}/);
    resourceId = /resources\/([0-9a-f-]{36})/.exec(adminPage.url())![1]!;
    await adminPage.getByRole('tab', { name: 'Users', exact: true }).click();
    // One click assigns: the match's own button (nothing else to choose for a user without a token).
    await adminPage.getByLabel('Find a user to assign').fill(LOGIN);
    await adminPage.getByRole('button', { name: 'Assign user' }).click();
    await adminPage.getByRole('cell', { name: 'User', exact: true }).waitFor();

    await adminPage.getByRole('tab', { name: 'Self-Service' }).click();
    await adminPage.getByRole('switch', { name: "Enable User's Self-Service for This Resource" }).check();
    await adminPage.getByLabel('Alias').fill(ALIAS);
    await enableActionsHere(['Register New Token', 'Change Login', 'Change Name']);
    await adminPage.getByLabel('Software token, time-based (TOTP)').check();
    await adminPage.getByLabel('Software token, counter-based (HOTP)').check();
    // The admin's order, not the catalogue's: the name change above the login change.
    await adminPage.getByRole('button', { name: 'Move up: Change Name' }).click();
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await expect.poll(adminToasts).toContain('Self-service settings saved.');
    expect(await adminPage.getByTestId('portal-address').textContent()).toBe(`${app.url}/selfservice/${ALIAS}`);
    expect((await app.adminApi('GET', `/resources/${resourceId}`)).selfService).toEqual({
      enabled: true,
      alias: ALIAS,
      actions: ['registerNewToken', 'changeName', 'changeLogin'],
      tokenTypes: ['TOTP', 'HOTP'],
    });
  });

  it('shows "portal not found" for an unknown alias', async () => {
    const response = await page.goto('/selfservice/no-such-portal');
    expect(response!.status()).toBe(404);
    await page.getByRole('heading', { name: 'Portal not found' }).waitFor();
    expect(await page.locator('body').textContent()).not.toMatch(/stack|Error:/);
  });

  it('a user without a password signs in with a code sent by email; a wrong code is refused clearly', async () => {
    // Admin API here: creating users in the admin center is shown in the first test.
    // A company address as long as real ones get: on the phone it must not break inside its words.
    const email = 'quinn.mustermann@beispielunternehmen-international.example.de';
    const quinn = await app.adminApi('POST', '/users', { login: 'quinn', email, firstName: 'Quinn', lastName: 'Mustermann-Leutheusser' });
    await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: quinn.id });
    await page.goto(`/selfservice/${ALIAS}`);
    await page.getByLabel('Login').fill('quinn');
    await page.getByRole('button', { name: 'Next' }).click();
    // The same next step as for everyone: the password, with the option to get a code instead.
    await page.getByLabel('Password').waitFor();
    await page.getByRole('button', { name: 'No password? Get a sign-in code by email' }).click();
    await page.getByText('If your account signs in with a code, we have sent one to its email address.').waitFor();
    await page.getByLabel('Code from the email').fill('000000');
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'The code is wrong.' }).waitFor();
    // A new code only after the resend cooldown (the same wait for every login); the step stays.
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await page.getByRole('alert').filter({ hasText: /^Please wait \d+ seconds before requesting a new code\.$/ }).waitFor();
    // The code goes out after the answer (so the answer cannot tell whether it went out): wait for it.
    const outbox = () => app.adminApi('GET', `/messaging/outbox?channel=email&recipient=${encodeURIComponent(email)}`);
    await expect.poll(async () => (await outbox()).items.length).toBe(1);
    const code = /\b(\d{6})\b/.exec((await outbox()).items[0].body)![1]!;
    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
    await page.getByText('Signed in as quinn').waitFor();

    // Your data on the phone: each label above its value, the address whole in its words (it wraps after the "@"
    // or at its hyphens and dots), nothing wider than the screen; copied, the address is the address.
    const facts = page.locator('dl.facts');
    const [label, value] = [facts.getByText('Email', { exact: true }), facts.locator('dd', { hasText: 'quinn.mustermann@' })];
    expect((await value.boundingBox())!.y).toBeGreaterThan((await label.boundingBox())!.y + 10);
    expect(await wordsBrokenInside(page, 'dl.facts', 20, '@.')).toEqual([]);
    expect(await value.evaluate((element) => element.textContent)).toBe(email);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await signOut();
  });

  it('refuses a wrong password at the password field, in English and in German, and the same way for an unknown login', async () => {
    /** The refusal said at the password field (tied to it), on the phone's width, and in no box beside it. */
    const refusedAtPassword = async (label: string, text: string) => {
      const field = page.getByLabel(label, { exact: true });
      await page.locator('[data-field-error]').filter({ hasText: text }).waitFor();
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      const errorId = (await field.getAttribute('aria-describedby'))!.split(' ').at(-1)!;
      expect(await page.locator(`[id="${errorId}"]`).textContent()).toBe(text);
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    };
    await startSignIn(LOGIN, 'not the password');
    await refusedAtPassword('Password', 'Login or password is wrong.');
    // Typing again answers the refusal.
    await page.getByLabel('Password', { exact: true }).fill('still not it');
    expect(await page.locator('[data-field-error]').count()).toBe(0);

    await startSignIn('nobody-here', 'not the password');
    await refusedAtPassword('Password', 'Login or password is wrong.');

    await page.getByRole('button', { name: 'Deutsch' }).click();
    // The refusal already shown follows the page's language.
    await refusedAtPassword('Passwort', 'Anmeldename oder Passwort ist falsch.');
    await page.getByLabel('Passwort').fill('immer noch falsch');
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await refusedAtPassword('Passwort', 'Anmeldename oder Passwort ist falsch.');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('signs the user in with the password, lists only the enabled actions in the admin\'s order, and registers a TOTP token', async () => {
    await startSignIn(LOGIN, PASSWORD);
    await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain('No token on this resource');
    const actions = await page.locator('.action-grid button strong').allTextContents();
    expect(actions).toEqual(['Register New Token', 'Change Name', 'Change Login']);
    // Usable on the phone: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // Reloading the page while Register New Token shows its QR code, again and again, leaves one pending token,
    // not one per start.
    const [{ id: userId }] = (await app.adminApi('GET', `/users?search=${encodeURIComponent(LOGIN)}`)).items;
    for (let i = 0; i < 3; i++) {
      await page.getByRole('button', { name: /^Register New Token/ }).click();
      await page.getByRole('dialog').getByLabel('Token type').selectOption('TOTP');
      await page.getByRole('dialog').getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('dialog').locator('img.qr').waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
    }
    const pending = (await app.adminApi('GET', `/users/${userId}/overview`)).tokens.filter((token: { activated: boolean }) => !token.activated);
    expect(pending).toHaveLength(1);

    firstToken = await registerTotp('My phone');
    const assignments = await app.adminApi('GET', `/resources/${resourceId}/assignments`);
    expect(assignments.items[0]).toMatchObject({ kind: 'token_with_user', token: { serial: firstToken.serial } });
    await signOut();
  });

  it('asks for the OTP at the next sign-in, refuses a wrong one and accepts the right one', async () => {
    await startSignIn(LOGIN, PASSWORD);
    await page.getByLabel('One-time password').fill('123456');
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();
    // The enrolment used the current time step; the next step's code is within the accepted window.
    await page.getByLabel('One-time password').fill(totp(firstToken.secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
    await signOut();
  });

  it('lost token: restore access, the administrator approves, the user signs in without it and registers a new one', async () => {
    await page.goto(`/selfservice/${ALIAS}`);
    await page.getByRole('button', { name: 'Restore access' }).click();
    await page.getByRole('heading', { name: 'Restore access' }).waitFor();
    await page.getByLabel('Login').fill(LOGIN);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'Tick at least one thing you have lost.' }).waitFor();
    await page.getByLabel('My token (authenticator app or device)').check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Prove who you are' }).waitFor();
    expect(await page.getByLabel('One-time password').count()).toBe(0);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByRole('heading', { name: 'Request received' }).waitFor();
    await page.getByText('An administrator will verify your identity and review it.').waitFor();

    // The administrator sees the request under User Issues (password verified, token lost) and approves it.
    await adminPage.goto('/admin/user-issues');
    const row = adminPage.locator('tr', { hasText: LOGIN });
    await row.waitFor();
    expect(await row.locator('[data-authenticator="password"]').getAttribute('class')).toBe('pill ok');
    expect(await row.locator('[data-authenticator="token"]').getAttribute('class')).toBe('pill bad');
    await row.getByRole('button', { name: 'Verify Identity' }).click();
    await adminPage.getByRole('alertdialog').getByRole('button', { name: 'Approve' }).click();
    await expect.poll(adminToasts).toContain('The request is approved.');
    expect((await app.adminApi('GET', '/user-issues')).items).toEqual([]);

    await page.getByRole('button', { name: 'Back to sign in' }).click();
    await page.getByLabel('Login').fill(LOGIN);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // No OTP step: the lost token is disabled (still assigned, shown as disabled).
    await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain('disabled');

    const second = await registerTotp('New phone');
    expect(second.serial).not.toBe(firstToken.serial);
    const assignments = await app.adminApi('GET', `/resources/${resourceId}/assignments`);
    expect(assignments.items[0]).toMatchObject({ kind: 'token_with_user', token: { serial: second.serial } });
    await signOut();

    // From now on the new token's OTP is asked for.
    await startSignIn(LOGIN, PASSWORD);
    await page.getByLabel('One-time password').fill(totp(second.secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
  });

  it('other actions from their dialogs: name, password (bad input refused), PIN, environments, unassign', async () => {
    await adminPage.goto(`/admin/resources/${resourceId}?tab=self-service`);
    await enableActionsHere(['Change Password', 'Set Up PIN', 'Manage User Environment', 'Unassign Token']);
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => [...(await app.adminApi('GET', `/resources/${resourceId}`)).selfService.actions].sort())
      .toEqual(['changeLogin', 'changeName', 'changePassword', 'manageEnvironment', 'registerNewToken', 'setupPin', 'unassignToken']);
    await page.reload();
    await page.getByRole('heading', { name: 'Team Mail' }).waitFor();
    const dialog = page.getByRole('dialog');

    await page.getByRole('button', { name: /^Change Name/ }).click();
    await dialog.getByLabel('First name').fill('Paulina');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your name is changed.').waitFor();
    await page.getByText('Paulina Portal').waitFor();

    await page.getByRole('button', { name: /^Change Password/ }).click();
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('New password', { exact: true }).fill('short');
    await dialog.getByLabel('Repeat the new password').fill('short');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('[data-field-error]').filter({ hasText: 'The password must be at least 10 characters long.' }).waitFor();
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByLabel('New password', { exact: true }).fill('another password 2');
    await dialog.getByLabel('Repeat the new password').fill('another password 2');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('[data-field-error]').filter({ hasText: 'The current password is wrong.' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: /^Set Up PIN/ }).click();
    await dialog.getByLabel('PIN (4 digits)').fill('12');
    await dialog.getByLabel('Repeat the PIN').fill('12');
    await dialog.getByRole('button', { name: 'Save PIN' }).click();
    await dialog.locator('[data-field-error]').filter({ hasText: 'The PIN must be exactly 4 digits.' }).waitFor();
    await dialog.getByLabel('PIN (4 digits)').fill('4321');
    await dialog.getByLabel('Repeat the PIN').fill('4321');
    await dialog.getByLabel(/^After the code/).check();
    await dialog.getByRole('button', { name: 'Save PIN' }).click();
    await page.getByText('Your PIN is set.', { exact: false }).waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain('with PIN (after the code)');

    await page.getByRole('button', { name: /^Manage User Environment/ }).click();
    await dialog.getByText('experimental').first().waitFor();
    await dialog.getByLabel('Name', { exact: true }).first().fill('Test browser');
    await dialog.getByRole('button', { name: 'Save' }).first().click();
    await dialog.getByText('Saved.').waitFor();
    await dialog.getByText('Test browser', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();

    await page.getByRole('button', { name: /^Unassign Token/ }).click();
    await dialog.getByRole('button', { name: 'Unassign token' }).click();
    await page.getByText('The token is no longer assigned to you here.').waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain('No token on this resource');
    // The password is unchanged (the refused changes changed nothing). The token is still the user's own, which this
    // resource's verification accepts under the plain "user" assignment left behind: the sign-in still asks for it.
    await signOut();
    await startSignIn(LOGIN, PASSWORD);
    await page.getByLabel('One-time password').waitFor();
  });
});
