/**
 * SAML single sign-on end to end, against a real IdP (SimpleSAMLphp from Debian, on loopback), in headless
 * Chromium: the admin configures SAML in the YAML editor (a problem shown at its line, metadata import, save that
 * does not change sign-in until the restart button applies it), writes the two example sign-in scripts in the
 * Script Designer (with completion and a test run), and users sign in SP-initiated and IdP-initiated: the first
 * sign-in registers the user in the claimed language, and each sign-in shows the script's effects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { startApp, type E2eApp } from './harness';
import { pasteInto } from './monaco';
import { startSimpleSamlIdp, type SimpleSamlIdp } from './simplesamlphp-idp';

let app: E2eApp;
let idp: SimpleSamlIdp;
let admin: Page;
let alice: BrowserContext;
let spEntityId: string;
let officeId: string;
let groupId: string;
let bobId: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  spEntityId = `${app.url}/saml/metadata`;
  idp = await startSimpleSamlIdp({
    spEntityId,
    acsUrl: `${app.url}/saml/acs`,
    users: [
      { username: 'alice', password: 'alice-pw', attributes: { mail: ['alice@example.org'], givenName: ['Alice'], sn: ['Anders'], preferredLanguage: ['de'], extRole: ['admin'] } },
      { username: 'bob', password: 'bob-pw', attributes: { mail: ['bob@example.org'], givenName: ['Bob'], sn: ['Berg'], preferredLanguage: ['en'], extRole: ['user'] } },
    ],
  });
  officeId = (await app.adminApi('POST', '/offices', { name: 'Admins office' })).id;
  groupId = (await app.adminApi('POST', '/groups', { name: 'Admins' })).id;
  // Bob already has an account and is in the group the script takes him out of.
  bobId = (await app.adminApi('POST', '/users', { login: 'bob', email: 'bob@example.org', firstName: 'Bob', lastName: 'Berg' })).id;
  await app.adminApi('PUT', `/groups/${groupId}/members/${bobId}`);

  admin = await (await app.newContext()).newPage();
  admin.on('pageerror', (error) => consoleErrors.push(String(error)));
  admin.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && consoleErrors.push(message.text()));
  await app.signInAsAdmin(admin);
  alice = await app.newContext();
});
afterAll(async () => {
  await app?.stop();
  await idp?.stop();
});

const paste = (editor: Locator, text: string) => pasteInto(admin, editor, text);

const samlSection = () => admin.locator('section[aria-labelledby="saml-title"]');
const samlEditor = () => samlSection().locator('.monaco-editor');
const scriptSection = () => admin.locator('section[aria-labelledby="script-designer-title"]');
const toasts = () => admin.locator('.toast').allTextContents();
const samlStatus = async () => (await (await fetch(`${app.url}/api/auth/saml-status`)).json()) as { available: boolean };
const members = async (kind: 'offices' | 'groups', id: string) =>
  ((await app.adminApi('GET', `/${kind}/${id}/members`)).items as Array<{ login: string }>).map((member) => member.login);

/** Signs in at the IdP's own form (SimpleSAMLphp exampleauth:UserPass). */
async function signInAtIdp(page: Page, username: string, password: string) {
  await page.waitForURL(`${idp.url}/**`);
  await page.locator('#username').waitFor({ timeout: 10_000 }).catch(async () => {
    throw new Error(`no sign-in form at the IdP (${page.url()}):\n${(await page.locator('body').innerText()).slice(0, 1000)}`);
  });
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#password').press('Enter');
}

describe('SAML configuration in the admin center', () => {
  it('completes and explains the keys from the configuration schema', async () => {
    await admin.goto('/admin/security/saml');
    await samlEditor().waitFor();
    await samlSection().getByTestId('saml-problems').waitFor();
    // The editor starts from the template; a key it lacks is offered with its documentation.
    await samlEditor().locator('.view-lines').first().click();
    await admin.keyboard.press('Control+End');
    await admin.keyboard.type('  claimLang');
    await admin.keyboard.press('Control+Space');
    await admin.locator('.suggest-widget .monaco-list-row', { hasText: 'claimLanguage' }).first().waitFor();
    await admin.keyboard.press('Escape');
    await samlEditor().locator('.view-line span', { hasText: /^entityId$/ }).first().hover();
    await expect.poll(() => admin.locator('.monaco-hover').allInnerTexts()).toContainEqual(expect.stringContaining("The IdP's entity ID"));
  });

  it('lists problems with their line and refuses to save them', async () => {
    await paste(
      samlEditor(),
      `version: "1.0"\nconfig:\n  entityId: https://idp.example.com/saml/metadata\n  singleSignOnServiceUrl: https://idp.example.com/sso\n  spEntityId: ${spEntityId}\n  certificate: MIIB\n  claimFirstName: givenName\n  claimLanguage: preferredLanguage\n  allowIdpInitiated: true\n`,
    );
    await samlSection().getByRole('button', { name: 'Validate' }).click();
    const problems = samlSection().getByTestId('saml-problems');
    await expect.poll(() => problems.textContent()).toContain('claimEmail');
    expect(await problems.textContent()).toMatch(/Line 6, column \d+ \(config\.certificate\): /);
    await samlEditor().locator('.squiggly-error').first().waitFor();

    await samlSection().getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => problems.textContent()).toContain('claimEmail');
    expect((await app.adminApi('GET', '/saml')).saved).toBeNull();
  });

  it('imports the IdP metadata, validates, and saves without changing how users sign in', async () => {
    await paste(
      samlEditor(),
      `version: "1.0"\nconfig:\n  entityId: https://idp.example.com/saml/metadata\n  singleSignOnServiceUrl: https://idp.example.com/sso\n  spEntityId: ${spEntityId}\n  certificate: MIIB\n  claimEmail: NameID\n  claimFirstName: givenName\n  claimLanguage: preferredLanguage\n  allowIdpInitiated: true\n`,
    );
    const metadata = await (await fetch(idp.metadataUrl)).text();
    await admin.getByRole('button', { name: 'Import from metadata' }).click();
    await admin.getByLabel('Metadata XML').fill(metadata);
    await admin.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(toasts).toContainEqual(expect.stringContaining(`Imported ${idp.entityId}`));
    await expect.poll(() => samlEditor().locator('.view-lines').textContent()).toContain(idp.singleSignOnServiceUrl);

    await samlSection().getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => samlSection().getByTestId('saml-problems').textContent()).toContain('The configuration is valid.');
    await admin.getByLabel('Allow Sign In').check();
    await samlSection().getByRole('button', { name: 'Save' }).click();
    await expect.poll(toasts).toContainEqual(expect.stringContaining('Saved as version 1'));
    await admin.getByTestId('saml-differs').waitFor();

    const state = await app.adminApi('GET', '/saml');
    expect(state.saved).toMatchObject({ version: 1, allowSignIn: true });
    expect(state.saved.yaml).toContain(idp.certificate.slice(0, 40));
    expect(state.applied).toBeNull();
    expect(await samlStatus()).toEqual({ available: false });
  });

  it('applies the saved version with the restart button: the sign-in page offers SAML', async () => {
    await admin.getByRole('button', { name: /Restart/ }).click();
    await admin.getByRole('button', { name: 'Apply now' }).click();
    await expect.poll(toasts).toContainEqual('Version 1 is active.');
    await expect.poll(() => admin.getByTestId('saml-active').textContent()).toContain('version 1 (sign-in allowed)');
    expect(await admin.getByTestId('saml-differs').count()).toBe(0);
    expect(await samlStatus()).toEqual({ available: true });
  });
});

describe('sign-in scripts through a real SAML sign-in', () => {
  it('example 1, written with completion and test-run: the last name comes from the claims', async () => {
    await scriptSection().getByRole('button', { name: 'Create' }).click();
    const editor = scriptSection().locator('.monaco-editor');
    await editor.waitFor();
    await paste(
      editor,
      'version: 1\nactions:\n  - SetValue:\n      object: { var: Context.User }\n      field: lastName\n      value: { GetEntry: { claims: { var: Context.Claims }, key: sn, index: 0 } }\n  - SaveIn',
    );
    await admin.keyboard.press('Control+End');
    await admin.keyboard.press('Control+Space');
    await admin.locator('.suggest-widget .monaco-list-row', { hasText: 'SaveInstance' }).first().waitFor();
    await admin.keyboard.press('Enter');
    await admin.keyboard.type('{ var: Context.User }');
    await expect.poll(() => scriptSection().getByTestId('script-problems').textContent(), { timeout: 10_000 }).toContain('No problems.');

    await scriptSection().getByRole('tab', { name: 'Test run' }).click();
    await scriptSection().getByLabel(/Sample claims/).fill('sn = Anders');
    await scriptSection().getByRole('button', { name: 'Run without changing anything' }).click();
    await expect.poll(() => scriptSection().getByTestId('test-run-result').textContent()).toContain('Anders');
    await scriptSection().getByRole('tab', { name: 'Editor' }).click();
    await scriptSection().getByRole('button', { name: 'Save' }).click();
    await expect.poll(toasts).toContainEqual(expect.stringContaining('Saved as version 1. It runs'));
  });

  it('SP-initiated first sign-in registers Alice in her claimed language, with the script applied', async () => {
    const page = await alice.newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with SAML' }).click();
    await signInAtIdp(page, 'alice', 'alice-pw');
    await page.waitForURL('**/welcome?lang=de**');
    await expect.poll(() => page.getByRole('heading').first().textContent()).toContain('Willkommen, Alice');

    const found = await app.adminApi('GET', '/users?search=alice@example.org');
    expect(found.items).toHaveLength(1);
    // claimLastName is not configured: the last name is there because the script set it.
    expect(found.items[0]).toMatchObject({ email: 'alice@example.org', firstName: 'Alice', lastName: 'Anders', language: 'de' });
    const me = await page.evaluate(() => fetch('/api/auth/me').then((r) => r.json() as Promise<{ user: { login: string } }>));
    expect(me.user.login).toBe(found.items[0].login);
  });

  it('example 2: memberships follow the extRole claim at the next sign-in, SP- and IdP-initiated', async () => {
    await scriptSection().getByRole('button', { name: 'Close' }).click();
    await scriptSection().getByRole('button', { name: 'Open' }).click();
    await paste(
      scriptSection().locator('.monaco-editor'),
      `version: 1
actions:
  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: extRole, index: 0 } }, admin ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "${officeId}" }
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${groupId}" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "${groupId}" }
`,
    );
    await expect.poll(() => scriptSection().getByTestId('script-problems').textContent(), { timeout: 10_000 }).toContain('No problems.');
    await scriptSection().getByRole('button', { name: 'Save' }).click();
    await expect.poll(toasts).toContainEqual(expect.stringContaining('Saved as version 2. It runs'));
    expect(await members('groups', groupId)).toEqual(['bob']);

    // Alice again, SP-initiated: the IdP still knows her, so no form this time.
    const page = await alice.newPage();
    await page.goto('/saml/login?RelayState=%2Fprofile');
    await page.waitForURL(`${app.url}/profile`);
    expect(await members('offices', officeId)).toEqual([expect.stringContaining('alice')]);

    // Bob, IdP-initiated (allowIdpInitiated: true), lands where the IdP's RelayState says, signed in.
    const bob = await (await app.newContext()).newPage();
    await bob.goto(idp.idpInitiatedUrl('/profile'));
    await signInAtIdp(bob, 'bob', 'bob-pw');
    await bob.waitForURL(`${app.url}/profile`);
    const me = await bob.evaluate(() => fetch('/api/auth/me').then((r) => r.json() as Promise<{ user: { login: string } }>));
    expect(me.user.login).toBe('bob');
    expect(await members('groups', groupId)).toEqual([expect.stringContaining('alice')]);
  });

  it('ran without console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
