/**
 * The statements of the cross-domain tools in lib/: the `rate_limits` counters (rate-limit.ts) and the identity
 * keys of `users` (identity.ts). The counting upsert stays SQL: its condition is what makes a limit exact.
 */
import { and, eq, gt, isNotNull, isNull, ne, or, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { rateLimits, users } from '../db/schema';
import type { StoredRow } from '../db/stored-row';

// ---------------------------------------------------------------- rate_limits

export type RateLimitRow = Pick<typeof rateLimits.$inferSelect, 'count' | 'expiresAt'>;
/** What `rateLimitHitStatement` returns (its RETURNING), under the column names: verify paths read it from their own batches. */
export type RateLimitHitRow = Pick<StoredRow<typeof rateLimits>, 'count' | 'expires_at'>;

/**
 * A condition the hit is counted under, in the statement itself (the caller's SQL, its one parameter `?5`): false
 * counts nothing and returns no row.
 */
export interface RateLimitCondition {
  condition: string;
  value: string | number;
}

/**
 * One hit on `key`, counted by ONE upsert whose returned row decides: isolates racing on a key all go through
 * SQLite's single writer, so exactly `limit` hits per window are allowed. The count stops at limit + 1 (a client
 * hammering a closed window does not grow it) and refused hits do not extend the window. With `keySql` the key is
 * that SQL expression over `?1`.
 */
export function rateLimitHitStatement(
  d1: D1Database,
  hit: { key: string; limit: number; windowMs: number; nowMs: number; onlyIf?: RateLimitCondition; keySql: string },
): D1PreparedStatement {
  // With a condition the row comes from a SELECT that yields nothing when the condition is false: no insert, no
  // update, no returned row. (SQLite needs the WHERE there to parse INSERT ... SELECT ... ON CONFLICT.)
  const source = hit.onlyIf ? `SELECT ${hit.keySql}, ?2, 1, ?3 WHERE ${hit.onlyIf.condition}` : `VALUES (${hit.keySql}, ?2, 1, ?3)`;
  const statement = d1.prepare(
    `INSERT INTO rate_limits (key, window_start, count, expires_at) ${source}
     ON CONFLICT(key) DO UPDATE SET
       window_start = CASE WHEN rate_limits.expires_at <= ?2 THEN ?2 ELSE rate_limits.window_start END,
       count = CASE WHEN rate_limits.expires_at <= ?2 THEN 1 ELSE min(rate_limits.count + 1, ?4 + 1) END,
       expires_at = CASE WHEN rate_limits.expires_at <= ?2 THEN ?3 ELSE rate_limits.expires_at END
     RETURNING count, expires_at`,
  );
  const bound = [hit.key, hit.nowMs, hit.nowMs + hit.windowMs, hit.limit];
  return hit.onlyIf ? statement.bind(...bound, hit.onlyIf.value) : statement.bind(...bound);
}

/** Gives one hit back, only to a window still open and above zero. */
export async function refundRateLimitHit(d1: D1Database, key: string, nowMs: number): Promise<void> {
  await createDb(d1)
    .update(rateLimits)
    .set({ count: sql`${rateLimits.count} - 1` })
    .where(and(eq(rateLimits.key, key), gt(rateLimits.count, 0), gt(rateLimits.expiresAt, nowMs)));
}

/** The open window of `key`, if any. */
export async function findOpenRateLimit(d1: D1Database, key: string, nowMs: number): Promise<RateLimitRow | null> {
  const [row] = await createDb(d1)
    .select({ count: rateLimits.count, expiresAt: rateLimits.expiresAt })
    .from(rateLimits)
    .where(and(eq(rateLimits.key, key), gt(rateLimits.expiresAt, nowMs)));
  return row ?? null;
}

export function deleteRateLimitStatement(d1: D1Database, key: string): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).delete(rateLimits).where(eq(rateLimits.key, key)));
}

// ---------------------------------------------------------------- identity keys of users

/** Up to 100 users whose login key, or email key beside an email, the triggers left NULL (a partial index holds them). */
export async function usersMissingIdentityKeys(d1: D1Database) {
  return createDb(d1)
    .select({ id: users.id, login: users.login, email: users.email, loginKey: users.loginKey, emailKey: users.emailKey })
    .from(users)
    .where(or(isNull(users.loginKey), and(isNotNull(users.email), isNull(users.emailKey))))
    .limit(100);
}

/**
 * Writes the keys of each row in one batch, only where login and email are still what the keys were computed from.
 * OR IGNORE: a legacy login colliding under the key is left unkeyed (no change) rather than failing every sign-in.
 * Answers, per row, whether it was keyed.
 */
export async function writeIdentityKeys(
  d1: D1Database,
  rows: ReadonlyArray<Pick<typeof users.$inferSelect, 'id' | 'login' | 'email' | 'emailKey'> & { loginKey: string }>,
): Promise<boolean[]> {
  if (rows.length === 0) return [];
  const outcomes = await d1.batch(
    rows.map((row) =>
      d1.prepare('UPDATE OR IGNORE users SET login_key = ?, email_key = ? WHERE id = ? AND login = ? AND email IS ?').bind(row.loginKey, row.emailKey, row.id, row.login, row.email),
    ),
  );
  return outcomes.map((outcome) => outcome.meta.changes > 0);
}

/** How many users other than `exceptUserId` hold the login key and the email key (null keys match nobody). */
export async function countIdentityHolders(d1: D1Database, keys: { loginKey: string | null; emailKey: string | null }, exceptUserId: string): Promise<{ login: number; email: number }> {
  const db = createDb(d1);
  const holders = (column: typeof users.loginKey | typeof users.emailKey, key: string | null) =>
    db
      .select({ n: sql<number>`count(*)` })
      .from(users)
      // A null key is compared as NULL, which equals nothing: no holder.
      .where(and(eq(column, key ?? sql`NULL`), ne(users.id, exceptUserId)));
  const [[login], [email]] = await db.batch([holders(users.loginKey, keys.loginKey), holders(users.emailKey, keys.emailKey)]);
  return { login: login?.n ?? 0, email: email?.n ?? 0 };
}
