/**
 * The verify API's warm path: a TOTP/HOTP success in ONE D1 statement when this isolate holds a copy of the records
 * a verify reads (user, resource, assignment, tokens), made by an earlier verify's read batch.
 *
 * The copy decides nothing on its own. The code is matched against the copied token in memory, and the one
 * statement that consumes it is conditional on the rows still being what the copy says: every token column the
 * match was computed from (WARM_CHECKED_TOKEN_COLUMNS: seed, PIN, owner, type, enabled, activated...), the user
 * enabled under the same identity key, the resource under the same name or id, the assignment of the same kind
 * with the same token, the API key usable for verify right now, and the verify rate limit not spent; the token's
 * counter/step and lock are checked on the row as on the cold path. The rate-limit hit and the UserLogin row are
 * written by that statement's trigger (migration 0013), so they exist exactly when the code was consumed. The
 * copy's values are its version of each row, compared on the row itself rather than through a counter that every
 * writer would have to move: no admin route, portal action, profile page or import can forget to. So a revoked
 * key, a disabled or reassigned token, a removed assignment or a PIN change refuses on the very next request,
 * however warm the isolate. A refused consume drops the copy and the request is decided afresh by the cold path
 * (service.ts), which also answers every failure, and claims that request's attempt as for any other: the warm
 * path writes nothing unless the code matched and the consume won, and never counts a failure.
 *
 * (A trigger-moved version column cannot be used: D1 counts a trigger's writes in `meta.changes`, which the
 * single-use checks of the cold path read as "exactly one row changed". The warm consume reads its RETURNING row.)
 */
import { API_KEY_LAST_USED_RESOLUTION_MS, VERIFY_ATTEMPTS_PER_USER, VERIFY_WARM_COPIES_MAX, VERIFY_WARM_COPY_TTL_MS, VERIFY_WINDOW_MS } from '../constants';
import { touchApiKeyStatement, validApiKeyCondition } from '../auth/api-keys';
import type { ActivityInput } from '../activities/repo';
import type { RateLimitHitRow } from '../lib/repo';
import type { Env } from '../env';
import { consumeRateLimitStatement, rateLimitHitAllowedCondition } from '../lib/rate-limit';
import { consumeCounterOrStepStatement } from '../tokens/repo';
import { findOtpMatch, hmacKeyOf, type TokenRecord, type VerifyResult } from '../tokens/verification';
import { tokensForTypedCode } from '../tokens/accepted-tokens';
import { parseRecoveryCode } from '../tokens/recovery-code-format';
import { upgradeLegacyPinHash } from '../tokens/secrets';
import { verifyKeysOf } from '../tokens/service';
import { verifyStateMode } from '../verify-state/client';
import { verifyWarmInObject } from '../verify-state/warm';
import type { VerifyApiResult } from './service';

/** What one verify's read batch found for a (login, resource): the consume insists the rows still say so. */
export interface WarmCopy {
  userId: string;
  resourceId: string;
  assignment: { id: string; kind: 'user' | 'token_with_user'; token_id: string | null };
  /** Every token the resource's verification answers for, as read (tokens/accepted-tokens.ts). */
  tokens: TokenRecord[];
  usedAtMs: number;
  /**
   * Per token id, its HMAC key opened from the copy's `secret_encrypted` (otp hmacKeyOf), made at its first warm
   * match. A re-seeded token refuses the consume (secret_encrypted is compared) and the copy goes with its keys.
   */
  hmacKeys?: Map<string, Promise<CryptoKey>>;
}

/**
 * The token columns a warm consume requires unchanged from the copy: everything the match and the answer were
 * computed from. The others of TokenRecord are the verification state, checked on the row by the consume itself
 * (counter and last_used_step: the code is still ahead; locked_until and fail_count: the lock), except that the
 * counter may not have been set back below the copy's (the copy's look-ahead window would reach past the row's).
 */
export const WARM_CHECKED_TOKEN_COLUMNS = [
  'serial',
  'type',
  'algorithm',
  'digits',
  'period_seconds',
  'ocra_suite',
  'secret_encrypted',
  'pin_hash',
  'pin_position',
  'drift_steps',
  'enabled',
  'activated',
  'owner_user_id',
  'destination',
] as const satisfies readonly (keyof TokenRecord)[];

/**
 * What a warm consume requires beyond the code (its placeholders, in order: the WARM_CHECKED_TOKEN_COLUMNS, the
 * copy's counter, the user, the resource, the assignment, the API key hash and the clock, the rate limit's key,
 * clock and limit). The rate limit has the same key as the cold path's (service.ts VERIFY_RATE_LIMIT_KEY_SQL
 * resolves to exactly these ids); the trigger counts the hit, so a hit is allowed exactly when the consume may win.
 * One text for every request, so D1's SQLite parses and plans it once.
 */
const WARM_CONSUME_CONDITION = `${WARM_CHECKED_TOKEN_COLUMNS.map((column) => `tokens.${column} IS ?`).join(' AND ')} AND tokens.counter >= ?
  AND EXISTS (SELECT 1 FROM users WHERE users.id = ? AND users.login_key = ? AND users.enabled = 1)
  AND EXISTS (SELECT 1 FROM resources WHERE resources.id = ? AND (resources.id = ? OR lower(resources.name) = lower(?)))
  AND EXISTS (SELECT 1 FROM assignments WHERE assignments.id = ? AND assignments.resource_id = ? AND assignments.user_id = ?
              AND assignments.kind = ? AND assignments.token_id IS ?)
  AND ${validApiKeyCondition('?', '?', 'verify')}
  AND ${rateLimitHitAllowedCondition('?', '?', '?')}`;

type Matched = Extract<VerifyResult, { ok: true }>['matched'];

/** Per isolate, the least recently used first (a Map iterates in insertion order). */
const copies = new Map<string, WarmCopy>();

/** Per API key hash, when this isolate last put its last-use write into a batch. */
const touchedAtMs = new Map<string, number>();

/**
 * Whether a batch of this isolate should carry the key's last-use write (touchApiKeyStatement, which itself writes
 * at most once per API_KEY_LAST_USED_RESOLUTION_MS): true when this isolate has not sent one within that time, and
 * then it counts as sent. The cold path's read batch always carries it.
 */
export function apiKeyTouchDue(apiKeyHash: string, nowMs: number): boolean {
  const last = touchedAtMs.get(apiKeyHash);
  if (last !== undefined && nowMs - last < API_KEY_LAST_USED_RESOLUTION_MS && nowMs >= last) return false;
  if (touchedAtMs.size >= VERIFY_WARM_COPIES_MAX) touchedAtMs.clear();
  touchedAtMs.set(apiKeyHash, nowMs);
  return true;
}

/** The copy's key: the login's identity key and the resource exactly as the caller spells it. */
export const warmCopyKey = (loginKey: string, resource: string) => JSON.stringify([loginKey, resource]);

export function keepWarmCopy(key: string, copy: WarmCopy): void {
  copies.delete(key);
  if (copies.size >= VERIFY_WARM_COPIES_MAX) copies.delete(copies.keys().next().value!);
  copies.set(key, copy);
}

/** After a consume this isolate saw succeed: the copy moves past the code too, so its next code matches here. */
export function warmCopyConsumed(key: string, tokenId: string, matched: Matched, nowMs: number): void {
  const copy = copies.get(key);
  const token = copy?.tokens.find((candidate) => candidate.id === tokenId);
  if (!copy || !token) return;
  if ('counter' in matched) token.counter = matched.counter + 1;
  if ('step' in matched) {
    token.last_used_step = matched.step;
    token.drift_steps = matched.driftSteps;
  }
  token.fail_count = 0;
  token.locked_until = null;
  copy.usedAtMs = nowMs;
  keepWarmCopy(key, copy);
}

/**
 * Refused: decide afresh. The cold path claims this request's attempt unless `claimedLimit` is the hit the warm path
 * claimed already (a code the copy did not match). Answered (object mode only, verify-state/warm.ts): the
 * attempt was claimed and the object refused the code; the caller logs the attempt and answers.
 */
export type WarmOutcome =
  | { kind: 'accepted'; serial: string; userId: string; matched?: Matched }
  | { kind: 'refused'; claimedLimit?: RateLimitHitRow }
  | { kind: 'answered'; userId: string; result: Extract<VerifyApiResult, { accepted: false }> };

/**
 * What the trigger tokens_warm_success (migration 0013) writes beside a warm consume, as tokens.warm_success: the
 * verify rate-limit hit (rateLimitHitStatement's window rule) and the activity row, under user_activities' column
 * names (activities/repo.ts activityStatement binds the same values).
 */
function warmSuccessWrites(limit: { key: string; nowMs: number }, activity: ActivityInput): string {
  return JSON.stringify({
    limit: { key: limit.key, now: limit.nowMs, expiresAt: limit.nowMs + VERIFY_WINDOW_MS },
    activity: {
      id: crypto.randomUUID(),
      user_id: activity.userId,
      login: activity.login ?? null,
      type: activity.type,
      channel: activity.channel,
      ip: activity.ip ?? null,
      client: activity.client ?? null,
      detail: JSON.stringify(activity.detail ?? {}),
      at: activity.nowMs,
    },
  });
}

/**
 * Tries the warm path; null when it does not apply (no copy, not a TOTP/HOTP code): then nothing was written and
 * the cold path decides. `successActivity` is the UserLogin row the consume's trigger writes.
 */
export async function verifyWarm(
  env: Env,
  request: { apiKeyHash: string; resource: string; otp: string },
  loginKey: string | null,
  nowMs: number,
  successActivity: (serial: string, userId: string) => ActivityInput,
): Promise<WarmOutcome | null> {
  if (loginKey === null) return null;
  const key = warmCopyKey(loginKey, request.resource);
  const copy = copies.get(key);
  if (!copy) return null;
  if (nowMs - copy.usedAtMs > VERIFY_WARM_COPY_TTL_MS) {
    copies.delete(key);
    return null;
  }
  const input = request.otp.trim();
  // Recovery codes, message tokens, OCRA and passkeys take the cold path (a recovery code set the copy does not
  // know of yet would be missed here, so a recovery-shaped input never comes in).
  if (input === '' || parseRecoveryCode(input) !== null) return null;
  const candidates = tokensForTypedCode(copy.tokens, input);
  if (candidates.length === 0 || !candidates.every((token) => token.type === 'TOTP' || token.type === 'HOTP')) return null;
  // With the hot state in the users' objects the consume is theirs: D1 checks the copy while claiming the attempt,
  // the object decides the code (verify-state/warm.ts). Several candidates take the cold path, which counts their
  // failures only after checking them all.
  if (verifyStateMode(env) === 'durable-object') {
    if (candidates.length !== 1) return null;
    const token = candidates[0]!;
    const outcome = await verifyWarmInObject(env, request, loginKey, copy, token, input, nowMs, apiKeyTouchDue(request.apiKeyHash, nowMs), successActivity(token.serial, copy.userId));
    if (outcome.kind === 'accepted' && outcome.matched) warmCopyConsumed(key, token.id, outcome.matched, nowMs);
    if (outcome.kind === 'refused') copies.delete(key);
    return outcome;
  }

  const keys = verifyKeysOf(env);
  copy.hmacKeys ??= new Map();
  for (const token of candidates) {
    let hmacKey = copy.hmacKeys.get(token.id);
    if (!hmacKey && token.secret_encrypted) {
      hmacKey = hmacKeyOf(keys, token, token.secret_encrypted);
      // A seed that does not open is the cold path's to report, every time: nothing failed is kept.
      hmacKey.catch(() => copy.hmacKeys?.delete(token.id));
      copy.hmacKeys.set(token.id, hmacKey);
    }
    const found = await findOtpMatch(keys, token, input, nowMs, hmacKey);
    if (!found) continue;
    const db = env.DB;
    const limitKey = `verify:${copy.userId}:${copy.resourceId}`;
    // The last-use write is at most once a minute per key anyway (its own condition): this isolate leaves it out
    // when it made it within that minute, so the success is one statement.
    const touch = apiKeyTouchDue(request.apiKeyHash, nowMs) ? [touchApiKeyStatement(db, request.apiKeyHash, nowMs)] : [];
    const consumeStatement = consumeCounterOrStepStatement(
      db,
      token.id,
      found.match,
      nowMs,
      {
        sql: WARM_CONSUME_CONDITION,
        values: [
          ...WARM_CHECKED_TOKEN_COLUMNS.map((column) => token[column]),
          token.counter,
          copy.userId,
          loginKey,
          copy.resourceId,
          request.resource,
          request.resource,
          copy.assignment.id,
          copy.resourceId,
          copy.userId,
          copy.assignment.kind,
          copy.assignment.token_id,
          request.apiKeyHash,
          nowMs,
          limitKey,
          nowMs,
          VERIFY_ATTEMPTS_PER_USER,
        ],
      },
      warmSuccessWrites({ key: limitKey, nowMs }, successActivity(token.serial, copy.userId)),
    );
    const [consume] = touch.length === 0 ? [await consumeStatement.all()] : await db.batch([consumeStatement, ...touch]);
    if (consume!.results.length === 1) {
      await upgradeLegacyPinHash(db, keys.pinKey, token.id, found.pin, token.pin_hash);
      warmCopyConsumed(key, token.id, found.matched, nowMs);
      return { kind: 'accepted', serial: token.serial, userId: copy.userId };
    }
    copies.delete(key);
    return { kind: 'refused' };
  }
  // No candidate matched here, so as far as the copy knows the code is wrong. Its attempt is claimed now, in a
  // statement of its own, before the cold path looks at anything: the one round trip a matched code's consume takes.
  // Without it, once the limit was spent, a code the copy matched (a refused consume, then the cold read) took one
  // D1 round trip more than a wrong one (the cold read alone) before both were answered RATE_LIMITED: a timing
  // oracle telling right codes from wrong ones past the limit. Counted only for a usable key, as the cold path's hit.
  // The cold path judges the limit by this hit's own row (a later read would count the hits of requests in flight).
  const claimedLimit = await consumeRateLimitStatement(env.DB, `verify:${copy.userId}:${copy.resourceId}`, VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS, nowMs, {
    condition: validApiKeyCondition('?5', '?2', 'verify'),
    value: request.apiKeyHash,
  }).first<RateLimitHitRow>();
  return claimedLimit ? { kind: 'refused', claimedLimit } : { kind: 'refused' };
}
