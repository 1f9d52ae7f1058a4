/**
 * An SMS token created in the admin center, end to end in headless Chromium: "New SMS/email token" with the user
 * picker (missing user and a bad number are refused at the fields; the number is prefilled from the user's
 * account), the token is assigned to a resource as "token with user", and "Check OTP" on its page sends a code
 * ("Send code") that, read from what the impersonated Twilio received, checks as valid; a wrong one does not.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp } from './harness';

const SCENARIO = 'admin-sms-token';
const PHONE = '+4915123456711';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  app = await startApp({ providers: true });
  page = await (await app.newContext()).newPage();
  await app.adminApi('POST', '/users', { login: 'otto', firstName: 'Otto', lastName: 'Sms', phone: PHONE });
  await app.adminApi('POST', '/resources', { name: 'VPN' });
  await app.useTwilio(SCENARIO);
});
afterAll(async () => app?.stop());

/** The codes in the SMS PHONE received, oldest first; waits until there are `count`. */
const smsCodes = (count: number) => app.smsCodes(SCENARIO, PHONE, count);

describe('admin center: SMS token', () => {
  it('creates an SMS token for a user, assigns it, and "Check OTP" with the texted code says valid', async () => {
    await app.signInAsAdmin(page);
    await page.goto('/admin/tokens');
    await page.getByRole('button', { name: 'New SMS/email token' }).click();
    const dialog = page.getByRole('dialog');

    // No user picked: refused at the field, nothing created.
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Choose the user the token is for.' }).waitFor();

    await dialog.getByLabel('Find the owner').fill('otto');
    await dialog.getByRole('button', { name: 'Choose', exact: true }).first().click();
    // Prefilled from the account.
    const destination = dialog.getByLabel('Phone number');
    await expect.poll(() => destination.inputValue()).toBe(PHONE);
    await destination.fill('call me maybe');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // Said at the field (the one field component), tied to the input by aria-describedby.
    await dialog.locator('[data-field-error]').filter({ hasText: 'This is not a valid phone number.' }).waitFor();
    expect(await destination.getAttribute('aria-invalid')).toBe('true');
    expect((await app.adminApi('GET', '/tokens')).items).toEqual([]);

    await destination.fill(PHONE);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/admin\/tokens\/[0-9a-f-]{36}$/);
    const tokenUrl = page.url();
    const token = (await app.adminApi('GET', '/tokens')).items[0];
    expect(token).toMatchObject({ type: 'SMS', activated: true, owner: { login: 'otto' } });
    expect(token.destination).toMatch(/^\+49•+11$/);

    // Assign it to the resource as "token with user".
    await page.goto('/admin/resources');
    await page.getByRole('link', { name: 'VPN' }).first().click();
    await page.waitForURL(/\/admin\/resources\/[0-9a-f-]{36}/);
    await page.getByRole('tab', { name: 'Tokens with users' }).click();
    await page.getByLabel('Find a user to assign').fill('otto');
    await page.getByRole('button', { name: 'Choose', exact: true }).first().click();
    await page.getByLabel('Token', { exact: true }).selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Assign user' }).click();
    await page.getByRole('cell', { name: 'Token with user' }).waitFor();

    // "Check OTP": send a code first, then check it.
    await page.goto(tokenUrl);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByText(/A code was sent to \+49•+11/).waitFor();
    const [code] = await smsCodes(1);
    await page.getByLabel('OTP', { exact: true }).fill(String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
    await page.getByRole('button', { name: 'Check OTP' }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'The OTP is not valid.' }).waitFor();
    expect(await page.locator('.toast').filter({ hasText: 'The OTP is not valid.' }).count()).toBe(0);
    await page.getByLabel('OTP', { exact: true }).fill(code!);
    await page.getByRole('button', { name: 'Check OTP' }).click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContain('The OTP is valid.');
    expect((await app.adminApi('GET', `/tokens/${token.id}`)).failCount).toBe(0);
  });
});
