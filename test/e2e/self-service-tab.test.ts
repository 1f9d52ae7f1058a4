/**
 * The resource page's Self-Service tab in headless Chromium, in English and German: the status line follows the
 * portal switch at once (before Save, and saying what Save will do), and switching Register New Token on chooses
 * the software token type instead of refusing the save for want of a type; the actions are listed by their names
 * in one style (the portal's, said once). The texts come from the tab's dictionary, so the test knows them in both
 * languages.
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

/** The actions' names as the tab lists them, in the contract's order: verb first in English, as German says it. */
const ACTION_NAMES = {
  en: [
    'Register New Token', 'Register Existing Token', 'Reassign Token', 'Unassign Token', 'Synchronize Token', 'Set Up PIN', 'Remove PIN', 'Create Password',
    'Change Password', 'Change Email Address', 'Change Phone Number', 'Change Login', 'Change Name', 'Manage User Environment', 'Generate Recovery Codes',
  ],
  de: [
    'Neues Token registrieren', 'Vorhandenes Token registrieren', 'Token austauschen', 'Token-Zuweisung aufheben', 'Token synchronisieren', 'PIN einrichten',
    'PIN entfernen', 'Passwort anlegen', 'Passwort ändern', 'E-Mail-Adresse ändern', 'Telefonnummer ändern', 'Anmeldenamen ändern', 'Namen ändern',
    'Benutzerumgebung verwalten', 'Wiederherstellungscodes erzeugen',
  ],
};

for (const language of ['en', 'de'] as const) {
  const t = selfServiceStrings[language]!;
  const tokenTypesRequired = t.tokenTypesRequired!.replace('{action}', t.registerNewToken!);
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
      expect(await page.getByText(tokenTypesRequired).count()).toBe(0);
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
      await page.getByText(tokenTypesRequired).waitFor();
      expect((await app.adminApi('GET', `/resources/${resource.id}`)).selfService.tokenTypes).toEqual(['TOTP']);
      // Back to what is saved, so leaving the page has nothing to ask about.
      await page.getByLabel(t.TOTP!).check();
    });

    it('lists every action by its name in one style (the names the portal shows)', async () => {
      const resource = await app.adminApi('POST', '/resources', { name: `Names ${language}` });
      await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: `names-${language}`, actions: [], tokenTypes: [] });
      await page.evaluate((lang) => localStorage.setItem('eid.language', lang), language);
      await page.goto(`/admin/resources/${resource.id}?tab=self-service`);
      const items = page.locator('.sortable-list li[data-action]');
      await items.first().waitFor();
      // The name is the label's first text; "Manage User Environment" carries an "experimental" badge after it.
      expect(await items.evaluateAll((lis) => lis.map((li) => li.querySelector('label > span')!.firstChild!.textContent))).toEqual(ACTION_NAMES[language]);
      expect(await page.getByRole('button', { name: t.moveDown!.replace('{name}', ACTION_NAMES[language][4]!) }).count()).toBe(1);
    });
  });
}
