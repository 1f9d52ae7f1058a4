/**
 * Fixed-window rate limits in the `rate_limits` table, shared by every domain (sign-in, verify API, SMS/email
 * codes). One window starts at the first hit for a key and lasts `windowMs`; the window is not aligned to the
 * clock, so a burst cannot straddle a boundary to get twice the limit in a moment.
 *
 * Each check is ONE upsert statement whose returned count decides: two Worker isolates racing on the same key
 * both go through SQLite's single writer, so exactly `limit` hits per window are allowed, never more.
 */
import { findOpenRateLimit, rateLimitHitStatement, refundRateLimitHit, type RateLimitCondition, type RateLimitHitRow } from './repo';

export type { RateLimitCondition } from './repo';

export interface RateLimitResult {
  allowed: boolean;
  /** 0 when allowed; otherwise how long until the window ends. */
  retryAfterMs: number;
  /** Hits counted in the current window, including this one (capped at limit + 1). */
  count: number;
}

export async function consumeRateLimit(
  db: D1Database,
  key: string,
  limit: number,
  windowMs: number,
  nowMs: number,
): Promise<RateLimitResult> {
  const row = await consumeRateLimitStatement(db, key, limit, windowMs, nowMs).first<RateLimitHitRow>();
  if (!row) throw new Error('rate limit upsert returned no row');
  return toResult(row, limit, nowMs);
}

/**
 * The statement behind `consumeRateLimit`, for callers that want it inside a `batch()`; read the result with
 * `rateLimitResultFromRow`. With `onlyIf`, a false condition counts nothing and returns no row. With `keySql`, the
 * key is that SQL expression over `?1` (then `key` is its input), computed in the statement: a batch can key a
 * limit by what the database resolves, e.g. a user's id rather than the spelling of their login.
 */
export function consumeRateLimitStatement(
  db: D1Database,
  key: string,
  limit: number,
  windowMs: number,
  nowMs: number,
  onlyIf?: RateLimitCondition,
  keySql = '?1',
): D1PreparedStatement {
  if (!Number.isInteger(limit) || limit < 0) throw new Error('rate limit must be a non-negative integer');
  if (!(windowMs > 0)) throw new Error('rate limit window must be positive');
  return rateLimitHitStatement(db, { key, limit, windowMs, nowMs, onlyIf, keySql });
}

/**
 * SQL that is true while one more hit on the key would be allowed by rateLimitHitStatement's rule, counting
 * nothing: no open window, or one with hits to spare. For a statement whose trigger counts the hit only if the
 * statement wins (the verify API's warm consume, migration 0013). The arguments are SQL: key, clock, limit.
 */
export function rateLimitHitAllowedCondition(key: string, nowMs: string, limit: string): string {
  return `NOT EXISTS (SELECT 1 FROM rate_limits WHERE rate_limits.key = ${key} AND rate_limits.expires_at > ${nowMs} AND rate_limits.count >= ${limit})`;
}

export function rateLimitResultFromRow(row: RateLimitHitRow, limit: number, nowMs: number): RateLimitResult {
  return toResult(row, limit, nowMs);
}

/**
 * Gives one hit back, for a multi-limit check where a later limit refused: the earlier counters should not be
 * spent on a request that did nothing. Only touches a window that is still open.
 */
export async function refundRateLimit(db: D1Database, key: string, nowMs: number): Promise<void> {
  await refundRateLimitHit(db, key, nowMs);
}

/** How many hits remain in the current window, without consuming one (for display; never to decide). */
export async function peekRateLimit(db: D1Database, key: string, limit: number, nowMs: number): Promise<RateLimitResult> {
  const row = await findOpenRateLimit(db, key, nowMs);
  if (!row) return { allowed: limit > 0, retryAfterMs: 0, count: 0 };
  return { allowed: row.count < limit, retryAfterMs: row.count < limit ? 0 : row.expiresAt - nowMs, count: row.count };
}

function toResult(row: RateLimitHitRow, limit: number, nowMs: number): RateLimitResult {
  const allowed = row.count <= limit;
  return { allowed, retryAfterMs: allowed ? 0 : Math.max(0, row.expires_at - nowMs), count: row.count };
}
