/**
 * Proof before change (DESIGN §4): adding, re-assigning or removing a token, setting or removing a PIN and changing
 * email, phone, password or the SMS 2FA number need the user's CURRENT second factor, proven within
 * STEP_UP_VALID_MS. Otherwise a password alone (or a session left open) could register a new token and from then
 * on pass every second factor: the password would become the whole key.
 *
 * A session proves the factor by signing in with it or by a step-up (a passkey, an OTP or recovery code of one of
 * the factor's tokens, or a code sent to one of its SMS/email destinations); either way the session's proof time is what the guard reads
 * (sessions.ts). Users without any second factor are not asked: there is nothing to prove beyond the password.
 * A user who lost the factor uses Restore access, which an administrator approves.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { STEP_UP_VALID_MS } from '../constants';
import type { TokenType } from '../db/schema';
import type { Env } from '../env';
import { AppError } from '../errors';
import { fieldRefusal } from '../lib/validate';
import { issueCode, verifyCode } from '../messaging/codes';
import { verifyTokenOtp, type TokenRecord } from '../tokens/verification';
import { startPasskeyAuthentication, verifyPasskeyAuthentication } from '../passkeys/ceremonies';
import type { RelyingParty } from '../passkeys/relying-party';
import { isTwoFactorEnabled } from '../settings/platform';
import { officesForbiddingTwoFactor } from '../settings/repo';
import { tokensAcceptedAtLogin, tokensForTypedCode } from '../tokens/accepted-tokens';
import { channelOf, checkTokenCode, isMessageToken, maskDestination, sendTokenCode } from '../tokens/message-tokens';
import { verifyKeysOf } from '../tokens/service';
import { findSmsTwoFactor, findUserGreeting, recordReproofStatement } from './repo';

/** One way the user can prove their second factor: a token, or the number /login texts its codes to. */
export type StepUpFactor = { kind: 'token'; token: TokenRecord } | { kind: 'sms-2fa'; userId: string; phone: string };

/** The id a client names a code-receiving factor by. */
const SMS_2FA_FACTOR_ID = 'sms-2fa';
const factorIdOf = (factor: StepUpFactor) => (factor.kind === 'token' ? factor.token.id : SMS_2FA_FACTOR_ID);

/** The purpose of step-up codes: its own cooldown, and no sign-in or enrolment code is voided or accepted. */
export const STEP_UP_PURPOSE = 'step-up';

/**
 * What STEP_UP_REQUIRED tells the client: use a passkey, type an OTP or a recovery code, and/or have a code sent to
 * one of these (masked).
 */
export interface StepUpOptions {
  otp: boolean;
  codeTargets: { factorId: string; channel: 'sms' | 'email'; to: string }[];
  passkey: boolean;
  recoveryCode: boolean;
}

const APP_TOKEN_TYPES = new Set<TokenType>(['TOTP', 'HOTP']);

/**
 * The factors that stand on their own: a passkey and an app's OTP. Where the user has one, each of them is accepted
 * and a code sent by SMS/email is not (it would be less than they prove).
 */
const LEADING_TOKEN_TYPES = new Set<TokenType>(['PASSKEY', 'TOTP', 'HOTP']);

/** Whether these tokens include a factor that makes a sent code too little (LEADING_TOKEN_TYPES). */
export const includesLeadingFactor = (tokens: { type: TokenType }[]) => tokens.some((token) => LEADING_TOKEN_TYPES.has(token.type));

/**
 * Of the tokens /login accepts, those it asks for: the leading ones, else the message tokens; a recovery code set
 * beside either. Recovery codes are the way back in when the usual factor is lost, never a reason not to ask it: a
 * user with an SMS token and a set is texted as before and may type a recovery code instead (asked in place of the
 * text, every sign-in would spend a code of the set meant for the day the phone is gone).
 */
export function tokensAskedAtLogin<T extends { type: TokenType }>(tokens: T[]): T[] {
  const recoverySets = tokens.filter((token) => token.type === 'RECOVERY_CODES');
  const leading = tokens.filter((token) => LEADING_TOKEN_TYPES.has(token.type));
  const usual = leading.length > 0 ? leading : tokens.filter((token) => isMessageToken(token.type));
  return [...usual, ...recoverySets];
}

const hasTokenOf = (factors: StepUpFactor[], types: TokenType[]) => factors.some((factor) => factor.kind === 'token' && types.includes(factor.token.type));

export function stepUpOptionsOf(factors: StepUpFactor[]): StepUpOptions {
  const codeTargets: StepUpOptions['codeTargets'] = [];
  for (const factor of factors) {
    if (factor.kind === 'sms-2fa') codeTargets.push({ factorId: SMS_2FA_FACTOR_ID, channel: 'sms', to: maskDestination(factor.phone)! });
    else if (isMessageToken(factor.token.type) && factor.token.destination) {
      codeTargets.push({ factorId: factor.token.id, channel: channelOf(factor.token.type), to: maskDestination(factor.token.destination)! });
    }
  }
  return {
    otp: hasTokenOf(factors, ['TOTP', 'HOTP']),
    codeTargets,
    passkey: hasTokenOf(factors, ['PASSKEY']),
    recoveryCode: hasTokenOf(factors, ['RECOVERY_CODES']),
  };
}

/**
 * The guard in front of every factor change: passes when the session proved the factor within STEP_UP_VALID_MS or
 * the user has none; otherwise STEP_UP_REQUIRED (403, with the ways to prove it) and the caller changes nothing.
 */
export async function requireFreshProof(provenAtMs: number | null, nowMs: number, factorsOf: () => Promise<StepUpFactor[]>): Promise<void> {
  if (provenAtMs !== null && nowMs - provenAtMs < STEP_UP_VALID_MS) return;
  const factors = await factorsOf();
  if (factors.length > 0) throw new AppError('STEP_UP_REQUIRED', undefined, stepUpOptionsOf(factors));
}

/**
 * The second factor /login asks of this user (login-service.ts decides the same way, by `tokensAskedAtLogin`): their
 * passkeys and app tokens when they have any; else their SMS/EMAIL tokens; without any such token, the SMS 2FA
 * number when it is active, confirmed and allowed. A recovery code set is accepted beside each of them.
 */
export async function loginFactorsOf(db: D1Database, userId: string): Promise<StepUpFactor[]> {
  const tokens = tokensAskedAtLogin(await tokensAcceptedAtLogin(db, userId));
  const tokenFactors: StepUpFactor[] = tokens.map((token) => ({ kind: 'token', token }));
  if (tokens.some((token) => token.type !== 'RECOVERY_CODES')) return tokenFactors;
  const user = await findSmsTwoFactor(db, userId);
  if (!user?.smsPhone || !user.smsPhoneVerified || !user.smsTwoFactorActive || !(await isTwoFactorEnabled(db))) return tokenFactors;
  if ((await officesForbiddingTwoFactor(db, userId)).length > 0) return tokenFactors;
  return [{ kind: 'sms-2fa', userId, phone: user.smsPhone }, ...tokenFactors];
}

/** "Send me a code": to the SMS/email factor the client named (one of the user's factors, or nothing is sent). */
export async function sendStepUpCode(env: Env, userId: string, factors: StepUpFactor[], factorId: string, meta: { ip: string; nowMs: number }) {
  const factor = factors.find((candidate) => factorIdOf(candidate) === factorId);
  if (!factor) throw fieldRefusal('factorId', 'NOT_OFFERED', 'choose one of the offered ways to receive a code');
  const user = await findUserGreeting(env.DB, userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  const common = { purpose: STEP_UP_PURPOSE, language: user.language, name: user.firstName || user.login, ip: meta.ip, nowMs: meta.nowMs };
  const issued =
    factor.kind === 'sms-2fa'
      ? await issueCode(env, { ...common, userId: factor.userId, channel: 'sms', target: factor.phone })
      : await sendTokenCode(env, factor.token, common);
  return { challengeId: issued.challengeId, expiresAt: issued.expiresAtMs, channel: issued.channel, to: maskDestination(issued.target)! };
}

export interface StepUpProof {
  /** The OTP (with the PIN where the token has one), a recovery code, or the code that was sent. */
  otp?: string;
  /** With a sent code: its handle and the factor it went to. */
  challengeId?: string;
  factorId?: string;
  /** Instead of a code: the assertion answering `startStepUpPasskey`'s options. */
  passkey?: AuthenticationResponseJSON;
}

/** What a step-up passkey challenge is bound to: this session, and only its step-up. */
const stepUpBinding = (sessionId: string) => `step-up:${sessionId}`;
const passkeyTokenIdsOf = (factors: StepUpFactor[]) => factors.flatMap((factor) => (factor.kind === 'token' && factor.token.type === 'PASSKEY' ? [factor.token.id] : []));

/** Options for a step-up with one of the factor's passkeys, bound to the session. */
export async function startStepUpPasskey(
  env: Env,
  rp: RelyingParty,
  factors: StepUpFactor[],
  session: { sessionId: string; nowMs: number },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const tokenIds = passkeyTokenIdsOf(factors);
  if (tokenIds.length === 0) throw new AppError('STEP_UP_NO_PASSKEY');
  return startPasskeyAuthentication(env, rp, { tokenIds, boundTo: stepUpBinding(session.sessionId), userVerification: 'preferred', nowMs: session.nowMs });
}

/**
 * Checks the proof against the user's factors and, when it holds, records it on the session. Every check claims
 * its attempt first: token OTPs are consumed by verifyTokenOtp's conditional UPDATE and their failures count
 * toward the token's lock; sent codes claim an attempt of their challenge (verifyCode).
 */
export async function proveStepUp(
  env: Env,
  factors: StepUpFactor[],
  proof: StepUpProof,
  session: { sessionId: string; nowMs: number; rp?: RelyingParty },
): Promise<void> {
  if (factors.length === 0) throw new AppError('STEP_UP_NO_FACTOR');
  if (proof.passkey) {
    if (!session.rp) throw new AppError('STEP_UP_PASSKEY_UNAVAILABLE');
    const verdict = await verifyPasskeyAuthentication(env, session.rp, {
      boundTo: stepUpBinding(session.sessionId),
      credential: proof.passkey,
      acceptTokenIds: passkeyTokenIdsOf(factors),
      requireUserVerification: false,
      nowMs: session.nowMs,
    });
    if (!verdict.ok) throw new AppError(verdict.reason);
  } else {
    await checkProof(env, factors, { ...proof, otp: proof.otp ?? '' }, session.nowMs);
  }
  await recordReproofStatement(env.DB, session.sessionId, session.nowMs).run();
}

async function checkProof(env: Env, factors: StepUpFactor[], proof: StepUpProof & { otp: string }, nowMs: number): Promise<void> {
  if (proof.challengeId) {
    const factor = factors.find((candidate) => factorIdOf(candidate) === proof.factorId);
    if (!factor) throw new AppError('CODE_INVALID');
    if (factor.kind === 'sms-2fa') {
      const verdict = await verifyCode(env, { challengeId: proof.challengeId, code: proof.otp, nowMs, purpose: STEP_UP_PURPOSE });
      if (!verdict.ok) throw new AppError(verdict.reason);
      // A step-up code sent to someone else's number (or for a number since changed) proves nothing here.
      if (verdict.userId !== factor.userId || verdict.target !== factor.phone) throw new AppError('CODE_INVALID');
      return;
    }
    const verdict = await checkTokenCode(env, factor.token, proof.challengeId, proof.otp, { purpose: STEP_UP_PURPOSE, nowMs });
    if (!verdict.ok) throw new AppError(verdict.reason === 'TOKEN_LOCKED' ? 'TOKEN_LOCKED' : 'CODE_INVALID');
    return;
  }
  // A typed code: to the recovery code sets when it is shaped like one, else to the app tokens (never to a passkey,
  // nor to an SMS/EMAIL token, whose code is answered with its challenge above).
  const factorTokens = factors.flatMap((factor) => (factor.kind === 'token' ? [factor.token] : []));
  const typedCodeTokens = tokensForTypedCode(factorTokens, proof.otp).filter((token) => token.type === 'RECOVERY_CODES' || APP_TOKEN_TYPES.has(token.type));
  if (typedCodeTokens.length === 0) {
    throw new AppError(factorTokens.some((token) => token.type === 'PASSKEY') ? 'STEP_UP_PASSKEY_EXPECTED' : 'STEP_UP_CODE_NOT_SENT');
  }
  let locked = false;
  for (const token of typedCodeTokens) {
    const verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, proof.otp, nowMs);
    if (verdict.ok) return;
    if (verdict.reason === 'TOKEN_LOCKED') locked = true;
  }
  throw new AppError(locked ? 'TOKEN_LOCKED' : 'OTP_INVALID');
}
