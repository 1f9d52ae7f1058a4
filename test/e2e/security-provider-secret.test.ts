/**
 * Attack through the admin center: someone at the Security page changes the Twilio base URL to their own host and
 * leaves the auth token empty, hoping the stored token follows. The form no longer calls the token "set" once the
 * URL differs, the save is refused with the field error under the token (in German here), nothing is saved, and
 * the other host receives nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startApp, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

const LEGITIMATE = `legitimate-${Date.now().toString(36)}`;
const ATTACKER = `attacker-${Date.now().toString(36)}`;
const TWILIO = { type: 'twilio', accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'twilio-auth-token-e2e-5678', from: '+15005550006' };

beforeAll(async () => {
  app = await startApp({ providers: true });
  await app.adminApi('PUT', '/messaging/settings', { sms: { primary: { ...TWILIO, baseUrl: `${app.providers!.url}/${LEGITIMATE}` }, fallback: null } });
  const context = await app.newContext();
  page = await context.newPage();
  await app.signInAsAdmin(page);
  await page.evaluate(() => localStorage.setItem('eid.language', 'de'));
});
afterAll(async () => app?.stop());

describe('Admin Center > Security: a new provider URL needs the secret again', () => {
  it('refuses the save with the field error under the auth token; the stored token stays and goes nowhere else', async () => {
    await page.goto('/admin/security/email');
    const token = page.getByLabel('Auth-Token');
    await token.waitFor();
    const tokenField = page.locator('.field', { has: token });
    await expect.poll(() => tokenField.textContent()).toContain('gesetzt');
    expect(await tokenField.textContent()).not.toContain('nicht gesetzt');

    await page.getByLabel('Basis-URL').fill(`${app.providers!.url}/${ATTACKER}`);
    await expect.poll(() => tokenField.textContent()).toContain('nicht gesetzt');
    await page.getByRole('button', { name: /Nachrichteneinstellungen speichern/ }).click();
    await expect.poll(() => tokenField.locator('[data-field-error]').textContent()).toContain('Geben Sie das Geheimnis erneut ein');

    const saved = await app.adminApi('GET', '/messaging/settings');
    expect(saved.sms.primary.baseUrl).toBe(`${app.providers!.url}/${LEGITIMATE}`);
    await app.adminApi('POST', '/messaging/test-message', { channel: 'sms', to: '+4915112345678', language: 'de' });
    expect(await app.providers!.requests(ATTACKER)).toEqual([]);
    const [request] = await app.providers!.requests(LEGITIMATE);
    expect(Buffer.from(request!.headers.authorization!.slice(6), 'base64').toString()).toBe(`${TWILIO.accountSid}:${TWILIO.authToken}`);
  });
});
