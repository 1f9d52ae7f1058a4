/**
 * An SMS token registered in the self-service portal, end to end in headless Chromium on a phone-size screen: the
 * user picks "Code by SMS" in Register New Token, the phone field is prefilled with the number on the account, a
 * wrong code is refused, the code read from what the impersonated Twilio received confirms the token, and the next
 * sign-in asks for (and accepts) a fresh code sent to that number.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp } from './harness';

const ALIAS = 'sms-office';
const PASSWORD = 'portal password 1';
const SCENARIO = 'portal-sms-token';
const PHONE = '+4915123456700';

let app: E2eApp;
let page: Page;
let userId: string;

beforeAll(async () => {
  app = await startApp({ providers: true });
  const context = await app.browser.newContext({ baseURL: app.url, locale: 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page = await context.newPage();
  const resource = await app.adminApi('POST', '/resources', { name: 'SMS Office' });
  await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: ALIAS, actions: ['registerNewToken'], tokenTypes: ['TOTP', 'SMS'] });
  userId = (await app.adminApi('POST', '/users', { login: 'nora', firstName: 'Nora', lastName: 'Sms', phone: PHONE, password: PASSWORD })).id;
  await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId });
  await app.useTwilio(SCENARIO);
});
afterAll(async () => app?.stop());

/** The codes in the SMS PHONE received, oldest first; waits until there are `count`. */
const smsCodes = (count: number) => app.smsCodes(SCENARIO, PHONE, count);

async function passwordStep() {
  await page.goto(`/selfservice/${ALIAS}`);
  await page.getByLabel('Login').fill('nora');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('portal SMS token', () => {
  it('Register New Token -> Code by SMS: confirmed with the texted code; the next sign-in asks for an SMS code', async () => {
    await passwordStep();
    await page.getByRole('heading', { name: 'SMS Office' }).waitFor();
    await page.getByRole('button', { name: /^Register New Token/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Token type').selectOption('SMS');
    const phoneField = dialog.getByLabel('Phone number the codes go to');
    expect(await phoneField.inputValue()).toBe(PHONE);
    await dialog.getByRole('button', { name: 'Send code' }).click();
    await dialog.getByText(/We sent a code by SMS to \+49•+00\./).waitFor();
    const [code] = await smsCodes(1);

    // A wrong code: refused, the token stays pending and unassigned.
    await dialog.getByLabel('Code from the message').fill(String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
    await dialog.getByRole('button', { name: 'Confirm token' }).click();
    await dialog.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();
    const pending = (await app.adminApi('GET', `/tokens?ownerUserId=${userId}`)).items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ type: 'SMS', activated: false });

    await dialog.getByLabel('Code from the message').fill(code!);
    await dialog.getByRole('button', { name: 'Confirm token' }).click();
    await page.getByText('Your token is registered.', { exact: false }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const [token] = (await app.adminApi('GET', `/tokens?ownerUserId=${userId}`)).items;
    expect(token).toMatchObject({ type: 'SMS', activated: true, destination: '+49•••••••••00' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();

    // The next sign-in: after the password, a code goes to the phone and the portal asks for it.
    await passwordStep();
    await page.getByText(/We sent a code by SMS to \+49•+00\. Enter it/).waitFor();
    const codes = await smsCodes(2);
    expect(codes[1]).not.toBe(code);
    await page.getByLabel('Code from the message').fill(codes[1]!);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'SMS Office' }).waitFor();
  });
});
