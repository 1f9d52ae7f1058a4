/**
 * German everywhere the page is German (issue 13 §2): headless Chromium walks every admin page and the portal with
 * the language set to German, provokes at least one refusal per form, and fails on any visible error, hint or toast
 * that is English. What is English is known from the language catalogues: every English text of the dictionaries,
 * the error catalogue and the field rules that differs from its German counterpart; a text in none of them (the
 * server's own English sentence, say) is caught by its English words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { dateFieldStrings } from '../../ui/src/components/date-field-strings';
import { ERROR_TEXTS } from '../../ui/src/lib/error-texts';
import { SELF_SERVICE_ACTION_NAMES } from '../../ui/src/lib/self-service-action-names';
import { ERROR_CATALOGUE } from '../../worker/contract/errors';
import { activityStrings } from '../../ui/src/admin/activities/strings';
import { adminActivityStrings } from '../../ui/src/admin/admin-activity/strings';
import { securityStrings } from '../../ui/src/admin/security/strings';
import { selfServiceStrings } from '../../ui/src/admin/self-service/strings';
import { adminStrings } from '../../ui/src/admin/strings';
import { factorStrings, messageTokenStrings, tokenPageStrings } from '../../ui/src/admin/tokens/strings';
import { userIssueStrings } from '../../ui/src/admin/user-issues/strings';
import { userPageStrings } from '../../ui/src/admin/users/strings';
import { portalStrings } from '../../ui/src/portal/strings';
import { profileStrings } from '../../ui/src/profile/strings';
import { signInStrings } from '../../ui/src/signin/strings';
import { startAdminPage, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

const DICTIONARIES: Array<{ en: Record<string, string>; de: Record<string, string> }> = [
  activityStrings,
  adminActivityStrings,
  securityStrings,
  selfServiceStrings,
  SELF_SERVICE_ACTION_NAMES,
  adminStrings,
  factorStrings,
  messageTokenStrings,
  tokenPageStrings,
  userIssueStrings,
  userPageStrings,
  portalStrings,
  profileStrings,
  signInStrings,
  dateFieldStrings,
  ERROR_TEXTS,
];

/** The English texts with a different German one: seen on a German page, each is a missing translation. */
const ENGLISH_ONLY = [
  ...new Set([
    ...DICTIONARIES.flatMap((dictionary) => Object.entries(dictionary.en).filter(([key, text]) => dictionary.de[key] !== text).map(([, text]) => text)),
    ...Object.values(ERROR_CATALOGUE).map((entry) => entry.message),
  ]),
]
  // Placeholders are filled in on screen; the fixed part before the first one is what shows.
  .map((text) => text.split('{')[0]!.trim())
  // Short texts ("Name", "Status", "OK") are the same word in both languages or too short to tell.
  .filter((text) => text.length >= 16);

/** Words German sentences do not use: two of them in one text make it English. */
const ENGLISH_WORDS = /\b(the|is|are|must|not|your|you|this|be|least|most|and|or|of|to|with|only|cannot|expected|received|invalid|too)\b/gi;

function englishIn(text: string): string | null {
  const known = ENGLISH_ONLY.find((english) => text.includes(english));
  if (known) return known;
  const words = text.match(ENGLISH_WORDS) ?? [];
  return new Set(words.map((word) => word.toLowerCase())).size >= 2 ? words.join(' ') : null;
}

/** The visible texts of errors, hints and toasts on the page now. */
async function shownTexts(page: Page): Promise<string[]> {
  return page.$$eval('.toast, .alert, .hint, .field-error, .problems li, [role="alert"], [data-field-error]', (elements) =>
    elements
      .filter((element) => (element as HTMLElement).offsetParent !== null || getComputedStyle(element).position === 'fixed')
      .map((element) => (element as HTMLElement).innerText.trim())
      .filter(Boolean),
  );
}

const found: Array<{ where: string; text: string; english: string }> = [];
/** The provoked refusals' texts seen, so the walk cannot pass by seeing nothing. */
const seen: string[] = [];

async function check(where: string): Promise<void> {
  for (const text of await shownTexts(page)) {
    seen.push(text);
    const english = englishIn(text);
    if (english) found.push({ where, text, english });
  }
}

async function visit(path: string): Promise<void> {
  await page.goto(path);
  await page.locator('.content').first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.locator('.loading').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  await check(path);
}

/** Submits the open dialog's form and waits for the answer to show (an error at a field, an alert or a toast). */
async function submitDialog(where: string): Promise<void> {
  await page.locator('dialog[open] button[type="submit"]').last().click();
  await expect.poll(async () => (await shownTexts(page)).some((text) => !/^\s*$/.test(text)) && (await page.locator('.field-error, .toast, dialog[open] .alert').count()) > 0).toBe(true);
  await check(where);
}

beforeAll(async () => {
  ({ app, page } = await startAdminPage());
  await page.evaluate(() => localStorage.setItem('eid.language', 'de'));
  await app.adminApi('POST', '/resources', { name: 'Taken resource' });
  await app.adminApi('POST', '/offices', { name: 'Taken workspace' });
  await app.adminApi('POST', '/groups', { name: 'Taken group' });
});
afterAll(async () => app?.stop());

describe('German everywhere the page is German', () => {
  it('the catalogues know enough English to tell', () => {
    expect(ENGLISH_ONLY.length).toBeGreaterThan(200);
    expect(englishIn('Too small: expected string to have >=10 characters')).not.toBeNull();
    expect(englishIn('Mindestens 10 Zeichen.')).toBeNull();
  });

  it('every admin page, with a refusal provoked in each form, shows errors, hints and toasts in German', async () => {
    await visit('/admin/users');
    await page.getByRole('button', { name: 'Neuer Benutzer' }).click();
    await page.locator('dialog[open] [name="login"]').fill('kein login!');
    await submitDialog('/admin/users: new user');

    for (const [path, button] of [
      ['/admin/resources', 'Neue Ressource'],
      ['/admin/offices', 'Neuer Arbeitsbereich'],
      ['/admin/groups', 'Neue Gruppe'],
    ] as const) {
      await visit(path);
      await page.getByRole('button', { name: button }).click();
      await page.locator('dialog[open] [name="name"]').fill(path === '/admin/resources' ? 'Taken resource' : path === '/admin/offices' ? 'Taken workspace' : 'Taken group');
      await submitDialog(`${path}: name taken`);
    }

    await visit('/admin/tokens');
    await page.getByRole('button', { name: 'Hardware-Token registrieren' }).click();
    await page.locator('dialog[open] [name="serial"]').fill('HW-GERMAN-1');
    await page.locator('dialog[open] [name="seed"]').fill('kein seed!');
    await submitDialog('/admin/tokens: bad seed');

    await visit('/admin/api-keys');
    await page.locator('[name="key-expires"]').fill('01.01.2020');
    await page.locator('[name="key-name"]').fill('Gestern');
    await page.locator('button[type="submit"]').first().click();
    await expect.poll(() => page.locator('.toast, .field-error').count()).toBeGreaterThan(0);
    await check('/admin/api-keys: expiry in the past');

    for (const path of ['/admin/security', '/admin/security/sign-in-script', '/admin/activities', '/admin/admin-activity', '/admin/user-issues']) await visit(path);

    expect(found).toEqual([]);
    // The refusals provoked above, in German (NAME_TAKEN three times, the login rule, the seed, the expiry).
    expect(seen).toContain('Nur Buchstaben, Ziffern und . _ @ + -.');
    expect(seen.filter((text) => text.includes('Dieser Name ist bereits vergeben.')).length).toBeGreaterThanOrEqual(3);
  });

  it('names and values are German too: the profile, user issues, the token page and the new resource dialog', async () => {
    // The admin's account language is English; on a German page that is "Englisch", not "English".
    await page.goto('/profile');
    await expect.poll(() => page.locator('dl').first().textContent()).toContain('Englisch');
    await check('/profile');
    expect(await page.getByRole('link', { name: 'Admin-Center' }).count()).toBe(1);

    // One word for user issues on every page.
    const user = await app.adminApi('POST', '/users', { login: `wort-${Date.now().toString(36)}` });
    await visit(`/admin/users/${user.id}`);
    await page.getByRole('heading', { name: 'Offene Benutzeranfragen' }).waitFor();
    await visit('/admin/user-issues');
    await page.getByRole('heading', { name: 'Benutzeranfragen' }).waitFor();

    // The new resource dialog can be left with Abbrechen, and nothing is created.
    await visit('/admin/resources');
    await page.getByRole('button', { name: 'Neue Ressource' }).click();
    await page.locator('dialog[open] [name="name"]').fill('Doch nicht');
    await page.locator('dialog[open]').getByRole('button', { name: 'Abbrechen' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    expect((await app.adminApi('GET', '/resources')).items.some((r: { name: string }) => r.name === 'Doch nicht')).toBe(false);

    // A token used through its owner's assignment says so in one plain sentence.
    const token = await app.adminApi('POST', '/tokens/hardware', { serial: `WORT-${Date.now().toString(36)}`, type: 'HOTP', seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', seedEncoding: 'base32', ownerUserId: user.id });
    const resource = await app.adminApi('POST', '/resources', { name: `Wort ${Date.now().toString(36)}` });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    await visit(`/admin/tokens/${token.id}`);
    const resources = page.getByTestId('token-resources');
    await expect.poll(() => resources.textContent()).toContain('über seinen Besitzer, der jedes seiner Tokens verwenden darf');
    expect(await resources.textContent()).not.toMatch(/\(.*\(/);
    expect(found).toEqual([]);
  });

  it("Monaco's own texts (the find widget, the empty suggestion list) are German in the designer", async () => {
    await visit('/admin/security/sign-in-script');
    // A fresh app has no script yet: the designer opens on "Anlegen".
    const create = page.getByRole('button', { name: 'Anlegen', exact: true });
    if ((await create.count()) > 0) await create.click();
    const editor = page.locator('.monaco-editor').first();
    await editor.waitFor();
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+f');
    const find = page.locator('.find-widget textarea, .find-widget input').first();
    await find.waitFor();
    expect(await find.getAttribute('placeholder')).toBe('Suchen');
    await page.keyboard.press('Escape');
    // A word no completion knows: Monaco says so itself.
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n# zzqx');
    await page.keyboard.press('Control+Space');
    await expect.poll(() => editor.locator('.suggest-widget .message').textContent()).toBe('Keine Vorschläge.');
    await page.keyboard.press('Escape');

    // A test run whose change the database would refuse (a surname longer than the field takes): the reason is
    // the script problem with its parameters, in German, not the server's English sentence.
    await page.getByRole('tab', { name: 'Testlauf' }).click();
    await page.getByLabel(/Beispiel-Claims/).fill(`http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname = ${'x'.repeat(101)}`);
    await page.getByRole('button', { name: 'Ausführen, ohne etwas zu ändern' }).click();
    const outcome = page.getByTestId('test-run-result').locator('.alert, [role="alert"]').first();
    await expect.poll(() => outcome.textContent()).toContain('seine Änderungen lassen sich nicht anwenden: Das Benutzerfeld „lastName“ nimmt Text mit höchstens 100 Zeichen.');
    await check('/admin/security/sign-in-script: test run would fail');
    // The changes a run would apply are said in German too.
    await page.getByLabel(/Beispiel-Claims/).fill('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname = Müller');
    await page.getByRole('button', { name: 'Ausführen, ohne etwas zu ändern' }).click();
    await expect.poll(() => page.getByTestId('test-run-result').textContent()).toContain('lastName = "Müller" setzen');
    expect(found).toEqual([]);
  });

  it('the portal refuses a wrong password in German', async () => {
    const resource = await app.adminApi('POST', '/resources', { name: 'German portal' });
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: 'german-walk', actions: ['changePassword'], tokenTypes: [] });
    const portal = await (await app.newContext()).newPage();
    await portal.goto('/selfservice/german-walk');
    await portal.evaluate(() => localStorage.setItem('eid.language', 'de'));
    await portal.reload();
    await portal.getByLabel('Anmeldename').fill('niemand');
    await portal.getByRole('button', { name: 'Weiter' }).click();
    await portal.getByLabel('Passwort').fill('falsches passwort');
    await portal.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await portal.locator('[data-field-error]').filter({ hasText: 'Anmeldename oder Passwort ist falsch.' }).waitFor();
    page = portal;
    await check('/selfservice/german-walk: wrong password');
    expect(found).toEqual([]);
  });
});
