/**
 * Passkeys at /profile and /login end to end in headless Chromium, with the browser's own virtual platform
 * authenticator (DevTools WebAuthn domain: CTAP2, internal transport, resident keys, user verification) doing the
 * ceremonies exactly as a laptop's fingerprint reader would. The app is opened at http://localhost (a WebAuthn
 * relying party needs a host name, not an IP).
 *
 * Ada adds a passkey on /profile (the server asks for her current token first: a wrong OTP is refused), renames it,
 * signs in with it after her password, then without a password (the button, and the login field's autofill), and
 * removes it from a session that has not proven anything yet, confirming with the passkey itself. Attacks: a
 * credential made for another site (RP ID) is never offered by the browser, and an assertion for another RP ID
 * signed with her real key is refused by the server; a cloned authenticator (her key planted in a second device with
 * its counter reset) is refused and the passkey marked suspicious. Opened by IP address (where WebAuthn cannot work)
 * the pages offer no ceremony and say why. German texts are checked on the second factor.
 */
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { Secret } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVirtualAuthenticator, startApp, totpCodes, type E2eApp, type VirtualAuthenticator, type VirtualCredential } from './harness';

const PASSWORD = 'Ada passkey password 1';
const SEED = new Secret({ size: 20 });

let app: E2eApp;
let adaId: string;
/** Ada's laptop: the context and page she registers the passkey with. */
let laptop: { context: BrowserContext; page: Page; authenticator: VirtualAuthenticator };
/** A tab Ada signed in with her password before she had any factor: its session has proven nothing since. */
let unprovenTab: { context: BrowserContext; page: Page };

/** Ada's app token: each call a code the server has not accepted yet (see totpCodes). */
const nextOtp = totpCodes(SEED);

/**
 * A browser tab. `autofill: false` is a browser without conditional mediation (older browsers do not have it): the
 * virtual authenticator answers an autofill request at once, so the tests that drive the buttons switch it off.
 */
async function newTab(options: { locale?: string; autofill?: boolean } = {}) {
  const context = await app.browser.newContext({ baseURL: app.url, locale: options.locale ?? 'en-US' });
  if (options.autofill === false) {
    await context.addInitScript(() => {
      Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false, configurable: true });
    });
  }
  return { context, page: await context.newPage() };
}

async function submitPassword(page: Page, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Login').fill('ada');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const passkeysOf = () => app.adminApi('GET', `/tokens?ownerUserId=${adaId}`).then((list: any) => (list.items ?? list).filter((token: any) => token.type === 'PASSKEY'));
const passkeySection = (page: Page) => page.getByRole('region', { name: 'Passkeys' });

/** The credential id as the server names it (base64url), from the authenticator's base64. */
const base64url = (base64: string) => Buffer.from(base64, 'base64').toString('base64url');

beforeAll(async () => {
  app = await startApp({ localhost: true });
  adaId = (await app.adminApi('POST', '/users', { login: 'ada', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.test', password: PASSWORD })).id;
  const tab = await newTab({ autofill: false });
  laptop = { ...tab, authenticator: await addVirtualAuthenticator(tab.page) };
  unprovenTab = await newTab({ autofill: false });
  for (const { page } of [laptop, unprovenTab]) {
    await submitPassword(page);
    await page.waitForURL('**/profile');
  }
  // The administrator hands Ada an app token while both tabs are signed in: neither session has proven it.
  await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'ADA-TOTP-1', seed: SEED.base32, seedEncoding: 'base32', ownerUserId: adaId });
});
afterAll(async () => app?.stop());

describe('passkeys on /profile and at /login', () => {
  it('adding a passkey asks for the current token first (a wrong OTP changes nothing), then the ceremony runs and the passkey is listed', async () => {
    const { page, authenticator } = laptop;
    await page.reload();
    await passkeySection(page).getByText('You have no passkeys yet.').waitFor();
    await passkeySection(page).getByRole('button', { name: 'Add a passkey' }).click();
    await passkeySection(page).getByLabel('Name of the passkey').fill('Work laptop');
    await passkeySection(page).getByRole('button', { name: 'Create passkey' }).click();

    const stepUp = page.getByRole('dialog', { name: 'Confirm with your current code' });
    await stepUp.getByLabel('Current one-time password').fill('000000');
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.locator('[data-field-error]').filter({ hasText: 'The one-time password is wrong.' }).waitFor();
    expect(await passkeysOf()).toEqual([]);
    expect(await authenticator.credentials()).toEqual([]);

    await stepUp.getByLabel('Current one-time password').fill(nextOtp());
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    // The confirmed step-up sends the request again by itself: the authenticator makes the passkey.
    await passkeySection(page).getByText('The passkey "Work laptop" is added.', { exact: false }).waitFor();
    const item = passkeySection(page).getByTestId('passkey');
    await expect.poll(() => item.count()).toBe(1);
    await item.getByText('Work laptop').waitFor();
    await item.getByText('This device only').waitFor();
    await item.getByText('not used yet').waitFor();

    const [credential] = await authenticator.credentials();
    expect(credential!.rpId).toBe('localhost');
    expect(credential!.isResidentCredential).toBe(true);
    const [token] = await passkeysOf();
    expect(token.description).toBe('Work laptop');
    expect(token.owner.id).toBe(adaId);
  });

  it('renaming a passkey needs no proof', async () => {
    const { page } = laptop;
    const item = passkeySection(page).getByTestId('passkey');
    await item.getByRole('button', { name: 'Rename' }).click();
    await item.getByLabel('Name of the passkey').fill('Laptop (Touch ID)');
    await item.getByRole('button', { name: 'Save' }).click();
    await passkeySection(page).getByText('The passkey is renamed.').waitFor();
    await page.reload();
    await passkeySection(page).getByTestId('passkey').getByText('Laptop (Touch ID)').waitFor();
  });

  it('at /login, the passkey is offered after the password and signs in; the profile shows it used', async () => {
    const { page } = laptop;
    await page.getByRole('button', { name: 'Log off' }).click();
    await page.waitForURL('**/login');
    await submitPassword(page);
    await page.getByText('Confirm with your passkey, or enter the one-time password', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.waitForURL('**/profile');
    await passkeySection(page).getByTestId('passkey').getByText('last used', { exact: false }).waitFor();
  });

  it('"Sign in with a passkey" signs in without login or password', async () => {
    const { page } = laptop;
    await page.getByRole('button', { name: 'Log off' }).click();
    await page.waitForURL('**/login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL('**/profile');
    await page.getByTestId('profile-login').getByText('ada').waitFor();
  });

  it('where the browser offers passkeys in the login field (autofill), choosing Ada\'s passkey signs her in', async () => {
    // A browser with conditional mediation; the virtual authenticator "chooses" the only passkey at once.
    const { context, page } = await newTab();
    const authenticator = await addVirtualAuthenticator(page);
    await page.goto('/login');
    expect(await page.getByLabel('Login').getAttribute('autocomplete')).toBe('username webauthn');
    await authenticator.addCredential(await laptopCredential());
    await page.reload();
    await page.waitForURL('**/profile');
    await page.getByTestId('profile-login').getByText('ada').waitFor();
    await syncLaptopCounter(authenticator);
    await context.close();
  });

  it('German: the second factor offers "Passkey verwenden"; a passkey the device does not have ends calmly, nothing signed in', async () => {
    const { context, page } = await newTab({ locale: 'de-DE', autofill: false });
    await addVirtualAuthenticator(page);
    await page.goto('/login');
    await page.getByLabel('Anmeldename').fill('ada');
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByText('Bestätigen Sie mit Ihrem Passkey oder geben Sie das Einmalpasswort', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Passkey verwenden' }).click();
    await page.getByRole('status').filter({ hasText: 'Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen.' }).waitFor();
    expect(page.url()).toMatch(/\/login$/);
    expect(await page.getByRole('alert').count()).toBe(0);
    await context.close();
  });

  it('opened by IP address, where WebAuthn cannot work (an IP is no RP ID), /login and /profile offer no passkey ceremony', async () => {
    const context = await app.browser.newContext({ baseURL: app.url.replace('localhost', '127.0.0.1'), locale: 'en-US' });
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0);
    await submitPassword(page);
    await page.getByText('Enter the one-time password from your token', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Use your passkey' }).count()).toBe(0);
    await page.getByLabel('Code').fill(nextOtp());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL('**/profile');
    await passkeySection(page).getByTestId('passkey').getByText('Laptop (Touch ID)').waitFor();
    await passkeySection(page).getByText('the site was opened by an IP address instead of its name', { exact: false }).waitFor();
    expect(await passkeySection(page).getByRole('button', { name: 'Add a passkey' }).count()).toBe(0);
    await context.close();
  });

  it('attack: a credential made for another site is never offered to this one, and an assertion for another RP ID signed with the real key is refused', async () => {
    // The attacker's site other.example got a passkey made with Ada's very key and credential id: the browser
    // scopes credentials by RP ID, so at localhost it has nothing to offer.
    const real = await laptopCredential();
    const { context, page } = await newTab({ autofill: false });
    const foreign = await addVirtualAuthenticator(page);
    await foreign.addCredential({ ...real, rpId: 'other.example' });
    await submitPassword(page);
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'The passkey request was cancelled or timed out.' }).waitFor();
    expect(page.url()).toMatch(/\/login$/);

    // A phishing relay signs for its own RP ID: the assertion names other.example's RP ID hash, with Ada's key.
    const answer = await assertForLoginChallenge(page, real, { rpId: 'other.example', signCount: real.signCount + 1 });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('PASSKEY_INVALID');
    // The same forgery for the right RP ID passes, so the RP ID hash alone made the difference.
    const control = await assertForLoginChallenge(page, real, { rpId: 'localhost', signCount: real.signCount + 1 });
    expect(control.status).toBe(200);
    expect(control.body.state).toBe('signed_in');
    // The laptop's authenticator must now count on from the forged assertion's counter.
    await laptop.authenticator.removeAll();
    await laptop.authenticator.addCredential({ ...real, signCount: real.signCount + 1 });
    await context.close();
  });

  it('removing the passkey from a session that proved nothing asks for a factor; the passkey itself confirms; then it is gone everywhere', async () => {
    const { page } = unprovenTab;
    // The second device holds a copy of the passkey as it is now (a synced passkey, counter in step).
    const device = await addVirtualAuthenticator(page);
    await device.addCredential(await laptopCredential());
    await page.reload();
    const item = passkeySection(page).getByTestId('passkey');
    await item.getByRole('button', { name: 'Remove' }).click();
    await item.getByText('You can no longer sign in with it.', { exact: false }).waitFor();
    await item.getByRole('button', { name: 'Remove passkey' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm with your current code' });
    await stepUp.getByRole('button', { name: 'Use your passkey' }).click();
    await passkeySection(page).getByText('The passkey "Laptop (Touch ID)" is removed.').waitFor();
    await passkeySection(page).getByText('You have no passkeys yet.').waitFor();
    expect(await passkeysOf()).toEqual([]);

    // /login no longer offers it, and the device's copy signs in nobody.
    await page.getByRole('button', { name: 'Log off' }).click();
    await page.waitForURL('**/login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'This passkey could not be verified.' }).waitFor();
    expect(page.url()).toMatch(/\/login$/);
    await submitPassword(page);
    await page.getByLabel('Code').waitFor();
    expect(await page.getByRole('button', { name: 'Use your passkey' }).count()).toBe(0);
  });

  it('attack: a cloned authenticator (the key copied, its counter reset to 0) is refused and the passkey marked suspicious', async () => {
    // Ada registers a new passkey and uses it once.
    const { page, authenticator } = laptop;
    await authenticator.removeAll();
    await page.goto('/login');
    await submitPassword(page);
    await page.getByLabel('Code').fill(nextOtp());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL('**/profile');
    await passkeySection(page).getByRole('button', { name: 'Add a passkey' }).click();
    await passkeySection(page).getByRole('button', { name: 'Create passkey' }).click();
    await passkeySection(page).getByText('is added.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Log off' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL('**/profile');
    const original = await laptopCredential();
    expect(original.signCount).toBeGreaterThan(1);

    // The attacker extracted the key into another authenticator, whose counter starts again at 0.
    const { context, page: attackerPage } = await newTab({ autofill: false });
    const clone = await addVirtualAuthenticator(attackerPage);
    await clone.addCredential({ ...original, signCount: 0 });
    await attackerPage.goto('/login');
    await attackerPage.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await attackerPage.getByRole('alert').filter({ hasText: 'This passkey is blocked' }).waitFor();
    expect(attackerPage.url()).toMatch(/\/login$/);
    const [token] = await passkeysOf();
    expect(token.passkey.suspiciousAt).toBeGreaterThan(0);
    await context.close();

    // From now on the credential is refused whichever copy signs, until Ada removes it.
    await page.getByRole('button', { name: 'Log off' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'This passkey is blocked' }).waitFor();
  });
});

/** The laptop's credential as its authenticator holds it now (private key and counter included). */
async function laptopCredential(): Promise<VirtualCredential> {
  const [credential] = await laptop.authenticator.credentials();
  if (!credential) throw new Error('the laptop holds no passkey');
  return credential;
}

/** After another authenticator signed with the laptop's credential, the laptop counts on from there (a synced passkey). */
async function syncLaptopCounter(other: VirtualAuthenticator) {
  const [used] = await other.credentials();
  await laptop.authenticator.removeAll();
  await laptop.authenticator.addCredential(used!);
}

/**
 * Signs a WebAuthn assertion in Node with the credential's private key, as a relay or a forged client would, for the
 * /login challenge this page's password step just opened, and posts it from the page (same origin, its cookies).
 */
async function assertForLoginChallenge(page: Page, credential: VirtualCredential, forged: { rpId: string; signCount: number }) {
  const { challenge, options } = await page.evaluate(async (password) => {
    const post = async (path: string, body: unknown) =>
      (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>;
    const started = await post('/api/auth/login', { login: 'ada', password });
    return { challenge: started.challenge as string, options: (await post('/api/auth/login/passkey/options', { challenge: started.challenge })).options };
  }, PASSWORD);
  const origin = new URL(app.url).origin;
  const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(forged.signCount);
  // Flags: user present (0x01) and user verified (0x04).
  const authenticatorData = Buffer.concat([createHash('sha256').update(forged.rpId).digest(), Buffer.from([0x05]), counter]);
  const key = createPrivateKey({ key: Buffer.from(credential.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  // The authenticator picks the key type from the server's list (Ed25519 signs its message whole, without a digest).
  const digest = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  const signature = sign(digest, Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]), key);
  const id = base64url(credential.credentialId);
  const assertion = {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: clientDataJSON.toString('base64url'),
      authenticatorData: authenticatorData.toString('base64url'),
      signature: signature.toString('base64url'),
      userHandle: credential.userHandle ? base64url(credential.userHandle) : undefined,
    },
  };
  return page.evaluate(
    async ({ challenge, assertion }) => {
      const response = await fetch('/api/auth/login/passkey', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ challenge, credential: assertion }) });
      return { status: response.status, body: (await response.json()) as any };
    },
    { challenge, assertion },
  );
}
