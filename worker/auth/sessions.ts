/**
 * Server-side sessions. The cookie holds a random token; D1 holds only its SHA-256 (a leaked table cannot be
 * replayed as cookies). Sessions expire absolutely (SESSION_TTL_MS) and when idle (SESSION_IDLE_TIMEOUT_MS).
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  SESSION_COOKIE,
  SESSION_IDLE_TIMEOUT_MS,
  SESSION_TOUCH_INTERVAL_MS,
  SESSION_TTL_MS,
} from '../constants';
import { hmacSha256Hex, randomToken, sha256Hex } from '../lib/crypto';
import { deriveKey } from '../lib/keys';
import { isSecureRequest } from '../lib/http';

export interface SessionRow {
  id: string;
  userId: string;
  kind: 'platform' | 'portal';
  resourceId: string | null;
  method: string;
  isAdmin: boolean;
  expiresAt: number;
  lastSeenAt: number;
  /** When this session last proved the user's second factor (null: never); see `secondFactorProvenAtSql`. */
  secondFactorProvenAt: number | null;
  /** Its last step-up alone (null: none), for callers that must not take the sign-in as the proof. */
  reprovedAt: number | null;
}

export interface NewSession {
  userId: string;
  kind: 'platform' | 'portal';
  resourceId?: string | null;
  method: string;
  ip?: string | null;
  userAgent?: string | null;
  nowMs: number;
}

export function sessionStatement(db: D1Database, sessionId: string, input: NewSession): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO sessions (id, user_id, kind, resource_id, method, ip, user_agent, created_at, last_seen_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      sessionId,
      input.userId,
      input.kind,
      input.resourceId ?? null,
      input.method,
      input.ip ?? null,
      input.userAgent ?? null,
      input.nowMs,
      input.nowMs,
      input.nowMs + SESSION_TTL_MS,
    );
}

/** A fresh token and the id (hash) it is stored under; insert with `sessionStatement` in the caller's batch. */
export async function mintSessionToken(): Promise<{ token: string; sessionId: string }> {
  const token = randomToken(32);
  return { token, sessionId: await sha256Hex(token) };
}

export async function createSession(db: D1Database, input: NewSession): Promise<{ token: string; sessionId: string }> {
  const minted = await mintSessionToken();
  await sessionStatement(db, minted.sessionId, input).run();
  return minted;
}

/**
 * When a session last proved its user's second factor: its step-up (`reproved_at`), or its sign-in when that took
 * the second factor (the methods "password+otp", "password+sms", "password+email"...: a first factor, then '+' and
 * the second; and "passkey", the passwordless sign-in whose user-verified passkey proves both). The guarded changes
 * (worker/auth/step-up.ts) compare it with STEP_UP_VALID_MS.
 */
const secondFactorProvenAtSql = (alias: string) =>
  `MAX(COALESCE(${alias}.reproved_at, 0), CASE WHEN ${alias}.method LIKE '%+%' OR ${alias}.method = 'passkey' THEN ${alias}.created_at ELSE 0 END)`;

export async function resolveSession(db: D1Database, token: string, nowMs: number): Promise<SessionRow | null> {
  const sessionId = await sha256Hex(token);
  const row = await db
    .prepare(
      `SELECT s.id, s.user_id, s.kind, s.resource_id, s.method, s.expires_at, s.last_seen_at, u.is_admin, s.reproved_at,
              ${secondFactorProvenAtSql('s')} AS proven_at
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.enabled = 1`,
    )
    .bind(sessionId, nowMs, nowMs - SESSION_IDLE_TIMEOUT_MS)
    .first<{
      id: string;
      user_id: string;
      kind: 'platform' | 'portal';
      resource_id: string | null;
      method: string;
      expires_at: number;
      last_seen_at: number;
      is_admin: number;
      reproved_at: number | null;
      proven_at: number;
    }>();
  if (!row) return null;
  if (nowMs - row.last_seen_at > SESSION_TOUCH_INTERVAL_MS) {
    await db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').bind(nowMs, row.id).run();
  }
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    resourceId: row.resource_id,
    method: row.method,
    isAdmin: row.is_admin === 1,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    secondFactorProvenAt: row.proven_at || null,
    reprovedAt: row.reproved_at,
  };
}

/** The same for a session already resolved by the auth middleware (the profile's guarded routes). */
export async function secondFactorProvenAt(db: D1Database, sessionId: string): Promise<number | null> {
  const row = await db.prepare(`SELECT ${secondFactorProvenAtSql('s')} AS proven_at FROM sessions s WHERE s.id = ?`).bind(sessionId).first<{ proven_at: number }>();
  return row?.proven_at || null;
}

/** A successful step-up: the session may change factors for STEP_UP_VALID_MS from now. */
export function recordReproofStatement(db: D1Database, sessionId: string, nowMs: number): D1PreparedStatement {
  return db.prepare('UPDATE sessions SET reproved_at = ? WHERE id = ?').bind(nowMs, sessionId);
}

export async function deleteSession(db: D1Database, sessionId: string): Promise<void> {
  await db.prepare('DELETE FROM sessions WHERE id = ?').bind(sessionId).run();
}

/** Ends every session of a user, e.g. after a password change or when an admin disables the account. */
export function deleteUserSessionsStatement(db: D1Database, userId: string, exceptSessionId?: string): D1PreparedStatement {
  return db.prepare('DELETE FROM sessions WHERE user_id = ? AND id != ?').bind(userId, exceptSessionId ?? '');
}

// ---- cookies: `__Host-` prefixed and Secure over https; local http development needs an unprefixed name.
// Platform and portal sessions live in different cookies, so signing in to a portal does not end the other.

export type SessionKind = 'platform' | 'portal';

export function sessionCookieName(c: Context, kind: SessionKind = 'platform'): string {
  const base = kind === 'platform' ? SESSION_COOKIE : SESSION_COOKIE.replace('session', 'portal');
  return isSecureRequest(c) ? base : base.replace('__Host-', '');
}

export function readSessionCookie(c: Context, kind: SessionKind = 'platform'): string | undefined {
  return getCookie(c, sessionCookieName(c, kind));
}

export function writeSessionCookie(c: Context, token: string, kind: SessionKind = 'platform'): void {
  setCookie(c, sessionCookieName(c, kind), token, {
    httpOnly: true,
    secure: isSecureRequest(c),
    sameSite: 'Lax', // Lax, not Strict: the SAML ACS is a cross-site POST whose redirect must carry the new cookie.
    path: '/',
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

export function clearSessionCookie(c: Context, kind: SessionKind = 'platform'): void {
  deleteCookie(c, sessionCookieName(c, kind), { path: '/', secure: isSecureRequest(c) });
}

/** The CSRF token of a session: a MAC of its id, so it needs no storage and dies with the session. */
export async function csrfTokenFor(sessionKey: string, sessionId: string): Promise<string> {
  return hmacSha256Hex(await deriveKey({ SESSION_KEY: sessionKey }, 'csrf'), `csrf:${sessionId}`);
}
