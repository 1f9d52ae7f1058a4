/**
 * Errors a person can act on (issue 13 §2), in headless Chromium, in German: the server's refusals appear at the
 * field they concern with the rule in words ("Mindestens 10 Zeichen."), tied to the input by aria-describedby,
 * the limits are stated before anyone types, no toast repeats a field's refusal, and a success ends an error toast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startApp, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  app = await startApp();
  page = await (await app.newContext()).newPage();
  await app.signInAsAdmin(page);
  await page.evaluate(() => localStorage.setItem('eid.language', 'de'));
});
afterAll(async () => app?.stop());

/** The error text tied to an input by its aria-describedby. */
async function describedError(page: Page, name: string): Promise<string> {
  return page.evaluate((name) => {
    const input = document.querySelector(`[name="${name}"]`);
    const ids = (input?.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    return ids.map((id) => document.getElementById(id)).filter((el) => el?.classList.contains('field-error')).map((el) => el!.textContent).join(' ');
  }, name);
}

describe('field errors in German', () => {
  it('shows a refused login and a short password at their fields, with the rule, and no toast repeating them', async () => {
    await page.goto('/admin/users');
    await page.getByRole('button', { name: 'Neuer Benutzer' }).click();
    const dialog = page.locator('dialog[open], .dialog').last();
    // The limits are there before typing.
    expect(await dialog.locator('.field', { has: page.locator('[name="login"]') }).locator('.hint').textContent()).toContain('Nur Buchstaben, Ziffern und . _ @ + -.');
    expect(await dialog.locator('.field', { has: page.locator('[name="password"]') }).locator('.hint').textContent()).toContain('Mindestens 10 Zeichen.');

    await page.locator('[name="login"]').fill('kein gültiger login!');
    await page.locator('[name="password"]').fill('kurz');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await expect.poll(() => describedError(page, 'login')).toBe('Nur Buchstaben, Ziffern und . _ @ + -.');
    expect(await page.locator('[name="login"]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.toast').count()).toBe(0);
    expect(await page.locator('dialog[open], .dialog').last().textContent()).not.toContain('Too small');

    // Editing the field answers its refusal; the server then names the next one.
    await page.locator('[name="login"]').fill('feld-fehler');
    expect(await describedError(page, 'login')).toBe('');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await expect.poll(() => describedError(page, 'password')).toBe('Mindestens 10 Zeichen.');
    expect(await page.locator('.toast').count()).toBe(0);
  });

  it('shows a taken login at the login field in German', async () => {
    await page.locator('[name="password"]').fill('');
    await page.locator('[name="login"]').fill(app.admin.login);
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await expect.poll(() => describedError(page, 'login')).toBe('Dieser Anmeldename ist bereits vergeben.');
  });

  it('the admin center starts in the language of the admin account and switches in the account menu', async () => {
    const context = await app.newContext();
    const fresh = await context.newPage();
    const admins = await app.adminApi('GET', `/users?search=${encodeURIComponent(app.admin.login)}`);
    const admin = admins.items.find((user: { login: string }) => user.login === app.admin.login);
    await app.adminApi('PATCH', `/users/${admin.id}`, { language: 'de' });
    try {
      await app.signInAsAdmin(fresh);
      await fresh.goto('/admin/users');
      await expect.poll(() => fresh.locator('html').getAttribute('lang')).toBe('de');
      expect(await fresh.getByRole('button', { name: 'Neuer Benutzer' }).count()).toBe(1);

      await fresh.getByRole('button', { name: app.admin.login }).click();
      await fresh.getByRole('menuitemradio', { name: 'English' }).click();
      await expect.poll(() => fresh.getByRole('button', { name: 'New user' }).count()).toBe(1);
      // The choice is kept on this device: a reload stays English although the account says German.
      await fresh.reload();
      await expect.poll(() => fresh.getByRole('button', { name: 'New user' }).count()).toBe(1);
    } finally {
      await app.adminApi('PATCH', `/users/${admin.id}`, { language: 'en' });
      await context.close();
    }
  });
});
