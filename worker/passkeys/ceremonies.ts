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
import type { RelyingParty } from './relying-party';
import {
  credentialIdTaken,
  credentialsOfUser,
  insertPasskeyRows,
  markCredentialSuspicious,
  passkeyInsertStatements,
  readCredential,
  replaceChallenge,
  storeSignCount,
  takeChallengeRow,
  usableCredentialsOfTokens,
} from './repo';

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
  await replaceChallenge(db, {
    id: await sha256Hex(challenge),
    purpose: input.purpose,
    userId: input.userId,
    target: input.boundTo,
    maxAttempts: 1,
    data: JSON.stringify(input.data),
    createdAt: input.nowMs,
    expiresAt: input.nowMs + WEBAUTHN_CHALLENGE_TTL_MS,
  });
  return bytes;
}

/**
 * Takes the challenge the response answers, in one conditional DELETE: only while it is unexpired and bound to
 * `boundTo` (and, for a registration, to the user). Null when it was never issued, is used, expired, or another's.
 */
async function takeChallenge(
  db: D1Database,
  input: { purpose: ChallengePurpose; challenge: string; boundTo: string; userId: string | null; nowMs: number },
): Promise<string | null> {
  return takeChallengeRow(db, { id: await sha256Hex(input.challenge), purpose: input.purpose, target: input.boundTo, userId: input.userId, nowMs: input.nowMs });
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
  const existing = await credentialsOfUser(env.DB, input.userId);
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
    excludeCredentials: existing.map((row) => ({ id: row.credentialId, transports: transportsOf(row.transports) })),
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
  if ((await takeChallenge(db, { purpose: 'webauthn-register', challenge, boundTo: input.boundTo, userId: input.userId, nowMs: input.nowMs })) === null) {
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
  const existing = await credentialsOfUser(db, input.userId);
  if (existing.length >= PASSKEYS_PER_USER_MAX) throw new AppError('PASSKEY_LIMIT_REACHED');
  if (await credentialIdTaken(db, info.credential.id)) {
    throw new AppError('PASSKEY_ALREADY_REGISTERED');
  }

  const tokenId = crypto.randomUUID();
  const transports = info.credential.transports ?? input.credential.response.transports ?? [];
  const kind = input.credential.authenticatorAttachment === 'cross-platform' ? 'hardware' : 'software';
  return {
    tokenId,
    statements: passkeyInsertStatements(
      db,
      { id: tokenId, serial: passkeySerial(), kind, name: input.name, ownerUserId: input.userId, nowMs: input.nowMs },
      {
        credentialId: info.credential.id,
        publicKey: bytesToBase64Url(info.credential.publicKey),
        signCount: info.credential.counter,
        transports: JSON.stringify(transports),
        aaguid: info.aaguid,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
      },
    ),
  };
}

/** Runs a registration's batch; the same credential registered concurrently by two requests stores once. */
export async function runPasskeyRegistrationBatch(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  try {
    await insertPasskeyRows(db, statements);
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
    const rows = await usableCredentialsOfTokens(env.DB, input.tokenIds);
    if (rows.length === 0) throw new AppError('PASSKEY_NOT_FOUND');
    allowCredentials = rows.map((row) => ({ id: row.credentialId, transports: transportsOf(row.transports) }));
  }
  const data: AuthenticationChallengeData = { tokenIds: input.tokenIds, userVerification: input.userVerification };
  const challenge = await issueChallenge(env.DB, { purpose: 'webauthn-authenticate', boundTo: input.boundTo, userId: null, data, nowMs: input.nowMs });
  return generateAuthenticationOptions({ rpID: rp.id, challenge, timeout: WEBAUTHN_CHALLENGE_TTL_MS, userVerification: input.userVerification, allowCredentials });
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
  if (taken === null) return { ok: false, reason: 'CHALLENGE_EXPIRED' };
  const issued = JSON.parse(taken) as AuthenticationChallengeData;

  const row = await readCredential(db, credential.id);
  const userId = row?.ownerUserId;
  if (!row || !userId || credential.rawId !== credential.id) return { ok: false, reason: 'PASSKEY_INVALID' };
  const refuse = (reason: PasskeyFailureReason): PasskeyAuthentication => ({ ok: false, reason, userId });
  for (const allowed of [input.acceptTokenIds, issued.tokenIds]) {
    if (allowed !== null && !allowed.includes(row.tokenId)) return refuse('PASSKEY_INVALID');
  }
  if (!row.enabled || !row.activated) return refuse('TOKEN_DISABLED');
  if (row.suspiciousAt !== null) return refuse('PASSKEY_SUSPICIOUS');
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
      credential: { id: row.credentialId, publicKey: base64UrlToBytes(row.publicKey), counter: 0, transports: transportsOf(row.transports) },
      requireUserVerification: input.requireUserVerification || issued.userVerification === 'required',
    });
  } catch {
    return refuse('PASSKEY_INVALID');
  }
  if (!verified.verified) return refuse('PASSKEY_INVALID');

  const { newCounter, credentialBackedUp } = verified.authenticationInfo;
  if (!(await storeSignCount(db, { tokenId: row.tokenId, newCounter, backedUp: credentialBackedUp, nowMs: input.nowMs }))) {
    await markCredentialSuspicious(db, row.tokenId, input.nowMs);
    console.warn(`passkey ${row.tokenId} of user ${userId}: signature counter ${newCounter} did not go up from ${row.signCount}; marked suspicious`);
    return refuse('PASSKEY_SUSPICIOUS');
  }
  return { ok: true, tokenId: row.tokenId, userId };
}
