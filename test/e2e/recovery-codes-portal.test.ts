/**
 * Recovery codes in the self-service portal, end to end in headless Chromium. The administrator switches the
 * action "Generate Recovery Codes" on in the resource's Self-Service tab (it is off by default); the user, on a
 * phone-size screen and in German, generates a set after signing in with the authenticator app: the codes are
 * shown once with Copy (read back from the clipboard), Download (the .txt file read back) and Print (what the print
 * media shows: the codes and nothing else of the page). The user then signs in with one code in place of the app;
 * the same code again is refused. The administrator sees how many remain in the admin center and voids the set
 * with the in-app confirmation; from then on every code is refused.
 */
import { readFileSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp } from './harness';

const ALIAS = 'harbour';
const PASSWORD = 'harbour password 1';
/** The user's authenticator app (a TOTP token the administrator handed out). */
const APP_SEED = new Secret({ size: 20 });
const CODE_PATTERN = /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

let app: E2eApp;
let context: BrowserContext;
let page: Page;
let adminPage: Page;
let resourceId: string;
let rosaId: string;
let codes: string[] = [];

const totp = () => new TOTP({ secret: APP_SEED, algorithm: 'SHA1', digits: 6, period: 30 }).generate();
const dialog = () => page.getByRole('dialog');

beforeAll(async () => {
  app = await startApp();
  context = await app.browser.newContext({ baseURL: app.url, locale: 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  page = await context.newPage();
  adminPage = await (await app.newContext()).newPage();
  await app.signInAsAdmin(adminPage);

  resourceId = (await app.adminApi('POST', '/resources', { name: 'Harbour Office' })).id;
  rosaId = (await app.adminApi('POST', '/users', { login: 'rosa', firstName: 'Rosa', lastName: 'Marsh', email: 'rosa@example.test', password: PASSWORD })).id;
  await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'HW-ROSA-1', seed: APP_SEED.base32, seedEncoding: 'base32', ownerUserId: rosaId });
  // A plain "user" assignment: every factor Rosa owns proves her here, her recovery codes included.
  await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: rosaId });
});
afterAll(async () => app?.stop());

async function startSignIn() {
  await page.goto(`/selfservice/${ALIAS}`);
  await page.getByLabel('Login').fill('rosa');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('One-time password').waitFor();
}

async function signInWithRecoveryCode(code: string) {
  await startSignIn();
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(code);
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
}

const recoveryRow = () => page.getByTestId('portal-recovery-codes');
const recoveryToken = async () => (await app.adminApi('GET', `/tokens?search=rosa`)).items.find((token: { type: string }) => token.type === 'RECOVERY_CODES');

describe('recovery codes in the portal', () => {
  it('the administrator switches "Generate Recovery Codes" on (off by default) in the Self-Service tab', async () => {
    await adminPage.goto(`/admin/resources/${resourceId}?tab=self-service`);
    await adminPage.getByRole('switch', { name: "Enable User's Self-Service for This Resource" }).check();
    await adminPage.getByLabel('Alias').fill(ALIAS);
    const action = adminPage.getByRole('switch', { name: 'Generate Recovery Codes' });
    expect(await action.isChecked()).toBe(false);
    await action.check();
    await adminPage.getByRole('switch', { name: 'Change Name' }).check();
    // Orderable like the others: listed last, moved above "Manage User Environment" and then the name change.
    await adminPage.getByRole('button', { name: 'Move up: Generate Recovery Codes' }).click();
    await adminPage.getByRole('button', { name: 'Move up: Generate Recovery Codes' }).click();
    await adminPage.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => adminPage.locator('.toast').allTextContents()).toContain('Self-service settings saved.');
    expect((await app.adminApi('GET', `/resources/${resourceId}`)).selfService).toMatchObject({ enabled: true, alias: ALIAS, actions: ['GenerateRecoveryCodes', 'changeName'] });
  });

  it('on a phone, in German: the user generates a set, shown once with Copy, Download and Print', async () => {
    await startSignIn();
    await page.getByLabel('One-time password').fill(totp());
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Harbour Office' }).waitFor();
    expect(await page.locator('.action-grid button strong').allTextContents()).toEqual(['Generate Recovery Codes', 'Change Name']);
    expect(await recoveryRow().textContent()).toBe('—');

    await page.getByRole('button', { name: 'Deutsch' }).click();
    await page.getByRole('button', { name: /^Wiederherstellungscodes erzeugen/ }).click();
    await dialog().getByText('Sie erhalten einen Satz Codes.', { exact: false }).waitFor();
    await dialog().getByRole('button', { name: 'Neue Codes erzeugen' }).click();
    await dialog().getByText('Speichern Sie diese Codes jetzt: Sie werden nur dieses eine Mal angezeigt.', { exact: false }).waitFor();
    codes = (await dialog().getByTestId('recovery-codes').locator('li').allTextContents()).map((code) => code.trim());
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(CODE_PATTERN);
    expect(new Set(codes).size).toBe(10);
    // Usable on the phone: the codes and their buttons fit the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const box = (await dialog().boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);

    await dialog().getByRole('button', { name: 'Kopieren' }).click();
    await dialog().getByRole('button', { name: 'Kopiert' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    for (const code of codes) expect(copied).toContain(code);
    expect(copied).toContain('Harbour Office');

    const [download] = await Promise.all([page.waitForEvent('download'), dialog().getByRole('button', { name: 'Herunterladen (.txt)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^recovery-codes-harbour-\d{4}-\d{2}-\d{2}\.txt$/);
    const file = readFileSync((await download.path())!, 'utf8');
    expect(file.match(/[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/g)).toEqual(codes);

    // Print: on paper only the codes with their heading, nothing of the portal around them nor the buttons.
    await dialog().getByRole('button', { name: 'Drucken' }).click();
    const paper = page.getByTestId('recovery-print');
    expect(await paper.isVisible()).toBe(false);
    await page.emulateMedia({ media: 'print' });
    expect(await paper.getByRole('heading', { name: /^Wiederherstellungscodes für Harbour Office \(rosa\), erzeugt / }).isVisible()).toBe(true);
    expect((await paper.locator('li').allTextContents()).map((code) => code.trim())).toEqual(codes);
    expect(await paper.locator('li').first().isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Harbour Office', exact: true }).isVisible()).toBe(false);
    expect(await dialog().isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    await dialog().getByRole('button', { name: 'Ich habe sie gespeichert' }).click();
    await page.getByText('Ihre 10 Wiederherstellungscodes sind bereit. Jeder funktioniert einmal.').waitFor();
    expect(await recoveryRow().textContent()).toMatch(/^10 von 10 unbenutzt · /);
    await page.getByRole('button', { name: 'English' }).click();
    // The server keeps no code in a form the admin API would show.
    expect(JSON.stringify(await recoveryToken())).not.toContain(codes[0]!.replaceAll('-', ''));
    await signOut();
  });

  it('the user signs in with one code in place of the app; the same code again is refused', async () => {
    // Typed as people do: lower case, without the dashes.
    await signInWithRecoveryCode(codes[0]!.toLowerCase().replaceAll('-', ''));
    await page.getByRole('heading', { name: 'Harbour Office' }).waitFor();
    expect(await recoveryRow().textContent()).toMatch(/^9 of 10 unused · /);
    // A new set would void this one: the action says so before anything is made.
    await page.getByRole('button', { name: /^Generate Recovery Codes/ }).click();
    await dialog().getByText('Your current recovery codes (9 of 10 unused) stop working the moment the new ones are made.').waitFor();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    expect((await recoveryToken()).recoveryCodes).toMatchObject({ remaining: 9, total: 10 });
    await signOut();

    await signInWithRecoveryCode(codes[0]!);
    await page.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Harbour Office' }).count()).toBe(0);
    expect((await recoveryToken()).recoveryCodes).toMatchObject({ remaining: 9, total: 10 });
  });

  it('the administrator sees how many remain and voids the set; then every code is refused', async () => {
    const token = await recoveryToken();
    await adminPage.goto('/admin/tokens');
    await adminPage.getByRole('row', { name: new RegExp(token.serial) }).getByText('9 of 10 left').waitFor();
    await adminPage.goto(`/admin/tokens/${token.id}`);
    await adminPage.getByText('Recovery codes: 9 of 10 left', { exact: false }).waitFor();
    // Nothing here checks or reveals a code: an admin "Check OTP" would use one up.
    expect(await adminPage.getByRole('heading', { name: 'Check OTP' }).count()).toBe(0);
    expect(await adminPage.getByRole('heading', { name: 'Resync' }).count()).toBe(0);

    await adminPage.getByRole('button', { name: 'Void codes' }).click();
    const confirm = adminPage.getByRole('dialog', { name: 'Void these recovery codes?' });
    await confirm.getByText('All 9 unused codes stop working', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await recoveryToken()).recoveryCodes).toMatchObject({ remaining: 9 });

    await adminPage.getByRole('button', { name: 'Void codes' }).click();
    await confirm.getByRole('button', { name: 'Void codes' }).click();
    await expect.poll(() => adminPage.locator('.toast').allTextContents()).toContain('The recovery codes are void.');
    await adminPage.getByText('Recovery codes: 0 of 10 left', { exact: false }).waitFor();

    await signInWithRecoveryCode(codes[1]!);
    await page.locator('[data-field-error]').waitFor();
    expect(await page.getByRole('heading', { name: 'Harbour Office' }).count()).toBe(0);
  });
});
