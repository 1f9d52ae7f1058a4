/**
 * The WebAuthn ceremonies of PASSKEY tokens (registration and authentication), with @simplewebauthn/server.
 *
 * Challenges: WEBAUTHN_CHALLENGE_BYTES random bytes, stored only as their SHA-256 in `challenges` (purpose
 * webauthn-register / webauthn-authenticate, `target` = what they are bound to: a session id, a /login challenge id
 * or a flow id), expiring after WEBAUTHN_CHALLENGE_TTL_MS. A response is answered only after ONE conditional DELETE
 * ... RETURNING took its challenge (right purpose, right binding, not expired): of N concurrent copies exactly one
 * goes on, a replay finds nothing, and a challenge issued to one session or flow is nobody else's.
 *
 * Counter: a stored counter above 0 and a new one that is not higher mean a second copy of the key (a cloned
 * authenticator). The one conditional UPDATE that stores the new counter refuses it; the credential is then marked
 * suspicious and refused from then on. Authenticators that keep no counter (always 0) pass.
 *
 * Failures are returned, not thrown (DESIGN §5): the caller logs them as UserLoginAttempt with the reason.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { PASSKEYS_PER_USER_MAX, WEBAUTHN_CHALLENGE_BYTES, WEBAUTHN_CHALLENGE_TTL_MS } from '../constants';
import type { Env } from '../env';
import { AppError } from '../errors';
import { randomBytes, sha256Hex } from '../lib/crypto';
import { isUniqueViolation } from '../lib/d1-errors';
import { base64UrlToBytes, bytesToBase64Url, utf8 } from '../lib/encoding';
import { CONSUMED_BY_PREVIOUS_STATEMENT } from '../otp/verify-service';
import type { RelyingParty } from './relying-party';

type ChallengePurpose = 'webauthn-register' | 'webauthn-authenticate';

export type PasskeyFailureReason = 'PASSKEY_INVALID' | 'CHALLENGE_EXPIRED' | 'TOKEN_DISABLED' | 'PASSKEY_SUSPICIOUS';
/** A failure names the user when the credential is a known one of theirs (for the caller's attempt log). */
export type PasskeyAuthentication = { ok: true; tokenId: string; userId: string } | { ok: false; reason: PasskeyFailureReason; userId?: string };

/** What an authentication challenge remembers of its options. */
interface AuthenticationChallengeData {
  tokenIds: string[] | null;
  userVerification: 'required' | 'preferred';
}

/**
 * The WebAuthn user handle of a user: their id. Opaque (a random UUID, no personal data, as WebAuthn asks) and the
 * same for every passkey of the user, so an authenticator replaces its old credential for us instead of piling up.
 */
const userHandleOf = (userId: string) => utf8.encode(userId);

// ---------------------------------------------------------------- challenges

/** Stores a new challenge for `boundTo`, replacing the older ones of the same purpose and binding. */
async function issueChallenge(
  db: D1Database,
  input: { purpose: ChallengePurpose; boundTo: string; userId: string | null; data: object; nowMs: number },
): Promise<Uint8Array<ArrayBuffer>> {
  // Handed to the library as bytes: a string would be taken as text and encoded once more.
  const bytes = randomBytes(WEBAUTHN_CHALLENGE_BYTES);
  const challenge = bytesToBase64Url(bytes);
  await db.batch([
    db.prepare('DELETE FROM challenges WHERE purpose = ? AND target = ?').bind(input.purpose, input.boundTo),
    db
      .prepare(
        `INSERT INTO challenges (id, purpose, user_id, target, max_attempts, data, created_at, expires_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
      )
      .bind(await sha256Hex(challenge), input.purpose, input.userId, input.boundTo, JSON.stringify(input.data), input.nowMs, input.nowMs + WEBAUTHN_CHALLENGE_TTL_MS),
  ]);
  return bytes;
}

/**
 * Takes the challenge the response answers, in one conditional DELETE: only while it is unexpired and bound to
 * `boundTo` (and, for a registration, to the user). Null when it was never issued, is used, expired, or another's.
 */
async function takeChallenge(
  db: D1Database,
  input: { purpose: ChallengePurpose; challenge: string; boundTo: string; userId: string | null; nowMs: number },
): Promise<{ data: string } | null> {
  return db
    .prepare(
      `DELETE FROM challenges WHERE id = ? AND purpose = ? AND target = ? AND user_id IS ? AND expires_at > ? RETURNING data`,
    )
    .bind(await sha256Hex(input.challenge), input.purpose, input.boundTo, input.userId, input.nowMs)
    .first<{ data: string }>();
}

/** The challenge the browser signed, read from the client data (verification then checks it is exactly this one). */
function challengeOf(response: { response: { clientDataJSON: string } }): string | null {
  try {
    const clientData = JSON.parse(utf8.decode(base64UrlToBytes(response.response.clientDataJSON))) as { challenge?: unknown };
    return typeof clientData.challenge === 'string' && clientData.challenge.length > 0 && clientData.challenge.length <= 256 ? clientData.challenge : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- registration

interface CredentialRow {
  token_id: string;
  credential_id: string;
  public_key: string;
  sign_count: number;
  transports: string;
  suspicious_at: number | null;
  enabled: number;
  activated: number;
  owner_user_id: string | null;
}

async function passkeysOfUser(db: D1Database, userId: string): Promise<{ credential_id: string; transports: string }[]> {
  const { results } = await db
    .prepare(`SELECT pc.credential_id, pc.transports FROM passkey_credentials pc JOIN tokens t ON t.id = pc.token_id WHERE t.owner_user_id = ? AND t.type = 'PASSKEY'`)
    .bind(userId)
    .all<{ credential_id: string; transports: string }>();
  return results;
}

const transportsOf = (json: string) => JSON.parse(json) as AuthenticatorTransport[];

/**
 * Options for navigator.credentials.create(): a discoverable credential (passwordless needs it), attestation none,
 * the user's existing passkeys excluded (the same authenticator is not registered twice).
 */
export async function startPasskeyRegistration(
  env: Env,
  rp: RelyingParty,
  input: { userId: string; userName: string; displayName: string; boundTo: string; nowMs: number },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await passkeysOfUser(env.DB, input.userId);
  if (existing.length >= PASSKEYS_PER_USER_MAX) throw new AppError('PASSKEY_LIMIT_REACHED');
  const challenge = await issueChallenge(env.DB, { purpose: 'webauthn-register', boundTo: input.boundTo, userId: input.userId, data: {}, nowMs: input.nowMs });
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: input.userName,
    userDisplayName: input.displayName,
    userID: userHandleOf(input.userId),
    challenge,
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: transportsOf(row.transports) })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
}

/**
 * Takes the challenge, verifies the attestation (origin, RP ID hash, challenge, user presence) and returns the
 * statements that store the PASSKEY token and its credential, for the caller's batch (run it with
 * `runPasskeyRegistrationBatch`). Throws PASSKEY_INVALID / CHALLENGE_EXPIRED / PASSKEY_ALREADY_REGISTERED.
 */
export async function verifyPasskeyRegistration(
  env: Env,
  rp: RelyingParty,
  input: { userId: string; boundTo: string; credential: RegistrationResponseJSON; name: string; nowMs: number },
): Promise<{ tokenId: string; statements: D1PreparedStatement[] }> {
  const db = env.DB;
  const challenge = challengeOf(input.credential);
  if (!challenge) throw new AppError('PASSKEY_INVALID');
  if (!(await takeChallenge(db, { purpose: 'webauthn-register', challenge, boundTo: input.boundTo, userId: input.userId, nowMs: input.nowMs }))) {
    throw new AppError('CHALLENGE_EXPIRED');
  }
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: input.credential,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
  } catch {
    throw new AppError('PASSKEY_INVALID');
  }
  if (!verified.verified) throw new AppError('PASSKEY_INVALID');
  const info = verified.registrationInfo;
  const existing = await passkeysOfUser(db, input.userId);
  if (existing.length >= PASSKEYS_PER_USER_MAX) throw new AppError('PASSKEY_LIMIT_REACHED');
  if (await db.prepare('SELECT 1 FROM passkey_credentials WHERE credential_id = ?').bind(info.credential.id).first()) {
    throw new AppError('PASSKEY_ALREADY_REGISTERED');
  }

  const tokenId = crypto.randomUUID();
  const transports = info.credential.transports ?? input.credential.response.transports ?? [];
  const kind = input.credential.authenticatorAttachment === 'cross-platform' ? 'hardware' : 'software';
  return {
    tokenId,
    statements: [
      db
        .prepare(
          `INSERT INTO tokens (id, serial, type, kind, description, enabled, activated, owner_user_id, created_at) VALUES (?, ?, 'PASSKEY', ?, ?, 1, 1, ?, ?)`,
        )
        .bind(tokenId, passkeySerial(), kind, input.name, input.userId, input.nowMs),
      db
        .prepare(
          `INSERT INTO passkey_credentials (token_id, credential_id, public_key, sign_count, transports, aaguid, backup_eligible, backed_up) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(
          tokenId,
          info.credential.id,
          bytesToBase64Url(info.credential.publicKey),
          info.credential.counter,
          JSON.stringify(transports),
          info.aaguid,
          info.credentialDeviceType === 'multiDevice' ? 1 : 0,
          info.credentialBackedUp ? 1 : 0,
        ),
    ],
  };
}

/** Runs a registration's batch; the same credential registered concurrently by two requests stores once. */
export async function runPasskeyRegistrationBatch(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  try {
    await db.batch(statements);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('PASSKEY_ALREADY_REGISTERED');
    throw error;
  }
}

/** A serial like the other token types' ("PASSKEY" and ten digits), unique by the serial index. */
function passkeySerial(): string {
  return `PASSKEY${Array.from(randomBytes(5), (byte) => (byte % 100).toString().padStart(2, '0')).join('')}`;
}

// ---------------------------------------------------------------- authentication

/**
 * Options for navigator.credentials.get(): `tokenIds` names the passkeys allowed (the second factor of a known
 * user), null asks for any discoverable credential of this RP (passwordless: the browser shows its picker).
 */
export async function startPasskeyAuthentication(
  env: Env,
  rp: RelyingParty,
  input: { tokenIds: string[] | null; boundTo: string; userVerification: 'required' | 'preferred'; nowMs: number },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  let allowCredentials: { id: string; transports: AuthenticatorTransport[] }[] | undefined;
  if (input.tokenIds !== null) {
    const rows = await credentialsOfTokens(env.DB, input.tokenIds);
    if (rows.length === 0) throw new AppError('PASSKEY_NOT_FOUND');
    allowCredentials = rows.map((row) => ({ id: row.credential_id, transports: transportsOf(row.transports) }));
  }
  const data: AuthenticationChallengeData = { tokenIds: input.tokenIds, userVerification: input.userVerification };
  const challenge = await issueChallenge(env.DB, { purpose: 'webauthn-authenticate', boundTo: input.boundTo, userId: null, data, nowMs: input.nowMs });
  return generateAuthenticationOptions({ rpID: rp.id, challenge, timeout: WEBAUTHN_CHALLENGE_TTL_MS, userVerification: input.userVerification, allowCredentials });
}

async function credentialsOfTokens(db: D1Database, tokenIds: string[]): Promise<{ credential_id: string; transports: string }[]> {
  if (tokenIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT pc.credential_id, pc.transports FROM passkey_credentials pc JOIN tokens t ON t.id = pc.token_id
       WHERE t.type = 'PASSKEY' AND t.enabled = 1 AND t.activated = 1 AND pc.suspicious_at IS NULL AND pc.token_id IN (SELECT value FROM json_each(?))`,
    )
    .bind(JSON.stringify(tokenIds))
    .all<{ credential_id: string; transports: string }>();
  return results;
}

/**
 * Takes the challenge, then checks the credential (known, one of `acceptTokenIds` when given, enabled, not
 * suspicious, the user handle its owner's), the signature, origin, RP ID hash, user presence and (when required)
 * user verification, and finally stores the counter by the conditional UPDATE that refuses one going backwards.
 */
export async function verifyPasskeyAuthentication(
  env: Env,
  rp: RelyingParty,
  input: { boundTo: string; credential: AuthenticationResponseJSON; acceptTokenIds: string[] | null; requireUserVerification: boolean; nowMs: number },
): Promise<PasskeyAuthentication> {
  const db = env.DB;
  const { credential } = input;
  const challenge = challengeOf(credential);
  if (!challenge) return { ok: false, reason: 'PASSKEY_INVALID' };
  const taken = await takeChallenge(db, { purpose: 'webauthn-authenticate', challenge, boundTo: input.boundTo, userId: null, nowMs: input.nowMs });
  if (!taken) return { ok: false, reason: 'CHALLENGE_EXPIRED' };
  const issued = JSON.parse(taken.data) as AuthenticationChallengeData;

  const row = await db
    .prepare(
      `SELECT pc.token_id, pc.credential_id, pc.public_key, pc.sign_count, pc.transports, pc.suspicious_at, t.enabled, t.activated, t.owner_user_id
       FROM passkey_credentials pc JOIN tokens t ON t.id = pc.token_id WHERE pc.credential_id = ? AND t.type = 'PASSKEY'`,
    )
    .bind(credential.id)
    .first<CredentialRow>();
  const userId = row?.owner_user_id;
  if (!row || !userId || credential.rawId !== credential.id) return { ok: false, reason: 'PASSKEY_INVALID' };
  const refuse = (reason: PasskeyFailureReason): PasskeyAuthentication => ({ ok: false, reason, userId });
  for (const allowed of [input.acceptTokenIds, issued.tokenIds]) {
    if (allowed !== null && !allowed.includes(row.token_id)) return refuse('PASSKEY_INVALID');
  }
  if (!row.enabled || !row.activated) return refuse('TOKEN_DISABLED');
  if (row.suspicious_at !== null) return refuse('PASSKEY_SUSPICIOUS');
  // A discoverable credential names its user; it must be the credential's owner (not someone the RP once was told).
  const userHandle = credential.response.userHandle;
  if (userHandle && userHandle !== bytesToBase64Url(userHandleOf(userId))) return refuse('PASSKEY_INVALID');

  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response: credential,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // The counter rule is the conditional UPDATE below (one statement decides); the library is given 0 so it
      // does not decide it too from a value read earlier.
      credential: { id: row.credential_id, publicKey: base64UrlToBytes(row.public_key), counter: 0, transports: transportsOf(row.transports) },
      requireUserVerification: input.requireUserVerification || issued.userVerification === 'required',
    });
  } catch {
    return refuse('PASSKEY_INVALID');
  }
  if (!verified.verified) return refuse('PASSKEY_INVALID');

  const { newCounter, credentialBackedUp } = verified.authenticationInfo;
  const [counted] = await db.batch([
    db
      .prepare(
        `UPDATE passkey_credentials SET sign_count = ?2, backed_up = ?3
         WHERE token_id = ?1 AND suspicious_at IS NULL AND (sign_count < ?2 OR (sign_count = 0 AND ?2 = 0))`,
      )
      .bind(row.token_id, newCounter, credentialBackedUp ? 1 : 0),
    db.prepare(`UPDATE tokens SET last_used_at = ? WHERE id = ? AND ${CONSUMED_BY_PREVIOUS_STATEMENT}`).bind(input.nowMs, row.token_id),
  ]);
  if (counted!.meta.changes !== 1) {
    await db.prepare('UPDATE passkey_credentials SET suspicious_at = ? WHERE token_id = ? AND suspicious_at IS NULL').bind(input.nowMs, row.token_id).run();
    console.warn(`passkey ${row.token_id} of user ${userId}: signature counter ${newCounter} did not go up from ${row.sign_count}; marked suspicious`);
    return refuse('PASSKEY_SUSPICIOUS');
  }
  return { ok: true, tokenId: row.token_id, userId };
}
