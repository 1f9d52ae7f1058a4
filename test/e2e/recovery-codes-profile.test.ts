/**
 * Recovery codes on /profile and at /login end to end in headless Chromium. Grace, who has an authenticator app,
 * generates a set on /profile: the ten codes are shown once, with Copy (read back from the clipboard), Download (the
 * .txt file read back) and Print, until she says she saved them; then only the count remains. She signs in at
 * /login with one code instead of the app (typed in lower case without dashes), and the count drops; the same code
 * again is refused (attack: a code read over her shoulder after she used it). A new set voids the old one (a code of
 * the old set is refused), after a warning. A session that has not proven her factor confirms the new set with a
 * recovery code in the step-up dialog. German texts are checked at /login.
 */
import { readFile } from 'node:fs/promises';
import { Secret } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, totpCodes, type E2eApp } from './harness';

const PASSWORD = 'Grace recovery password 1';
const SEED = new Secret({ size: 20 });
const GROUPED_CODE = /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

let app: E2eApp;
let graceId: string;
let context: BrowserContext;
let page: Page;
/** A tab Grace signed in with her password before she had any factor: its session has proven nothing since. */
let unproven: Page;
let firstSet: string[] = [];
let secondSet: string[] = [];

/** Grace's app token: each call a code the server has not accepted yet (see totpCodes). */
const nextOtp = totpCodes(SEED);

async function submitPassword(target: Page, labels = { login: 'Login', password: 'Password', submit: 'Sign in' }) {
  await target.goto('/login');
  await target.getByLabel(labels.login).fill('grace');
  await target.getByLabel(labels.password).fill(PASSWORD);
  await target.getByRole('button', { name: labels.submit, exact: true }).click();
}

async function logOff(target: Page) {
  await target.getByRole('button', { name: 'Log off' }).click();
  await target.waitForURL('**/login');
}

const section = (target: Page) => target.getByRole('region', { name: 'Recovery codes' });
/** The codes on screen, once the new set is shown (allTextContents does not wait: the set arrives from the server). */
async function shownCodes(target: Page): Promise<string[]> {
  const items = section(target).getByTestId('recovery-codes').locator('li');
  await items.first().waitFor();
  return (await items.allTextContents()).map((code) => code.trim());
}

beforeAll(async () => {
  app = await startApp({ localhost: true });
  graceId = (await app.adminApi('POST', '/users', { login: 'grace', firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.test', password: PASSWORD })).id;
  context = await app.browser.newContext({ baseURL: app.url, locale: 'en-US', acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  page = await context.newPage();
  unproven = await (await app.browser.newContext({ baseURL: app.url, locale: 'en-US' })).newPage();
  await submitPassword(unproven);
  await unproven.waitForURL('**/profile');
  await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'GRACE-TOTP-1', seed: SEED.base32, seedEncoding: 'base32', ownerUserId: graceId });
});
afterAll(async () => app?.stop());

describe('recovery codes on /profile and at /login', () => {
  it('generates a set shown once with Copy, Download and Print; afterwards only the count is shown', async () => {
    await submitPassword(page);
    await page.getByLabel('Code').fill(nextOtp());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL('**/profile');
    await section(page).getByText('You have no recovery codes yet.').waitFor();
    await section(page).getByRole('button', { name: 'Generate recovery codes' }).click();

    await section(page).getByText('They are shown only this once', { exact: false }).waitFor();
    firstSet = await shownCodes(page);
    expect(firstSet).toHaveLength(10);
    for (const code of firstSet) expect(code).toMatch(GROUPED_CODE);
    expect(new Set(firstSet).size).toBe(10);

    await section(page).getByRole('button', { name: 'Copy' }).click();
    await section(page).getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('Recovery codes for grace at localhost:');
    for (const code of firstSet) expect(copied).toContain(code);

    const [download] = await Promise.all([page.waitForEvent('download'), section(page).getByRole('button', { name: 'Download (.txt)' }).click()]);
    expect(download.suggestedFilename()).toBe('recovery-codes-localhost.txt');
    const file = await readFile((await download.path())!, 'utf8');
    expect(file).toContain('Recovery codes for grace at localhost:');
    for (const code of firstSet) expect(file).toContain(code);

    // Print: on paper only the codes with their heading, nothing of the profile around them (no pop-up to block).
    await section(page).getByRole('button', { name: 'Print' }).click();
    const paper = page.getByTestId('recovery-print');
    expect(await paper.isVisible()).toBe(false);
    await page.emulateMedia({ media: 'print' });
    expect((await paper.locator('li').allTextContents()).map((code) => code.trim())).toEqual(firstSet);
    expect(await paper.getByRole('heading', { name: /^Recovery codes for grace at localhost:/ }).isVisible()).toBe(true);
    expect(await section(page).isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    await section(page).getByRole('button', { name: 'I have saved them' }).click();
    await expect.poll(() => section(page).getByTestId('recovery-codes').count()).toBe(0);
    await section(page).getByTestId('recovery-codes-status').getByText('10 of 10 codes left', { exact: false }).waitFor();
    await page.reload();
    await section(page).getByTestId('recovery-codes-status').getByText('10 of 10 codes left', { exact: false }).waitFor();
    expect(await page.getByText(firstSet[0]!).count()).toBe(0);
  });

  it('a recovery code signs in at /login instead of the app, and the count drops', async () => {
    await logOff(page);
    await submitPassword(page);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    // Typed the way people type it: lower case, without dashes.
    await page.getByLabel('Recovery code').fill(firstSet[0]!.replaceAll('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL('**/profile');
    await section(page).getByTestId('recovery-codes-status').getByText('9 of 10 codes left', { exact: false }).waitFor();
  });

  it('attack: the code just used, typed again, is refused and signs in nobody', async () => {
    // Someone who saw Grace type it (or found the printout after she used it) tries it.
    const attacker = await (await app.browser.newContext({ baseURL: app.url, locale: 'en-US' })).newPage();
    await submitPassword(attacker);
    await attacker.getByRole('button', { name: 'Use a recovery code' }).click();
    await attacker.getByLabel('Recovery code').fill(firstSet[0]!);
    await attacker.getByRole('button', { name: 'Confirm' }).click();
    await attacker.locator('[data-field-error]').filter({ hasText: 'This recovery code is wrong or was already used.' }).waitFor();
    expect(attacker.url()).toMatch(/\/login$/);
    await attacker.context().close();
  });

  it('a new set warns first, then voids the old one: an unused code of the old set is refused', async () => {
    await section(page).getByRole('button', { name: 'Generate recovery codes' }).click();
    await section(page).getByText('the codes you saved before stop working at once', { exact: false }).waitFor();
    await section(page).getByRole('button', { name: 'Replace my codes' }).click();
    secondSet = await shownCodes(page);
    expect(secondSet).toHaveLength(10);
    expect(secondSet.filter((code) => firstSet.includes(code))).toEqual([]);
    await section(page).getByRole('button', { name: 'I have saved them' }).click();
    await section(page).getByTestId('recovery-codes-status').getByText('10 of 10 codes left', { exact: false }).waitFor();

    await logOff(page);
    await submitPassword(page);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(firstSet[1]!);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'This recovery code is wrong or was already used.' }).waitFor();
    expect(page.url()).toMatch(/\/login$/);
  });

  it('a session that proved nothing confirms a new set with a recovery code in the step-up dialog', async () => {
    await unproven.reload();
    await section(unproven).getByRole('button', { name: 'Generate recovery codes' }).click();
    await section(unproven).getByRole('button', { name: 'Replace my codes' }).click();
    const stepUp = unproven.getByRole('dialog', { name: 'Confirm with your current code' });
    await stepUp.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await stepUp.getByLabel('Recovery code').fill(secondSet[0]!);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    const thirdSet = await (async () => {
      await section(unproven).getByTestId('recovery-codes').waitFor();
      return shownCodes(unproven);
    })();
    expect(thirdSet).toHaveLength(10);
    expect(thirdSet.filter((code) => secondSet.includes(code))).toEqual([]);
  });

  it('German: /login offers "Wiederherstellungscode verwenden" and explains the format', async () => {
    const german = await (await app.browser.newContext({ baseURL: app.url, locale: 'de-DE' })).newPage();
    await submitPassword(german, { login: 'Anmeldename', password: 'Passwort', submit: 'Anmelden' });
    await german.getByText('Geben Sie das Einmalpasswort Ihres Tokens ein', { exact: false }).waitFor();
    await german.getByRole('button', { name: 'Wiederherstellungscode verwenden' }).click();
    await german.getByText('Geben Sie einen der Wiederherstellungscodes ein', { exact: false }).waitFor();
    await german.getByText('Zwölf Buchstaben und Ziffern, etwa XXXX-XXXX-XXXX', { exact: false }).waitFor();
    await german.getByRole('button', { name: 'Stattdessen das Einmalpasswort verwenden' }).click();
    await german.getByLabel('Code').waitFor();
    await german.context().close();
  });
});
