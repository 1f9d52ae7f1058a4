/**
 * The integration API behind VPNs, RADIUS bridges and apps: "is this OTP right for this user on this resource?"
 * Which tokens count: with a "token with user" assignment exactly that token; with a plain "user" assignment any
 * of the user's own enabled, activated tokens.
 */
import { VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS } from '../constants';
import { activityStatement } from '../activities/record';
import type { Env } from '../env';
import { consumeRateLimitStatement, rateLimitResultFromRow } from '../lib/rate-limit';
import { TOKEN_RECORD_COLUMNS, verifyTokenOtp, type TokenRecord, type VerifyFailureReason } from '../otp/verify-service';
import { verifyKeysOf } from '../tokens/service';

export type VerifyRejection =
  | VerifyFailureReason
  | 'USER_UNKNOWN'
  | 'USER_DISABLED'
  | 'RESOURCE_UNKNOWN'
  | 'NOT_ASSIGNED'
  | 'NO_TOKEN'
  | 'RATE_LIMITED';

export type VerifyApiResult =
  | { accepted: true; serial: string; userId: string }
  | { accepted: false; reason: VerifyRejection; lockedUntil?: number | null; retryAfterMs?: number };

export interface VerifyRequest {
  login: string;
  resource: string;
  otp: string;
  challenge?: string;
  ip: string | null;
  client: string | null;
}

export async function verifyForResource(env: Env, request: VerifyRequest, nowMs: number): Promise<VerifyApiResult> {
  const result = await decide(env, request, nowMs);
  const userId = result.accepted ? result.userId : await userIdOf(env.DB, request.login);
  await activityStatement(env.DB, {
    type: result.accepted ? 'UserLogin' : 'UserLoginAttempt',
    userId,
    login: request.login,
    channel: 'api',
    ip: request.ip,
    client: request.client,
    detail: result.accepted ? { resource: request.resource, serial: result.serial } : { resource: request.resource, reason: result.reason },
    nowMs,
  }).run();
  return result;
}

async function decide(env: Env, request: VerifyRequest, nowMs: number): Promise<VerifyApiResult> {
  const db = env.DB;
  // Everything the decision reads, and the rate limit hit, in ONE round trip to D1: this endpoint sits in front of
  // VPN and RADIUS logins, and each sequential D1 call costs far more than the HMAC work.
  const resourceId = 'SELECT id FROM resources WHERE id = ?1 OR lower(name) = lower(?1) LIMIT 1';
  const userId = 'SELECT id FROM users WHERE lower(login) = lower(?2)';
  const [limitRows, resourceRows, userRows, assignmentRows, tokenRows] = await db.batch([
    consumeRateLimitStatement(db, `verify:${request.login.toLowerCase()}:${request.resource.toLowerCase()}`, VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS, nowMs),
    db.prepare(resourceId).bind(request.resource),
    db.prepare('SELECT id, enabled FROM users WHERE lower(login) = lower(?1)').bind(request.login),
    db.prepare(`SELECT kind, token_id FROM assignments WHERE resource_id = (${resourceId}) AND user_id = (${userId})`).bind(request.resource, request.login),
    // With a "token with user" assignment exactly that token; with a plain "user" assignment the user's own
    // activated OTP tokens.
    db
      .prepare(
        `SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE
           id = (SELECT token_id FROM assignments WHERE kind = 'token_with_user' AND resource_id = (${resourceId}) AND user_id = (${userId}))
           OR (owner_user_id = (${userId}) AND type IN ('TOTP', 'HOTP', 'OCRA') AND activated = 1
               AND EXISTS (SELECT 1 FROM assignments WHERE kind = 'user' AND resource_id = (${resourceId}) AND user_id = (${userId})))
         ORDER BY created_at`,
      )
      .bind(request.resource, request.login),
  ]);
  const limit = rateLimitResultFromRow(limitRows!.results[0] as { count: number; expires_at: number }, VERIFY_ATTEMPTS_PER_USER, nowMs);
  if (!limit.allowed) return { accepted: false, reason: 'RATE_LIMITED', retryAfterMs: limit.retryAfterMs };
  if (resourceRows!.results.length === 0) return { accepted: false, reason: 'RESOURCE_UNKNOWN' };
  const user = userRows!.results[0] as { id: string; enabled: number } | undefined;
  if (!user) return { accepted: false, reason: 'USER_UNKNOWN' };
  if (!user.enabled) return { accepted: false, reason: 'USER_DISABLED' };
  if (assignmentRows!.results.length === 0) return { accepted: false, reason: 'NOT_ASSIGNED' };
  const tokens = tokenRows!.results as unknown as TokenRecord[];
  if (tokens.length === 0) return { accepted: false, reason: 'NO_TOKEN' };

  let lastFailure: VerifyApiResult = { accepted: false, reason: 'OTP_INVALID' };
  for (const token of tokens) {
    const verdict = await verifyTokenOtp(db, verifyKeysOf(env), token, request.otp, nowMs, { challenge: request.challenge });
    if (verdict.ok) return { accepted: true, serial: verdict.serial, userId: user.id };
    // With one token its own reason is the answer; with several, "locked"/"disabled" of one must not hide the others.
    if (tokens.length === 1 || verdict.reason === 'OTP_REPLAYED') {
      lastFailure = { accepted: false, reason: verdict.reason, lockedUntil: verdict.lockedUntil };
    }
  }
  return lastFailure;
}

async function userIdOf(db: D1Database, login: string): Promise<string | null> {
  const row = await db.prepare('SELECT id FROM users WHERE lower(login) = lower(?)').bind(login).first<{ id: string }>();
  return row?.id ?? null;
}
