/**
 * The admin-center side of the self-service portal in headless Chromium: enabling a resource's portal in its
 * "Self-Service" tab (alias with its errors, actions switched on and reordered, token types, the address users get),
 * and "User Issues": requests filed through the portal's restore-access API appear with their authenticator markers
 * and the account-menu badge; "Verify Identity" approves (the lost token is disabled but stays assigned), the trash
 * button deletes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { wordsBrokenInside } from './layout';
import { startApp, type E2eApp } from './harness';

let app: E2eApp;
let page: Page;
let resourceId = '';

beforeAll(async () => {
  app = await startApp();
  page = await (await app.newContext()).newPage();
  await app.signInAsAdmin(page);
  const resource = await app.adminApi('POST', '/resources', { name: 'Webmail' });
  resourceId = resource.id;
  // Another resource already holds the alias "intranet".
  const other = await app.adminApi('POST', '/resources', { name: 'Intranet' });
  await app.adminApi('PUT', `/resources/${other.id}/self-service`, { enabled: true, alias: 'intranet', actions: ['changeName'] });
});
afterAll(async () => app?.stop());

/** The portal's JSON API as a browser on this origin would call it (same-origin check included). */
async function portalApi(alias: string, path: string, body: unknown) {
  const response = await fetch(`${app.url}/api/portal/${alias}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function fileRecoveryRequest(alias: string, login: string, lost: string[], evidence: Record<string, string>) {
  const start = await portalApi(alias, '/recovery', { login, lost });
  expect(start.status).toBe(200);
  const submitted = await portalApi(alias, '/recovery/submit', { flow: start.body.flow, ...evidence });
  if (submitted.body.error?.code !== 'RECOVERY_PROOF_INVALID') return expect(submitted.body).toEqual({ submitted: true });
  // A wrong proof is refused and files nothing; sent without it, the request is filed with that proof failed.
  const { newPassword, newEmail } = evidence;
  expect((await portalApi(alias, '/recovery/submit', { flow: start.body.flow, newPassword, newEmail })).body).toEqual({ submitted: true });
}

const toasts = () => page.locator('.toast').allTextContents();
/** The alias field's own error (the one field component: under the input, tied to it by aria-describedby). */
const aliasProblem = () => page.locator('.field', { has: page.locator('[name="alias"]') }).locator('[data-field-error]');

describe('Self-Service tab', () => {
  it('refuses an invalid and a taken alias with clear errors and saves nothing', async () => {
    await page.goto(`/admin/resources/${resourceId}?tab=self-service`);
    await page.getByText('The self-service portal is disabled for this resource.').waitFor();
    await page.getByRole('switch', { name: "Enable User's Self-Service for This Resource" }).check();
    // All fifteen actions (Generate Recovery Codes the fifteenth) are listed and off by default.
    const switches = page.locator('ol.sortable-list').getByRole('switch');
    expect(await switches.count()).toBe(15);
    for (const state of await switches.evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).checked))) expect(state).toBe(false);

    const alias = page.getByLabel('Alias');
    await alias.fill('Not valid!');
    await expect.poll(() => aliasProblem().textContent()).toContain('This alias is not valid');
    await alias.fill('admin');
    await expect.poll(() => aliasProblem().textContent()).toContain('reserved');
    await page.getByRole('button', { name: 'Save' }).click();
    expect((await app.adminApi('GET', `/resources/${resourceId}`)).selfService.enabled).toBe(false);

    await alias.fill('intranet');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => aliasProblem().textContent()).toBe('Another resource already uses this alias. Choose another.');
    expect((await app.adminApi('GET', `/resources/${resourceId}`)).selfService).toMatchObject({ enabled: false, alias: null });
  });

  it('enables the portal with Register New Token (TOTP only) and two reordered actions, and shows the address', async () => {
    await page.getByLabel('Alias').fill('webmail');
    expect(await aliasProblem().count()).toBe(0);
    expect(await page.getByTestId('portal-address').textContent()).toBe(`${app.url}/selfservice/webmail`);

    await page.getByRole('switch', { name: 'Register New Token' }).check();
    // Register New Token needs a token type: the software token is chosen as the action is switched on.
    expect(await page.getByLabel('Software token, time-based (TOTP)').isChecked()).toBe(true);
    await page.getByRole('switch', { name: 'Create Password' }).check();
    await page.getByRole('switch', { name: 'Change Password' }).check();
    // "Change Password" above "Create Password" on the portal.
    await page.getByRole('button', { name: 'Move up: Change Password' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(toasts).toContain('Self-service settings saved.');
    await expect.poll(() => page.getByTestId('portal-live').textContent()).toContain(`${app.url}/selfservice/webmail`);

    const saved = (await app.adminApi('GET', `/resources/${resourceId}`)).selfService;
    expect(saved).toEqual({ enabled: true, alias: 'webmail', actions: ['registerNewToken', 'changePassword', 'createPassword'], tokenTypes: ['TOTP'] });
    // The address works: the portal's page is served there.
    expect((await fetch(`${app.url}/selfservice/webmail`, { headers: { accept: 'text/html' } })).status).toBe(200);

    // After a reload the tab shows the saved order and switches.
    await page.reload();
    await page.getByRole('switch', { name: 'Change Password' }).waitFor();
    const order = await page.locator('ol.sortable-list > li').evaluateAll((items) => items.slice(0, 4).map((li) => li.getAttribute('data-action')));
    expect(order).toEqual(['registerNewToken', 'changePassword', 'createPassword', 'registerExistingToken']);
    expect(await page.getByLabel('Software token, time-based (TOTP)').isChecked()).toBe(true);
    expect(await page.getByLabel('Software token, counter-based (HOTP)').isChecked()).toBe(false);
  });
});

describe('User Issues', () => {
  let erin = { id: '', tokenId: '' };

  it('lists requests filed through the portal with their markers and the badge', async () => {
    const user = await app.adminApi('POST', '/users', { login: 'erin', password: 'erin password 1' });
    const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'HW-ERIN-1', seed: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', seedEncoding: 'base32', ownerUserId: user.id });
    await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: user.id, tokenId: token.id });
    erin = { id: user.id, tokenId: token.id };
    const fred = await app.adminApi('POST', '/users', { login: 'fred', password: 'fred password 1' });
    await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: fred.id });

    await fileRecoveryRequest('webmail', 'erin', ['token'], { password: 'erin password 1' });
    // A guessed email code: refused at first, then sent as it is (a request without any proof is refused).
    await fileRecoveryRequest('webmail', 'fred', ['password'], { emailCode: '000000', newPassword: 'fred new password 1' });

    await page.goto('/admin/user-issues');
    await page.getByRole('heading', { name: 'User Issues' }).waitFor();
    await expect.poll(() => page.locator('header.topbar .badge').textContent()).toBe('2');

    const erinRow = page.locator('tr', { hasText: 'erin' });
    await erinRow.waitFor();
    expect(await erinRow.locator('td').nth(1).textContent()).toBe('Token');
    const markers = await erinRow.locator('[data-authenticator]').evaluateAll((items) =>
      items.map((item) => ({ which: item.getAttribute('data-authenticator'), class: item.className, text: item.textContent!.replace(/^\W+/, ''), title: item.getAttribute('title') })),
    );
    expect(markers).toEqual([
      { which: 'password', class: 'pill ok', text: 'Password: verified', title: 'Password: verified' },
      { which: 'email', class: 'pill off', text: 'Email: user has none', title: 'Email: user has none' },
      { which: 'token', class: 'pill bad', text: 'Token: lost', title: 'Token: lost' },
    ]);
    const fredRow = page.locator('tr', { hasText: 'fred' });
    expect(await fredRow.locator('[data-authenticator="password"]').getAttribute('class')).toBe('pill bad');
    expect(await fredRow.locator('[data-authenticator="token"]').getAttribute('class')).toBe('pill off');
    expect(await fredRow.getByTestId('issue-new-data').textContent()).toContain('new password given');

    // At 1024 px the whole row stays on screen, its actions too, and no word is cut in two.
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: 1024, height: 800 });
    try {
      const table = page.locator('table.data', { hasText: 'erin' });
      expect(await table.evaluate((element) => element.parentElement!.scrollWidth <= element.parentElement!.clientWidth)).toBe(true);
      expect((await erinRow.getByRole('button', { name: 'Verify Identity' }).boundingBox())!.x + 10).toBeLessThan(1024);
      expect(await wordsBrokenInside(page, 'table.data')).toEqual([]);
    } finally {
      await page.setViewportSize(viewport);
    }
  });

  it('"Verify Identity" approves after confirmation: the lost token is disabled but stays assigned', async () => {
    const erinRow = page.locator('tr', { hasText: 'erin' });
    // Dismissing the confirmation (an in-app dialog) changes nothing.
    await erinRow.getByRole('button', { name: 'Verify Identity' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    expect((await app.adminApi('GET', '/user-issues')).items).toHaveLength(2);

    await erinRow.getByRole('button', { name: 'Verify Identity' }).click();
    const confirmText = (await page.getByRole('alertdialog').textContent()) ?? '';
    await page.getByRole('alertdialog').getByRole('button', { name: 'Approve' }).click();
    await expect.poll(toasts).toContain('The request is approved.');
    expect(confirmText).toContain('disabled (it stays assigned)');
    await expect.poll(() => page.locator('tr', { hasText: 'erin' }).count()).toBe(0);
    await expect.poll(() => page.locator('header.topbar .badge').textContent()).toBe('1');

    expect((await app.adminApi('GET', `/tokens/${erin.tokenId}`)).enabled).toBe(false);
    const assignments = await app.adminApi('GET', `/resources/${resourceId}/assignments?kind=token_with_user`);
    expect(assignments.items.find((a: { user: { id: string } }) => a.user.id === erin.id)).toMatchObject({ kind: 'token_with_user', token: { id: erin.tokenId } });
  });

  it('the trash button deletes a request after confirmation and changes nothing for the user', async () => {
    await page.getByRole('button', { name: 'Delete the request of fred' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(toasts).toContain('The request is deleted.');
    await page.getByText('There are no open requests.').waitFor();
    await expect.poll(() => page.locator('header.topbar .badge').count()).toBe(0);
    expect((await app.adminApi('GET', '/user-issues')).items).toEqual([]);
    // Fred's old password still signs him in to the portal; the new one he asked for was never applied.
    const start = await portalApi('webmail', '/signin', { login: 'fred' });
    const signedIn = await portalApi('webmail', '/signin/password', { flow: start.body.flow, password: 'fred password 1' });
    expect(signedIn.body.state).toBe('signed_in');
  });

  it('switches the email notification of new requests on', async () => {
    expect(await app.adminApi('GET', '/user-issues/settings')).toEqual({ notifyByEmail: false });
    await page.getByRole('switch', { name: 'Email administrators about new requests' }).check();
    await expect.poll(toasts).toContain('Administrators are emailed about new requests.');
    expect(await app.adminApi('GET', '/user-issues/settings')).toEqual({ notifyByEmail: true });
  });
});

describe('disabling the portal', () => {
  it('switching the portal off asks first, keeps alias and actions, and the address stops working', async () => {
    await page.goto(`/admin/resources/${resourceId}?tab=self-service`);
    await page.getByRole('switch', { name: "Enable User's Self-Service for This Resource" }).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    const confirmText = (await page.getByRole('alertdialog').textContent()) ?? '';
    await page.getByRole('alertdialog').getByRole('button', { name: 'OK' }).click();
    await expect.poll(toasts).toContain('The self-service portal is disabled.');
    expect(confirmText).toContain(`${app.url}/selfservice/webmail`);
    await page.getByText('The self-service portal is disabled for this resource.').waitFor();
    expect((await app.adminApi('GET', `/resources/${resourceId}`)).selfService).toEqual({
      enabled: false,
      alias: 'webmail',
      actions: ['registerNewToken', 'changePassword', 'createPassword'],
      tokenTypes: ['TOTP'],
    });
    expect((await portalApi('webmail', '/signin', { login: 'fred' })).body.error.code).toBe('PORTAL_NOT_FOUND');
  });
});
