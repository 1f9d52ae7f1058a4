/**
 * The self-service actions, each for the signed-in user on this portal's resource only. The routes check that an
 * action is enabled; these functions check everything about the data, and those that add, replace or remove a
 * factor or change contact data first require the session's fresh proof of the current second factor
 * (`requireProof`, worker/auth/step-up.ts).
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { activityStatement } from '../activities/repo';
import { claimPasswordAttempt, clearLoginFailuresStatement } from '../auth/login-lock';
import { deleteUserSessionsStatement, recordReproofStatement } from '../auth/sessions';
import { requireFreshProof } from '../auth/step-up';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hashPassword, verifyPassword } from '../lib/crypto';
import { isUniqueViolation } from '../lib/d1-errors';
import { assertIdentityFree } from '../lib/identity';
import { normalizePhoneNumber } from '../lib/phone';
import { issueCode, verifyCode } from '../messaging/codes';
import { resyncToken, verifyTokenOtp, type TokenRecord } from '../tokens/verification';
import { checkTokenCode, isMessageToken, sendTokenCode, type MessageTokenType } from '../tokens/message-tokens';
import { readTokenRecord, takeOverEnrolmentStatements } from '../tokens/repo';
import { createMessageToken, createSoftwareToken, deleteToken, getToken, loadTokenRecord, setTokenPin, verifyKeysOf, type EnrolmentView } from '../tokens/service';
import { recoveryCodesOfUser } from '../tokens/recovery-codes';
import {
  runPasskeyRegistrationBatch,
  startPasskeyAuthentication,
  startPasskeyRegistration,
  verifyPasskeyAuthentication,
  verifyPasskeyRegistration,
} from '../passkeys/ceremonies';
import type { RelyingParty } from '../passkeys/relying-party';
import { forgetEnvironment, listEnvironments, nameEnvironment, type EnvironmentView } from './environment-repo';
import type { Portal } from './portal';
import {
  assignTokenStatement,
  claimTokenOwnership,
  createPasswordStatement,
  disableOwnTokenStatement,
  findAssignment,
  findProfileRow,
  findTokenIdBySerial,
  moveAssignmentsStatement,
  ownPasskeyIds,
  replacePasswordStatement,
  unassignToken,
  updateUserStatement,
  type ProfileRow,
} from './repo';
import { portalFactorsOf, signedInWithSentCode } from './step-up';

export interface PortalActor {
  userId: string;
  sessionId: string;
  ip: string;
  client: string;
  nowMs: number;
  /** How the session signed in (signin-service.ts), e.g. "password+otp". */
  signInMethod: string;
  /** When the session last proved the second factor (sign-in with it or a step-up); null when never. */
  secondFactorProvenAt: number | null;
  /** When the session last proved it by a step-up; null when never. */
  reprovedAt: number | null;
}

/**
 * Proof before change: STEP_UP_REQUIRED unless the session proved this portal's second factor within
 * STEP_UP_VALID_MS or the user has none. Called before anything is read for the change, so a refusal changes
 * nothing, sends nothing and spends no attempt.
 */
export async function requireProof(env: Env, portal: Portal, actor: PortalActor): Promise<void> {
  const factorsOf = () => portalFactorsOf(env.DB, portal, actor.userId);
  if (!signedInWithSentCode(actor.signInMethod)) return requireFreshProof(actor.secondFactorProvenAt, actor.nowMs, factorsOf);
  // A sign-in with a mailed or texted code is no proof when an app's OTP is asked now (portalFactorsOf): then only a
  // step-up counts, or a mailbox would stand in for the app.
  const factors = await factorsOf();
  const sentCodeIsAsked = factors.some((factor) => factor.kind === 'token' && isMessageToken(factor.token.type));
  return requireFreshProof(sentCodeIsAsked ? actor.secondFactorProvenAt : actor.reprovedAt, actor.nowMs, async () => factors);
}

async function profileOf(db: D1Database, userId: string): Promise<ProfileRow> {
  const row = await findProfileRow(db, userId);
  if (!row) throw new AppError('UNAUTHENTICATED');
  return row;
}

/** What the portal's main page shows: the user, their token on this resource, and the enabled actions in order. */
export async function portalOverview(env: Env, portal: Portal, actor: PortalActor) {
  const user = await profileOf(env.DB, actor.userId);
  const assignment = await assignmentOf(env.DB, portal, actor.userId);
  const token = assignment?.tokenId ? await getToken(env.DB, assignment.tokenId, actor.nowMs) : null;
  return {
    resource: { name: portal.resourceName, alias: portal.alias },
    actions: portal.actions,
    tokenTypes: portal.tokenTypes,
    user: {
      login: user.login,
      firstName: user.firstName,
      lastName: user.lastName,
      email: user.email,
      phone: user.phone,
      language: user.language,
      hasPassword: user.passwordHash !== null,
    },
    token: token && {
      id: token.id,
      serial: token.serial,
      type: token.type,
      description: token.description,
      enabled: token.enabled,
      activated: token.activated,
      hasPin: token.hasPin,
      pinPosition: token.pinPosition,
      destination: token.destination,
    },
    /** The user's recovery code set (remaining / total), shown beside Generate Recovery Codes; null: none. */
    recoveryCodes: await recoveryCodesOfUser(env.DB, actor.userId),
  };
}

async function assignmentOf(db: D1Database, portal: Portal, userId: string) {
  return findAssignment(db, portal.resourceId, userId);
}

/** A PIN is typed with a code and a resync reads two codes: a passkey or a recovery code set has neither. */
function requireCodeToken(token: TokenRecord): void {
  if (token.type === 'PASSKEY' || token.type === 'RECOVERY_CODES') throw new AppError('TOKEN_TYPE_MISMATCH');
}

/** The user's token on this resource, or a clear error when there is none. */
async function assignedToken(db: D1Database, portal: Portal, userId: string): Promise<TokenRecord> {
  const assignment = await assignmentOf(db, portal, userId);
  if (!assignment?.tokenId) throw new AppError('NO_TOKEN', 'No token is assigned to you on this resource.');
  return loadTokenRecord(db, assignment.tokenId);
}

// ---- tokens

/**
 * Register New Token (and the first half of Reassign): a pending software token owned by the user, shown once as
 * a QR code. It joins the resource only when confirmed with its first OTP.
 */
export async function beginTokenEnrolment(
  env: Env,
  portal: Portal,
  actor: PortalActor,
  input: { type: 'TOTP' | 'HOTP'; description: string; issuer: string },
): Promise<EnrolmentView> {
  if (!portal.tokenTypes.includes(input.type)) throw new AppError('ACTION_DISABLED', 'This token type may not be registered here.');
  await requireProof(env, portal, actor);
  return createSoftwareToken(
    env,
    // A reload of Register New Token starts again: the previous pending enrolment for this resource is replaced.
    { type: input.type, description: input.description, algorithm: 'SHA1', digits: 6, periodSeconds: 30, ownerUserId: actor.userId, issuer: input.issuer, enrollingResourceId: portal.resourceId },
    actor.nowMs,
  );
}

/** The purpose of the codes that confirm an SMS/EMAIL token's destination at enrolment. */
export const TOKEN_ENROL_PURPOSE = 'portal-token-enrol';

export interface MessageEnrolmentView {
  token: { id: string; serial: string; type: MessageTokenType; destination: string | null };
  /** The handle for the code sent to the destination (confirm sends it back with the code). */
  challengeId: string;
  expiresAt: number;
  channel: 'sms' | 'email';
}

/**
 * Register New Token (and Reassign) for SMS and EMAIL: a pending token bound to the phone number or address the
 * user gave, and a code sent there. Like an app token it joins the resource only when confirmed, here with that
 * code: the destination is proven to reach the user. A refused send (limits, provider) leaves no token behind.
 */
export async function beginMessageTokenEnrolment(
  env: Env,
  portal: Portal,
  actor: PortalActor,
  input: { type: MessageTokenType; destination: string; description: string },
): Promise<MessageEnrolmentView> {
  if (!portal.tokenTypes.includes(input.type)) throw new AppError('ACTION_DISABLED', 'This token type may not be registered here.');
  await requireProof(env, portal, actor);
  const user = await profileOf(env.DB, actor.userId);
  const token = await createMessageToken(
    env,
    { type: input.type, destination: input.destination, description: input.description, ownerUserId: actor.userId, activated: false },
    actor.nowMs,
  );
  try {
    const issued = await sendTokenCode(env, await loadTokenRecord(env.DB, token.id), {
      purpose: TOKEN_ENROL_PURPOSE,
      language: user.language,
      name: user.firstName || user.login,
      ip: actor.ip,
      nowMs: actor.nowMs,
    });
    // Sent: this enrolment takes the place of the user's previous pending one here (a reload starts it again).
    await env.DB.batch(takeOverEnrolmentStatements(env.DB, { tokenId: token.id, ownerUserId: actor.userId, resourceId: portal.resourceId }));
    return { token: { id: token.id, serial: token.serial, type: input.type, destination: token.destination }, challengeId: issued.challengeId, expiresAt: issued.expiresAtMs, channel: issued.channel };
  } catch (error) {
    await deleteToken(env.DB, token.id);
    throw error;
  }
}

/** "Send a new code" during an SMS/EMAIL enrolment: the user's own pending token only, with the enrolment's proof. */
export async function resendEnrolmentCode(env: Env, portal: Portal, actor: PortalActor, tokenId: string): Promise<Omit<MessageEnrolmentView, 'token'>> {
  await requireProof(env, portal, actor);
  const token = await loadTokenRecord(env.DB, tokenId);
  if (token.owner_user_id !== actor.userId || token.activated || !isMessageToken(token.type)) throw new AppError('TOKEN_NOT_FOUND');
  const user = await profileOf(env.DB, actor.userId);
  const issued = await sendTokenCode(env, token, { purpose: TOKEN_ENROL_PURPOSE, language: user.language, name: user.firstName || user.login, ip: actor.ip, nowMs: actor.nowMs });
  return { challengeId: issued.challengeId, expiresAt: issued.expiresAtMs, channel: issued.channel };
}

/**
 * Confirms an enrolment with the token's first OTP, then assigns it to this resource "with" the user. With
 * `replaceOld` (Reassign Token) the previous token is disabled in the same batch: it is unusable afterwards.
 */
export async function confirmTokenEnrolment(
  env: Env,
  portal: Portal,
  actor: PortalActor,
  input: { tokenId: string; otp: string; replaceOld: boolean; challengeId?: string },
) {
  // Asked again at the confirmation: a pending token of the user's that an administrator created (or one left from
  // an enrolment long ago) must not join the resource on the password alone.
  await requireProof(env, portal, actor);
  const token = await loadTokenRecord(env.DB, input.tokenId);
  // Only the user's own pending token: another user's token id gets the same answer as an unknown one.
  if (token.owner_user_id !== actor.userId || token.activated) throw new AppError('TOKEN_NOT_FOUND');
  // SMS/EMAIL: the code sent to the destination (its challenge names this token); apps: the first OTP.
  const verdict = isMessageToken(token.type)
    ? await checkTokenCode(env, token, input.challengeId ?? null, input.otp, { purpose: TOKEN_ENROL_PURPOSE, nowMs: actor.nowMs, allowActivation: true })
    : await verifyTokenOtp(env.DB, verifyKeysOf(env), token, input.otp, actor.nowMs, { allowActivation: true });
  if (!verdict.ok) throw new AppError(verdict.reason === 'TOKEN_LOCKED' ? 'TOKEN_LOCKED' : 'OTP_INVALID');
  // The code just given proves the token that is this resource's factor from now on: the session's proof is fresh.
  await env.DB.batch(await takeOverStatements(env.DB, portal, actor, token.id, input.replaceOld));
  return getToken(env.DB, token.id, actor.nowMs);
}

/**
 * The token becomes this resource's "token with user" and the session's proof is fresh (the token was just proven).
 * With `replaceOld` (Reassign Token) the previous token is disabled in the same batch: it is unusable afterwards.
 */
async function takeOverStatements(db: D1Database, portal: Portal, actor: PortalActor, tokenId: string, replaceOld: boolean): Promise<D1PreparedStatement[]> {
  const previous = replaceOld ? await assignmentOf(db, portal, actor.userId) : null;
  const statements = [assignStatement(db, portal, actor, tokenId), recordReproofStatement(db, actor.sessionId, actor.nowMs)];
  if (previous?.tokenId && previous.tokenId !== tokenId) {
    // The new token takes the old one's place on every resource, not only here: a disabled token is skipped at
    // sign-in (that is how approved recovery works), so leaving the old one assigned elsewhere would silently drop
    // the OTP step there.
    statements.push(
      moveAssignmentsStatement(db, actor.userId, previous.tokenId, tokenId),
      disableOwnTokenStatement(db, actor.userId, previous.tokenId),
    );
  }
  return statements;
}

// ---- passkeys: Register New Token and Reassign Token with a WebAuthn ceremony in place of the first OTP

/** A portal session's registration ceremony is bound to it: options fetched in one session are no use in another. */
const passkeyRegistrationBinding = (sessionId: string) => `portal-register:${sessionId}`;
/** Reassign to a passkey the user already has: its own binding, so no step-up or sign-in challenge answers it. */
const passkeyReassignBinding = (sessionId: string) => `portal-reassign:${sessionId}`;

/** The administrator allows passkeys per resource among the token types, as the others (Reassign included). */
function requirePasskeyType(portal: Portal): void {
  if (!portal.tokenTypes.includes('PASSKEY')) throw new AppError('ACTION_DISABLED', 'This token type may not be registered here.');
}

/** Register New Token / Reassign with a new passkey, first half: the creation options, after the proof. */
export async function beginPasskeyEnrolment(env: Env, portal: Portal, actor: PortalActor, rp: RelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
  requirePasskeyType(portal);
  await requireProof(env, portal, actor);
  const user = await profileOf(env.DB, actor.userId);
  return startPasskeyRegistration(env, rp, {
    userId: actor.userId,
    userName: user.login,
    displayName: [user.firstName, user.lastName].filter(Boolean).join(' ') || user.login,
    boundTo: passkeyRegistrationBinding(actor.sessionId),
    nowMs: actor.nowMs,
  });
}

/**
 * The new credential: verified against this session's challenge, then in ONE batch the PASSKEY token is created
 * (owned by the user), assigned to this resource "with" the user like a confirmed enrolment (with `replaceOld` the
 * old token is disabled), and the registration recorded. The ceremony is the proof of the new token: no first OTP.
 */
export async function completePasskeyEnrolment(
  env: Env,
  portal: Portal,
  actor: PortalActor,
  rp: RelyingParty,
  input: { credential: RegistrationResponseJSON; name: string; replaceOld: boolean },
) {
  requirePasskeyType(portal);
  // Asked again here, as at an enrolment's confirmation: the options may be older than the proof.
  await requireProof(env, portal, actor);
  const { tokenId, statements } = await verifyPasskeyRegistration(env, rp, {
    userId: actor.userId,
    boundTo: passkeyRegistrationBinding(actor.sessionId),
    credential: input.credential,
    name: input.name,
    nowMs: actor.nowMs,
  });
  // One batch: a refused assignment leaves no passkey behind, and the same credential sent twice at once stores once.
  await runPasskeyRegistrationBatch(env.DB, [
    ...statements,
    ...(await takeOverStatements(env.DB, portal, actor, tokenId, input.replaceOld)),
    activityStatement(env.DB, {
      type: 'PasskeyRegistered',
      userId: actor.userId,
      channel: 'portal',
      ip: actor.ip,
      client: actor.client,
      detail: { tokenId, name: input.name, resource: portal.resourceName, reassign: input.replaceOld },
      nowMs: actor.nowMs,
    }),
  ]);
  return getToken(env.DB, tokenId, actor.nowMs);
}

/** The user's own usable passkeys (a passkey made in /profile or at another portal may be taken over here). */
async function ownPasskeys(db: D1Database, userId: string): Promise<string[]> {
  return ownPasskeyIds(db, userId);
}

/** Reassign to a passkey the user already has, first half: an assertion challenge for their own passkeys. */
export async function beginPasskeyReassign(env: Env, portal: Portal, actor: PortalActor, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  requirePasskeyType(portal);
  await requireProof(env, portal, actor);
  const passkeys = await ownPasskeys(env.DB, actor.userId);
  if (passkeys.length === 0) throw new AppError('PASSKEY_NOT_FOUND', 'You have no passkey yet; register a new one.');
  return startPasskeyAuthentication(env, rp, { tokenIds: passkeys, boundTo: passkeyReassignBinding(actor.sessionId), userVerification: 'preferred', nowMs: actor.nowMs });
}

/**
 * Reassign to a passkey the user already has: a fresh assertion proves it is at hand (a passkey's owner alone is no
 * proof: the device may be gone), then it replaces the old token like a confirmed re-assign enrolment.
 */
export async function completePasskeyReassign(env: Env, portal: Portal, actor: PortalActor, rp: RelyingParty, credential: AuthenticationResponseJSON) {
  requirePasskeyType(portal);
  await requireProof(env, portal, actor);
  const verdict = await verifyPasskeyAuthentication(env, rp, {
    boundTo: passkeyReassignBinding(actor.sessionId),
    credential,
    acceptTokenIds: await ownPasskeys(env.DB, actor.userId),
    requireUserVerification: false,
    nowMs: actor.nowMs,
  });
  if (!verdict.ok) throw new AppError(verdict.reason);
  if (verdict.userId !== actor.userId) throw new AppError('PASSKEY_INVALID');
  await env.DB.batch(await takeOverStatements(env.DB, portal, actor, verdict.tokenId, true));
  return getToken(env.DB, verdict.tokenId, actor.nowMs);
}

function assignStatement(db: D1Database, portal: Portal, actor: PortalActor, tokenId: string) {
  return assignTokenStatement(db, { resourceId: portal.resourceId, userId: actor.userId, tokenId, nowMs: actor.nowMs });
}

/**
 * Register Existing Token: a hardware token handed out by the administrator (unowned, or already the user's)
 * is claimed by serial plus an OTP proving possession. An unknown serial, somebody else's token and a wrong OTP all
 * answer the same, so serials cannot be probed.
 */
export async function claimExistingToken(env: Env, portal: Portal, actor: PortalActor, input: { serial: string; otp: string }) {
  await requireProof(env, portal, actor);
  const tokenId = await findTokenIdBySerial(env.DB, input.serial);
  const token = tokenId ? await readTokenRecord(env.DB, tokenId) : undefined;
  const claimable = token && (token.owner_user_id === null || token.owner_user_id === actor.userId) && token.enabled;
  if (!token || !claimable) throw new AppError('OTP_INVALID', 'The serial or the one-time password is wrong.');
  const verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, input.otp, actor.nowMs, { allowActivation: true });
  // The lock is no exception: "locked" would tell that this serial exists and nobody owns it yet.
  if (!verdict.ok) throw new AppError('OTP_INVALID', 'The serial or the one-time password is wrong.');
  // Conditional: if another user claimed it between our read and now, nothing changes for us.
  if (!(await claimTokenOwnership(env.DB, token.id, actor.userId))) throw new AppError('OTP_INVALID', 'The serial or the one-time password is wrong.');
  // Like a confirmed enrolment, the OTP just given proves this resource's factor from now on.
  await env.DB.batch([assignStatement(env.DB, portal, actor, token.id), recordReproofStatement(env.DB, actor.sessionId, actor.nowMs)]);
  return getToken(env.DB, token.id, actor.nowMs);
}

/** Unassign Token: "token with user" becomes "user"; the user keeps the token. */
export async function unassignOwnToken(env: Env, portal: Portal, actor: PortalActor): Promise<void> {
  await requireProof(env, portal, actor);
  if (!(await unassignToken(env.DB, portal.resourceId, actor.userId))) throw new AppError('NO_TOKEN', 'No token is assigned to you on this resource.');
}

export async function synchronizeOwnToken(env: Env, portal: Portal, actor: PortalActor, input: { otp1: string; otp2: string }): Promise<void> {
  const token = await assignedToken(env.DB, portal, actor.userId);
  requireCodeToken(token);
  const result = await resyncToken(env.DB, verifyKeysOf(env), token, input.otp1, input.otp2, actor.nowMs);
  if (!result.ok) throw new AppError(result.reason, result.reason === 'OTP_INVALID' ? 'The two codes were not found next to each other. Type two consecutive codes.' : undefined);
}

export async function setOwnPin(env: Env, portal: Portal, actor: PortalActor, input: { pin: string | null; pinPosition?: 'before' | 'after' }): Promise<void> {
  await requireProof(env, portal, actor);
  const token = await assignedToken(env.DB, portal, actor.userId);
  requireCodeToken(token);
  await setTokenPin(env, token.id, input.pin, input.pinPosition);
}

// ---- password

export async function createOwnPassword(env: Env, portal: Portal, actor: PortalActor, password: string): Promise<void> {
  await requireProof(env, portal, actor);
  // Refused before the batch, so a refusal records no UserPasswordChange; the conditional UPDATE still decides a race.
  if ((await profileOf(env.DB, actor.userId)).passwordHash !== null) throw new AppError('PASSWORD_EXISTS');
  const hash = await hashPassword(password);
  const [result] = await env.DB.batch([
    createPasswordStatement(env.DB, actor.userId, hash, actor.nowMs),
    activityStatement(env.DB, { type: 'UserPasswordChange', userId: actor.userId, channel: 'portal', ip: actor.ip, client: actor.client, detail: { created: true }, nowMs: actor.nowMs }),
  ]);
  if (result!.meta.changes === 0) throw new AppError('PASSWORD_EXISTS');
}

export async function changeOwnPassword(env: Env, portal: Portal, actor: PortalActor, input: { currentPassword: string; newPassword: string }): Promise<void> {
  await requireProof(env, portal, actor);
  const user = await profileOf(env.DB, actor.userId);
  if (!user.passwordHash) throw new AppError('NO_PASSWORD');
  if (input.currentPassword === input.newPassword) throw new AppError('SAME_PASSWORD');
  await env.DB.batch([
    activityStatement(env.DB, { type: 'UserPasswortChangeRequest', userId: actor.userId, channel: 'portal', ip: actor.ip, client: actor.client, nowMs: actor.nowMs }),
  ]);
  // The current password is a guessable secret like at sign-in: its attempt is claimed first, under the same
  // per-login lock, so a session cannot be used to guess it without limit (or faster in parallel).
  const claim = await claimPasswordAttempt(env.DB, user.login, actor.nowMs);
  if (!claim.allowed) throw new AppError('ACCOUNT_LOCKED', undefined, { lockedUntil: claim.lockedUntil });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong.');
  const hash = await hashPassword(input.newPassword);
  await env.DB.batch([
    // Conditional on the hash we checked: a concurrent change is not silently overwritten.
    replacePasswordStatement(env.DB, actor.userId, user.passwordHash, hash, actor.nowMs),
    // Other sessions end: whoever knew the old password is out.
    deleteUserSessionsStatement(env.DB, actor.userId, actor.sessionId),
    clearLoginFailuresStatement(env.DB, user.login),
    activityStatement(env.DB, { type: 'UserPasswordChange', userId: actor.userId, channel: 'portal', ip: actor.ip, client: actor.client, nowMs: actor.nowMs }),
  ]);
}

// ---- email and phone: a code sent to the NEW address/number confirms it (the request is the guarded change)

export async function requestEmailChange(env: Env, portal: Portal, actor: PortalActor, email: string) {
  await requireProof(env, portal, actor);
  await assertIdentityFree(env.DB, { email, exceptUserId: actor.userId });
  const user = await profileOf(env.DB, actor.userId);
  const issued = await issueCode(env, {
    purpose: 'portal-change-email',
    userId: actor.userId,
    channel: 'email',
    target: email,
    language: user.language,
    name: user.firstName || user.login,
    ip: actor.ip,
    nowMs: actor.nowMs,
  });
  await activityStatement(env.DB, { type: 'UserEmailChangeRequest', userId: actor.userId, channel: 'portal', ip: actor.ip, client: actor.client, detail: { email }, nowMs: actor.nowMs }).run();
  return issued;
}

export async function confirmEmailChange(env: Env, actor: PortalActor, input: { challengeId: string; code: string }) {
  const verdict = await verifyCode(env, { challengeId: input.challengeId, code: input.code, nowMs: actor.nowMs, purpose: 'portal-change-email' });
  if (!verdict.ok) throw new AppError(verdict.reason);
  if (verdict.userId !== actor.userId) throw new AppError('CODE_INVALID');
  await assertIdentityFree(env.DB, { email: verdict.target, exceptUserId: actor.userId });
  await env.DB.batch([
    updateUserStatement(env.DB, actor.userId, { email: verdict.target }, actor.nowMs),
    activityStatement(env.DB, { type: 'UserEmailChange', userId: actor.userId, channel: 'portal', ip: actor.ip, client: actor.client, detail: { email: verdict.target }, nowMs: actor.nowMs }),
  ]);
  return { email: verdict.target };
}

export async function requestPhoneChange(env: Env, portal: Portal, actor: PortalActor, phoneInput: string) {
  await requireProof(env, portal, actor);
  const phone = normalizePhoneNumber(phoneInput);
  const user = await profileOf(env.DB, actor.userId);
  return issueCode(env, {
    purpose: 'portal-change-phone',
    userId: actor.userId,
    channel: 'sms',
    target: phone,
    language: user.language,
    name: user.firstName || user.login,
    ip: actor.ip,
    nowMs: actor.nowMs,
  });
}

export async function confirmPhoneChange(env: Env, actor: PortalActor, input: { challengeId: string; code: string }) {
  const verdict = await verifyCode(env, { challengeId: input.challengeId, code: input.code, nowMs: actor.nowMs, purpose: 'portal-change-phone' });
  if (!verdict.ok) throw new AppError(verdict.reason);
  if (verdict.userId !== actor.userId) throw new AppError('CODE_INVALID');
  await updateUserStatement(env.DB, actor.userId, { phone: verdict.target }, actor.nowMs).run();
  return { phone: verdict.target };
}

// ---- login and name

export async function changeOwnLogin(env: Env, portal: Portal, actor: PortalActor, login: string): Promise<void> {
  // The login names the account everywhere (verify API, /login, password reset): renaming it with a password alone
  // would lock the owner out of every integration, so it needs the fresh proof like contact data does.
  await requireProof(env, portal, actor);
  await assertIdentityFree(env.DB, { login, exceptUserId: actor.userId });
  try {
    await updateUserStatement(env.DB, actor.userId, { login }, actor.nowMs).run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('LOGIN_TAKEN');
    throw error;
  }
}

export async function changeOwnName(env: Env, actor: PortalActor, input: { firstName: string; lastName: string }): Promise<void> {
  await updateUserStatement(env.DB, actor.userId, { firstName: input.firstName, lastName: input.lastName }, actor.nowMs).run();
}

// ---- Manage Environment: the sign-in environments recorded for the user (environment-repo.ts)

export function listOwnEnvironments(env: Env, userId: string): Promise<EnvironmentView[]> {
  return listEnvironments(env.DB, userId);
}

/** NOT_FOUND unless the environment is the user's own. */
export function nameOwnEnvironment(env: Env, userId: string, id: string, name: string | null): Promise<void> {
  return nameEnvironment(env.DB, userId, id, name);
}

/** NOT_FOUND unless the environment is the user's own. */
export function forgetOwnEnvironment(env: Env, userId: string, id: string): Promise<void> {
  return forgetEnvironment(env.DB, userId, id);
}
