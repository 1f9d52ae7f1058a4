/**
 * Navigation, dialogs, list tables and the token page in headless Chromium, in English and German: one Back after
 * list -> detail returns to the list; a page with unsaved changes asks (in-app) before a link or Back takes the user
 * away, and the browser's prompt guards unload; confirmations are in-app dialogs driven by the keyboard (Cancel
 * focused, Tab stays inside, Escape cancels); a long value in a list keeps the table inside the viewport and is
 * readable whole on hover, and no admin table or page (users, user page, workspaces, resource assignments, API
 * keys, admin activity, message log, outbox) scrolls sideways for long logins, names and addresses, nor cuts a word of a
 * heading, date, state or name in two at 1024 or 1280 px; Admin activity's filters line up; Back from the portal's Restore access returns to its sign-in; the token page shows its name, resources, Copy buttons, the product as issuer, and
 * Check OTP's "already used" answer for the code that activated it, counting no failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { base32ToBytes } from '../../worker/lib/encoding';
import { importHmacKey } from '../../worker/otp/hotp';
import { generateTotp } from '../../worker/otp/totp';
import { DEFAULT_TOKEN_ISSUER } from '../../worker/otp/key-uri';
import { startApp, type E2eApp } from './harness';
import { wordsBrokenInside } from './layout';

let app: E2eApp;
let context: BrowserContext;
let page: Page;

const LONG_NAME = `Resource-${'x'.repeat(100)}-end`;
const LONG_DESCRIPTION = `${'averyveryverylongwordwithoutanyspace'.repeat(8)} tail`;

beforeAll(async () => {
  app = await startApp();
  context = await app.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  page = await context.newPage();
  await page.setViewportSize({ width: 1024, height: 800 });
  await app.signInAsAdmin(page);
});
afterAll(async () => app?.stop());

async function useLanguage(language: 'en' | 'de') {
  await page.evaluate((value) => localStorage.setItem('eid.language', value), language);
}

const totpFor = async (secretBase32: string, nowMs = Date.now()) => generateTotp(await importHmacKey(base32ToBytes(secretBase32), 'SHA1'), nowMs, 30, 6);

/** True when the element with focus is inside the open dialog. */
const focusInDialog = () => page.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]')));

describe.each([
  { language: 'en' as const, cancel: 'Cancel', remove: 'Delete', leave: 'Leave', unsaved: 'Leave without saving?', used: 'This code was already used', restore: 'Restore access', signIn: 'Sign in' },
  { language: 'de' as const, cancel: 'Abbrechen', remove: 'Löschen', leave: 'Verlassen', unsaved: 'Ohne Speichern verlassen?', used: 'Dieser Code wurde schon verwendet', restore: 'Zugang wiederherstellen', signIn: 'Anmelden' },
])('admin center in $language', (texts) => {
  let resource: { id: string; name: string };

  beforeAll(async () => {
    await page.goto('/admin/users');
    await useLanguage(texts.language);
    resource = await app.adminApi('POST', '/resources', { name: `${LONG_NAME}-${texts.language}`, description: LONG_DESCRIPTION });
  });

  it('one Back after list -> detail returns to the list, whether the link or the row was clicked', async () => {
    await page.goto('/admin/resources');
    const row = page.getByTestId('resources-table').locator('tr', { hasText: resource.name });
    await row.getByRole('link').click();
    await page.waitForURL(`**/admin/resources/${resource.id}`);
    await page.goBack();
    await page.waitForURL('**/admin/resources');
    await page.getByTestId('resources-table').waitFor();

    await row.locator('td').nth(1).click();
    await page.waitForURL(`**/admin/resources/${resource.id}`);
    await page.goBack();
    await page.waitForURL('**/admin/resources');
  });

  it('a long value stays on screen: the table inside the viewport, the full value on hover', async () => {
    await page.goto('/admin/resources');
    const table = page.getByTestId('resources-table');
    await table.waitFor();
    const viewport = page.viewportSize()!;
    const box = (await table.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    const cell = table.locator('td', { hasText: resource.name }).first();
    const cellBox = (await cell.boundingBox())!;
    expect(cellBox.x + cellBox.width).toBeLessThanOrEqual(viewport.width);
    expect(await cell.getAttribute('title')).toBe(`${resource.name} — ${LONG_DESCRIPTION}`);
    // Every column header is still visible within the viewport.
    for (const header of await table.locator('th').all()) {
      const headerBox = (await header.boundingBox())!;
      expect(headerBox.x + headerBox.width).toBeLessThanOrEqual(viewport.width + 0.5);
    }
  });

  it('every admin table keeps its columns on screen with long values: the page does not scroll sideways, nor does any table', async () => {
    const word = (length: number) => `${texts.language}${'w'.repeat(length - 2)}`;
    const login = `${word(110)}@x`;
    const email = `${word(60)}@${'d'.repeat(60)}.example.org`;
    const user = await app.adminApi('POST', '/users', { login, email, firstName: word(90), lastName: word(90) });
    const office = await app.adminApi('POST', '/offices', { name: word(90) });
    await app.adminApi('PUT', `/offices/${office.id}/members/${user.id}`);
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    await app.adminApi('POST', '/api-keys', { name: word(95), scope: 'verify' });
    await app.adminApi('POST', '/messaging/test-message', { channel: 'email', to: email, language: texts.language });
    const pages: Array<[string, string]> = [
      ['/admin/users', login],
      [`/admin/users/${user.id}`, resource.name],
      ['/admin/offices', office.name],
      [`/admin/offices/${office.id}`, login],
      [`/admin/resources/${resource.id}?tab=users`, login],
      ['/admin/api-keys', word(95)],
      ['/admin/admin-activity', login],
      ['/admin/security/message-log', email],
      ['/admin/security/outbox', email],
    ];
    const wide: Array<{ path: string; sideways: string[] }> = [];
    for (const [path, longValue] of pages) {
      await page.goto(path);
      if (path === '/admin/users') await page.getByRole('searchbox').fill(login.slice(0, 30));
      await page.locator('table.data', { hasText: longValue }).first().waitFor({ timeout: 10_000 }).catch(() => wide.push({ path, sideways: [`no table shows ${longValue}`] }));
      const sideways = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const found = document.documentElement.scrollWidth > width ? [`the page is ${document.documentElement.scrollWidth}px wide`] : [];
        for (const table of document.querySelectorAll<HTMLElement>('table.data')) {
          const scroller = table.parentElement!;
          if (table.getBoundingClientRect().right > width + 0.5 || scroller.scrollWidth > scroller.clientWidth + 1) found.push(`${table.dataset.testid ?? table.className} is ${Math.round(table.getBoundingClientRect().width)}px wide`);
        }
        return found;
      });
      if (sideways.length > 0) wide.push({ path, sideways });
    }
    expect(wide).toEqual([]);
  });

  it('at 1024 and 1280 px no table cuts a word in two: headings, dates, states, names, addresses', async () => {
    // What a first hour fills the tables with: a hyphenated name, a long company address, a named token, a key.
    const stamp = Date.now().toString(36);
    const email = `anna.schmidt.${texts.language}@beispielunternehmen-international.example.de`;
    const user = await app.adminApi('POST', '/users', { login: `anna-${texts.language}-${stamp}`, email, firstName: 'Anna', lastName: 'Schmidt-Leutheusser' });
    const token = await app.adminApi('POST', '/tokens/hardware', { serial: `YUBIKEY-OATH-${texts.language}-${stamp}`, type: 'HOTP', seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', seedEncoding: 'base32', ownerUserId: user.id, description: 'Annas Schlüsselbund' });
    await app.adminApi('POST', `/tokens/${token.id}/check`, { otp: '000000' });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    await app.adminApi('POST', '/api-keys', { name: 'Nagios Überwachung', scope: 'verify', expiresAt: new Date(2099, 11, 31).getTime() });
    await app.adminApi('POST', '/messaging/test-message', { channel: 'email', to: email, language: texts.language });
    const broken: string[] = [];
    try {
      for (const width of [1024, 1280]) {
        await page.setViewportSize({ width, height: 800 });
        for (const path of ['/admin/api-keys', '/admin/tokens', '/admin/users', `/admin/users/${user.id}`, '/admin/activities', '/admin/admin-activity', '/admin/security/message-log', '/admin/security/outbox']) {
          await page.goto(path);
          await page.locator('table.data td').first().waitFor({ timeout: 10_000 }).catch(() => broken.push(`${width} ${path}: no table`));
          broken.push(...(await wordsBrokenInside(page, 'table.data')).map((word) => `${width} ${path}: ${word}`));
          // An address wraps after its "@" or before a dot, not inside "beispielunternehmen".
          if (path.includes('/security/')) broken.push(...(await wordsBrokenInside(page, 'table.data td.long', 20, '@.')).map((word) => `${width} ${path}: ${word}`));
        }
      }
      expect(broken).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1024, height: 800 });
    }
  });

  it("Admin activity's filters line up in rows, each explanation readable whole under its field", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    try {
      await page.goto('/admin/admin-activity');
      const grid = page.locator('.filter-grid');
      await grid.waitFor();
      const controls = await grid.locator('input, select').evaluateAll((elements) => elements.map((element) => Math.round(element.getBoundingClientRect().top)));
      // Who and what on one row, when and how many on the next: two rows of three aligned controls.
      expect(controls).toHaveLength(6);
      expect(new Set(controls.slice(0, 3)).size).toBe(1);
      expect(new Set(controls.slice(3)).size).toBe(1);
      // No explanation is a placeholder cut at the field's edge; each is a hint tied to its field.
      const admin = grid.getByRole('searchbox').first();
      expect(await admin.getAttribute('placeholder')).toBeNull();
      const hintId = (await admin.getAttribute('aria-describedby'))!.split(' ')[0]!;
      const hint = page.locator(`[id="${hintId}"]`);
      expect(await hint.textContent()).toBe(texts.language === 'de' ? 'Teil des Anmeldenamens oder Schlüsselnamens' : 'Part of the login or key name');
      expect(await hint.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1024, height: 800 });
    }
  });

  it('Delete asks in an in-app dialog: Cancel focused, Tab stays inside, Escape cancels, the confirm button deletes', async () => {
    let nativeDialogs = 0;
    const onDialog = () => void nativeDialogs++;
    page.on('dialog', onDialog);
    await page.goto(`/admin/resources/${resource.id}`);
    await page.getByRole('button', { name: texts.remove, exact: true }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    // Named by its heading.
    const labelledBy = await dialog.getAttribute('aria-labelledby');
    expect(await page.locator(`[id="${labelledBy}"]`).textContent()).toContain(resource.name);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe(texts.cancel);
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInDialog()).toBe(true);
    }
    await page.keyboard.press('Shift+Tab');
    expect(await focusInDialog()).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await app.adminApi('GET', `/resources/${resource.id}`)).id).toBe(resource.id);

    await page.getByRole('button', { name: texts.remove, exact: true }).click();
    await dialog.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe(texts.cancel);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(texts.remove);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/admin/resources');
    await expect(app.adminApi('GET', `/resources/${resource.id}`)).rejects.toThrow(/-> 404/);
    page.off('dialog', onDialog);
    expect(nativeDialogs).toBe(0);
  });

  it('the token page: name, resources, Copy, issuer, "already used" for the activating code, and unsaved changes asked before leaving', async () => {
    const user = await app.adminApi('POST', '/users', { login: `nav-${texts.language}-${Date.now().toString(36)}` });
    const webmail = await app.adminApi('POST', '/resources', { name: `Webmail ${texts.language}` });
    const created = await app.adminApi('POST', '/tokens/software', { type: 'TOTP', algorithm: 'SHA1', digits: 6, periodSeconds: 30, ownerUserId: user.id, description: `Phone ${texts.language}` });
    expect(new URL(created.enrolment.keyUri).searchParams.get('issuer')).toBe(DEFAULT_TOKEN_ISSUER);
    const firstCode = await totpFor(created.enrolment.secretBase32);
    expect(await app.adminApi('POST', `/tokens/${created.token.id}/check`, { otp: firstCode })).toEqual({ valid: true });
    await app.adminApi('PUT', `/resources/${webmail.id}/assignments`, { userId: user.id, tokenId: created.token.id });

    await page.goto('/admin/tokens');
    await page.getByTestId('tokens-table').locator('tr', { hasText: created.token.serial }).getByRole('link').click();
    await page.waitForURL(`**/admin/tokens/${created.token.id}`);
    const name = page.locator('input[name="token-name"]');
    expect(await name.inputValue()).toBe(`Phone ${texts.language}`);
    await page.getByTestId('token-resources').getByRole('link', { name: `Webmail ${texts.language}` }).waitFor();

    // The code that activated it: "already used, wait for the next" at the code field, and no failure counted.
    await page.locator('input[name="check-otp"]').fill(firstCode);
    await page.locator('form', { has: page.locator('input[name="check-otp"]') }).locator('button[type="submit"]').click();
    await page.locator('[data-field-error]').filter({ hasText: texts.used }).waitFor();
    expect((await app.adminApi('GET', `/tokens/${created.token.id}`)).failCount).toBe(0);

    // Unsaved name: a link asks first; Cancel stays with the text typed.
    await name.fill('New name');
    await page.locator('nav.sidebar a[href="/admin/resources"]').click();
    const ask = page.getByRole('alertdialog');
    await ask.getByRole('heading', { name: texts.unsaved }).waitFor();
    await ask.getByRole('button', { name: texts.cancel }).click();
    expect(page.url()).toContain(`/admin/tokens/${created.token.id}`);
    expect(await name.inputValue()).toBe('New name');
    // Closing or reloading the tab: the browser's own prompt is asked for.
    expect(await page.evaluate(() => { const event = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(event); return event.defaultPrevented; })).toBe(true);
    // Back asks too; Leave goes back to the list, in one step.
    await page.goBack();
    await ask.getByRole('heading', { name: texts.unsaved }).waitFor();
    expect(page.url()).toContain(`/admin/tokens/${created.token.id}`);
    await ask.getByRole('button', { name: texts.leave }).click();
    await page.waitForURL('**/admin/tokens');
    expect((await app.adminApi('GET', `/tokens/${created.token.id}`)).description).toBe(`Phone ${texts.language}`);
    expect(await page.evaluate(() => { const event = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(event); return event.defaultPrevented; })).toBe(false);
  });

  it('every form with unsaved edits asks before leaving, once however many are dirty: Self-Service tab, Limits and retention together, the SAML editor', async () => {
    let nativeDialogs = 0;
    const onDialog = () => void nativeDialogs++;
    page.on('dialog', onDialog);
    const ask = page.getByRole('alertdialog');
    const usersLink = page.locator('nav.sidebar a[href="/admin/users"]');
    /** Clicks away, answers Cancel and checks the page stayed; then clicks away again and leaves. */
    const stayThenLeave = async (path: string, stillEdited: () => Promise<boolean>) => {
      await usersLink.click();
      await ask.getByRole('heading', { name: texts.unsaved }).waitFor();
      expect(await ask.count()).toBe(1);
      await ask.getByRole('button', { name: texts.cancel }).click();
      await ask.waitFor({ state: 'detached' });
      expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(path);
      expect(await stillEdited()).toBe(true);
      await usersLink.click();
      await ask.getByRole('button', { name: texts.leave }).click();
      await page.waitForURL('**/admin/users');
    };

    const portalResource = await app.adminApi('POST', '/resources', { name: `Unsaved ${texts.language}-${Date.now().toString(36)}` });
    const selfServicePath = `/admin/resources/${portalResource.id}?tab=self-service`;
    await page.goto(selfServicePath);
    const portalSwitch = page.locator('input[name="self-service-enabled"]');
    await portalSwitch.check();
    await stayThenLeave(selfServicePath, () => portalSwitch.isChecked());
    expect((await app.adminApi('GET', `/resources/${portalResource.id}`)).selfService.enabled).toBe(false);

    // Two dirty forms on one page; saving one leaves the other's guard in place.
    const limitsBefore = (await app.adminApi('GET', '/messaging/settings')).limits;
    await page.goto('/admin/security/email');
    const cooldown = page.locator('input[name="limits.resendCooldownSeconds"]');
    await cooldown.fill(String(limitsBefore.resendCooldownSeconds + 1));
    const retention = page.locator('form[aria-labelledby="audit-retention-heading"]');
    const days = retention.locator('input[name="days"]');
    await expect.poll(() => days.inputValue()).not.toBe('');
    const keptDays = texts.language === 'en' ? 400 : 500;
    await days.fill(String(keptDays));
    await retention.locator('button[type="submit"]').click();
    await expect.poll(async () => (await app.adminApi('GET', '/security/audit-retention')).days).toBe(keptDays);
    await stayThenLeave('/admin/security/email', async () => (await cooldown.inputValue()) === String(limitsBefore.resendCooldownSeconds + 1));
    expect((await app.adminApi('GET', '/messaging/settings')).limits).toEqual(limitsBefore);

    const samlBefore = await app.adminApi('GET', '/saml');
    await page.goto('/admin/security/saml');
    const allowSignIn = page.locator('input[name="allow-sign-in"]');
    const wasAllowed = await allowSignIn.isChecked();
    await allowSignIn.setChecked(!wasAllowed);
    await stayThenLeave('/admin/security/saml', async () => (await allowSignIn.isChecked()) !== wasAllowed);
    expect((await app.adminApi('GET', '/saml')).saved?.allowSignIn).toBe(samlBefore.saved?.allowSignIn);

    // Nothing is left guarded once the page has gone.
    expect(await page.evaluate(() => { const event = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(event); return event.defaultPrevented; })).toBe(false);
    page.off('dialog', onDialog);
    expect(nativeDialogs).toBe(0);
  });

  it('in the portal, Back from Restore access returns to the sign-in', async () => {
    const resource = await app.adminApi('POST', '/resources', { name: `Portal ${texts.language}` });
    const alias = `nav-${texts.language}-${Date.now().toString(36)}`;
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias, actions: ['registerNewToken'], tokenTypes: ['TOTP'] });
    await page.goto(`/selfservice/${alias}`);
    await page.getByRole('heading', { name: texts.signIn, exact: true }).waitFor();
    await page.getByRole('button', { name: texts.restore }).click();
    await page.getByRole('heading', { name: texts.restore }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: texts.signIn, exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/selfservice/${alias}`);
    expect(new URL(page.url()).search).toBe('');
  });

  it('the new software token shows Copy buttons that copy the secret', async () => {
    await page.goto('/admin/tokens');
    await page.locator('.row button').first().click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('button[type="submit"]').click();
    const secret = (await dialog.getByTestId('token-secret').textContent())!.trim();
    expect(await dialog.locator('img.qr').getAttribute('alt')).toContain(`issuer=${encodeURIComponent(DEFAULT_TOKEN_ISSUER)}`);
    await dialog.locator('.copy-row button').first().click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.keyboard.press('Escape');
  });
});
