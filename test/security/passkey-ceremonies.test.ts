/**
 * The passkey ceremonies (worker/passkeys/ceremonies.ts) against a software authenticator that signs real WebAuthn
 * data (test/helpers/software-authenticator.ts): the real verifier checks every byte. Each test opens with the
 * attack it shows failing. Recorded browser ceremonies: passkey-fixtures.test.ts.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { WEBAUTHN_CHALLENGE_TTL_MS } from '../../worker/constants';
import { sha256Hex } from '../../worker/lib/crypto';
import {
  runPasskeyRegistrationBatch,
  startPasskeyAuthentication,
  startPasskeyRegistration,
  verifyPasskeyAuthentication,
  verifyPasskeyRegistration,
} from '../../worker/passkeys/ceremonies';
import type { RelyingParty } from '../../worker/passkeys/relying-party';
import { softwareAuthenticator } from '../helpers/software-authenticator';
import { insertUser } from '../helpers/worker';

const rp: RelyingParty = { id: 'id.example.test', name: 'Edge Identity', origin: 'https://id.example.test' };
const now = () => Date.now();

async function registeredUser(settings: { userVerified?: boolean } = {}) {
  const user = await insertUser();
  const authenticator = softwareAuthenticator({ origin: rp.origin, userVerified: settings.userVerified ?? true });
  const boundTo = `session-${crypto.randomUUID()}`;
  const options = await startPasskeyRegistration(env, rp, { userId: user.id, userName: user.login, displayName: user.login, boundTo, nowMs: now() });
  const credential = await authenticator.register(options);
  const { tokenId, statements } = await verifyPasskeyRegistration(env, rp, { userId: user.id, boundTo, credential, name: 'Laptop', nowMs: now() });
  await runPasskeyRegistrationBatch(env.DB, statements);
  return { user, authenticator, tokenId };
}

async function assertion(
  authenticator: ReturnType<typeof softwareAuthenticator>,
  input: { tokenIds: string[] | null; boundTo?: string; userVerification?: 'required' | 'preferred'; nowMs?: number },
) {
  const boundTo = input.boundTo ?? `flow-${crypto.randomUUID()}`;
  const options = await startPasskeyAuthentication(env, rp, { tokenIds: input.tokenIds, boundTo, userVerification: input.userVerification ?? 'preferred', nowMs: input.nowMs ?? now() });
  return { boundTo, options, credential: await authenticator.authenticate(options) };
}

const verify = (boundTo: string, credential: any, extra: { acceptTokenIds?: string[] | null; requireUserVerification?: boolean; nowMs?: number; rp?: RelyingParty } = {}) =>
  verifyPasskeyAuthentication(env, extra.rp ?? rp, {
    boundTo,
    credential,
    acceptTokenIds: extra.acceptTokenIds ?? null,
    requireUserVerification: extra.requireUserVerification ?? false,
    nowMs: extra.nowMs ?? now(),
  });

describe('passkey registration', () => {
  it('stores the credential without any seed, the challenge only as a hash, and signs in with it', async () => {
    const { user, authenticator, tokenId } = await registeredUser();
    const token = await env.DB.prepare('SELECT type, secret_encrypted, description, owner_user_id FROM tokens WHERE id = ?').bind(tokenId).first<any>();
    expect(token).toMatchObject({ type: 'PASSKEY', secret_encrypted: null, description: 'Laptop', owner_user_id: user.id });
    const stored = await env.DB.prepare('SELECT credential_id, sign_count, transports, backup_eligible, backed_up FROM passkey_credentials WHERE token_id = ?').bind(tokenId).first<any>();
    expect(stored).toMatchObject({ credential_id: authenticator.credentials[0]!.id, sign_count: 0, transports: '["internal"]', backup_eligible: 1, backed_up: 1 });

    const { boundTo, options, credential } = await assertion(authenticator, { tokenIds: [tokenId] });
    const row = await env.DB.prepare('SELECT id FROM challenges WHERE target = ?').bind(boundTo).first<{ id: string }>();
    expect(row!.id).toBe(await sha256Hex(options.challenge));
    expect(JSON.stringify(await env.DB.prepare('SELECT * FROM challenges WHERE target = ?').bind(boundTo).all())).not.toContain(options.challenge);
    expect(await verify(boundTo, credential, { acceptTokenIds: [tokenId] })).toEqual({ ok: true, tokenId, userId: user.id });
  });

  it('a registration answered for another session, or by a page on another origin, stores nothing', async () => {
    // Attack: a registration response made with a challenge issued to another session (or relayed from a phishing
    // origin) is submitted to add the attacker's authenticator.
    const user = await insertUser();
    const authenticator = softwareAuthenticator({ origin: rp.origin });
    const options = await startPasskeyRegistration(env, rp, { userId: user.id, userName: user.login, displayName: '', boundTo: 'session-a', nowMs: now() });
    const credential = await authenticator.register(options);
    await expect(verifyPasskeyRegistration(env, rp, { userId: user.id, boundTo: 'session-b', credential, name: 'x', nowMs: now() })).rejects.toMatchObject({ code: 'CHALLENGE_EXPIRED' });
    const other = await insertUser();
    await expect(verifyPasskeyRegistration(env, rp, { userId: other.id, boundTo: 'session-a', credential, name: 'x', nowMs: now() })).rejects.toMatchObject({ code: 'CHALLENGE_EXPIRED' });

    const phished = softwareAuthenticator({ origin: 'https://id.example.test.evil.example' });
    const again = await startPasskeyRegistration(env, rp, { userId: user.id, userName: user.login, displayName: '', boundTo: 'session-c', nowMs: now() });
    await expect(verifyPasskeyRegistration(env, rp, { userId: user.id, boundTo: 'session-c', credential: await phished.register(again), name: 'x', nowMs: now() })).rejects.toMatchObject({ code: 'PASSKEY_INVALID' });
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM tokens WHERE owner_user_id = ?`).bind(user.id).first('n')).toBe(0);
  });
});

describe('passkey authentication refusals', () => {
  it('a replayed assertion is refused, and of 10 concurrent copies exactly one passes', async () => {
    // Attack: an assertion captured once (or submitted N times at once) is replayed to sign in again.
    const { authenticator, tokenId } = await registeredUser();
    const { boundTo, credential } = await assertion(authenticator, { tokenIds: [tokenId] });
    const results = await Promise.all(Array.from({ length: 10 }, () => verify(boundTo, credential)));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.reason)).toEqual(Array(9).fill('CHALLENGE_EXPIRED'));
    expect(await verify(boundTo, credential)).toMatchObject({ ok: false, reason: 'CHALLENGE_EXPIRED' });
  });

  it('an expired challenge is refused', async () => {
    // Attack: an assertion obtained long ago (a stolen, unsent response) is used after the challenge's lifetime.
    const { authenticator, tokenId } = await registeredUser();
    const issuedAt = now() - WEBAUTHN_CHALLENGE_TTL_MS - 1;
    const { boundTo, credential } = await assertion(authenticator, { tokenIds: [tokenId], nowMs: issuedAt });
    expect(await verify(boundTo, credential)).toMatchObject({ ok: false, reason: 'CHALLENGE_EXPIRED' });
  });

  it('a challenge bound to another session or flow is refused there', async () => {
    // Attack: the attacker gets a victim's assertion for the victim's flow and submits it in the attacker's flow.
    const { authenticator, tokenId } = await registeredUser();
    const { credential } = await assertion(authenticator, { tokenIds: [tokenId], boundTo: 'victim-flow' });
    expect(await verify('attacker-flow', credential)).toMatchObject({ ok: false, reason: 'CHALLENGE_EXPIRED' });
    expect((await verify('victim-flow', credential)).ok).toBe(true);
  });

  it('an assertion from a page on another origin, or for another RP ID, is refused', async () => {
    // Attack: a phishing page relays the challenge to the victim's authenticator on its own origin / RP ID.
    const { authenticator, tokenId } = await registeredUser();
    const phishing = softwareAuthenticator({ origin: 'https://login.evil.example' });
    phishing.credentials.push(...authenticator.credentials);
    const { boundTo, credential } = await assertion(phishing, { tokenIds: [tokenId] });
    expect(await verify(boundTo, credential)).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });

    const otherRp = { ...rp, id: 'evil.example' };
    authenticator.credentials[0]!.rpId = otherRp.id;
    const options = await startPasskeyAuthentication(env, otherRp, { tokenIds: [tokenId], boundTo: 'rp-flow', userVerification: 'preferred', nowMs: now() });
    expect(await verify('rp-flow', await authenticator.authenticate(options))).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
  });

  it('user verification is required where the passkey is the only factor', async () => {
    // Attack: a stolen security key without its PIN (user present, not verified) is used for passwordless sign-in.
    const { authenticator } = await registeredUser({ userVerified: false });
    const { boundTo, credential } = await assertion(authenticator, { tokenIds: null, userVerification: 'required' });
    expect(await verify(boundTo, credential)).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
    const second = await assertion(authenticator, { tokenIds: null });
    expect(await verify(second.boundTo, second.credential, { requireUserVerification: true })).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
  });

  it('an unknown credential, or one not among those accepted, is refused', async () => {
    // Attack: an assertion of a credential the server never registered, or of another user's passkey offered as this user's factor.
    const { tokenId } = await registeredUser();
    const stranger = softwareAuthenticator({ origin: rp.origin });
    await stranger.register({ rp: { id: rp.id, name: rp.name }, user: { id: 'eA', name: 'x', displayName: 'x' }, challenge: 'AAAA', pubKeyCredParams: [] });
    const { boundTo, credential } = await assertion(stranger, { tokenIds: null });
    expect(await verify(boundTo, credential)).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });

    const other = await registeredUser();
    const offered = await assertion(other.authenticator, { tokenIds: null });
    expect(await verify(offered.boundTo, offered.credential, { acceptTokenIds: [tokenId] })).toMatchObject({ ok: false, reason: 'PASSKEY_INVALID' });
  });

  it('a disabled passkey is refused', async () => {
    // Attack: the admin disabled a lost passkey; its holder signs in with it anyway.
    const { authenticator, tokenId } = await registeredUser();
    await env.DB.prepare('UPDATE tokens SET enabled = 0 WHERE id = ?').bind(tokenId).run();
    const { boundTo, credential } = await assertion(authenticator, { tokenIds: null });
    expect(await verify(boundTo, credential)).toMatchObject({ ok: false, reason: 'TOKEN_DISABLED' });
  });

  it('a counter going backwards (a cloned authenticator) marks the passkey suspicious and refuses it from then on', async () => {
    // Attack: the key was copied; the copy signs with a counter the original already passed.
    const { authenticator, tokenId } = await registeredUser();
    for (let i = 0; i < 3; i++) {
      const { boundTo, credential } = await assertion(authenticator, { tokenIds: [tokenId] });
      expect((await verify(boundTo, credential)).ok).toBe(true);
    }
    expect(await env.DB.prepare('SELECT sign_count FROM passkey_credentials WHERE token_id = ?').bind(tokenId).first('sign_count')).toBe(3);
    const clone = { ...authenticator.credentials[0]!, signCount: 1 };
    const { boundTo, options } = await assertion(authenticator, { tokenIds: [tokenId] });
    const cloned = await authenticator.authenticate(options, clone);
    expect(await verify(boundTo, cloned)).toMatchObject({ ok: false, reason: 'PASSKEY_SUSPICIOUS' });
    expect(await env.DB.prepare('SELECT suspicious_at FROM passkey_credentials WHERE token_id = ?').bind(tokenId).first('suspicious_at')).not.toBeNull();
    // The original, with a higher counter, is refused too now: which copy is genuine cannot be told.
    const next = await assertion(authenticator, { tokenIds: null });
    expect(await verify(next.boundTo, next.credential)).toMatchObject({ ok: false, reason: 'PASSKEY_SUSPICIOUS' });
  });
});
