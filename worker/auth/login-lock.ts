/**
 * Password-failure lockout, counted per login NAME in `rate_limits` rather than per user row, so that unknown and
 * known logins lock alike (locking only real accounts would reveal which exist).
 */
import { LOGIN_LOCK_DURATION_MS, LOGIN_MAX_FAILS } from '../constants';

const keyOf = (login: string) => `login-fail:${login.trim().toLowerCase()}`;

/** When the login is locked: the time it unlocks; otherwise null. */
export async function loginLockedUntil(db: D1Database, login: string, nowMs: number): Promise<number | null> {
  const row = await db
    .prepare('SELECT count, expires_at FROM rate_limits WHERE key = ? AND expires_at > ?')
    .bind(keyOf(login), nowMs)
    .first<{ count: number; expires_at: number }>();
  return row && row.count >= LOGIN_MAX_FAILS ? row.expires_at : null;
}

/** Counts one failure atomically; the window (and so the lock) starts at the first failure. */
export function recordLoginFailureStatement(db: D1Database, login: string, nowMs: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO rate_limits (key, window_start, count, expires_at) VALUES (?1, ?2, 1, ?3)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.expires_at <= ?2 THEN 1 ELSE rate_limits.count + 1 END,
         window_start = CASE WHEN rate_limits.expires_at <= ?2 THEN ?2 ELSE rate_limits.window_start END,
         expires_at = CASE WHEN rate_limits.expires_at <= ?2 THEN ?3 ELSE rate_limits.expires_at END`,
    )
    .bind(keyOf(login), nowMs, nowMs + LOGIN_LOCK_DURATION_MS);
}

export function clearLoginFailuresStatement(db: D1Database, login: string): D1PreparedStatement {
  return db.prepare('DELETE FROM rate_limits WHERE key = ?').bind(keyOf(login));
}
