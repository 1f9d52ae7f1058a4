/**
 * Errors a person can act on (issue 13 §2), in headless Chromium, in German: the server's refusals appear at the
 * field they concern with the rule in words ("Mindestens 10 Zeichen."), tied to the input by aria-describedby,
 * the limits are stated before anyone types, no toast repeats a field's refusal, and a success ends an error toast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { securityStrings } from '../../ui/src/admin/security/strings';
import { selfServiceStrings } from '../../ui/src/admin/self-service/strings';
import { adminStrings } from '../../ui/src/admin/strings';
import { messageTokenStrings } from '../../ui/src/admin/tokens/strings';
import { startAdminPage, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  ({ app, page } = await startAdminPage());
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
    // A new user starts in the language the admin works in.
    expect(await dialog.locator('[name="language"]').inputValue()).toBe('de');
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

  it('the software token wizard says a wrong first OTP at the code field, not in a box below the form', async () => {
    await page.goto('/admin/tokens');
    await page.getByRole('button', { name: adminStrings.de.newSoftwareToken }).click();
    const dialog = page.locator('dialog[open]').last();
    expect(await dialog.locator('.field', { has: page.locator('[name="description"]') }).locator('.hint').textContent()).toBe('Höchstens 200 Zeichen.');
    await dialog.getByRole('button', { name: adminStrings.de.create }).click();
    await dialog.locator('[name="otp"]').fill('000000');
    await dialog.getByRole('button', { name: adminStrings.de.confirmFirstOtp }).click();
    await expect.poll(() => describedError(page, 'otp')).toBe(adminStrings.de.otpInvalid);
    expect(await page.locator('[name="otp"]').getAttribute('aria-invalid')).toBe('true');
    // Typing again answers the refusal.
    await dialog.locator('[name="otp"]').fill('1');
    expect(await describedError(page, 'otp')).toBe('');
    await page.keyboard.press('Escape');
  });

  it('the SMS/email token form says a missing destination at its field in German', async () => {
    await page.goto('/admin/tokens');
    await page.getByRole('button', { name: messageTokenStrings.de.newMessageToken }).click();
    const dialog = page.locator('dialog[open]').last();
    await dialog.getByRole('button', { name: adminStrings.de.create }).click();
    await expect.poll(() => describedError(page, 'destination')).toBe(messageTokenStrings.de.destinationRequired);
    expect(await dialog.locator('[data-field-error]').allTextContents()).toContain(messageTokenStrings.de.ownerRequired);
    expect(await page.locator('.toast').count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it("a token's PIN that breaks the rule is refused at the PIN field with the rule, not in a toast", async () => {
    const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'FIELD-PIN-1', seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', seedEncoding: 'base32' });
    await page.goto(`/admin/tokens/${token.id}`);
    expect(await page.locator('.field', { has: page.locator('[name="pin"]') }).locator('.hint').textContent()).toBe('4 bis 8 Ziffern.');
    await page.locator('[name="pin"]').fill('12');
    await page.getByRole('button', { name: adminStrings.de.setPin }).click();
    await expect.poll(() => describedError(page, 'pin')).toBe('4 bis 8 Ziffern.');
    expect(await page.locator('.toast').count()).toBe(0);
    expect((await app.adminApi('GET', `/tokens/${token.id}`)).hasPin).toBe(false);
  });

  it("the self-service alias is refused at its field, in German, with the alias rule as its hint", async () => {
    const resource = await app.adminApi('POST', '/resources', { name: 'Field alias resource' });
    await page.goto(`/admin/resources/${resource.id}?tab=self-service`);
    await page.getByRole('switch', { name: selfServiceStrings.de.enablePortal }).check();
    await page.locator('[name="alias"]').fill('admin');
    await expect.poll(() => describedError(page, 'alias')).toBe(selfServiceStrings.de.aliasReserved);
    expect(await page.locator('[name="alias"]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field', { has: page.locator('[name="alias"]') }).locator('.hint').textContent()).toBe(selfServiceStrings.de.aliasHint);
    await page.locator('[name="alias"]').fill('field-alias');
    await expect.poll(() => describedError(page, 'alias')).toBe('');
  });

  it('names a resource, a group and an API key within the limits the server takes, stated before anyone types', async () => {
    const limitOf = async (name: string) => ({
      hint: await page.locator('.field', { has: page.locator(`[name="${name}"]`) }).locator('.hint').textContent(),
      maxLength: await page.locator(`[name="${name}"]`).getAttribute('maxlength'),
    });
    await page.goto('/admin/resources');
    await page.getByRole('button', { name: adminStrings.de.newResource }).click();
    expect(await limitOf('name')).toEqual({ hint: 'Höchstens 120 Zeichen.', maxLength: '120' });
    expect(await limitOf('description')).toEqual({ hint: 'Höchstens 500 Zeichen.', maxLength: '500' });
    await page.keyboard.press('Escape');

    await page.goto('/admin/groups');
    await page.getByRole('button', { name: adminStrings.de.newGroup }).click();
    expect(await limitOf('name')).toEqual({ hint: 'Höchstens 120 Zeichen.', maxLength: '120' });
    await page.keyboard.press('Escape');

    // The server refuses one character more, at the field and in German, so the stated limit is the real one.
    await page.goto('/admin/api-keys');
    expect(await limitOf('key-name')).toEqual({ hint: 'Höchstens 100 Zeichen.', maxLength: '100' });
    const refused = await fetch(`${app.url}/api/admin/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.admin.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'k'.repeat(101), scope: 'verify' }),
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.details.issues).toMatchObject([{ path: 'name', code: 'too_big', params: { maximum: 100 } }]);
  });

  it("the new user's email and the user page's password are refused by the app at the field, not by the browser's bubble or a toast", async () => {
    await page.goto('/admin/users');
    await page.getByRole('button', { name: adminStrings.de.newUser }).click();
    await page.locator('[name="login"]').fill('feld-email');
    await page.locator('[name="email"]').fill('keine-adresse');
    await page.getByRole('button', { name: adminStrings.de.create }).click();
    // The browser's own check would stop the submit with a bubble in the browser's language (validity false).
    await expect.poll(() => describedError(page, 'email')).toBe('Keine gültige E-Mail-Adresse.');
    expect(await page.locator('.toast').count()).toBe(0);
    await page.locator('[name="email"]').fill('feld-email@example.com');
    await page.getByRole('button', { name: adminStrings.de.create }).click();
    await page.waitForURL(/\/admin\/users\/[^/]+$/);

    // Set password states the rule before anyone types and says a short one at the field, with the rule.
    const passwordField = page.locator('.field', { has: page.locator('[name="password"]') });
    expect(await passwordField.locator('.hint').textContent()).toBe('Mindestens 10 Zeichen.');
    await page.locator('[name="password"]').fill('kurz');
    await page.getByRole('button', { name: adminStrings.de.setPassword }).click();
    await expect.poll(() => describedError(page, 'password')).toBe('Mindestens 10 Zeichen.');
    expect(await page.locator('[name="password"]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.toast.error').count()).toBe(0);
    await page.locator('[name="password"]').fill('ein langes neues Passwort');
    await page.getByRole('button', { name: adminStrings.de.setPassword }).click();
    await expect.poll(async () => (await app.adminApi('GET', `/users/${page.url().split('/').pop()}`)).hasPassword).toBe(true);
    expect(await page.locator('.toast.error').count()).toBe(0);
    expect(await describedError(page, 'password')).toBe('');
  });

  it('a Twilio Account SID states its form before typing and a wrong one is refused with that rule; the save bar floats only with changes', async () => {
    await page.goto('/admin/security/email');
    const saveBar = page.getByTestId('messaging-save-bar');
    await saveBar.waitFor();
    expect(await saveBar.evaluate((el) => getComputedStyle(el).position)).toBe('static');
    await page.getByRole('combobox', { name: securityStrings.de.smsSupplier }).selectOption('twilio');
    expect(await saveBar.evaluate((el) => getComputedStyle(el).position)).toBe('sticky');
    const rule = 'AC und 32 Hexadezimalziffern (0-9, a-f), wie die Twilio-Konsole sie zeigt.';
    const sidField = page.locator('.field', { has: page.getByLabel(securityStrings.de.accountSid!) });
    expect(await sidField.textContent()).toContain(rule);
    await page.getByLabel(securityStrings.de.accountSid!).fill('AC123');
    await page.getByLabel(securityStrings.de.authToken!).fill('ein-auth-token-123');
    await page.getByLabel(securityStrings.de.smsSender!, { exact: true }).fill('+15005550006');
    await page.getByRole('button', { name: securityStrings.de.saveMessaging }).click();
    await expect.poll(() => sidField.locator('[data-field-error]').textContent()).toBe(rule);
    expect((await app.adminApi('GET', '/messaging/settings')).sms.primary.type).toBe('outbox');
  });

  it('a message template without its code is refused in German, while typing and at the save', async () => {
    await page.goto('/admin/security/email');
    const field = page.getByLabel(securityStrings.de.smsTemplate!);
    const fieldError = page.locator('.field', { has: field }).locator('[data-field-error]');
    await field.fill('Ihr Code kommt gleich.');
    await expect.poll(() => fieldError.textContent()).toBe('Der Text muss {{code}} enthalten.');
    await page.getByRole('button', { name: securityStrings.de.saveMessaging }).click();
    await expect.poll(() => page.getByTestId('save-error').count()).toBe(1);
    expect(await fieldError.textContent()).toBe('Der Text muss {{code}} enthalten.');
    expect((await app.adminApi('GET', '/messaging/settings')).templates.de.sms).toContain('{{code}}');
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
