/**
 * Recorded WebAuthn ceremonies from Chromium's virtual authenticator (test/fixtures/webauthn/ceremonies.json, made
 * by scripts/record-webauthn-fixtures.mjs) replayed against the server's verifier (worker/passkeys/ceremonies.ts):
 * every refusal the issue lists, each opening with the attack, and next to it the same data accepted where nothing
 * is wrong, so each refusal is owed to exactly the one thing the attack changed.
 *
 * The browser answered challenges the recorder chose; here each is stored as startPasskeyRegistration /
 * startPasskeyAuthentication store theirs (SHA-256 in `challenges`, bound, expiring), then the response is verified.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { WEBAUTHN_CHALLENGE_TTL_MS } from '../../worker/constants';
import { sha256Hex } from '../../worker/lib/crypto';
import { runPasskeyRegistrationBatch, verifyPasskeyAuthentication, verifyPasskeyRegistration } from '../../worker/passkeys/ceremonies';
import type { RelyingParty } from '../../worker/passkeys/relying-party';
import fixture from '../fixtures/webauthn/ceremonies.json';

type Recorded = { challenge: string; origin?: string; credential: AuthenticationResponseJSON };
const recorded = fixture.authentications as unknown as Record<keyof typeof fixture.authentications, Recorded>;
const rp: RelyingParty = { id: fixture.rpId, name: 'Edge Identity', origin: fixture.origin };
const userId = fixture.userId;

async function storeChallenge(input: { purpose: 'webauthn-register' | 'webauthn-authenticate'; challenge: string; boundTo: string; issuedAtMs?: number; tokenIds?: string[] | null }) {
  const issuedAt = input.issuedAtMs ?? Date.now();
  const data = input.purpose === 'webauthn-register' ? {} : { tokenIds: input.tokenIds ?? null, userVerification: 'preferred' };
  await env.DB.prepare(
    'INSERT INTO challenges (id, purpose, user_id, target, max_attempts, data, created_at, expires_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)',
  )
    .bind(await sha256Hex(input.challenge), input.purpose, input.purpose === 'webauthn-register' ? userId : null, input.boundTo, JSON.stringify(data), issuedAt, issuedAt + WEBAUTHN_CHALLENGE_TTL_MS)
    .run();
}

/** The recorded registration, verified and stored for the fixture's user (fresh in each test). */
async function register(): Promise<string> {
  await storeChallenge({ purpose: 'webauthn-register', challenge: fixture.registration.challenge, boundTo: 'session-1' });
  const { tokenId, statements } = await verifyPasskeyRegistration(env, rp, {
    userId,
    boundTo: 'session-1',
    credential: fixture.registration.credential as unknown as RegistrationResponseJSON,
    name: 'Chromium',
    nowMs: Date.now(),
  });
  await runPasskeyRegistrationBatch(env.DB, statements);
  return tokenId;
}

async function answer(name: keyof typeof recorded, options: { rp?: RelyingParty; boundTo?: string; requireUserVerification?: boolean; issuedAtMs?: number; submittedBoundTo?: string } = {}) {
  const { challenge, credential } = recorded[name];
  const boundTo = options.boundTo ?? `flow-${name}`;
  await storeChallenge({ purpose: 'webauthn-authenticate', challenge, boundTo, issuedAtMs: options.issuedAtMs });
  return submit(name, { ...options, boundTo: options.submittedBoundTo ?? boundTo, credential });
}

const submit = (name: keyof typeof recorded, options: { rp?: RelyingParty; boundTo?: string; requireUserVerification?: boolean; credential?: AuthenticationResponseJSON }) =>
  verifyPasskeyAuthentication(env, options.rp ?? rp, {
    boundTo: options.boundTo ?? `flow-${name}`,
    credential: options.credential ?? recorded[name].credential,
    acceptTokenIds: null,
    requireUserVerification: options.requireUserVerification ?? false,
    nowMs: Date.now(),
  });

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare('DELETE FROM users WHERE id = ?').bind(userId),
    env.DB.prepare(`DELETE FROM tokens WHERE type = 'PASSKEY'`),
    env.DB.prepare(`DELETE FROM passkey_credentials`),
    env.DB.prepare(`DELETE FROM challenges WHERE purpose LIKE 'webauthn-%'`),
    env.DB.prepare(`INSERT INTO users (id, login, created_at, updated_at) VALUES (?, 'fixture', 0, 0)`).bind(userId),
  ]);
});

describe('a recorded Chromium registration', () => {
  it('is stored with the credential the browser made (id, transports, counter, AAGUID)', async () => {
    const tokenId = await register();
    const stored = await env.DB.prepare('SELECT credential_id, transports, sign_count, aaguid FROM passkey_credentials WHERE token_id = ?').bind(tokenId).first<any>();
    expect(stored.credential_id).toBe(fixture.registration.credential.id);
    expect(JSON.parse(stored.transports)).toEqual(fixture.registration.credential.response.transports);
    expect(stored.aaguid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is refused for a site on another origin or RP ID, and nothing is stored', async () => {
    // Attack: a phishing site relays the registration made on its own page, or for its own RP ID, to register the
    // attacker's authenticator in the victim's account.
    for (const wrong of [{ ...rp, origin: 'https://id.example.test' }, { ...rp, id: fixture.otherRpId }]) {
      await storeChallenge({ purpose: 'webauthn-register', challenge: fixture.registration.challenge, boundTo: 'session-1' });
      const attempt = verifyPasskeyRegistration(env, wrong, { userId, boundTo: 'session-1', credential: fixture.registration.credential as any, name: 'x', nowMs: Date.now() });
      await expect(attempt).rejects.toMatchObject({ code: 'PASSKEY_INVALID' });
    }
    expect(await env.DB.prepare('SELECT count(*) AS n FROM passkey_credentials').first('n')).toBe(0);
  });
});

describe('recorded Chromium assertions', () => {
  it('a replayed assertion is refused: its challenge was used', async () => {
    // Attack: an assertion captured in transit is sent again.
    await register();
    expect(await answer('byAllowCredentials')).toMatchObject({ ok: true, userId });
    expect(await submit('byAllowCredentials', {})).toEqual({ ok: false, reason: 'CHALLENGE_EXPIRED' });
  });

  it('an expired challenge is refused', async () => {
    // Attack: an assertion held back past the challenge's lifetime (say, obtained from a victim hours ago).
    await register();
    const longAgo = Date.now() - WEBAUTHN_CHALLENGE_TTL_MS - 1;
    expect(await answer('byAllowCredentials', { issuedAtMs: longAgo })).toEqual({ ok: false, reason: 'CHALLENGE_EXPIRED' });
  });

  it('a challenge bound to another flow is refused', async () => {
    // Attack: the victim's assertion (their sign-in flow) is submitted in the attacker's flow.
    await register();
    expect(await answer('byAllowCredentials', { boundTo: 'victim-flow', submittedBoundTo: 'attacker-flow' })).toEqual({ ok: false, reason: 'CHALLENGE_EXPIRED' });
  });

  it('an assertion made on another origin is refused', async () => {
    // Attack: a phishing page (another origin) relays the challenge and gets the victim's authenticator to sign it.
    await register();
    expect(await answer('byAllowCredentials', { rp: { ...rp, origin: 'https://id.example.test' } })).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
  });

  it('an assertion with another RP ID hash is refused, though its signature is good', async () => {
    // Attack: the same key registered for another site (RP ID other.localhost) signs for that site; the attacker
    // submits it here. Its origin is made to match so the RP ID hash alone decides.
    await register();
    const otherOrigin = recorded.otherRpId.origin!;
    expect(await answer('otherRpId', { rp: { ...rp, origin: otherOrigin } })).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
    // Control: the very same assertion checks out for the RP it was made for (its copy of the key counts from 0,
    // so the counter the registration stored is set back for it).
    await env.DB.prepare('UPDATE passkey_credentials SET sign_count = 0').run();
    expect(await answer('otherRpId', { rp: { ...rp, id: fixture.otherRpId, origin: otherOrigin }, boundTo: 'control' })).toMatchObject({ ok: true });
  });

  it('an assertion without user verification is refused where the passkey is the only factor', async () => {
    // Attack: a found authenticator used without its PIN or biometric (user present, not verified) for passwordless sign-in.
    await register();
    expect(await answer('userNotVerified', { requireUserVerification: true })).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
    // As a second factor after the password, presence is enough (the password is the knowledge factor).
    expect(await answer('userNotVerified', { boundTo: 'second-factor' })).toMatchObject({ ok: true });
  });

  it('an unknown credential is refused', async () => {
    // Attack: an assertion of a credential the server never registered (or one the user since removed).
    expect(await answer('discoverable')).toEqual({ ok: false, reason: 'PASSKEY_INVALID' });
  });

  it('a disabled passkey is refused', async () => {
    // Attack: the holder of a passkey the admin disabled signs in with it.
    const tokenId = await register();
    await env.DB.prepare('UPDATE tokens SET enabled = 0 WHERE id = ?').bind(tokenId).run();
    expect(await answer('discoverable')).toMatchObject({ ok: false, reason: 'TOKEN_DISABLED' });
  });

  it('a cloned authenticator (counter reset) marks the passkey suspicious and is refused, the original too from then on', async () => {
    // Attack: the private key was copied into another authenticator, whose signature counter starts again at 0.
    const tokenId = await register();
    expect(await answer('byAllowCredentials')).toMatchObject({ ok: true });
    expect(await answer('discoverable', { requireUserVerification: true })).toMatchObject({ ok: true });
    expect(await answer('clonedCounterReset')).toMatchObject({ ok: false, reason: 'PASSKEY_SUSPICIOUS', userId });
    const stored = await env.DB.prepare('SELECT sign_count, suspicious_at FROM passkey_credentials WHERE token_id = ?').bind(tokenId).first<any>();
    expect(stored.suspicious_at).not.toBeNull();
    expect(stored.sign_count).toBeGreaterThan(1);
    expect(await answer('userNotVerified', { boundTo: 'after' })).toMatchObject({ ok: false, reason: 'PASSKEY_SUSPICIOUS' });
  });
});
