/**
 * The resource page's Self-Service tab in headless Chromium, in English and German: the status line follows the
 * portal switch at once (before Save, and saying what Save will do), and switching Register New Token on chooses
 * the software token type instead of refusing the save for want of a type. The texts come from the tab's
 * dictionary, so the test knows them in both languages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { selfServiceStrings } from '../../ui/src/admin/self-service/strings';
import { startAdminPage, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  ({ app, page } = await startAdminPage());
});
afterAll(async () => app?.stop());

const status = () => page.getByTestId('portal-status').textContent();

for (const language of ['en', 'de'] as const) {
  const t = selfServiceStrings[language]!;
  describe(`Self-Service tab (${language})`, () => {
    it('the status follows the switch at once; Register New Token starts with the software token chosen and saves', async () => {
      const resource = await app.adminApi('POST', '/resources', { name: `Portal ${language}` });
      await page.goto('/admin');
      await page.evaluate((lang) => localStorage.setItem('eid.language', lang), language);
      await page.goto(`/admin/resources/${resource.id}?tab=self-service`);
      await expect.poll(status).toBe(t.portalOff);

      const portalSwitch = page.getByRole('switch', { name: t.enablePortal! });
      await portalSwitch.check();
      // Nothing saved yet, and the line already says the portal is on and what Save does.
      expect(await status()).toBe(t.portalOnPending);
      await portalSwitch.uncheck();
      expect(await status()).toBe(t.portalOff);
      await portalSwitch.check();

      await page.getByLabel(t.alias!, { exact: true }).fill(`portal-${language}`);
      await page.getByRole('switch', { name: t.registerNewToken! }).check();
      expect(await page.getByLabel(t.TOTP!).isChecked()).toBe(true);
      expect(await page.getByLabel(t.HOTP!).isChecked()).toBe(false);
      await page.getByRole('button', { name: t.save! }).click();
      await expect.poll(() => page.getByTestId('portal-live').textContent()).toContain(`/selfservice/portal-${language}`);
      expect(await page.getByText(t.tokenTypesRequired!).count()).toBe(0);
      expect((await app.adminApi('GET', `/resources/${resource.id}`)).selfService).toEqual({
        enabled: true,
        alias: `portal-${language}`,
        actions: ['registerNewToken'],
        tokenTypes: ['TOTP'],
      });

      // Switched off: the live address goes from the status at once; the portal stays on until Save.
      await portalSwitch.uncheck();
      expect(await page.getByTestId('portal-live').count()).toBe(0);
      expect(await status()).toBe(t.portalOffPending);
      expect((await app.adminApi('GET', `/resources/${resource.id}`)).selfService.enabled).toBe(true);

      // Every type unchecked by hand still needs one: the rule stays, said at the field.
      await portalSwitch.check();
      await page.getByLabel(t.TOTP!).uncheck();
      await page.getByRole('button', { name: t.save! }).click();
      await page.getByText(t.tokenTypesRequired!).waitFor();
      expect((await app.adminApi('GET', `/resources/${resource.id}`)).selfService.tokenTypes).toEqual(['TOTP']);
      // Back to what is saved, so leaving the page has nothing to ask about.
      await page.getByLabel(t.TOTP!).check();
    });
  });
}
