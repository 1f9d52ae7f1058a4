#!/usr/bin/env node
/**
 * Records real WebAuthn ceremonies from headless Chromium's virtual authenticator (DevTools protocol: CTAP2,
 * internal transport, resident keys, user verification) into test/fixtures/webauthn/ceremonies.json, answering
 * challenges this script chooses, so the worker tests (test/security/passkey-fixtures.test.ts) can replay them
 * against the server's verifier. Run once: `node scripts/record-webauthn-fixtures.mjs`; commit the JSON.
 *
 * Recorded: a registration at http://localhost:<port> (RP ID "localhost": WebAuthn refuses an IP address), then
 * assertions with known challenges: by allowCredentials, discoverable, with the user not verified, one by the same
 * key registered under a second RP ID (other.localhost), and one by a clone of the credential (the same private
 * key put into a second authenticator with signCount 0, as a copied key would be).
 */
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const OUT = path.join(import.meta.dirname, '..', 'test', 'fixtures', 'webauthn', 'ceremonies.json');
/** The user handle registered: a fixed user id, as the server makes it (the user's id as UTF-8). */
const USER_ID = '6f1c0d1e-5a7b-4c3d-9e2f-0a1b2c3d4e5f';
const OTHER_RP_ID = 'other.localhost';

/** A challenge of 32 bytes the test will store, distinct per ceremony (base64url). */
const challengeFor = (label) => Buffer.from(label.padEnd(32, '.').slice(0, 32)).toString('base64url');

const server = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/html' });
  response.end('<!doctype html><title>webauthn fixtures</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const origin = `http://localhost:${port}`;
const otherOrigin = `http://${OTHER_RP_ID}:${port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', `--host-resolver-rules=MAP ${OTHER_RP_ID} 127.0.0.1`],
});
try {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  // Chromium keeps one internal authenticator at a time: a second one at once is a USB security key.
  const addAuthenticator = async (transport = 'internal') =>
    (
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      })
    ).authenticatorId;
  const authenticatorId = await addAuthenticator();

  /** navigator.credentials.create / get in the page, the result as @simplewebauthn/browser's JSON (toJSON()). */
  const create = (input) =>
    page.evaluate(async ({ challenge, rpId, userId }) => {
      const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const credential = await navigator.credentials.create({
        publicKey: {
          challenge: bytes(challenge),
          rp: { id: rpId, name: 'Edge Identity' },
          user: { id: new TextEncoder().encode(userId), name: 'fixture', displayName: 'Fixture User' },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
          authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
          attestation: 'none',
          timeout: 60000,
        },
      });
      return credential.toJSON();
    }, input);
  const get = (input) =>
    page.evaluate(async ({ challenge, rpId, allow, userVerification }) => {
      const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const credential = await navigator.credentials.get({
        publicKey: {
          challenge: bytes(challenge),
          rpId,
          allowCredentials: allow.map((id) => ({ type: 'public-key', id: bytes(id) })),
          userVerification,
          timeout: 60000,
        },
      });
      return credential.toJSON();
    }, input);

  await page.goto(origin);
  const registrationChallenge = challengeFor('registration');
  const registration = await create({ challenge: registrationChallenge, rpId: 'localhost', userId: USER_ID });
  const authentications = {};
  const record = async (name, input) => {
    const challenge = challengeFor(name);
    authentications[name] = { challenge, userVerification: input.userVerification, credential: await get({ challenge, ...input }) };
  };
  await record('byAllowCredentials', { rpId: 'localhost', allow: [registration.id], userVerification: 'preferred' });
  await record('discoverable', { rpId: 'localhost', allow: [], userVerification: 'required' });
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  await record('userNotVerified', { rpId: 'localhost', allow: [registration.id], userVerification: 'discouraged' });
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });

  // The same credential id and key held by a second authenticator for another RP ID (another site's credential).
  const [original] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  const otherId = await addAuthenticator('usb');
  await cdp.send('WebAuthn.addCredential', { authenticatorId: otherId, credential: { ...original, rpId: OTHER_RP_ID, signCount: 0 } });
  await page.goto(otherOrigin);
  {
    const challenge = challengeFor('otherRpId');
    authentications.otherRpId = { challenge, origin: otherOrigin, userVerification: 'preferred', credential: await get({ challenge, rpId: OTHER_RP_ID, allow: [registration.id], userVerification: 'preferred' }) };
  }
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: otherId });

  // A cloned authenticator: the original is gone, a copy of its key starts again at signCount 0.
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  const cloneId = await addAuthenticator();
  await cdp.send('WebAuthn.addCredential', { authenticatorId: cloneId, credential: { ...original, signCount: 0 } });
  await page.goto(origin);
  await record('clonedCounterReset', { rpId: 'localhost', allow: [registration.id], userVerification: 'preferred' });

  mkdirSync(path.dirname(OUT), { recursive: true });
  const fixture = {
    recordedWith: `Chromium ${browser.version()} virtual authenticator (ctap2, internal, resident key, user verification)`,
    origin,
    rpId: 'localhost',
    otherRpId: OTHER_RP_ID,
    userId: USER_ID,
    registration: { challenge: registrationChallenge, credential: registration },
    authentications,
  };
  writeFileSync(OUT, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), OUT)}: registration + ${Object.keys(authentications).join(', ')}`);
} finally {
  await browser.close();
  server.close();
}
