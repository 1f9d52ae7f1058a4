/**
 * Admin Center > Misc > Security in headless Chromium against the real Worker and the local provider
 * impersonation server: the admin enables two-factor authentication, configures Twilio (base URL pointing at the
 * local Twilio), edits and previews the German SMS text, sends a test SMS, and the Twilio impersonation shows what
 * arrived (number, Basic auth, text). A send Twilio refuses is said for people ("Twilio refused the credentials
 * (HTTP 401)", in German too) in the test result and in the message log, with Twilio's answer folded beneath. The
 * admin lowers a send limit in the Limits panel. Bad input: an unknown placeholder or an out-of-range limit is
 * refused with its field error and nothing is saved; an invalid phone number sends nothing. The admin activity retention is set in days; a value out of its bounds is refused at the
 * field, in English and in German.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startAdminPage, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

const SCENARIO = `security-page-${Date.now().toString(36)}`;
const TWILIO = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'twilio-auth-token-e2e-1234', from: '+15005550006' };
const GERMAN_SMS = 'Ihr Anmeldecode: {{code}}. Gültig für {{validity}}. Test';

beforeAll(async () => {
  ({ app, page } = await startAdminPage({ providers: true }));
});
afterAll(async () => app?.stop());

const toasts = () => page.locator('.toast').allTextContents();

describe('Admin Center > Security', () => {
  it('lists the login methods and enables two-factor authentication for the platform', async () => {
    await page.goto('/admin/security');
    await page.getByRole('heading', { name: 'Security', exact: true }).waitFor();
    const methods = page.getByRole('region', { name: 'Login methods' });
    await methods.getByRole('cell', { name: /^Email/ }).waitFor();
    await methods.getByRole('cell', { name: /^SAML/ }).waitFor();
    await expect.poll(() => methods.textContent()).toContain('2FA off');

    await page.getByLabel('Enable two-factor authentication for the platform').check();
    await expect.poll(toasts).toContain('Two-factor authentication is enabled.');
    expect(await app.adminApi('GET', '/security')).toEqual({ twoFactorEnabled: true });
    await expect.poll(() => methods.textContent()).toContain('2FA on');

    // The SAML method opens its own section (a lazily loaded chunk) under its own path.
    await page.getByRole('tab', { name: 'SAML' }).click();
    await page.waitForURL('**/admin/security/saml');
    await page.getByRole('heading', { name: 'SAML single sign-on' }).waitFor();
    await page.getByRole('tab', { name: 'Email' }).click();
    await page.waitForURL('**/admin/security/email');
  });

  it('configures Twilio with the local provider as base URL; the secret is stored but never shown', async () => {
    await page.getByRole('combobox', { name: 'SMS supplier' }).selectOption('twilio');
    await page.getByLabel('Account SID').fill(TWILIO.accountSid);
    await page.getByLabel('Auth token').fill(TWILIO.authToken);
    await page.getByLabel('Sender', { exact: true }).fill(TWILIO.from);
    await page.getByLabel('Base URL').fill(`${app.providers!.url}/${SCENARIO}`);
    await page.getByRole('button', { name: 'Save message settings' }).click();
    await expect.poll(toasts).toContain('Message settings saved.');

    const saved = await app.adminApi('GET', '/messaging/settings');
    expect(saved.sms.primary).toMatchObject({ type: 'twilio', accountSid: TWILIO.accountSid, from: TWILIO.from, baseUrl: `${app.providers!.url}/${SCENARIO}` });
    expect(saved.sms.primary.authToken).not.toContain(TWILIO.authToken);
    // Write-only: the input is empty again and says "set"; the token is nowhere on the page.
    expect(await page.getByLabel('Auth token').inputValue()).toBe('');
    await page.getByText('set', { exact: true }).first().waitFor();
    expect(await page.content()).not.toContain(TWILIO.authToken);
  });

  it('edits the German SMS text with a live preview and saves it', async () => {
    await page.getByRole('tab', { name: 'Deutsch' }).click();
    await page.getByLabel('SMS verification text').fill(GERMAN_SMS);
    const preview = page.getByTestId('sms-preview');
    await expect.poll(() => preview.textContent()).toBe('Ihr Anmeldecode: 123456. Gültig für 10 Minuten. Test');
    await page.getByRole('button', { name: 'Save message settings' }).click();
    await expect.poll(toasts).toContain('Message settings saved.');
    expect((await app.adminApi('GET', '/messaging/settings')).templates.de.sms).toBe(GERMAN_SMS);
  });

  it('sends a test SMS: Twilio receives the normalised number, Basic auth and the German text', async () => {
    const test = page.getByRole('form', { name: 'Send test message' });
    await test.getByLabel('Mobile number').fill('0151 23456789');
    await test.getByLabel('Language of the message').selectOption('de');
    await test.getByRole('button', { name: 'Send test message' }).click();
    const result = page.getByTestId('test-result');
    await expect.poll(() => result.textContent()).toContain('Sent via Twilio to +4915123456789.');

    const requests = await app.providers!.requests(SCENARIO);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe(`/2010-04-01/Accounts/${TWILIO.accountSid}/Messages.json`);
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from(`${TWILIO.accountSid}:${TWILIO.authToken}`).toString('base64')}`);
    const form = new URLSearchParams(request!.body);
    expect(form.get('To')).toBe('+4915123456789');
    expect(form.get('From')).toBe(TWILIO.from);
    expect(form.get('Body')).toMatch(/^Ihr Anmeldecode: \d{6}\. Gültig für 10 Minuten\. Test$/);
    expect(await result.textContent()).toContain(form.get('Body'));

    // The message log has the send, without its text or code.
    await page.getByRole('tab', { name: 'Message log' }).click();
    await page.waitForURL('**/admin/security/message-log');
    const log = page.getByTestId('message-log');
    await expect.poll(() => log.textContent()).toContain('+4915123456789');
    expect(await log.textContent()).toContain('Sent');
    // The message's language in words, not its code.
    expect(await log.textContent()).toMatch(/ · (German|English)/);
    expect(await log.textContent()).not.toContain(/\d{6}/.exec(form.get('Body')!)![0]);
  });

  it('refuses an unknown placeholder next to its field and saves nothing; an invalid number sends nothing', async () => {
    await page.goto('/admin/security/email');
    await page.getByRole('tab', { name: 'Deutsch' }).click();
    const field = page.getByLabel('SMS verification text');
    await field.fill('Ihr Code lautet {{pin}}');
    // The preview flags it while typing…
    await expect.poll(() => page.locator('[data-field-error]').allTextContents()).toContainEqual(expect.stringContaining('Unknown placeholder {{pin}} at line 1, column'));
    // …and the save is refused with the server's error under the field; the summary counts it without repeating it.
    await page.getByRole('button', { name: 'Save message settings' }).click();
    const error = page.getByTestId('save-error');
    await expect.poll(() => error.textContent()).toContain('The settings are not valid (one problem, marked at its field).');
    expect(await error.textContent()).toContain('Nothing was saved.');
    expect(await error.textContent()).not.toContain('{{pin}}');
    expect(await error.textContent()).not.toContain('templates.de.sms');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const settings = await app.adminApi('GET', '/messaging/settings');
    expect(settings.templates.de.sms).toBe(GERMAN_SMS);
    expect(settings.sms.primary.type).toBe('twilio');

    await page.getByRole('button', { name: 'Discard changes' }).click();
    // A supplier saved with its fields empty: each says it is required, not zod's "Too small: expected string …".
    await page.getByRole('combobox', { name: 'SMS supplier' }).selectOption('vonage');
    await page.getByRole('button', { name: 'Save message settings' }).click();
    await expect.poll(() => page.locator('.field', { has: page.getByLabel('API key', { exact: true }) }).locator('[data-field-error]').textContent()).toBe('Required.');
    expect((await page.locator('[data-field-error]').allTextContents()).join(' ')).not.toMatch(/Too small|expected/);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    const test = page.getByRole('form', { name: 'Send test message' });
    await test.getByLabel('Mobile number').fill('12');
    await test.getByRole('button', { name: 'Send test message' }).click();
    await expect.poll(() => page.getByTestId('test-result').textContent()).toContain('is not a valid phone number');
    expect(await page.getByTestId('test-result').getAttribute('role')).toBe('alert');
    expect(await app.providers!.requests(SCENARIO)).toHaveLength(1);
  });

  it('says a refused send for people in the test result and in the message log, the provider\'s answer folded beneath', async () => {
    const override = await fetch(`${app.providers!.url}/__scenario/${SCENARIO}`, {
      method: 'POST',
      body: JSON.stringify({ status: 401, body: JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }) }),
    });
    expect(override.status).toBe(204);
    await page.goto('/admin/security/email');
    const test = page.getByRole('form', { name: 'Send test message' });
    await test.getByLabel('Mobile number').fill('0151 23456788');
    await test.getByRole('button', { name: 'Send test message' }).click();
    const summary = 'Twilio refused the credentials (HTTP 401): check the account, key or token.';
    await expect.poll(() => page.getByTestId('test-result').getByTestId('provider-failure').textContent()).toBe(summary);

    await page.getByRole('tab', { name: 'Message log' }).click();
    const row = page.getByTestId('message-log').getByRole('row').filter({ hasText: '+4915123456788' });
    await expect.poll(() => row.getByTestId('provider-failure').textContent()).toBe(summary);
    // The provider's own words are there, folded: hidden until the admin opens them.
    const detail = row.locator('code.provider-detail');
    expect(await detail.isVisible()).toBe(false);
    await row.getByText("The provider's answer").click();
    await expect.poll(() => detail.textContent()).toContain('twilio: HTTP 401: Authenticate');
  });

  it('lowers a send limit in the Limits panel; an out-of-range value is refused at its field and nothing is saved', async () => {
    await page.goto('/admin/security/email');
    const limits = page.getByRole('form', { name: 'Limits' });
    const perPhone = limits.getByRole('group', { name: 'SMS per phone number' });
    await perPhone.getByLabel('At most (messages)').fill('3');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(toasts).toContain('Limits saved.');
    expect((await app.adminApi('GET', '/messaging/settings')).limits.smsPerPhone).toEqual({ max: 3, windowMinutes: 24 * 60 });
    await expect.poll(() => perPhone.textContent()).toContain('In force: at most 3 per 1 day.');

    const cooldown = limits.getByLabel('Resend cooldown (seconds)');
    await cooldown.fill('5');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(() => limits.locator('[data-field-error]').allTextContents()).toEqual(['At least 10.']);
    expect(await cooldown.getAttribute('aria-invalid')).toBe('true');
    expect(await limits.getByTestId('limits-save-error').textContent()).toContain('Nothing was saved.');
    expect((await app.adminApi('GET', '/messaging/settings')).limits).toMatchObject({ resendCooldownSeconds: 60, smsPerPhone: { max: 3 } });
  });

  it('keeps admin activity for the days set; a value under the bound is refused at its field and nothing is saved', async () => {
    await page.goto('/admin/security/email');
    const retention = page.getByRole('form', { name: 'Admin activity' });
    const days = retention.getByLabel('Keep admin activity for (days)');
    await expect.poll(() => days.inputValue()).toBe('365');
    await retention.getByText('Between 90 and 3650 days.', { exact: false }).waitFor();
    await days.fill('30');
    await retention.getByRole('button', { name: 'Save retention' }).click();
    await expect.poll(() => retention.locator('[data-field-error]').allTextContents()).toEqual(['At least 90.']);
    expect(await days.getAttribute('aria-invalid')).toBe('true');
    expect((await app.adminApi('GET', '/security/audit-retention')).days).toBe(365);
    await days.fill('730');
    await retention.getByRole('button', { name: 'Save retention' }).click();
    await expect.poll(toasts).toContain('Admin activity is kept for 730 days.');
    expect((await app.adminApi('GET', '/security/audit-retention')).days).toBe(730);
  });

  it('fits a phone-size screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/admin/security/email');
    await page.getByRole('button', { name: 'Save message settings' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('speaks German', async () => {
    await page.evaluate(() => localStorage.setItem('eid.language', 'de'));
    await page.goto('/admin/security/email');
    await page.getByRole('heading', { name: 'Sicherheit', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Nachrichteneinstellungen speichern' }).waitFor();
    await page.getByText('Zwei-Faktor-Authentifizierung für die Plattform aktivieren').waitFor();
    const retention = page.getByRole('form', { name: 'Admin-Aktivität' });
    const days = retention.getByLabel('Admin-Aktivität aufbewahren (Tage)');
    await expect.poll(() => days.inputValue()).toBe('730');
    await days.fill('4000');
    await retention.getByRole('button', { name: 'Aufbewahrung speichern' }).click();
    await expect.poll(() => retention.locator('[data-field-error]').allTextContents()).toEqual(['Höchstens 3650.']);
    await page.goto('/admin/security/message-log');
    const refused = page.getByTestId('message-log').getByRole('row').filter({ hasText: '+4915123456788' });
    await expect.poll(() => refused.getByTestId('provider-failure').textContent()).toBe('Twilio hat die Zugangsdaten abgelehnt (HTTP 401): Prüfen Sie Konto, Schlüssel oder Token.');
    await page.evaluate(() => localStorage.setItem('eid.language', 'en'));
  });
});
