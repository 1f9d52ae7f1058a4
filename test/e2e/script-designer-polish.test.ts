/**
 * The Script Designer as an administrator reads it, in headless Chromium, on a German page first: a problem says
 * where it is in words ("Zeile 3, Spalte 48: …") with German quotes and without its raw code, in the checker's list,
 * on the editor's marker and in a test run; a new script's comment is in the page's language and points at the
 * help the page has, not at a file in the repository; GetSystemName / GetSystemId insert where the admin put the
 * cursor, and when nobody did, as a comment line at the end that leaves the script valid (not glued to line 1);
 * and at a 1024 px wide window a workspace's name in GetSystemId's matches wraps between words only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { describeScriptProblem } from '../../script-engine/problems';
import { startApp, type E2eApp } from './harness';
import { editorTextOf, pasteInto } from './monaco';

let app: E2eApp;
let page: Page;
let officeId: string;
let secondOfficeId: string;
const OFFICE = 'Vertrieb Berlin Mitte';
const SECOND_OFFICE = 'Sales Berlin';
const consoleErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  officeId = (await app.adminApi('POST', '/offices', { name: OFFICE })).id;
  secondOfficeId = (await app.adminApi('POST', '/offices', { name: SECOND_OFFICE })).id;
  page = await (await app.newContext()).newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && consoleErrors.push(message.text()));
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  // Each test opens a fresh page: the browser's prompt for the last test's unsaved script is answered "leave".
  page.on('dialog', (dialog) => void dialog.accept());
  await app.signInAsAdmin(page);
});
afterAll(async () => app?.stop());

const editor = () => page.locator('.monaco-editor').first();
const problems = () => page.getByTestId('script-problems');

/** A fresh page in `language` with a new script's example in the editor, which nobody has clicked into. */
async function createScript(language: 'de' | 'en' = 'de') {
  await page.evaluate((chosen) => localStorage.setItem('eid.language', chosen), language);
  await page.goto('/admin/security/sign-in-script');
  await page.getByRole('button', { name: language === 'de' ? 'Anlegen' : 'Create' }).click();
  await editor().locator('.view-line').first().waitFor();
}

const editorText = () => editorTextOf(editor());
const paste = (text: string) => pasteInto(page, editor(), text);

/** The server's checker on a text: the same errors the designer lists. */
async function checkErrors(source: string): Promise<unknown[]> {
  return (await app.adminApi('POST', '/sign-in-script/check', { source })).errors;
}

/** The words in an element that the browser laid out over more than one line. */
async function brokenWords(element: Locator): Promise<string[]> {
  return element.evaluate((root) => {
    const broken: string[] = [];
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode() as Text | null; text; text = texts.nextNode() as Text | null) {
      for (const word of text.data.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        const lineTops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (lineTops.size > 1) broken.push(word[0]);
      }
    }
    return broken;
  });
}

describe('problems read as sentences with their place', () => {
  it("the checker's list and the editor's marker: „Zeile 3, Spalte …: …“ in German quotes, no raw code", async () => {
    await createScript();
    const script = 'version: 1\nactions:\n  - SetValue: { object: { var: Context.User }, field: isAdmin, value: true }\n';
    const [problem] = (await app.adminApi('POST', '/sign-in-script/check', { source: script })).errors;
    expect(problem.code).toBe('READ_ONLY_FIELD');
    await paste(script);
    const expected = `Zeile 3, Spalte ${problem.column}: ${describeScriptProblem(problem, 'de')}`;
    expect(expected).toContain('„isAdmin“ kann von einem Skript nicht geändert werden.');
    await expect.poll(() => problems().locator('li').allTextContents(), { timeout: 10_000 }).toEqual([expected]);
    expect(await problems().locator('li').getAttribute('data-code')).toBe('READ_ONLY_FIELD');
    expect(await problems().textContent()).not.toContain('READ_ONLY_FIELD');

    // The marker's hover, at the middle of its squiggle (the squiggle lies over the text and takes no pointer).
    const squiggle = (await editor().locator('.squiggly-error').first().boundingBox())!;
    await page.mouse.move(squiggle.x + squiggle.width / 2, squiggle.y + squiggle.height / 2);
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('„isAdmin“ kann von einem Skript nicht geändert werden.'));
    expect((await page.locator('.monaco-hover').allInnerTexts()).join(' ')).not.toContain('READ_ONLY_FIELD');
  });

  it('a test run that fails says where, in words, without the raw code', async () => {
    // Checks fine; fails while it runs: the claim has two values and lastName takes one.
    const script = 'version: 1\nactions:\n  - SetValue:\n      object: { var: Context.User }\n      field: lastName\n      value: { GetEntry: { key: surname } }\n';
    expect(await checkErrors(script)).toEqual([]);
    await createScript();
    await paste(script);
    await page.getByRole('tab', { name: 'Testlauf' }).click();
    await page.getByLabel(/Beispiel-Claims/).fill('surname = Meier\nsurname = Müller');
    await page.getByRole('button', { name: 'Ausführen, ohne etwas zu ändern' }).click();
    const result = page.getByTestId('test-run-result');
    await result.waitFor();
    const text = (await result.textContent())!;
    expect(text).toMatch(/Das Skript ist fehlgeschlagen — Zeile \d+, Spalte \d+: Dieses Feld nimmt einen Text/);
    const code = await result.locator('[data-code]').getAttribute('data-code');
    expect(code).toBe('WRONG_TYPE');
    expect(text).not.toContain(code);
  });
});

describe('a new script', () => {
  it('starts with a German comment on a German page that says what it does and where help is, and checks clean', async () => {
    await createScript();
    const text = await editorText();
    expect(text).toMatch(/^# Läuft vor jeder SAML-Anmeldung: setzt den Nachnamen/);
    expect(text).toContain('Strg+Leertaste');
    expect(text).not.toMatch(/README|script-engine\//);
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toBe('Keine Probleme.');
  });

  it('starts with an English comment on an English page', async () => {
    await createScript('en');
    const text = await editorText();
    expect(text).toMatch(/^# Runs before every SAML sign-in: sets the user’s last name/);
    expect(text).toContain('Ctrl+Space');
    expect(text).not.toMatch(/README|script-engine\//);
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toBe('No problems.');
  });
});

describe('GetSystemName and GetSystemId insert', () => {
  const systemName = () => page.getByTestId('get-system-name');
  const systemId = () => page.getByTestId('get-system-id');
  const match = () => systemId().locator('li', { hasText: OFFICE });

  it('without a cursor in the editor: as a comment line at the end, and the script still checks clean', async () => {
    await createScript();
    const example = await editorText();
    await systemName().getByLabel('Feld').selectOption('lastName');
    await systemName().getByRole('button', { name: 'Einfügen' }).click();
    await expect.poll(editorText).toBe(`${example.trimEnd()}\n# lastName\n`);
    expect(await checkErrors(await editorText())).toEqual([]);

    await systemId().getByLabel('Name').fill('Berlin');
    await match().getByRole('button', { name: 'Einfügen' }).click();
    await expect.poll(editorText).toBe(`${example.trimEnd()}\n# lastName\n# ${OFFICE}: "${officeId}"\n`);
    expect(await checkErrors(await editorText())).toEqual([]);
    await expect.poll(() => problems().textContent(), { timeout: 10_000 }).toBe('Keine Probleme.');
  });

  it('where the admin put the cursor, also after clicking elsewhere', async () => {
    await createScript();
    await paste('version: 1\nactions:\n  - AddUserToOffice: { userId: { var: Context.UserId }, officeId:  }\n');
    await editor().locator('.view-line', { hasText: 'officeId:' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await systemId().getByLabel('Name').fill('Vertrieb');
    await match().getByRole('button', { name: 'Einfügen' }).click();
    await expect.poll(editorText).toContain(`officeId: "${officeId}" }`);
    expect(await checkErrors(await editorText())).toEqual([]);
  });
});

describe('GetSystemId at a 1024 px wide window', () => {
  it("a match's name wraps between its words only, the id keeps one line (in full on hover), Insert stays a word", async () => {
    await page.setViewportSize({ width: 1024, height: 900 });
    const ids: Record<string, string> = { [OFFICE]: officeId, [SECOND_OFFICE]: secondOfficeId };
    for (const language of ['de', 'en'] as const) {
      await createScript(language);
      await page.getByTestId('get-system-id').getByLabel('Name').fill('Berlin');
      const rows = page.getByTestId('get-system-id').locator('li');
      await expect.poll(() => rows.locator('.match-name').allTextContents()).toEqual(expect.arrayContaining([OFFICE, SECOND_OFFICE]));
      for (const row of await rows.all()) {
        const name = (await row.locator('.match-name').textContent())!;
        expect(await row.locator('code').getAttribute('title'), name).toBe(ids[name]);
        expect(await brokenWords(row), `${language}: ${name}`).toEqual([]);
        // Nothing of the row runs out of its box.
        expect(await row.evaluate((node) => node.scrollWidth <= node.clientWidth), `${language}: ${name}`).toBe(true);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('Close with edits asks first, as leaving the page does: Abbrechen keeps the text, Verlassen drops it', async () => {
    await createScript('de');
    const edited = 'version: 1\nactions:\n  - SaveInstance:\n      object: { var: Context.User }\n# nicht gespeichert\n';
    await paste(edited);
    await expect.poll(editorText).toBe(edited);
    await page.getByRole('button', { name: 'Schließen' }).click();
    const ask = page.locator('dialog[open]').filter({ hasText: 'Ohne Speichern verlassen?' });
    await ask.getByRole('button', { name: 'Abbrechen' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(await editorText()).toBe(edited);
    await page.getByRole('button', { name: 'Schließen' }).click();
    await ask.getByRole('button', { name: 'Verlassen' }).click();
    await page.getByRole('button', { name: 'Anlegen' }).waitFor();
  });

  it('ran without console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
