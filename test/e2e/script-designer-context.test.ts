/**
 * The Script Designer knows where the cursor is, in headless Chromium, in English and in German: completion offers
 * action names where an action goes, that action's parameters inside it, and for a value `{ var: … }` with the
 * context and the script's own variables, the user's field names for `field` on Context.User and workspace/group
 * names that insert their ids; a plain Enter after `actions:` stays a line break. The outline beside the editor
 * leads to a node's line, the test run's trace is drawn on that tree, the tabs show one panel at a time and the
 * GetSystemName / GetSystemId controls do not overlap. Switching the language in the account menu switches Monaco
 * at once (its own texts, the hover and completion docs) and keeps the unsaved text and the cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { describeScriptProblem } from '../../script-engine/problems';
import { startApp, type E2eApp } from './harness';
import { editorTextOf, pasteInto } from './monaco';

let app: E2eApp;
let page: Page;
let officeId: string;
let groupId: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  officeId = (await app.adminApi('POST', '/offices', { name: 'Sales Berlin' })).id;
  groupId = (await app.adminApi('POST', '/groups', { name: 'Engineers' })).id;
  page = await (await app.newContext()).newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && consoleErrors.push(message.text()));
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await app.signInAsAdmin(page);
  await page.goto('/admin/security/sign-in-script');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('.monaco-editor').waitFor();
});
afterAll(async () => app?.stop());

const editor = () => page.locator('.monaco-editor').first();
const suggestRows = () => page.locator('.suggest-widget .monaco-list-row');

const editorText = () => editorTextOf(editor());

async function paste(text: string) {
  await pasteInto(page, editor(), text);
  await page.keyboard.press('Control+End');
}

/**
 * Opens completion at the end of the text, after typing `typed`, and returns the labels of its rows. The widget
 * draws only the rows in view (about a dozen), so checks narrow the list by typing the start of a name.
 */
async function suggestionsAtEnd(text: string, typed = ''): Promise<string[]> {
  await page.keyboard.press('Escape');
  await paste(text);
  if (typed) await page.keyboard.type(typed);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Space');
  // Completion may wait for the server (workspace names): "Loading…" first, then rows or "No suggestions."
  const noSuggestions = page.locator('.suggest-widget .message:visible', { hasText: /No suggestions|Keine Vorschläge/ });
  await page.locator('.suggest-widget .monaco-list-row').or(noSuggestions).first().waitFor();
  if (await noSuggestions.count()) return [];
  // The list fills in once; read it when two reads agree.
  let labels: string[] = [];
  await expect
    .poll(async () => {
      const next = await suggestRows().locator('.label-name').allTextContents();
      const stable = next.length > 0 && next.join('|') === labels.join('|');
      labels = next;
      return stable;
    })
    .toBe(true);
  return labels;
}

async function boxesOverlap(a: Locator, b: Locator): Promise<boolean> {
  const [x, y] = [await a.boundingBox(), await b.boundingBox()];
  if (!x || !y) throw new Error('not on screen');
  return x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
}

const SCRIPT = `version: 1
actions:
  - Let: { name: role, value: { GetEntry: { key: extRole, index: 0 } } }
  - IfThenElse:
      if: { EqualTo: [ { var: role }, admin ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "OFFICE" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "GROUP" }
`;

describe('completion knows where the cursor is', () => {
  it('offers action names where an action goes, and only there', async () => {
    expect(await suggestionsAtEnd('version: 1\nactions:\n  - ', 'Se')).toEqual(expect.arrayContaining(['SetValue', 'SaveInstance']));
    expect(await suggestionsAtEnd('version: 1\nactions:\n  - ', 'IfT')).toEqual(['IfThenElse']);
    // A parameter name is no action.
    expect(await suggestionsAtEnd('version: 1\nactions:\n  - ', 'objec')).toEqual([]);
  });

  it("inside an action, offers that action's parameters not written yet", async () => {
    const labels = await suggestionsAtEnd('version: 1\nactions:\n  - SetValue:\n      object: { var: Context.User }\n      ');
    expect(labels.sort()).toEqual(['field', 'value']);
    const flow = await suggestionsAtEnd('version: 1\nactions:\n  - AddUserToGroup: { userId: { var: Context.UserId }, ');
    expect(flow).toEqual(['groupId']);
  });

  it('at a value, offers { var: … } with the context variables and the script’s own variables', async () => {
    const value = `${SCRIPT}  - SetValue:\n      object: { var: Context.User }\n      field: lastName\n      value: `;
    expect(await suggestionsAtEnd(value, 'Cont')).toEqual(expect.arrayContaining(['{ var: Context.Claims }', '{ var: Context.User }', '{ var: Context.UserId }']));
    expect(await suggestionsAtEnd(value, 'rol')).toEqual(['{ var: role }']);
    // Actions that give a value may be nested; ones that only act (SaveInstance) may not.
    expect(await suggestionsAtEnd(value, 'GetEn')).toEqual(['{ GetEntry }']);
    expect(await suggestionsAtEnd(value, 'SaveIns')).toEqual([]);
    // Inside the variable's braces: the names alone.
    expect(await suggestionsAtEnd(`${SCRIPT}  - SaveInstance: { object: { var: `, 'Context.U')).toEqual(expect.arrayContaining(['Context.User', 'Context.UserId']));
  });

  it('offers the user’s field names for `field` on Context.User (SetValue: only writable ones)', async () => {
    const read = await suggestionsAtEnd('version: 1\nactions:\n  - Let: { name: x, value: { GetValue: { object: { var: Context.User }, field: ');
    expect(read).toEqual(expect.arrayContaining(['lastName', 'email', 'isAdmin', 'login']));
    expect(read).not.toContain('{ var: Context.User }');
    const write = await suggestionsAtEnd('version: 1\nactions:\n  - SetValue:\n      object: { var: Context.User }\n      field: ');
    expect(write).toEqual(expect.arrayContaining(['lastName', 'email']));
    expect(write).not.toContain('isAdmin');
    // On another object, field is just text: no user fields.
    expect(await suggestionsAtEnd('version: 1\nactions:\n  - Let: { name: x, value: { GetValue: { object: { var: other }, field: ', 'lastN')).toEqual([]);
  });

  it('offers workspace and group names that insert their ids', async () => {
    const offices = await suggestionsAtEnd('version: 1\nactions:\n  - AddUserToOffice:\n      userId: { var: Context.UserId }\n      officeId: Sal');
    expect(offices).toContain('Sales Berlin');
    await page.keyboard.press('Enter');
    await expect.poll(editorText).toContain(`officeId: "${officeId}"`);
    const groups = await suggestionsAtEnd('version: 1\nactions:\n  - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: ', 'Eng');
    expect(groups).toContain('Engineers');
    await suggestRows().filter({ hasText: 'Engineers' }).first().click();
    await expect.poll(editorText).toContain(`groupId: "${groupId}"`);
  });

  it('a plain Enter after `actions:` (and after `- `) is a line break, not an action', async () => {
    await page.keyboard.press('Escape');
    await paste('version: 1\n');
    await page.keyboard.type('actions:');
    await page.keyboard.press('Enter');
    await page.keyboard.type('- ');
    // Let any completion the space opened appear before pressing Enter.
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    const text = await editorText();
    expect(text.replace(/\s+/g, ' ').trim()).toBe('version: 1 actions: -');
  });

  it('hover explains actions and parameters', async () => {
    await page.keyboard.press('Escape');
    await paste('version: 1\nactions:\n  - SaveInstance:\n      object: { var: Context.User }\n');
    await editor()
      .locator('.view-line span', { hasText: /SaveInstance/ })
      .first()
      .hover();
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('Stores the changes made with SetValue'));
  });
});

describe('outline, trace, tabs and inline actions', () => {
  it('the outline shows the action tree and leads to a node’s line', async () => {
    await paste(SCRIPT.replace('OFFICE', officeId).replace('GROUP', groupId));
    const outline = page.getByTestId('script-outline');
    await expect.poll(() => outline.locator('.outline-action').allTextContents()).toEqual(['Let', 'GetEntry', 'IfThenElse', 'EqualTo', 'AddUserToOffice', 'DeleteUserFromGroup']);
    await outline.getByRole('link', { name: /DeleteUserFromGroup/ }).click();
    await expect.poll(() => page.getByTestId('script-cursor').textContent()).toBe('Line 9, column 11');
    await outline.getByRole('link', { name: /^if: EqualTo/ }).click();
    await expect.poll(() => page.getByTestId('script-cursor').textContent()).toBe('Line 5, column 11');
  });

  it('GetSystemName and GetSystemId do not overlap, on a wide and a narrow page', async () => {
    for (const width of [1280, 720]) {
      await page.setViewportSize({ width, height: 900 });
      const name = page.getByTestId('get-system-name');
      const id = page.getByTestId('get-system-id');
      expect(await boxesOverlap(name, id)).toBe(false);
      expect(await boxesOverlap(name.locator('select'), name.getByRole('button', { name: 'Insert' }))).toBe(false);
      expect(await boxesOverlap(id.locator('select'), id.locator('input'))).toBe(false);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('the test run shows one panel and draws the trace on the tree: inputs and output per action, and what did not run', async () => {
    await page.getByRole('tab', { name: 'Test run' }).click();
    expect(await editor().isVisible()).toBe(false);
    expect(await page.getByTestId('script-outline').isVisible()).toBe(false);
    await page.getByLabel(/Sample claims/).fill('extRole = admin');
    // A sample user is taken off again with an icon button that says what it does: an SVG, not a text glyph.
    await page.getByLabel('Sample user (optional)').fill(app.admin.login);
    await page.getByRole('button', { name: 'Choose', exact: true }).first().click();
    const removeUser = page.getByRole('button', { name: 'Run without a sample user' });
    expect(await removeUser.locator('svg').count()).toBe(1);
    expect((await removeUser.textContent())!.trim()).toBe('');
    await removeUser.click();
    await page.getByLabel('Sample user (optional)').waitFor();
    await page.getByRole('button', { name: 'Run without changing anything' }).click();
    const tree = page.getByTestId('trace-tree');
    await tree.waitFor();
    const node = (action: string) => tree.locator(`li[data-action="${action}"]`).first();
    expect(await node('EqualTo').locator('> .outline-node').textContent()).toContain('ran 1×');
    expect(await node('EqualTo').locator('> .outline-runs').textContent()).toMatch(/left = "admin".*right = "admin".*Output: true/);
    expect(await node('AddUserToOffice').locator('> .outline-runs').textContent()).toContain(`officeId = "${officeId}"`);
    expect(await node('DeleteUserFromGroup').locator('> .outline-node').textContent()).toContain('did not run');
    expect(await page.getByTestId('test-run-result').textContent()).not.toContain('"action"');

    // A click on a traced node goes back to the editor at its line.
    await node('AddUserToOffice').locator('> .outline-node').click();
    await editor().waitFor();
    await expect.poll(() => page.getByTestId('script-cursor').textContent()).toBe('Line 7, column 11');
    // Back in the editor, the same run is drawn on the outline beside it.
    expect(await page.getByTestId('script-outline').textContent()).toContain('did not run');
  });
});

describe('switching the language in the account menu', () => {
  it('switches Monaco at once: its own texts, the hover and completion docs; the unsaved text and the cursor stay', async () => {
    await page.getByRole('tab', { name: 'Editor' }).click();
    const unsaved = 'version: 1\nactions:\n  - SaveInstance:\n      object: { var: Context.User }\n# not saved yet\n';
    await paste(unsaved);
    await editor().locator('.view-line', { hasText: 'not saved yet' }).click();
    await page.keyboard.press('End');
    await expect.poll(() => page.getByTestId('script-cursor').textContent()).toBe('Line 5, column 16');
    // In English first: Monaco's "No suggestions." in a comment, and its find widget.
    await page.keyboard.press('Control+Space');
    await expect.poll(() => page.locator('.suggest-widget .message:visible').textContent()).toBe('No suggestions.');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+F');
    await expect.poll(() => editor().locator('.find-widget textarea, .find-widget input').first().getAttribute('placeholder')).toBe('Find');
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: app.admin.login }).click();
    await page.getByRole('menuitemradio', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { name: 'Anmeldeskript' }).or(page.getByRole('tab', { name: 'Testlauf' })).first().waitFor();
    // The same editor text and cursor, no reload.
    await expect.poll(editorText).toBe(unsaved);
    await expect.poll(() => page.getByTestId('script-cursor').textContent()).toBe('Zeile 5, Spalte 16');
    await editor()
      .locator('.view-line span', { hasText: /SaveInstance/ })
      .first()
      .hover();
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('SetValue'));
    expect((await page.locator('.monaco-hover').allInnerTexts()).join(' ')).not.toContain('Stores the changes made with SetValue');
    await editor().locator('.view-line', { hasText: 'not saved yet' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Control+Space');
    await expect.poll(() => page.locator('.suggest-widget .message:visible').textContent()).toBe('Keine Vorschläge.');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+F');
    await expect.poll(() => editor().locator('.find-widget textarea, .find-widget input').first().getAttribute('placeholder')).toBe('Suchen');
    await page.keyboard.press('Escape');
    // Completion documentation follows too.
    expect(await suggestionsAtEnd('version: 1\nactions:\n  - SetValue:\n      object: { var: Context.User }\n      field: ', 'lastN')).toEqual(['lastName']);
    expect(await suggestRows().first().textContent()).toContain('Feld von Context.User');
    await page.keyboard.press('Escape');

    // And back: English again, at once.
    await page.getByRole('button', { name: app.admin.login }).click();
    await page.getByRole('menuitemradio', { name: 'English' }).click();
    await paste(unsaved);
    await editor().locator('.view-line', { hasText: 'not saved yet' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Control+Space');
    await expect.poll(() => page.locator('.suggest-widget .message:visible').textContent()).toBe('No suggestions.');
    await page.keyboard.press('Escape');
  });
});

describe('in German', () => {
  it('labels, the cursor, the outline and the trace speak German', async () => {
    await page.evaluate(() => localStorage.setItem('eid.language', 'de'));
    await page.reload();
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await editor().waitFor();
    await paste(SCRIPT.replace('OFFICE', officeId).replace('GROUP', groupId));
    await expect.poll(() => page.getByTestId('script-outline').textContent()).toContain('Gliederung');
    await page
      .getByTestId('script-outline')
      .getByRole('link', { name: /AddUserToOffice/ })
      .click();
    await expect.poll(() => page.getByTestId('script-cursor').textContent()).toBe('Zeile 7, Spalte 11');
    // The German labels are longer: the inline actions still do not overlap, at a narrow width too.
    for (const width of [1280, 720]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await boxesOverlap(page.getByTestId('get-system-name'), page.getByTestId('get-system-id'))).toBe(false);
      expect(await boxesOverlap(page.getByTestId('get-system-name').locator('select'), page.getByTestId('get-system-name').getByRole('button', { name: 'Einfügen' }))).toBe(false);
      expect(await boxesOverlap(page.getByTestId('get-system-id').locator('select'), page.getByTestId('get-system-id').locator('input'))).toBe(false);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('tab', { name: 'Testlauf' }).click();
    await page.getByLabel(/Beispiel-Claims/).fill('extRole = user');
    await page.getByRole('button', { name: 'Ausführen, ohne etwas zu ändern' }).click();
    const tree = page.getByTestId('trace-tree');
    await tree.waitFor();
    expect(await tree.textContent()).toContain('1× ausgeführt');
    expect(await tree.textContent()).toContain('nicht ausgeführt');
    expect(await tree.textContent()).toContain('Eingaben');
    await page.getByRole('tab', { name: 'Editor' }).click();
  });

  it('completion and hover documentation are German', async () => {
    const labels = await suggestionsAtEnd('version: 1\nactions:\n  - SetValue:\n      object: { var: Context.User }\n      field: ', 'lastN');
    expect(labels).toEqual(['lastName']);
    expect(await suggestRows().first().textContent()).toContain('Feld von Context.User');
    await page.keyboard.press('Escape');
    await paste('version: 1\nactions:\n  - SaveInstance:\n      object: { var: Context.User }\n');
    await editor()
      .locator('.view-line span', { hasText: /SaveInstance/ })
      .first()
      .hover();
    await expect.poll(() => page.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining('SetValue'));
    expect((await page.locator('.monaco-hover').allInnerTexts()).join(' ')).not.toContain('Stores the changes made with SetValue');
  });

  it('checker problems are listed and marked in German', async () => {
    const script = 'version: 1\nactions:\n  - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "not-an-office" }\n';
    const [problem] = (await app.adminApi('POST', '/sign-in-script/check', { source: script })).errors;
    await paste(script);
    const list = page.getByTestId('script-problems');
    await expect.poll(() => list.textContent(), { timeout: 10_000 }).toContain(`Zeile 3, Spalte ${problem.column}: ${describeScriptProblem(problem, 'de')}`);
    expect(describeScriptProblem(problem, 'de')).not.toBe(problem.message);
    expect(await list.textContent()).not.toContain(problem.message);
  });

  it('ran without console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
