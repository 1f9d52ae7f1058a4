/**
 * The signed-in user's own profile and its two-factor section: a mobile number confirmed by an SMS code, then 2FA
 * switched on. Switching it off or changing the number also needs a code sent to the number on file, so a stolen
 * session alone cannot weaken the account. Setting the number, switching 2FA on and (for a user whose /login factor
 * is a token) switching it off need the session's fresh proof of the current second factor (worker/auth/step-up.ts).
 *
 * Passkeys: listed, renamed freely; adding or removing one needs that fresh proof too (a stolen session must not
 * add the thief's passkey, nor remove the owner's). Their ceremonies are bound to the session.
 */
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { activityStatement } from '../activities/repo';
import { secondFactorProvenAt } from '../auth/sessions';
import { loginFactorsOf, requireFreshProof } from '../auth/step-up';
import type { Env } from '../env';
import { AppError } from '../errors';
import { normalizePhoneNumber } from '../lib/phone';
import { issueCode, verifyCode } from '../messaging/codes';
import { isTwoFactorEnabled } from '../settings/platform';
import { officesForbiddingTwoFactor } from '../settings/repo';
import { generateRecoveryCodes, recoveryCodesOfUser, type GeneratedRecoveryCodes } from '../tokens/recovery-codes';
import { runPasskeyRegistrationBatch, startPasskeyRegistration, verifyPasskeyRegistration } from '../passkeys/ceremonies';
import type { RelyingParty } from '../passkeys/relying-party';
import { getPasskey, listPasskeys, removePasskey, renamePasskey, type PasskeyEntry } from '../passkeys/repo';
import { getUser } from '../users/service';
import { activateSmsTwoFactor, confirmSmsPhone, deactivateSmsTwoFactor } from './repo';

export interface ProfileMeta {
  ip: string;
  nowMs: number;
  sessionId: string;
}

/** Proof before change: STEP_UP_REQUIRED unless this session proved the user's /login factor lately (or there is none). */
async function requireProof(env: Env, userId: string, meta: ProfileMeta, factorsOf = () => loginFactorsOf(env.DB, userId)): Promise<void> {
  await requireFreshProof(await secondFactorProvenAt(env.DB, meta.sessionId), meta.nowMs, factorsOf);
}

export async function profileWithTwoFactor(env: Env, userId: string) {
  const [user, platformEnabled, forbiddingOffices, recoveryCodes, passkeys] = await Promise.all([
    getUser(env.DB, userId),
    isTwoFactorEnabled(env.DB),
    officesForbiddingTwoFactor(env.DB, userId),
    recoveryCodesOfUser(env.DB, userId),
    listPasskeys(env.DB, userId),
  ]);
  return {
    user,
    passkeys,
    /** The user's recovery code set (how many remain of how many, made when), or null. */
    recoveryCodes,
    twoFactor: {
      /** The section is shown only when the platform offers 2FA. */
      available: platformEnabled,
      /** Why the user cannot activate it, if so: the workspaces that disabled it. */
      disabledByOffices: forbiddingOffices,
      phone: user.smsPhone,
      phoneVerified: user.smsPhoneVerified,
      active: user.smsTwoFactorActive,
    },
  };
}

/** A new set of recovery codes, shown once; the old set is void from then on. A set is a second factor: proof first. */
export async function generateOwnRecoveryCodes(env: Env, userId: string, meta: ProfileMeta & { client: string | null }): Promise<GeneratedRecoveryCodes> {
  await requireProof(env, userId, meta);
  return generateRecoveryCodes(env, userId, { channel: 'login', ip: meta.ip, client: meta.client, nowMs: meta.nowMs });
}

async function assertTwoFactorAllowed(env: Env, userId: string): Promise<void> {
  if (!(await isTwoFactorEnabled(env.DB))) throw new AppError('TWO_FACTOR_UNAVAILABLE');
  const offices = await officesForbiddingTwoFactor(env.DB, userId);
  if (offices.length > 0) throw new AppError('TWO_FACTOR_FORBIDDEN_BY_OFFICE', `Two-factor authentication is disabled by your workspace: ${offices.join(', ')}.`, { offices });
}

/** Step 1 of adding or changing the number: a code to the NEW number. Changing an active number first needs step 0. */
export async function requestPhoneVerification(env: Env, userId: string, phoneInput: string, meta: ProfileMeta) {
  await assertTwoFactorAllowed(env, userId);
  const user = await getUser(env.DB, userId);
  if (user.smsTwoFactorActive) throw new AppError('CONFLICT', 'Deactivate two-factor authentication (with a code to your current number) before changing the number.');
  const phone = normalizePhoneNumber(phoneInput);
  await requireProof(env, userId, meta);
  return issueCode(env, { purpose: 'profile-phone', userId, channel: 'sms', target: phone, language: user.language, name: user.firstName || user.login, ip: meta.ip, nowMs: meta.nowMs });
}

export async function confirmPhone(env: Env, userId: string, input: { challengeId: string; code: string }, meta: ProfileMeta) {
  const verdict = await verifyCode(env, { challengeId: input.challengeId, code: input.code, nowMs: meta.nowMs, purpose: 'profile-phone' });
  if (!verdict.ok) throw new AppError(verdict.reason);
  if (verdict.userId !== userId) throw new AppError('CODE_INVALID');
  await confirmSmsPhone(env.DB, userId, verdict.target, meta.nowMs);
  return profileWithTwoFactor(env, userId);
}

export async function activateTwoFactor(env: Env, userId: string, meta: ProfileMeta) {
  await assertTwoFactorAllowed(env, userId);
  await requireProof(env, userId, meta);
  if (!(await activateSmsTwoFactor(env.DB, userId, meta.nowMs))) throw new AppError('CONFLICT', 'Confirm your mobile number with the SMS code first.');
  return profileWithTwoFactor(env, userId);
}

/** A code to the number on file, to deactivate 2FA (or before changing the number). */
export async function requestDeactivationCode(env: Env, userId: string, meta: ProfileMeta) {
  const user = await getUser(env.DB, userId);
  if (!user.smsTwoFactorActive || !user.smsPhone) throw new AppError('CONFLICT', 'Two-factor authentication is not active.');
  // The code to the number on file proves the SMS factor itself; a user whose /login factor is a token proves that.
  await requireProof(env, userId, meta, async () => (await loginFactorsOf(env.DB, userId)).filter((factor) => factor.kind !== 'sms-2fa'));
  return issueCode(env, { purpose: 'profile-2fa-off', userId, channel: 'sms', target: user.smsPhone, language: user.language, name: user.firstName || user.login, ip: meta.ip, nowMs: meta.nowMs });
}

export async function deactivateTwoFactor(env: Env, userId: string, input: { challengeId: string; code: string }, meta: ProfileMeta) {
  const verdict = await verifyCode(env, { challengeId: input.challengeId, code: input.code, nowMs: meta.nowMs, purpose: 'profile-2fa-off' });
  if (!verdict.ok) throw new AppError(verdict.reason);
  if (verdict.userId !== userId) throw new AppError('CODE_INVALID');
  await deactivateSmsTwoFactor(env.DB, userId, verdict.target, meta.nowMs);
  return profileWithTwoFactor(env, userId);
}

/** What a profile's registration ceremony is bound to: this session. */
const registrationBinding = (sessionId: string) => `profile:${sessionId}`;

export async function startProfilePasskeyRegistration(env: Env, rp: RelyingParty, userId: string, meta: ProfileMeta): Promise<PublicKeyCredentialCreationOptionsJSON> {
  await requireProof(env, userId, meta);
  const user = await getUser(env.DB, userId);
  const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.login;
  return startPasskeyRegistration(env, rp, { userId, userName: user.login, displayName, boundTo: registrationBinding(meta.sessionId), nowMs: meta.nowMs });
}

export async function addProfilePasskey(
  env: Env,
  rp: RelyingParty,
  userId: string,
  input: { credential: RegistrationResponseJSON; name: string },
  meta: ProfileMeta & { client: string | null },
): Promise<PasskeyEntry> {
  await requireProof(env, userId, meta);
  const { tokenId, statements } = await verifyPasskeyRegistration(env, rp, { userId, boundTo: registrationBinding(meta.sessionId), credential: input.credential, name: input.name, nowMs: meta.nowMs });
  await runPasskeyRegistrationBatch(env.DB, [
    ...statements,
    activityStatement(env.DB, { type: 'PasskeyRegistered', userId, channel: 'login', ip: meta.ip, client: meta.client, detail: { tokenId, name: input.name }, nowMs: meta.nowMs }),
  ]);
  return getPasskey(env.DB, userId, tokenId);
}

/** Renaming changes no factor: no proof asked. PASSKEY_NOT_FOUND unless it is the user's passkey. */
export async function renameProfilePasskey(env: Env, userId: string, tokenId: string, name: string): Promise<PasskeyEntry> {
  return renamePasskey(env.DB, userId, tokenId, name);
}

/** Removing a passkey (the user's last factor too) needs the fresh proof: the user has just shown a factor. */
export async function removeProfilePasskey(env: Env, userId: string, tokenId: string, meta: ProfileMeta & { client: string | null }): Promise<void> {
  await getPasskey(env.DB, userId, tokenId);
  await requireProof(env, userId, meta);
  await removePasskey(env.DB, userId, tokenId, { type: 'PasskeyRemoved', userId, channel: 'login', ip: meta.ip, client: meta.client, detail: { tokenId }, nowMs: meta.nowMs });
}
