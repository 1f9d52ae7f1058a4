/**
 * Password-attempt lock, counted per login NAME in `rate_limits` rather than per user row, so that unknown and
 * known logins lock alike (locking only real accounts would reveal which exist).
 *
 * Every path that examines a password (/login, portal sign-in, current-password checks, restore access) calls
 * `claimPasswordAttempt` FIRST and examines the password only when it answers `allowed`; a success then clears the
 * count with `clearLoginFailuresStatement`. Reading the lock, checking, then counting the failure let a parallel
 * burst through (51 passwords evaluated against a lock of 10): the claim is one conditional upsert, so SQLite's
 * single writer admits exactly LOGIN_MAX_FAILS attempts per window however many requests race.
 */
import { LOGIN_LOCK_DURATION_MS, LOGIN_MAX_FAILS } from '../constants';
import { attemptKeyOf } from '../lib/identity';
import { consumeRateLimit } from '../lib/rate-limit';
import { deleteRateLimitStatement } from '../lib/repo';

// By identity key (worker/lib/identity.ts), as the user is looked up: every spelling that reaches one account
// ("ALICE", the full-width "ａｌｉｃｅ") spends the same attempts. For ASCII this is the lower-cased login, as before.
const keyOf = (login: string) => `login-fail:${attemptKeyOf(login)}`;

export type PasswordAttemptClaim = { allowed: true } | { allowed: false; lockedUntil: number };

/**
 * Counts one password attempt for `login` while it is under LOGIN_MAX_FAILS in the current window (the window,
 * and so the lock, starts at the first attempt and lasts LOGIN_LOCK_DURATION_MS). `allowed: false` means the
 * login is locked until `lockedUntil` (ms) and the password must not be examined at all.
 */
export async function claimPasswordAttempt(db: D1Database, login: string, nowMs: number): Promise<PasswordAttemptClaim> {
  const claim = await consumeRateLimit(db, keyOf(login), LOGIN_MAX_FAILS, LOGIN_LOCK_DURATION_MS, nowMs);
  return claim.allowed ? { allowed: true } : { allowed: false, lockedUntil: nowMs + claim.retryAfterMs };
}

/** After the right password: the attempts claimed so far no longer count. */
export function clearLoginFailuresStatement(db: D1Database, login: string): D1PreparedStatement {
  return deleteRateLimitStatement(db, keyOf(login));
}
