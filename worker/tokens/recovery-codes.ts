/**
 * Recovery codes: a RECOVERY_CODES token (one per user, owned by them) and its RECOVERY_CODE_COUNT single-use codes,
 * the way back in when the phone with the authenticator is gone. The format is recovery-code-format.ts.
 *
 * - Made on the server from crypto.getRandomValues, shown once, stored only as keyed hashes: HMAC-SHA-256 under
 *   the 'recovery-code-hashing' key (lib/keys.ts) over the token id and the canonical code. The codes have 60 bits,
 *   but a stolen table must not be searchable at all without the Worker's secret, and binding the token id makes
 *   a hash copied to another set worthless.
 * - A new set replaces the old one in the batch that stores it: the old codes are gone the moment the new are.
 * - A typed code is checked as an OTP is (verifyRecoveryCode, reached through verifyTokenOtp): refused by the
 *   token's state first, the attempt claimed on the token's fail counter (TOKEN_MAX_FAILS, lockout) in the same
 *   batch and before the code is looked at, and the code consumed by one conditional UPDATE, so of any number of
 *   concurrent submissions of one code exactly one wins. A used or voided code is a failed guess like a wrong one.
 * - A use is logged (RecoveryCodeUsed, with how many remain) and mailed to the owner. The last use disables the
 *   set (spent): a set with no code left is no factor, so it must not hide the user's other factors.
 */
import type { Audit } from '../audit/record';
import { activityOfUserStatement, type ActivityInput } from '../activities/repo';
import { RECOVERY_CODE_COUNT } from '../constants';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hmacSha256Hex, randomBytes } from '../lib/crypto';
import { isUniqueViolation } from '../lib/d1-errors';
import { deriveKey } from '../lib/keys';
import { sendEmail, type MessagingEnv } from '../messaging/service';
import { renderRecoveryCodeUsedEmail } from '../messaging/templates';
import type { TokenRecord, VerifyKeys, VerifyOptions, VerifyResult } from './verification';
import { readUserContact } from '../users/repo';
import { groupRecoveryCode, parseRecoveryCode, RECOVERY_CODE_ALPHABET, RECOVERY_CODE_LENGTH } from './recovery-code-format';
import { claimTokenAttemptStatement, consumeRecoveryCode, readRecoveryCodeCounts, readRecoverySetOfUser, readTokenViewRow, replaceRecoverySet, voidRecoverySet } from './repo';

/** Who did it and through which door: the activity row's channel, IP and client. */
export type ActivityVia = Pick<ActivityInput, 'channel' | 'ip' | 'client'>;

// ---- generation

/**
 * One code: each character drawn uniformly from the alphabet by rejection sampling (a byte at or above the largest
 * multiple of the alphabet's size is drawn again, so no character is likelier than another), and a code without
 * a letter drawn again as a whole (recovery-code-format.ts says why).
 */
function randomRecoveryCode(): string {
  const size = RECOVERY_CODE_ALPHABET.length;
  const limit = 256 - (256 % size);
  for (;;) {
    let code = '';
    while (code.length < RECOVERY_CODE_LENGTH) {
      for (const byte of randomBytes(RECOVERY_CODE_LENGTH)) {
        if (byte < limit && code.length < RECOVERY_CODE_LENGTH) code += RECOVERY_CODE_ALPHABET[byte % size];
      }
    }
    if (parseRecoveryCode(code) === code) return code;
  }
}

async function recoveryCodeHash(sessionKey: string, tokenId: string, canonicalCode: string): Promise<string> {
  return hmacSha256Hex(await deriveKey({ SESSION_KEY: sessionKey }, 'recovery-code-hashing'), `recovery-code:${tokenId}:${canonicalCode}`);
}

export interface GeneratedRecoveryCodes {
  /** Shown once, grouped as the user reads them (XXXX-XXXX-XXXX); never stored. */
  codes: string[];
  createdAt: number;
  tokenId: string;
}

/**
 * A new set for `userId`, replacing their old one in the same batch (its codes are refused from then on). The
 * caller has required the fresh proof of the user's second factor (step-up): a set is a second factor.
 */
export async function generateRecoveryCodes(
  env: Pick<Env, 'DB' | 'SESSION_KEY'>,
  userId: string,
  via: ActivityVia & { nowMs: number },
): Promise<GeneratedRecoveryCodes> {
  const db = env.DB;
  const { nowMs } = via;
  const tokenId = crypto.randomUUID();
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(randomRecoveryCode());
  const hashes = await Promise.all([...codes].map((code) => recoveryCodeHash(env.SESSION_KEY, tokenId, code)));
  const serial = `RECOVERY${Array.from(randomBytes(5), (b) => (b % 100).toString().padStart(2, '0')).join('')}`;
  try {
    await replaceRecoverySet(
      db,
      { tokenId, serial, userId, codeHashes: hashes, nowMs },
      activityOfUserStatement(db, { type: 'RecoveryCodesGenerated', userId, ...via, detail: { tokenId, serial, total: hashes.length }, nowMs }),
    );
  } catch (error) {
    // A batch is one transaction, so of two racing generations the later deletes the earlier's set; the unique
    // index backs that up, and should it refuse, the answer must not show codes that were never stored.
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'Recovery codes were being made at the same time. Try again.');
    throw error;
  }
  return { codes: [...codes].map(groupRecoveryCode), createdAt: nowMs, tokenId };
}

// ---- verification

/** What a recovery code's success tells whoever sends the owner the notice (tokens/service.ts verifyKeysOf). */
export interface RecoveryCodeUse {
  userId: string;
  remaining: number;
  nowMs: number;
}

/**
 * Checks a typed recovery code against the set `token` (its state has been checked: refusalByState) and consumes
 * it. Without `options.countFailure === false` the attempt is claimed on the token (fail counter, lock) by the
 * batch's first statement, and the code is looked at only if that claim changed the row; with it (restore access,
 * behind its own counters; the verify API, which counts afterwards) the token must be usable when the code is
 * consumed, and nothing is counted here.
 */
export async function verifyRecoveryCode(
  db: D1Database,
  keys: VerifyKeys,
  token: TokenRecord,
  input: string,
  nowMs: number,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const counted = options.countFailure !== false;
  const canonical = parseRecoveryCode(input);
  const { claimed, consumed, remaining } = await consumeRecoveryCode(db, {
    tokenId: token.id,
    serial: token.serial,
    ownerUserId: token.owner_user_id,
    codeHash: canonical === null ? null : await recoveryCodeHash(keys.pinKey, token.id, canonical),
    claim: counted ? claimTokenAttemptStatement(db, token.id, nowMs) : null,
    alsoIfConsumed: options.alsoIfConsumed,
    via: { channel: options.via?.channel ?? 'login', ip: options.via?.ip ?? null, client: options.via?.client ?? null },
    nowMs,
  });
  if (!counted && canonical === null) return { ok: false, tokenId: token.id, reason: 'OTP_INVALID' };
  if (counted && !claimed) return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until };
  if (!consumed || remaining === null) {
    // The claim that reached the limit is told it locked the set.
    if (claimed?.locked_until != null) return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: claimed.locked_until };
    return { ok: false, tokenId: token.id, reason: 'OTP_INVALID' };
  }
  if (token.owner_user_id && keys.onRecoveryCodeUsed) {
    // The sign-in stands whatever the mail does: a provider's failure is logged, never answered.
    await keys.onRecoveryCodeUsed({ userId: token.owner_user_id, remaining, nowMs }).catch((error: unknown) =>
      console.warn(`recovery code notice not sent: ${(error as { code?: string }).code ?? (error as Error)?.message ?? 'unknown error'}`),
    );
  }
  return { ok: true, tokenId: token.id, serial: token.serial, matched: { recoveryCode: true, remaining } };
}

/** The owner's email that one of their codes was used and how many remain (nothing when they have no address). */
export async function sendRecoveryCodeUsedEmail(env: MessagingEnv, use: RecoveryCodeUse): Promise<void> {
  const user = await readUserContact(env.DB, use.userId);
  if (!user?.email) return;
  const language = user.language;
  const { subject, text } = renderRecoveryCodeUsedEmail(language, { name: user.firstName || user.login, remaining: use.remaining });
  await sendEmail(env, env.DB, { purpose: 'recovery-code-used', to: user.email, language, userId: use.userId, subject, text, nowMs: use.nowMs });
}

// ---- what the user and the administrator see

export interface RecoveryCodeCounts {
  remaining: number;
  total: number;
  /** When an administrator voided the set, or null. */
  voidedAt: number | null;
}

/** Remaining / total of each of the given RECOVERY_CODES tokens (one read for a whole page of tokens). */
export async function recoveryCodeCountsOf(db: D1Database, tokenIds: string[]): Promise<Map<string, RecoveryCodeCounts>> {
  const counts = new Map<string, RecoveryCodeCounts>();
  if (tokenIds.length === 0) return counts;
  for (const row of await readRecoveryCodeCounts(db, tokenIds)) counts.set(row.tokenId, { remaining: row.remaining, total: row.total, voidedAt: row.voidedAt });
  return counts;
}

/** The user's own set as /profile shows it, or null when they have none. */
export async function recoveryCodesOfUser(db: D1Database, userId: string): Promise<{ remaining: number; total: number; createdAt: number } | null> {
  const row = await readRecoverySetOfUser(db, userId);
  return row ? { remaining: row.remaining ?? 0, total: row.total, createdAt: row.createdAt } : null;
}

/**
 * The administrator's "Void": every code of the set still unused is refused from now on and the set is disabled,
 * in one batch with its activity. The set stays listed (who had one, how many were used) until it is deleted or
 * the user makes a new one.
 */
export async function voidRecoveryCodes(db: D1Database, tokenId: string, via: ActivityVia & { nowMs: number }, audit: Audit): Promise<void> {
  const token = await readTokenViewRow(db, tokenId);
  if (!token) throw new AppError('TOKEN_NOT_FOUND');
  if (token.type !== 'RECOVERY_CODES') throw new AppError('TOKEN_TYPE_MISMATCH', 'Only a recovery code set can be voided.');
  await voidRecoverySet(
    db,
    tokenId,
    via.nowMs,
    audit({ action: 'void_recovery_codes', objectType: 'token', objectId: tokenId, objectName: token.serial, before: { voided: false }, after: { voided: true, enabled: false } }),
    activityOfUserStatement(db, { type: 'RecoveryCodesVoided', userId: token.ownerUserId, ...via, detail: { tokenId, serial: token.serial } }),
  );
}
