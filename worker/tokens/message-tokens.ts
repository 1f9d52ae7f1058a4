/**
 * SMS and EMAIL tokens (privacyIDEA's challenge-response "sms" and "email" tokens): no seed, but a destination, the
 * user's phone number (E.164) or email address, stored with the token. Asking for the token's code sends a fresh
 * one-time code there (messaging/codes.ts: hashed, expiring, attempts limited, resend cooldown and caps); answering
 * with that code (and the token's PIN where one is set, before or after the code as for OTP tokens) passes.
 *
 * The token's own fail counter and lock apply on top of the code's attempt limit: a wrong PIN or a wrong code
 * counts as for an OTP token, so re-triggering codes does not buy unlimited guesses.
 */
import { CODE_DIGITS, TOKEN_PIN_MAX_LENGTH } from '../constants';
import type { TokenType } from '../db/schema';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hmacSha256Hex, randomToken } from '../lib/crypto';
import { deriveKey } from '../lib/keys';
import { normalizePhoneNumber } from '../lib/phone';
import { fieldRefusal, fields } from '../lib/validate';
import { issueCode, verifyCode, type IssuedCode } from '../messaging/codes';
import type { Language } from '../messaging/settings';
import { splitPinAndOtp } from '../otp/verify';
import type { Audit } from '../audit/record';
import {
  auditedStep,
  auditedStepStatement,
  CHECK_OTP_ACCEPTED,
  checkOtpRefused,
  recordFailure,
  refusalByState,
  type OutcomeAudit,
  type TokenRecord,
  type VerifyResult,
} from './verification';
import { readUserContact } from '../users/repo';
import { acceptMessageTokenCode, openCodeChallengeData } from './repo';
import { checkPin, upgradeLegacyPinHash } from './secrets';

export const MESSAGE_TOKEN_TYPES = ['SMS', 'EMAIL'] as const;
export type MessageTokenType = (typeof MESSAGE_TOKEN_TYPES)[number];

export function isMessageToken(type: TokenType | string): type is MessageTokenType {
  return type === 'SMS' || type === 'EMAIL';
}

export const channelOf = (type: MessageTokenType): 'sms' | 'email' => (type === 'SMS' ? 'sms' : 'email');

/** The destination as stored: E.164 for SMS (VALIDATION_FAILED for anything else), a lower-cased address for email. */
export function normalizeDestination(type: MessageTokenType, raw: string): string {
  if (type === 'SMS') return normalizePhoneNumber(raw);
  const email = raw.trim().toLowerCase();
  // The same rule the senders apply (messaging/service.ts), so a stored destination can always be sent to.
  if (!fields.email.safeParse(email).success) throw fieldRefusal('destination', 'invalid_format', 'This is not a valid email address.', { format: 'email' });
  return email;
}

/**
 * Enough to recognise one's own number or address, not enough to learn it: "+49•••••••67", "e•••@example.com".
 */
export function maskDestination(destination: string | null): string | null {
  if (!destination) return null;
  const at = destination.lastIndexOf('@');
  if (at > 0) return `${destination[0]}•••${destination.slice(at)}`;
  if (destination.length <= 5) return '•'.repeat(destination.length);
  return `${destination.slice(0, 3)}${'•'.repeat(destination.length - 5)}${destination.slice(-2)}`;
}

export interface SendTokenCodeInput {
  /** What the code is for (portal-token-enrol, portal-signin-token, verify-token): also the cooldown's namespace. */
  purpose: string;
  /** A fresh random one by default; the flows that keep it pass their own. */
  challengeId?: string;
  language: Language;
  name: string;
  ip: string | null;
  nowMs: number;
  /** Extra flow state kept with the challenge. */
  data?: Record<string, unknown>;
  /** As IssueCodeInput.alsoWhenStored (messaging/codes.ts): the admin's audit row of Send code. */
  alsoWhenStored?: (target: string) => D1PreparedStatement;
}

/** Sends a fresh code to the token's destination (limits apply; RATE_LIMITED / MESSAGE_NOT_SENT are thrown). */
export function sendTokenCode(env: Env, token: Pick<TokenRecord, 'id' | 'type' | 'destination' | 'owner_user_id'>, input: SendTokenCodeInput): Promise<IssuedCode> {
  if (!isMessageToken(token.type) || !token.destination) throw new AppError('TOKEN_TYPE_MISMATCH', 'This token does not receive codes.');
  return issueCode(env, {
    purpose: input.purpose,
    userId: token.owner_user_id,
    channel: channelOf(token.type),
    target: token.destination,
    language: input.language,
    name: input.name,
    ip: input.ip,
    nowMs: input.nowMs,
    challengeId: input.challengeId,
    data: { ...input.data, tokenId: token.id },
    alsoWhenStored: input.alsoWhenStored,
  });
}

export interface CheckTokenCodeOptions {
  purpose: string;
  nowMs: number;
  /** Enrolment: the pending token is activated by its first correct code. */
  allowActivation?: boolean;
  /** As VerifyOptions.countFailure in tokens/verification.ts: false only behind a counter the caller claimed first. */
  countFailure?: boolean;
  /** The lock the caller's claimTokenAttemptStatement set (its claim reached the limit): this check's success lifts it. */
  lockedByClaim?: number | null;
  /** The admin's Check OTP: its audit row, written with the accept or the counted failure (VerifyOptions.audit). */
  audit?: OutcomeAudit;
}

/**
 * Verifies `input` (the code, with the PIN before or after it when the token has one) against the challenge
 * `challengeId` issued for this token. The same order as OTP tokens: state first, then PIN and code, and the code
 * is consumed (verifyCode's conditional UPDATE) before anything is granted.
 */
export async function checkTokenCode(
  env: Env,
  token: TokenRecord,
  challengeId: string | null,
  input: string,
  options: CheckTokenCodeOptions,
): Promise<VerifyResult> {
  const refusal = refusalByState(token, options.nowMs, options.allowActivation);
  if (refusal) return refusal;
  if (!isMessageToken(token.type)) return { ok: false, tokenId: token.id, reason: 'TOKEN_TYPE_MISMATCH' };
  const fail = (): Promise<VerifyResult> =>
    options.countFailure === false
      ? Promise.resolve({ ok: false, tokenId: token.id, reason: 'OTP_INVALID' })
      : recordFailure(env.DB, token, options.nowMs, 'OTP_INVALID', undefined, auditedStep(options.audit, checkOtpRefused('OTP_INVALID')));

  const split = splitPinAndOtp(input.replace(/[\s-]/g, ''), CODE_DIGITS, token.pin_hash !== null, token.pin_position);
  const pinOk = split !== null && (token.pin_hash === null || (await checkPin(env.SESSION_KEY, token.id, split.pin, token.pin_hash)));
  if (!split || !pinOk || !challengeId) return fail();

  const verdict = await verifyCode(env, { challengeId, code: split.otp, nowMs: options.nowMs, purpose: options.purpose });
  // A code sent for another token (or user) is no answer for this one.
  if (!verdict.ok || verdict.data.tokenId !== token.id || verdict.userId !== token.owner_user_id) {
    return fail();
  }
  const audited = auditedStepStatement(env.DB, auditedStep(options.audit, CHECK_OTP_ACCEPTED));
  if (!(await acceptMessageTokenCode(env.DB, token.id, options.nowMs, options.lockedByClaim ?? null, audited))) return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED' };
  await upgradeLegacyPinHash(env.DB, env.SESSION_KEY, token.id, split.pin, token.pin_hash);
  return { ok: true, tokenId: token.id, serial: token.serial, matched: { challenge: true } };
}

// ---- challenges the client holds no handle for (the verify API: "send me a code", then "here is the code")

/**
 * The verify API's clients keep no transaction id: the open challenge is found by token, and its challengeId is
 * derived from a random nonce kept with it under the Worker's key, so a reader of the database still cannot
 * recompute the code hash's input.
 */
async function challengeIdFor(env: Pick<Env, 'SESSION_KEY'>, tokenId: string, nonce: string): Promise<string> {
  return hmacSha256Hex(await deriveKey(env, 'code-challenge'), `token-challenge:${tokenId}:${nonce}`);
}

export async function sendKeptTokenCode(env: Env, token: TokenRecord, input: Omit<SendTokenCodeInput, 'challengeId' | 'data'>): Promise<IssuedCode> {
  const nonce = randomToken(16);
  return sendTokenCode(env, token, { ...input, challengeId: await challengeIdFor(env, token.id, nonce), data: { nonce } });
}

/** The newest open challenge of `purpose` for this token, or null when none was sent (or it was used up). */
export async function openChallengeIdOf(env: Env, token: TokenRecord, purpose: string, nowMs: number): Promise<string | null> {
  if (!token.destination) return null;
  const openData = await openCodeChallengeData(env.DB, { purpose, userId: token.owner_user_id, target: token.destination, nowMs });
  for (const data of openData) {
    try {
      const flow = (JSON.parse(data) as { flow?: { tokenId?: string; nonce?: string } }).flow;
      if (flow?.tokenId === token.id && typeof flow.nonce === 'string') return challengeIdFor(env, token.id, flow.nonce);
    } catch {
      // not one of ours
    }
  }
  return null;
}

/**
 * Whether `input` is only the PIN (or nothing, for a token without one): the request for a code. With a PIN this
 * examines a guessable secret and answers differently for a right one (a code goes out): the caller claims the
 * attempt on the token first (claimTokenAttemptStatement) and gives it back only for a right PIN.
 */
export async function isCodeRequest(env: Pick<Env, 'SESSION_KEY'>, token: TokenRecord, input: string): Promise<boolean> {
  const trimmed = input.trim();
  if (token.pin_hash === null) return trimmed === '';
  if (trimmed === '' || trimmed.length > TOKEN_PIN_MAX_LENGTH) return false;
  return checkPin(env.SESSION_KEY, token.id, trimmed, token.pin_hash);
}

// ---- the admin center's "Check OTP" for SMS/EMAIL tokens: "Send code", then check the code typed

/**
 * Codes an administrator sends to check a token have their own purpose. issueCode voids older codes of the same
 * purpose only, the resend cooldown is per purpose, and the check looks up only this purpose's open challenge: a
 * user's pending sign-in code (portal-signin-token, verify-token) is neither voided by the admin's send nor used up
 * by the admin's check. The per-number/address caps are shared (they protect the recipient and the SMS bill).
 */
export const ADMIN_CHECK_PURPOSE = 'admin-check-token';

export interface AdminCheckCodeSent {
  /** Where it went, masked as in the token views. */
  sentTo: string | null;
  expiresAt: number;
}

export async function sendAdminCheckCode(env: Env, token: TokenRecord, meta: { ip: string; nowMs: number }, audit: Audit): Promise<AdminCheckCodeSent> {
  if (!isMessageToken(token.type)) throw new AppError('TOKEN_TYPE_MISMATCH', 'Only SMS and email tokens receive codes.');
  if (!token.enabled) throw new AppError('TOKEN_DISABLED');
  const owner = token.owner_user_id ? await readUserContact(env.DB, token.owner_user_id) : undefined;
  const issued = await sendKeptTokenCode(env, token, {
    purpose: ADMIN_CHECK_PURPOSE,
    language: owner?.language ?? 'en',
    name: owner ? owner.firstName || owner.login : '',
    ip: meta.ip,
    nowMs: meta.nowMs,
    // Recorded in the batch that stores the code: where it went (masked), never the code.
    alsoWhenStored: (target) => audit({ action: 'send_code', objectType: 'token', objectId: token.id, after: { sentTo: maskDestination(target) } }),
  });
  return { sentTo: maskDestination(issued.target), expiresAt: issued.expiresAtMs };
}

/**
 * Checks `input` against the newest code an administrator sent to this token. A real verification: the code is
 * consumed, a wrong one counts on the token's fail counter (as the admin check of OTP tokens does), and a pending
 * token is activated by a right one. Without an open code there is nothing to guess at: CODE_EXPIRED, nothing counted.
 */
export async function checkAdminCheckCode(env: Env, token: TokenRecord, input: string, nowMs: number, audit: OutcomeAudit): Promise<VerifyResult> {
  // A locked or disabled token says so whether or not a code is open: the lock is the answer after a burst.
  const refusal = refusalByState(token, nowMs, true);
  if (refusal) return refusal;
  const challengeId = await openChallengeIdOf(env, token, ADMIN_CHECK_PURPOSE, nowMs);
  if (!challengeId) throw new AppError('CODE_EXPIRED', 'No code is open for this token: send one first.');
  return checkTokenCode(env, token, challengeId, input, { purpose: ADMIN_CHECK_PURPOSE, nowMs, allowActivation: true, audit });
}
