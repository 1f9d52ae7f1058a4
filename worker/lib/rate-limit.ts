/**
 * Fixed-window rate limits in the `rate_limits` table, shared by every domain (sign-in, verify API, SMS/email
 * codes). One window starts at the first hit for a key and lasts `windowMs`; the window is not aligned to the
 * clock, so a burst cannot straddle a boundary to get twice the limit in a moment.
 *
 * Each check is ONE upsert statement whose returned count decides: two Worker isolates racing on the same key
 * both go through SQLite's single writer, so exactly `limit` hits per window are allowed, never more.
 */

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
  const row = await consumeRateLimitStatement(db, key, limit, windowMs, nowMs).first<{ count: number; expires_at: number }>();
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
  // The count stops at limit + 1: a client hammering a closed window keeps getting "no" without the counter
  // growing forever, and the window is not extended by refused hits (the wait stays predictable).
  // With a condition the row comes from a SELECT that yields nothing when the condition is false: no insert, no
  // update, no returned row. (SQLite needs the WHERE there to parse INSERT ... SELECT ... ON CONFLICT.)
  const source = onlyIf ? `SELECT ${keySql}, ?2, 1, ?3 WHERE ${onlyIf.condition}` : `VALUES (${keySql}, ?2, 1, ?3)`;
  const statement = db
    .prepare(
      `INSERT INTO rate_limits (key, window_start, count, expires_at) ${source}
       ON CONFLICT(key) DO UPDATE SET
         window_start = CASE WHEN rate_limits.expires_at <= ?2 THEN ?2 ELSE rate_limits.window_start END,
         count = CASE WHEN rate_limits.expires_at <= ?2 THEN 1 ELSE min(rate_limits.count + 1, ?4 + 1) END,
         expires_at = CASE WHEN rate_limits.expires_at <= ?2 THEN ?3 ELSE rate_limits.expires_at END
       RETURNING count, expires_at`,
    );
  return onlyIf ? statement.bind(key, nowMs, nowMs + windowMs, limit, onlyIf.value) : statement.bind(key, nowMs, nowMs + windowMs, limit);
}

/**
 * A hit that must only count when an SQL condition holds at that moment (in the same batch), e.g. "the caller's
 * API key is valid": requests nobody authenticated must not spend a user's attempts. `condition` refers to its one
 * parameter as `?5`.
 */
export interface RateLimitCondition {
  condition: string;
  value: string | number;
}

export function rateLimitResultFromRow(row: { count: number; expires_at: number }, limit: number, nowMs: number): RateLimitResult {
  return toResult(row, limit, nowMs);
}

/**
 * Gives one hit back, for a multi-limit check where a later limit refused: the earlier counters should not be
 * spent on a request that did nothing. Only touches a window that is still open.
 */
export async function refundRateLimit(db: D1Database, key: string, nowMs: number): Promise<void> {
  await db
    .prepare('UPDATE rate_limits SET count = count - 1 WHERE key = ? AND count > 0 AND expires_at > ?')
    .bind(key, nowMs)
    .run();
}

/** How many hits remain in the current window, without consuming one (for display; never to decide). */
export async function peekRateLimit(db: D1Database, key: string, limit: number, nowMs: number): Promise<RateLimitResult> {
  const row = await db
    .prepare('SELECT count, expires_at FROM rate_limits WHERE key = ? AND expires_at > ?')
    .bind(key, nowMs)
    .first<{ count: number; expires_at: number }>();
  if (!row) return { allowed: limit > 0, retryAfterMs: 0, count: 0 };
  return { allowed: row.count < limit, retryAfterMs: row.count < limit ? 0 : row.expires_at - nowMs, count: row.count };
}

function toResult(row: { count: number; expires_at: number }, limit: number, nowMs: number): RateLimitResult {
  const allowed = row.count <= limit;
  return { allowed, retryAfterMs: allowed ? 0 : Math.max(0, row.expires_at - nowMs), count: row.count };
}
