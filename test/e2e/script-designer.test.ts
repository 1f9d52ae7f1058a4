/**
 * The Script Designer in headless Chromium: Monaco loads (lazily, only here), completion offers the actions with
 * their documentation, the checker's markers appear at the right line as the admin types, the test run shows the
 * trace and effects without changing anything, and saving keeps versions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startApp, type E2eApp } from './harness';
import { pasteInto } from './monaco';

let app: E2eApp;
let page: Page;
let officeId: string;
let groupId: string;
const consoleErrors: string[] = [];
const failedAssets: string[] = [];

beforeAll(async () => {
  app = await startApp();
  officeId = (await app.adminApi('POST', '/offices', { name: 'Admins office' })).id;
  groupId = (await app.adminApi('POST', '/groups', { name: 'Admins' })).id;
  page = await (await app.newContext()).newPage();
  // Network failures are checked by URL below (assets must all load); other console errors must not happen.
  page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && consoleErrors.push(message.text()));
  page.on('response', (response) => response.status() >= 400 && response.url().includes('/assets/') && failedAssets.push(response.url()));
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await app.signInAsAdmin(page);
});
afterAll(async () => app?.stop());

const pasteScript = (text: string) => pasteInto(page, page.locator('.monaco-editor').first(), text);

describe('Script Designer', () => {
  it('offers Create when there is no script and opens Monaco with an example', async () => {
    const before = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('yaml-editor')).length);
    expect(before).toBe(0);
    await page.goto('/admin/security/sign-in-script');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.monaco-editor').waitFor();
    await expect.poll(() => page.getByTestId('script-problems').textContent()).toContain('No problems.');
  });

  it('completes action names with their documentation', async () => {
    await pasteScript('version: 1\nactions:\n  - ');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('AddUserTo');
    await page.keyboard.press('Control+Space');
    const suggest = page.locator('.suggest-widget .monaco-list-row');
    await suggest.first().waitFor();
    const labels = await suggest.allTextContents();
    expect(labels.join(' ')).toContain('AddUserToOffice');
    expect(labels.join(' ')).toContain('AddUserToGroup');
  });

  it('shows checker problems at their line as the admin types', async () => {
    await pasteScript(`version: 1\nactions:\n  - Comment: fine\n  - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "not-an-office" }\n`);
    await expect.poll(() => page.getByTestId('script-problems').textContent(), { timeout: 10_000 }).toMatch(/Line 4, column \d+: There is no workspace \(office\) with id "not-an-office"\./);
    // The stable code is for support and tests, not for the admin to read.
    expect(await page.getByTestId('script-problems').textContent()).not.toContain('UNKNOWN_ID');
    expect(await page.getByTestId('script-problems').locator('li').getAttribute('data-code')).toBe('UNKNOWN_ID');
    // Monaco draws the marker as a squiggle on that line.
    await page.locator('.monaco-editor .squiggly-error').first().waitFor();
  });

  it('test-runs example 2 on sample claims without changing anything, then saves it', async () => {
    await pasteScript(`version: 1
actions:
  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: extRole, index: 0 } }, admin ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "${officeId}" }
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${groupId}" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "${groupId}" }
`);
    await expect.poll(() => page.getByTestId('script-problems').textContent(), { timeout: 10_000 }).toContain('No problems.');
    await page.getByRole('tab', { name: 'Test run' }).click();
    await page.getByLabel(/Sample claims/).fill('extRole = admin');
    await page.getByRole('button', { name: 'Run without changing anything' }).click();
    const result = page.getByTestId('test-run-result');
    await result.waitFor();
    expect(await result.textContent()).toContain('add to office "Admins office"');
    expect(await result.textContent()).toContain('add to group "Admins"');
    // The trace is drawn on the action tree, not printed as JSON.
    expect(await result.getByTestId('trace-tree').locator('li[data-action="IfThenElse"] > .outline-node').textContent()).toContain('ran 1×');

    await page.getByRole('tab', { name: 'Editor' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContain('Saved as version 1. It runs from the next sign-in on.');
    const state = await app.adminApi('GET', '/sign-in-script');
    expect(state.script.version).toBe(1);
    expect(state.script.source).toContain(officeId);
  });

  it('loaded Monaco without console errors (workers included)', () => {
    expect(consoleErrors).toEqual([]);
    expect(failedAssets).toEqual([]);
  });
});
