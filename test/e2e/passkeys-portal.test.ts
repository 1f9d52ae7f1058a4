/**
 * Passkeys in the self-service portal, end to end in headless Chromium with its virtual authenticator (DevTools
 * protocol WebAuthn: ctap2, internal transport, resident keys, user verification). The administrator allows
 * "Passkey" among the token types of Register New Token in the resource's Self-Service tab; the user registers a
 * passkey in the portal (named, made by the browser's ceremony), and the next sign-in's OTP step is answered with
 * it. A ceremony that finds no passkey on the device says so calmly (in German too) and changes nothing. A second
 * session of the user's (signed in before the passkey existed, so it has not proven it) confirms a guarded action
 * with the passkey in the step-up dialog. The admin center shows the passkey's WebAuthn facts and none of the OTP
 * controls (seed, Check OTP, resync, PIN). Reassign Token to a new passkey on a new device disables the old one.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVirtualAuthenticator, startApp, type E2eApp, type VirtualAuthenticator } from './harness';

const ALIAS = 'lab';
const PASSWORD = 'lab password 1';

let app: E2eApp;
let context: BrowserContext;
let page: Page;
let adminPage: Page;
let resourceId: string;
let adaId: string;
let device: VirtualAuthenticator;

beforeAll(async () => {
  // At http://localhost: an IP address is not a valid WebAuthn RP ID.
  app = await startApp({ localhost: true });
  context = await app.newContext();
  page = await context.newPage();
  device = await addVirtualAuthenticator(page);
  adminPage = await (await app.newContext()).newPage();
  await app.signInAsAdmin(adminPage);

  resourceId = (await app.adminApi('POST', '/resources', { name: 'Research Lab' })).id;
  adaId = (await app.adminApi('POST', '/users', { login: 'ada', firstName: 'Ada', lastName: 'Byron', email: 'ada@example.test', password: PASSWORD })).id;
  await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: adaId });
});
afterAll(async () => app?.stop());

const dialog = (on = page) => on.getByRole('dialog');

async function startSignIn(on = page) {
  await on.goto(`/selfservice/${ALIAS}`);
  await on.getByLabel('Login').fill('ada');
  await on.getByRole('button', { name: 'Next' }).click();
  await on.getByLabel('Password').fill(PASSWORD);
  await on.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
}

const adaTokens = async (type: string) => (await app.adminApi('GET', '/tokens?search=ada')).items.filter((token: { type: string }) => token.type === type);

describe('passkeys in the portal', () => {
  it('the administrator allows "Passkey" for Register New Token in the Self-Service tab', async () => {
    await adminPage.goto(`/admin/resources/${resourceId}?tab=self-service`);
    await adminPage.getByRole('switch', { name: "Enable User's Self-Service for This Resource" }).check();
    await adminPage.getByLabel('Alias').fill(ALIAS);
    await adminPage.getByRole('switch', { name: 'Register New Token' }).check();
    // Switching Register New Token on preselects the software token; this portal offers passkeys only.
    await adminPage.getByLabel('Software token, time-based (TOTP)').uncheck();
    await adminPage.getByLabel('Passkey (WebAuthn)').check();
    await adminPage.getByRole('switch', { name: 'Generate Recovery Codes' }).check();
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => adminPage.locator('.toast').allTextContents()).toContain('Self-service settings saved.');
    expect((await app.adminApi('GET', `/resources/${resourceId}`)).selfService).toMatchObject({ actions: ['registerNewToken', 'GenerateRecoveryCodes'], tokenTypes: ['PASSKEY'] });
  });

  let secondSession: Page;

  it('the user registers a passkey: named, made by the browser, shown as the token', async () => {
    // A second browser of Ada's, signed in before she has any factor: this session never proves the passkey.
    secondSession = await (await app.newContext()).newPage();
    await startSignIn(secondSession);
    await secondSession.getByText('Signed in as ada').waitFor();

    await startSignIn();
    await page.getByText('Signed in as ada').waitFor();
    await page.getByRole('button', { name: /^Register New Token/ }).click();
    await dialog().getByText('Passkey (this device, your phone or a security key)').waitFor();
    // The name is asked first: without one the browser is not called.
    await dialog().getByRole('button', { name: 'Create passkey' }).click();
    expect(await device.credentials()).toHaveLength(0);
    await dialog().getByLabel('Name of the passkey').fill('Work laptop');
    await dialog().getByRole('button', { name: 'Create passkey' }).click();
    await page.getByText('Your passkey is registered. From now on this portal asks for it when you sign in.').waitFor();
    const summary = (await page.getByTestId('portal-token').textContent())!;
    expect(summary).toContain('Passkey');
    expect(summary).toContain('Work laptop');

    const [credential] = await device.credentials();
    expect(credential).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    const [token] = await adaTokens('PASSKEY');
    expect(token).toMatchObject({ description: 'Work laptop', owner: { id: adaId }, enabled: true });
    await signOut();
  });

  it('the next sign-in asks for the passkey and the ceremony completes it', async () => {
    const countBefore = (await device.credentials())[0]!.signCount;
    await startSignIn();
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByText('Signed in as ada').waitFor();
    expect((await device.credentials())[0]!.signCount).toBeGreaterThan(countBefore);
    await signOut();
  });

  it('a device without the passkey: the refusal is calm, in German too, and the user stays at the step', async () => {
    const [credential] = await device.credentials();
    await device.removeAll();
    await startSignIn();
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await page.getByRole('button', { name: 'Passkey verwenden' }).click();
    await page.getByRole('alert').filter({ hasText: 'Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen. Es wurde nichts geändert' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    expect(await page.getByText('Signed in as ada').count()).toBe(0);

    // The passkey back on the device: the same step now signs in.
    await device.addCredential(credential!);
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByText('Signed in as ada').waitFor();
  });

  it('a session that has not proven the passkey confirms a guarded action with it in the step-up dialog', async () => {
    // The same passkey on the second browser, as a synced passkey would be.
    const secondDevice = await addVirtualAuthenticator(secondSession);
    const [credential] = await device.credentials();
    await secondDevice.addCredential(credential!);

    await secondSession.reload();
    await secondSession.getByRole('button', { name: /^Generate Recovery Codes/ }).click();
    await dialog(secondSession).getByRole('button', { name: 'Generate new codes' }).click();
    const stepUp = secondSession.getByRole('dialog', { name: 'Confirm with your current code' });
    await stepUp.getByRole('button', { name: 'Use your passkey' }).click();
    await dialog(secondSession).getByTestId('recovery-codes').waitFor();
    expect(await dialog(secondSession).getByTestId('recovery-codes').locator('li').count()).toBe(10);
  });

  it('the admin center shows the passkey\'s WebAuthn facts and no OTP controls', async () => {
    const [token] = await adaTokens('PASSKEY');
    await adminPage.goto(`/admin/tokens/${token.id}`);
    const facts = adminPage.getByTestId('passkey-facts');
    await facts.waitFor();
    const text = (await facts.textContent())!;
    expect(text).toContain('Work laptop');
    expect(text).toContain('internal');
    expect(text).toMatch(/AAGUID/);
    expect(text).toMatch(/Backed up\s*No/);
    expect(text).toMatch(/Suspicious\s*No/);
    for (const heading of ['Check OTP', 'Resync', 'PIN']) expect(await adminPage.getByRole('heading', { name: heading, exact: true }).count()).toBe(0);
  });

  it('Reassign to a new passkey on a new device: it replaces the old one, which the sign-in no longer takes', async () => {
    await app.adminApi('PUT', `/resources/${resourceId}/self-service`, { enabled: true, alias: ALIAS, actions: ['registerNewToken', 'GenerateRecoveryCodes', 'reassignToken'], tokenTypes: ['PASSKEY'] });
    const [oldToken] = await adaTokens('PASSKEY');
    const [oldCredential] = await device.credentials();
    // A new phone: it holds no passkey of Ada's yet. The session proved the old passkey at sign-in minutes ago.
    await device.removeAll();
    await page.reload();
    await page.getByRole('button', { name: /^Reassign Token/ }).click();
    expect(await dialog().getByLabel('Create a new passkey').isChecked()).toBe(true);
    await dialog().getByLabel('Name of the passkey').fill('New phone');
    await dialog().getByRole('button', { name: 'Create passkey' }).click();
    await page.getByText('Your new passkey is registered; the old token no longer works.').waitFor();
    expect(await page.getByTestId('portal-token').textContent()).toContain('New phone');
    expect((await app.adminApi('GET', `/tokens/${oldToken.id}`)).enabled).toBe(false);
    const [newCredential] = await device.credentials();
    await signOut();

    // The old passkey, were it still on a device, is not asked for: the ceremony finds nothing it may use.
    await device.removeAll();
    await device.addCredential(oldCredential!);
    await startSignIn();
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'The passkey request was cancelled or timed out.' }).waitFor();
    expect(await page.getByText('Signed in as ada').count()).toBe(0);

    await device.removeAll();
    await device.addCredential(newCredential!);
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByText('Signed in as ada').waitFor();
  });
});
