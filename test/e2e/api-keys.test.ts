/**
 * The API keys page in headless Chromium: the admin makes a `verify` key for a VPN box (the key is shown once),
 * the list shows its scope, owner and status, and the key verifies but is refused on the admin API; an expiry in
 * the past is refused at its field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startAdminPage, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  ({ app, page } = await startAdminPage());
});
afterAll(async () => app?.stop());

describe('API keys page', () => {
  it('creates a verify key that verifies and is refused on the admin API', async () => {
    await page.goto('/admin/api-keys');
    await page.getByLabel('New API key').fill('VPN box');
    await page.getByLabel('Scope').selectOption('verify');
    await page.getByRole('button', { name: 'Create' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())!.trim();
    expect(key).toMatch(/^eid_[A-Za-z0-9_-]{43}$/);

    const row = page.locator('tr', { hasText: 'VPN box' });
    await expect.poll(() => row.textContent()).toContain('verify');
    expect(await row.textContent()).toContain(app.admin.login);
    expect(await row.textContent()).toContain('active');

    const adminCall = await fetch(`${app.url}/api/admin/users`, { headers: { authorization: `Bearer ${key}` } });
    expect(adminCall.status).toBe(403);
    const verify = await fetch(`${app.url}/api/v1/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'nobody', resource: 'nowhere', otp: '123456' }),
    });
    expect(await verify.json()).toMatchObject({ accepted: false, reason: 'RESOURCE_UNKNOWN' });
  });

  it('lists the seeded admin key with scope admin, and refuses an expiry in the past', async () => {
    const keys = await app.adminApi('GET', '/api-keys');
    expect(keys.items.find((k: { name: string }) => k.name === 'Seeded admin key')).toMatchObject({ scope: 'admin', ownerLogin: app.admin.login, status: 'active' });

    await page.goto('/admin/api-keys');
    await page.getByLabel('New API key').fill('Yesterday');
    await page.getByLabel('Expires on (optional)').fill('2020-01-01');
    await page.getByRole('button', { name: 'Create' }).click();
    // The refusal stands at the date field, in words, and no toast repeats it.
    await page.getByText('Must be a date in the future.').waitFor();
    expect(await page.getByLabel('Expires on (optional)').getAttribute('aria-invalid')).toBe('true');
    expect((await page.locator('.toast').allTextContents()).join(' ')).not.toContain('future');
    expect((await app.adminApi('GET', '/api-keys')).items.some((k: { name: string }) => k.name === 'Yesterday')).toBe(false);
  });

  it('says an empty name at the name field, not in a box beneath the form', async () => {
    await page.goto('/admin/api-keys');
    await page.getByRole('button', { name: 'Create' }).click();
    const nameField = page.locator('.field', { has: page.getByLabel('New API key') });
    await expect.poll(() => nameField.locator('[data-field-error]').textContent()).toBe('Required.');
    expect(await page.getByLabel('New API key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('form .alert').count()).toBe(0);
  });

  it('says an expiry that is no date at its field and makes no key (sent empty, it would never expire)', async () => {
    await page.goto('/admin/api-keys');
    await page.getByLabel('New API key').fill('Never by mistake');
    await page.getByLabel('Expires on (optional)').fill('next friday');
    await page.getByLabel('Expires on (optional)').press('Enter');
    await page.getByText('Not a date in the form YYYY-MM-DD.').waitFor();
    expect((await app.adminApi('GET', '/api-keys')).items.some((k: { name: string }) => k.name === 'Never by mistake')).toBe(false);
    // A date written the German way is understood as well, and the key works through that whole day.
    await page.getByLabel('Expires on (optional)').fill('31.12.2099');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(async () => (await app.adminApi('GET', '/api-keys')).items.find((k: { name: string }) => k.name === 'Never by mistake')?.expiresAt).toBe(new Date(2099, 11, 31, 23, 59, 59, 999).getTime());
  });
});
