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
import type { ActivityInput } from '../activities/record';
import { RECOVERY_CODE_COUNT } from '../constants';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hmacSha256Hex, randomBytes } from '../lib/crypto';
import { isUniqueViolation } from '../lib/d1-errors';
import { deriveKey } from '../lib/keys';
import { sendEmail, type MessagingEnv } from '../messaging/service';
import { renderRecoveryCodeUsedEmail } from '../messaging/templates';
import {
  claimTokenAttemptStatement,
  CONSUMED_BY_PREVIOUS_STATEMENT,
  type TokenRecord,
  type VerifyKeys,
  type VerifyOptions,
  type VerifyResult,
} from '../otp/verify-service';
import { groupRecoveryCode, parseRecoveryCode, RECOVERY_CODE_ALPHABET, RECOVERY_CODE_LENGTH } from './recovery-code-format';

/** Who did it and through which door: the activity row's channel, IP and client. */
export type ActivityVia = Pick<ActivityInput, 'channel' | 'ip' | 'client'>;

/** Unused and not voided: the condition of a code that can still be accepted (columns of recovery_codes). */
const USABLE_CODE_SQL = 'used_at IS NULL AND voided_at IS NULL';

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
  const oldSets = `SELECT id FROM tokens WHERE owner_user_id = ? AND type = 'RECOVERY_CODES'`;
  try {
    await db.batch([
      // An assignment naming the old set falls back to plain "user" (the CHECK forbids a dangling kind).
      db.prepare(`UPDATE assignments SET kind = 'user', token_id = NULL WHERE token_id IN (${oldSets})`).bind(userId),
      db.prepare(`DELETE FROM tokens WHERE id IN (${oldSets})`).bind(userId),
      db
        .prepare(
          `INSERT INTO tokens (id, serial, type, kind, description, enabled, activated, owner_user_id, created_at)
           VALUES (?, ?, 'RECOVERY_CODES', 'software', '', 1, 1, ?, ?)`,
        )
        .bind(tokenId, serial, userId, nowMs),
      db.prepare(`INSERT INTO recovery_codes (token_id, code_hash) VALUES ${hashes.map(() => '(?, ?)').join(', ')}`).bind(...hashes.flatMap((hash) => [tokenId, hash])),
      activityInsert(db, 'RecoveryCodesGenerated', userId, via, { tokenId, serial, total: hashes.length }, nowMs),
    ]);
  } catch (error) {
    // A batch is one transaction, so of two racing generations the later deletes the earlier's set; the unique
    // index backs that up, and should it refuse, the answer must not show codes that were never stored.
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'Recovery codes were being made at the same time. Try again.');
    throw error;
  }
  return { codes: [...codes].map(groupRecoveryCode), createdAt: nowMs, tokenId };
}

function activityInsert(
  db: D1Database,
  type: 'RecoveryCodesGenerated' | 'RecoveryCodesVoided',
  userId: string | null,
  via: ActivityVia,
  detail: Record<string, unknown>,
  nowMs: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at)
       SELECT ?1, ?2, (SELECT login FROM users WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8`,
    )
    .bind(crypto.randomUUID(), userId, type, via.channel, via.ip ?? null, via.client ?? null, JSON.stringify(detail), nowMs);
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
  const statements: D1PreparedStatement[] = [];
  if (counted) statements.push(claimTokenAttemptStatement(db, token.id, nowMs));
  if (canonical !== null) {
    const hash = await recoveryCodeHash(keys.pinKey, token.id, canonical);
    const tokenUsable = counted
      ? CONSUMED_BY_PREVIOUS_STATEMENT // the claim changed the row: enabled and not locked before it
      : 'EXISTS (SELECT 1 FROM tokens WHERE id = ?2 AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ?1))';
    const remainingSql = `(SELECT count(*) FROM recovery_codes WHERE token_id = ?2 AND ${USABLE_CODE_SQL})`;
    statements.push(
      // The deciding statement: of concurrent uses of one code, exactly one changes its row.
      db.prepare(`UPDATE recovery_codes SET used_at = ?1 WHERE token_id = ?2 AND code_hash = ?3 AND ${USABLE_CODE_SQL} AND ${tokenUsable}`).bind(nowMs, token.id, hash),
      // Success clears the fail counter (and the lock the claim may just have set), and the last code spends the set.
      db
        .prepare(
          `UPDATE tokens SET fail_count = 0, locked_until = NULL, last_used_at = ?1, enabled = CASE WHEN ${remainingSql} > 0 THEN enabled ELSE 0 END
           WHERE id = ?2 AND ${CONSUMED_BY_PREVIOUS_STATEMENT}`,
        )
        .bind(nowMs, token.id),
      db
        .prepare(
          `INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at)
           SELECT ?3, ?4, (SELECT login FROM users WHERE id = ?4), 'RecoveryCodeUsed', ?5, ?6, ?7,
                  json_object('tokenId', ?2, 'serial', ?8, 'remaining', ${remainingSql}), ?1
           WHERE ${CONSUMED_BY_PREVIOUS_STATEMENT}`,
        )
        .bind(nowMs, token.id, crypto.randomUUID(), token.owner_user_id, options.via?.channel ?? 'login', options.via?.ip ?? null, options.via?.client ?? null, token.serial),
    );
    // Written exactly when the activity above was, i.e. when this request consumed the code.
    if (options.alsoIfConsumed) statements.push(options.alsoIfConsumed);
    statements.push(db.prepare(`SELECT ${remainingSql} AS remaining`).bind(nowMs, token.id));
  }
  if (statements.length === 0) return { ok: false, tokenId: token.id, reason: 'OTP_INVALID' };

  const results = await db.batch(statements);
  const claim = counted ? (results[0]!.results[0] as { locked_until: number | null } | undefined) : undefined;
  if (counted && !claim) return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until };
  const consumed = canonical !== null && results[counted ? 1 : 0]!.meta.changes === 1;
  if (!consumed) {
    // The claim that reached the limit is told it locked the set.
    if (claim?.locked_until != null) return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: claim.locked_until };
    return { ok: false, tokenId: token.id, reason: 'OTP_INVALID' };
  }
  const remaining = (results.at(-1)!.results[0] as { remaining: number }).remaining;
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
  const user = await env.DB.prepare('SELECT login, first_name, email, language FROM users WHERE id = ?')
    .bind(use.userId)
    .first<{ login: string; first_name: string; email: string | null; language: 'de' | 'en' | null }>();
  if (!user?.email) return;
  const language = user.language === 'de' ? 'de' : 'en';
  const { subject, text } = renderRecoveryCodeUsedEmail(language, { name: user.first_name || user.login, remaining: use.remaining });
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
  const { results } = await db
    .prepare(
      `SELECT token_id, sum(${USABLE_CODE_SQL}) AS remaining, count(*) AS total, max(voided_at) AS voided_at
       FROM recovery_codes WHERE token_id IN (SELECT value FROM json_each(?)) GROUP BY token_id`,
    )
    .bind(JSON.stringify(tokenIds))
    .all<{ token_id: string; remaining: number; total: number; voided_at: number | null }>();
  for (const row of results) counts.set(row.token_id, { remaining: row.remaining, total: row.total, voidedAt: row.voided_at });
  return counts;
}

/** The user's own set as /profile shows it, or null when they have none. */
export async function recoveryCodesOfUser(db: D1Database, userId: string): Promise<{ remaining: number; total: number; createdAt: number } | null> {
  const row = await db
    .prepare(
      `SELECT t.created_at, sum(c.used_at IS NULL AND c.voided_at IS NULL) AS remaining, count(c.code_hash) AS total
       FROM tokens t LEFT JOIN recovery_codes c ON c.token_id = t.id
       WHERE t.owner_user_id = ? AND t.type = 'RECOVERY_CODES' GROUP BY t.id`,
    )
    .bind(userId)
    .first<{ created_at: number; remaining: number | null; total: number }>();
  return row ? { remaining: row.remaining ?? 0, total: row.total, createdAt: row.created_at } : null;
}

/**
 * The administrator's "Void": every code of the set still unused is refused from now on and the set is disabled,
 * in one batch with its activity. The set stays listed (who had one, how many were used) until it is deleted or
 * the user makes a new one.
 */
export async function voidRecoveryCodes(db: D1Database, tokenId: string, via: ActivityVia & { nowMs: number }, audit: Audit): Promise<void> {
  const token = await db.prepare('SELECT type, serial, owner_user_id FROM tokens WHERE id = ?').bind(tokenId).first<{ type: string; serial: string; owner_user_id: string | null }>();
  if (!token) throw new AppError('TOKEN_NOT_FOUND');
  if (token.type !== 'RECOVERY_CODES') throw new AppError('TOKEN_TYPE_MISMATCH', 'Only a recovery code set can be voided.');
  await db.batch([
    db.prepare(`UPDATE recovery_codes SET voided_at = ?1 WHERE token_id = ?2 AND ${USABLE_CODE_SQL}`).bind(via.nowMs, tokenId),
    db.prepare('UPDATE tokens SET enabled = 0 WHERE id = ?').bind(tokenId),
    audit({ action: 'void_recovery_codes', objectType: 'token', objectId: tokenId, objectName: token.serial, before: { voided: false }, after: { voided: true, enabled: false } }),
    activityInsert(db, 'RecoveryCodesVoided', token.owner_user_id, via, { tokenId, serial: token.serial }, via.nowMs),
  ]);
}
