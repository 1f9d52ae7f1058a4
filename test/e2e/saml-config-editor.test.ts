/**
 * The SAML configuration page in headless Chromium, in English and German: `version: 1.0` is valid in the editor
 * as on the server (the editor's schema is generated from the server's), a problem is marked on the line that
 * has to change (list and squiggle), the key documentation is in the page's language (its hover's heading and the
 * language worker's "Example:" too, with no footer naming the schema's file), and after the restart applies the
 * configuration the login methods table says SAML is active without a reload.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ROOT, startApp, type E2eApp } from './harness';
import { pasteInto } from './monaco';

let app: E2eApp;
let page: Page;
const consoleErrors: string[] = [];
const certificate = readFileSync(path.join(ROOT, 'test/fixtures/saml/gosaml2/auth0_cert.pem'), 'utf8')
  .replace(/-----[A-Z ]+-----/g, '')
  .replace(/\s+/g, '');

const config = (version: string) => `version: ${version}
config:
  entityId: https://idp.example.com/saml/metadata
  singleSignOnServiceUrl: https://idp.example.com/saml/sso
  spEntityId: https://sp.example.com/saml/metadata
  certificate: ${certificate}
  claimEmail: NameID
  claimFirstName: givenName
  allowIdpInitiated: false
`;

beforeAll(async () => {
  app = await startApp();
  page = await (await app.newContext()).newPage();
  page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && consoleErrors.push(message.text()));
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await app.signInAsAdmin(page);
});
afterAll(async () => app?.stop());

const section = () => page.locator('section[aria-labelledby="saml-title"]');
const editor = () => section().locator('.monaco-editor');
const problems = () => section().getByTestId('saml-problems');
const samlMethodState = () => page.locator('section[aria-labelledby="methods-heading"] tr', { hasText: 'SAML' }).locator('.pill');

const paste = (target: Locator, text: string) => pasteInto(page, target, text);

/** The 1-based editor lines that carry an error squiggle (the overlay rows share the text rows' top). */
async function squiggleLines(): Promise<number[]> {
  return editor().evaluate((root) => {
    const lineHeight = (root.querySelector('.view-line') as HTMLElement).offsetHeight;
    const tops = [...root.querySelectorAll('.squiggly-error')].map((node) => parseFloat(((node as HTMLElement).closest('.view-overlays > div') as HTMLElement).style.top));
    return [...new Set(tops.map((top) => Math.round(top / lineHeight) + 1))].sort((a, b) => a - b);
  });
}

describe('SAML configuration editor', () => {
  it('`version: 1.0` is valid in the editor as on the server: no marker, "valid"', async () => {
    await page.goto('/admin/security/saml');
    await editor().waitFor();
    await expect.poll(() => samlMethodState().textContent()).toBe('Not active');
    await paste(editor(), config('1.0'));
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toBe('The configuration is valid.');
    // Markers are drawn after the debounced check: give the editor time to mark anything it would.
    await page.waitForTimeout(1500);
    expect(await squiggleLines()).toEqual([]);
    // The same text with a version neither accepts is marked, on line 1.
    await paste(editor(), config('2.0'));
    await expect.poll(() => problems().textContent()).toMatch(/Line 1, column 10 \(version\): /);
    await expect.poll(squiggleLines).toEqual([1]);
  });

  /** Hovers the key `name` in the editor, as a reader does to see its documentation. */
  const hoverKey = (name: string) =>
    editor()
      .locator('.view-line span', { hasText: new RegExp(`^${name}$`) })
      .first()
      .hover();

  it("a key's hover is headed by the configuration's name and names no file", async () => {
    await editor()
      .locator('.view-line span', { hasText: /^entityId$/ })
      .first()
      .hover();
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('SAML configuration'));
    expect((await page.locator('.monaco-hover').allInnerTexts()).join('\n')).not.toMatch(/Source|schema\.json/);
    await page.mouse.move(0, 0);
    // A key with examples shows them under the language worker's own label.
    await hoverKey('claimEmail');
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('Example:'));
    await page.mouse.move(0, 0);
  });

  it('an unterminated quote is marked on the line where it opens, in the list and in the editor', async () => {
    const broken = config('"1.0"').replace('claimFirstName: givenName', 'claimFirstName: "givenName');
    await paste(editor(), broken);
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toContain('Line 8, column 19');
    await expect.poll(squiggleLines).toContain(8);
    expect(await squiggleLines()).not.toContain(10);
  });

  it('after Restart applies the configuration, the login methods table says SAML is active without a reload', async () => {
    await paste(editor(), config('1.0'));
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toBe('The configuration is valid.');
    await page.getByLabel('Allow Sign In').check();
    await section().getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('saml-differs').waitFor();
    expect(await samlMethodState().textContent()).toBe('Not active');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    await page.getByRole('button', { name: /Restart/ }).click();
    await page.getByRole('button', { name: 'Apply now' }).click();
    await expect.poll(() => samlMethodState().textContent()).toBe('Active');
    expect(navigations).toEqual([]);
  });

  it('in German: the key documentation, the problem list and the table speak German', async () => {
    await page.evaluate(() => localStorage.setItem('eid.language', 'de'));
    await page.reload();
    await editor().waitFor();
    await expect.poll(() => samlMethodState().textContent()).toBe('Aktiv');
    await paste(editor(), config('1.0').replace('claimFirstName: givenName', "claimFirstName: 'givenName"));
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toContain('Zeile 8, Spalte 19');
    await paste(editor(), config('1.0'));
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toBe('Die Konfiguration ist gültig.');
    await editor()
      .locator('.view-line span', { hasText: /^entityId$/ })
      .first()
      .hover();
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('Die Entity-ID des IdP'));
    // Headed in German too, and without a footer naming the schema's file.
    const hover = (await page.locator('.monaco-hover').allInnerTexts()).join('\n');
    expect(hover).toContain('SAML-Konfiguration');
    expect(hover).not.toMatch(/SAML configuration|Source|Quelle|schema\.json/);
    await page.mouse.move(0, 0);
    // The language worker's own words too: "Example:" was monaco-yaml's English in a German hover.
    await hoverKey('claimEmail');
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('Beispiel:'));
    expect((await page.locator('.monaco-hover').allInnerTexts()).join('\n')).not.toContain('Example');
    await page.mouse.move(0, 0);
    await page.evaluate(() => localStorage.setItem('eid.language', 'en'));
  });

  it('ran without console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
