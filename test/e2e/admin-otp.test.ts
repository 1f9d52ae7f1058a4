/**
 * The admin center end to end in headless Chromium: sign in through /login, create a user, create a software
 * TOTP token for them (QR code + secret shown once), activate it with its first code, assign it to a resource,
 * then "Check OTP" on the token shows whether a code is valid (a refused code stays in the field, selected). Closing
 * the wizard on its QR step asks first, in the page's language: the code is not shown again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { base32ToBytes } from '../../worker/lib/encoding';
import { importHmacKey } from '../../worker/otp/hotp';
import { generateTotp } from '../../worker/otp/totp';
import { adminStrings } from '../../ui/src/admin/strings';
import { tokenPageStrings } from '../../ui/src/admin/tokens/strings';
import { startApp, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  app = await startApp();
  page = await (await app.newContext()).newPage();
});
afterAll(async () => app?.stop());

async function totpFor(secretBase32: string, nowMs = Date.now()) {
  return generateTotp(await importHmacKey(base32ToBytes(secretBase32), 'SHA1'), nowMs, 30, 6);
}

describe('admin center', () => {
  it('refuses a wrong password at /login and signs the admin in with the right one', async () => {
    await page.goto('/login');
    await page.getByLabel('Login').fill(app.admin.login);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'Login or password is wrong' }).waitFor();
    await app.signInAsAdmin(page);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
  });

  it('creates a user', async () => {
    await page.goto('/admin/users');
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Login').fill('dora');
    await dialog.getByLabel('First name').fill('Dora');
    await dialog.getByLabel('Last name').fill('Explorer');
    await dialog.getByLabel('Email').fill('dora@example.test');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'dora' }).waitFor();
    const users = await app.adminApi('GET', '/users?search=dora');
    expect(users.items.map((u: { login: string }) => u.login)).toEqual(['dora']);
  });

  it('enrolls a software TOTP token by QR code and activates it with the first OTP', async () => {
    await page.goto('/admin/tokens');
    await page.getByRole('button', { name: 'New software token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Find the owner').fill('dora');
    await dialog.getByRole('button', { name: 'Choose', exact: true }).first().click();
    await dialog.getByRole('button', { name: 'Create' }).click();
    const qr = dialog.locator('img.qr');
    await qr.waitFor();
    expect(await qr.getAttribute('alt')).toMatch(/^otpauth:\/\/totp\/.*dora.*secret=/);
    const secret = (await dialog.getByTestId('token-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    const pending = await app.adminApi('GET', '/tokens?search=');
    expect(pending.items[0].activated).toBe(false);

    // Escape before the code is scanned asks first (it used to close the wizard, the secret gone); Cancel keeps
    // this step, QR code and secret included, and the first OTP still activates the token.
    await page.keyboard.press('Escape');
    const question = page.getByRole('alertdialog');
    await question.getByRole('heading', { name: tokenPageStrings.en.closePendingTitle }).waitFor();
    expect(await question.textContent()).toContain('The QR code and secret are not shown again.');
    await question.getByRole('button', { name: 'Cancel' }).click();
    await question.waitFor({ state: 'detached' });
    expect(await qr.isVisible()).toBe(true);
    expect((await dialog.getByTestId('token-secret').textContent())!.trim()).toBe(secret);

    await dialog.getByLabel('Confirm with first OTP').fill(await totpFor(secret));
    await dialog.getByRole('button', { name: 'Confirm with first OTP' }).click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContain('The token is active.');
    const tokens = await app.adminApi('GET', '/tokens');
    const token = tokens.items.find((t: { owner: { login: string } | null }) => t.owner?.login === 'dora');
    expect(token.activated).toBe(true);
    (globalThis as any).doraToken = { id: token.id, secret };
  });

  it('closing the wizard on its QR step asks in the page\'s language; Escape on the question keeps the wizard, confirming closes it', async () => {
    for (const [language, created] of [['de', 0], ['en', 1]] as const) {
      const t = adminStrings[language]!;
      const p = tokenPageStrings[language];
      await page.evaluate((lang) => localStorage.setItem('eid.language', lang), language);
      await page.goto('/admin/tokens');
      await page.getByRole('button', { name: t.newSoftwareToken! }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: t.create!, exact: true }).click();
      const qr = dialog.locator('img.qr');
      await qr.waitFor();
      const question = page.getByRole('alertdialog');
      // The dialog's close button asks too; so does Escape again after the question was dismissed by Escape.
      await dialog.getByRole('button', { name: language === 'de' ? 'Schließen' : 'Close' }).first().click();
      await question.getByText(p.closePendingText).waitFor();
      await page.keyboard.press('Escape');
      await question.waitFor({ state: 'detached' });
      expect(await qr.isVisible()).toBe(true);
      await page.keyboard.press('Escape');
      await question.getByRole('heading', { name: p.closePendingTitle }).waitFor();
      await question.getByRole('button', { name: p.closePending, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await page.getByRole('dialog').count()).toBe(0);
      // Closed, not deleted: the enrolment stays pending (the hourly purge removes it later).
      const unowned = (await app.adminApi('GET', '/tokens')).items.filter((token: { owner: unknown; activated: boolean }) => !token.owner && !token.activated);
      expect(unowned).toHaveLength(created + 1);
    }
  });

  it('assigns the user with the token to a resource (tab "Tokens with users")', async () => {
    await page.goto('/admin/resources');
    await page.getByRole('button', { name: 'New resource' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Webmail');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/admin\/resources\/[0-9a-f-]{36}/);
    await page.getByRole('tab', { name: 'Tokens with users' }).click();
    // The picker and the list's search are told apart by their labels.
    expect(await page.getByLabel('Search the assignments').count()).toBe(1);
    await page.getByLabel('Find a user to assign').fill('dora');
    await page.getByRole('button', { name: 'Choose', exact: true }).first().click();
    await page.getByLabel('Token', { exact: true }).selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Assign user' }).click();
    await page.getByRole('cell', { name: 'Token with user' }).waitFor();
  });

  it('"Check OTP" on the token says valid for the current code and not valid for a wrong one', async () => {
    const { id, secret } = (globalThis as any).doraToken as { id: string; secret: string };
    await page.goto(`/admin/tokens/${id}`);
    // The activation consumed the current time step: check the next one (TOTP window accepts one step ahead).
    await page.getByLabel('OTP', { exact: true }).fill(await totpFor(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Check OTP' }).click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContain('The OTP is valid.');

    // The valid code is cleared after the success.
    expect(await page.getByLabel('OTP', { exact: true }).inputValue()).toBe('');

    const field = page.getByLabel('OTP', { exact: true });
    await field.fill('000000');
    await page.getByRole('button', { name: 'Check OTP' }).click();
    await page.locator('[data-field-error]').filter({ hasText: 'The OTP is not valid.' }).waitFor();
    expect(await page.locator('.toast').filter({ hasText: 'The OTP is not valid.' }).count()).toBe(0);
    const token = await app.adminApi('GET', `/tokens/${id}`);
    expect(token.failCount).toBe(1);
    // The refused code stays in the field (it used to be emptied), selected and focused: typing replaces it.
    expect(await field.inputValue()).toBe('000000');
    expect(await field.evaluate((input: HTMLInputElement) => [document.activeElement === input, input.selectionStart, input.selectionEnd])).toEqual([true, 0, 6]);
    await page.keyboard.type('111111');
    expect(await field.inputValue()).toBe('111111');
  });

  it('shows the page in German when the language is switched', async () => {
    await page.goto('/login');
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
  });
});
