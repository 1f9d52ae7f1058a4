/**
 * The user page and the Admin activity page in headless Chromium, in English and German: the admin opens a user
 * from the list and finds their tokens, resources, workspaces and activities in one place; resets a fail counter,
 * assigns a token, disables and enables the user, opens a token and comes back with one Back; then finds those
 * changes in Admin activity, filtered, and downloads the CSV, which holds every entry of the filter, not the page.
 * With a first name typed and not saved, a link asks before leaving (in the app), and a fail counter reset on the
 * same page keeps what was typed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startAdminPage, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  ({ app, page } = await startAdminPage());
});
afterAll(async () => app?.stop());

const seed = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b & 31]).join('');

/** A user with a token that failed twice, an unowned token, a resource assignment, a workspace and a sign-in. */
async function prepareUser(language: string) {
  const login = `page-${language}-${Date.now().toString(36)}`;
  const password = 'a long user password';
  const user = await app.adminApi('POST', '/users', { login, password, firstName: 'Paula' });
  // Signed in before owning a token: the password alone completes the sign-in (a UserLogin activity).
  const signIn = await fetch(`${app.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: app.url }, body: JSON.stringify({ login, password }) });
  expect(((await signIn.json()) as { state: string }).state).toBe('signed_in');
  const owned = await app.adminApi('POST', '/tokens/hardware', { serial: `${login}-OWN`, type: 'HOTP', seed: seed(), ownerUserId: user.id });
  for (const otp of ['000000', '111111']) await app.adminApi('POST', `/tokens/${owned.id}/check`, { otp });
  const free = await app.adminApi('POST', '/tokens/hardware', { serial: `${login}-FREE`, type: 'TOTP', seed: seed() });
  const resource = await app.adminApi('POST', '/resources', { name: `Resource ${login}` });
  await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
  const office = await app.adminApi('POST', '/offices', { name: `Office ${login}` });
  await app.adminApi('PUT', `/offices/${office.id}/members/${user.id}`, {});
  return { login, user, owned, free, resource, office };
}

async function useLanguage(language: 'en' | 'de') {
  const admins = await app.adminApi('GET', `/users?search=${encodeURIComponent(app.admin.login)}`);
  await app.adminApi('PATCH', `/users/${admins.items[0].id}`, { language });
  await page.evaluate((value) => localStorage.setItem('eid.language', value), language);
}

describe.each([
  {
    language: 'en' as const,
    resources: 'Resources',
    memberships: 'Workspaces and groups',
    reset: 'Reset fail counter',
    assignLabel: 'Assign a token',
    assign: 'Assign',
    disable: 'Disable',
    enable: 'Enable',
    disabled: 'Disabled',
    changed: 'Changed',
    objectFilter: 'Object',
    exportCsv: 'Export CSV',
    older: 'Older entries',
    userType: 'User',
    active: 'Active',
    supplierChange: 'SMS › Primary supplier › Type: Outbox (development) → Twilio',
    actionsChange: 'Change Name, Change Password',
    hardware: 'hardware',
    fromFilter: 'From',
    untilFilter: 'Until',
    untilBeforeFrom: 'Until lies before From: nothing can match.',
    noMatches: 'No admin changes match this filter.',
    dateInvalid: 'Not a date in the form YYYY-MM-DD, with an optional time HH:MM.',
    dateOf: (date: Date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`,
    signedIn: 'Signed in',
    checkedOtp: 'OTP checked',
    wrongCode: 'Valid: no',
    reason: 'Reason: wrong code',
    owner: 'Owner',
  },
  {
    language: 'de' as const,
    resources: 'Ressourcen',
    memberships: 'Arbeitsbereiche und Gruppen',
    reset: 'Fehlerzähler zurücksetzen',
    assignLabel: 'Token zuweisen',
    assign: 'Zuweisen',
    disable: 'Deaktivieren',
    enable: 'Aktivieren',
    disabled: 'Deaktiviert',
    changed: 'Geändert',
    objectFilter: 'Objekt',
    exportCsv: 'CSV exportieren',
    older: 'Ältere Einträge',
    userType: 'Benutzer',
    active: 'Aktiv',
    supplierChange: 'SMS › Hauptanbieter › Typ: Postausgang (Entwicklung) → Twilio',
    actionsChange: 'Namen ändern, Passwort ändern',
    hardware: 'Hardware',
    fromFilter: 'Von',
    untilFilter: 'Bis',
    untilBeforeFrom: 'Bis liegt vor Von: Nichts kann passen.',
    noMatches: 'Keine Admin-Änderungen passen zu diesem Filter.',
    dateInvalid: 'Kein Datum der Form TT.MM.JJJJ mit optionaler Uhrzeit HH:MM.',
    dateOf: (date: Date) => `${String(date.getDate()).padStart(2, '0')}.${String(date.getMonth() + 1).padStart(2, '0')}.${date.getFullYear()}`,
    signedIn: 'Angemeldet',
    checkedOtp: 'Einmalpasswort geprüft',
    wrongCode: 'Gültig: nein',
    reason: 'Grund: falscher Code',
    owner: 'Besitzer',
  },
])('in $language', (words) => {
  it('the user page shows everything about the user and takes the actions an admin takes there', async () => {
    await useLanguage(words.language);
    const { login, user, owned, free, resource, office } = await prepareUser(words.language);
    await page.goto(`/admin/users`);
    await page.getByLabel(words.language === 'de' ? 'Suche' : 'Search').fill(login);
    await page.getByRole('link', { name: login, exact: true }).click();
    await page.waitForURL(`**/admin/users/${user.id}`);

    const tokens = page.getByTestId('user-tokens');
    await expect.poll(() => tokens.textContent()).toContain(owned.serial);
    expect(await tokens.locator(`tr[data-serial="${owned.serial}"]`).textContent()).toContain('HOTP');
    // The state says what the tokens list says, in the same word.
    expect(await tokens.locator(`tr[data-serial="${owned.serial}"] .pill`).textContent()).toBe(words.active);
    expect(await page.getByRole('heading', { name: words.resources }).isVisible()).toBe(true);
    expect(await page.getByTestId('user-assignments').textContent()).toContain(resource.name);
    expect(await page.getByTestId('user-memberships').textContent()).toContain(office.name);
    expect(await page.getByRole('heading', { name: words.memberships }).isVisible()).toBe(true);
    // The public type name, with its meaning in the page's language beside it.
    await expect.poll(async () => (await page.getByTestId('user-activities').textContent()) ?? '').toContain('UserLogin');
    expect(await page.getByTestId('user-activities').textContent()).toContain(words.signedIn);

    // Reset the fail counter of the token that failed twice.
    await tokens.locator(`tr[data-serial="${owned.serial}"]`).getByRole('button', { name: words.reset }).click();
    await expect.poll(async () => (await app.adminApi('GET', `/tokens/${owned.id}`)).failCount).toBe(0);

    // Assign the unowned token: it joins the user's tokens.
    await page.getByLabel(words.assignLabel).selectOption(free.id);
    await page.getByRole('button', { name: words.assign, exact: true }).click();
    await expect.poll(() => tokens.textContent()).toContain(free.serial);
    expect((await app.adminApi('GET', `/tokens/${free.id}`)).owner.id).toBe(user.id);

    // Disable, then enable again.
    await page.getByTestId('user-toggle-enabled').click();
    await expect.poll(() => page.locator('h1').textContent()).toContain(words.disabled);
    expect((await app.adminApi('GET', `/users/${user.id}`)).enabled).toBe(false);
    expect(await page.getByTestId('user-toggle-enabled').textContent()).toBe(words.enable);
    await page.getByTestId('user-toggle-enabled').click();
    await expect.poll(async () => (await app.adminApi('GET', `/users/${user.id}`)).enabled).toBe(true);

    // Open the token, and one Back returns to the user page.
    await tokens.getByRole('link', { name: owned.serial }).click();
    await page.waitForURL(`**/admin/tokens/${owned.id}`);
    await page.goBack();
    await page.waitForURL(`**/admin/users/${user.id}`);
    await expect.poll(() => page.getByTestId('user-tokens').textContent()).toContain(owned.serial);

    // The token's entries in Admin activity say in words what was done and found: the two Check OTPs that failed,
    // and the owner by login, not as system names or JSON.
    await page.goto(`/admin/admin-activity?object=${owned.id}`);
    const rows = page.getByTestId('admin-activity').locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(4);
    const text = (await rows.allTextContents()).join('\n');
    expect(text.match(new RegExp(words.checkedOtp, 'g'))).toHaveLength(2);
    expect(text).toContain(words.wrongCode);
    expect(text).toContain(words.reason);
    expect(text).toContain(`${words.owner}: ${login}`);
    expect(text).not.toMatch(/check_otp|OTP_INVALID|\{"/);
  });

  it("Admin activity's time filter takes dates as the page's language writes them, and says a date that is none at its field", async () => {
    await useLanguage(words.language);
    const resource = await app.adminApi('POST', '/resources', { name: `Dated ${words.language} ${Date.now().toString(36)}` });
    await page.goto('/admin/admin-activity');
    await page.getByLabel(words.objectFilter, { exact: true }).fill(resource.name);
    const table = page.getByTestId('admin-activity');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    const from = page.getByLabel(words.fromFilter, { exact: true });
    const until = page.getByLabel(words.untilFilter, { exact: true });
    // Text in the page's format, not the browser's own date control (mm/dd/yyyy on a German page).
    expect(await from.evaluate((input) => (input as HTMLInputElement).type)).toBe('text');
    expect(await from.getAttribute('placeholder')).toBe(words.language === 'de' ? 'TT.MM.JJJJ HH:MM' : 'YYYY-MM-DD HH:MM');
    const day = 24 * 60 * 60 * 1000;
    await from.fill(words.dateOf(new Date(Date.now() + day)));
    await page.getByText(words.noMatches).waitFor();
    await from.fill(words.dateOf(new Date()));
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    // Until a day is through that whole day.
    await until.fill(words.dateOf(new Date()));
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await until.fill(words.dateOf(new Date(Date.now() - day)));
    await page.getByText(words.noMatches).waitFor();
    // Until before From: said at Until, not only as an empty list.
    await expect.poll(() => page.locator('.field', { has: until }).locator('[data-field-error]').textContent()).toBe(words.untilBeforeFrom);
    // 31 February is no date: said at the field once the admin leaves it, and no bound applies.
    await until.fill(words.language === 'de' ? '31.02.2026' : '2026-02-31');
    await until.blur();
    await expect.poll(() => page.locator('.field', { has: until }).locator('[data-field-error]').textContent()).toBe(words.dateInvalid);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
  });

  it('Admin activity lists what changed inside message and portal settings, in words, not as JSON', async () => {
    await useLanguage(words.language);
    const before = await app.adminApi('GET', '/messaging/settings');
    const twilio = { type: 'twilio', accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'audit-auth-token-123', from: '+15005550006' };
    await app.adminApi('PUT', '/messaging/settings', { sms: { primary: twilio, fallback: null } });
    const resource = await app.adminApi('POST', '/resources', { name: `Portal audit ${words.language} ${Date.now().toString(36)}` });
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: `audit-${words.language}-${Date.now().toString(36)}`, actions: ['changeName', 'changePassword'] });
    try {
      await page.goto('/admin/admin-activity');
      const table = page.getByTestId('admin-activity');
      await expect.poll(() => table.locator('tbody').textContent()).toContain(words.supplierChange);
      await expect.poll(() => table.locator('tbody').textContent()).toContain(words.actionsChange);
      const shown = (await table.locator('tbody').textContent())!;
      expect(shown).not.toContain('{"');
      expect(shown).not.toContain('audit-auth-token-123');
    } finally {
      await app.adminApi('PUT', '/messaging/settings', { sms: before.sms });
    }
  });

  it('the tokens list says the kind of a token in the page language', async () => {
    await useLanguage(words.language);
    const token = await app.adminApi('POST', '/tokens/hardware', { serial: `KIND-${words.language}-${Date.now().toString(36)}`, type: 'TOTP', seed: seed() });
    await page.goto('/admin/tokens');
    const row = page.getByTestId('tokens-table').locator('tr', { hasText: token.serial });
    await expect.poll(() => row.textContent()).toContain(`TOTP ${words.hardware}`);
  });

  it('Admin activity lists the changes by filter and exports every entry of the filter as CSV', async () => {
    await useLanguage(words.language);
    // More changes to one resource than a page (25) holds.
    const resource = await app.adminApi('POST', '/resources', { name: `Audited ${words.language} ${Date.now().toString(36)}` });
    for (let i = 0; i < 30; i++) await app.adminApi('PATCH', `/resources/${resource.id}`, { description: `step ${i}` });

    await page.goto('/admin/admin-activity');
    await page.getByLabel(words.objectFilter, { exact: true }).fill(resource.name);
    const table = page.getByTestId('admin-activity');
    // The filter applies once typing pauses: the pager then counts this resource's 31 entries (create + 30 changes).
    await expect.poll(() => page.locator('.pager').textContent()).toMatch(/1–25 \D+ 31$/);
    expect(await table.locator('tbody tr').count()).toBe(25);
    expect((await table.locator('tbody tr').allTextContents()).every((row) => row.includes(resource.name))).toBe(true);
    const firstRow = (await table.locator('tbody tr').first().textContent())!;
    expect(firstRow).toContain(words.changed);
    expect(firstRow).toContain(app.admin.login);
    expect(firstRow).toContain('step 29');
    await page.getByRole('button', { name: words.older }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(6);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: words.exportCsv }).click()]);
    expect(download.suggestedFilename()).toBe('admin-activity.csv');
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(lines).toHaveLength(1 + 31);
    expect(lines[0]).toContain('"object"');
    expect(lines.filter((line) => line.includes(resource.name))).toHaveLength(31);

    // The object type filter narrows to user changes: the previous test's enable/disable are there.
    await page.getByLabel(words.objectFilter, { exact: true }).fill('');
    await page.getByRole('combobox', { name: words.language === 'de' ? 'Objekttyp' : 'Object type' }).selectOption('user');
    await expect.poll(async () => (await table.locator('tbody tr').allTextContents()).every((row) => row.includes(words.userType))).toBe(true);
  });
});

describe('the user page with unsaved edits', () => {
  const firstName = () => page.locator('input[name="firstName"]');

  /** Opens the user's page in English and types a first name that is not saved. */
  async function editFirstName() {
    await useLanguage('en');
    const prepared = await prepareUser('unsaved');
    await page.goto(`/admin/users/${prepared.user.id}`);
    await expect.poll(() => firstName().inputValue()).toBe('Paula');
    await firstName().fill('Paulina');
    return prepared;
  }

  it('asks in the app before a link takes the admin away: Cancel stays with the value typed, Leave goes', async () => {
    let nativeDialogs = 0;
    const onDialog = () => void nativeDialogs++;
    page.on('dialog', onDialog);
    const { user } = await editFirstName();
    const dialog = page.getByRole('alertdialog');
    const resourcesLink = page.locator('nav.sidebar a[href="/admin/resources"]');

    await resourcesLink.click();
    await dialog.getByRole('heading', { name: 'Leave without saving?' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe(`/admin/users/${user.id}`);
    expect(await firstName().inputValue()).toBe('Paulina');

    await resourcesLink.click();
    await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
    await page.waitForURL('**/admin/resources');
    expect((await app.adminApi('GET', `/users/${user.id}`)).firstName).toBe('Paula');
    page.off('dialog', onDialog);
    expect(nativeDialogs).toBe(0);
  });

  it("keeps the value typed when a token's fail counter is reset on the same page (the page reloads its data)", async () => {
    const { user, owned } = await editFirstName();
    const ownedRow = page.getByTestId('user-tokens').locator(`tr[data-serial="${owned.serial}"]`);
    await ownedRow.getByRole('button', { name: 'Reset fail counter' }).click();
    // The reload has come back once the row shows the counter at 0 (the reset button goes with it).
    await expect.poll(() => ownedRow.locator('td').nth(3).textContent()).toBe('0');
    expect(await ownedRow.getByRole('button', { name: 'Reset fail counter' }).count()).toBe(0);
    expect(await firstName().inputValue()).toBe('Paulina');

    // Still unsaved: leaving asks, and Leave goes without saving.
    await page.locator('nav.sidebar a[href="/admin/resources"]').click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('heading', { name: 'Leave without saving?' }).waitFor();
    await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
    await page.waitForURL('**/admin/resources');
    expect((await app.adminApi('GET', `/users/${user.id}`)).firstName).toBe('Paula');
  });
});
