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
import { findLiveSession, readSecondFactorProvenAt, sessionStatement, touchSession, type LiveSession, type NewSession } from './repo';

/** A live session as the auth middleware and the portal read it; `reprovedAt` is its last step-up alone. */
export type SessionRow = Omit<LiveSession, 'provenAt'> & {
  /** When this session last proved the user's second factor, by its sign-in or a step-up (null: never). */
  secondFactorProvenAt: LiveSession['provenAt'] | null;
};

export { deleteSession, deleteUserSessionsStatement, recordReproofStatement, sessionStatement, type NewSession } from './repo';

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

export async function resolveSession(db: D1Database, token: string, nowMs: number): Promise<SessionRow | null> {
  const row = await findLiveSession(db, await sha256Hex(token), nowMs, nowMs - SESSION_IDLE_TIMEOUT_MS);
  if (!row) return null;
  if (nowMs - row.lastSeenAt > SESSION_TOUCH_INTERVAL_MS) await touchSession(db, row.id, nowMs);
  const { provenAt, ...session } = row;
  return { ...session, secondFactorProvenAt: provenAt || null };
}

/** The same for a session already resolved by the auth middleware (the profile's guarded routes). */
export async function secondFactorProvenAt(db: D1Database, sessionId: string): Promise<number | null> {
  return (await readSecondFactorProvenAt(db, sessionId)) || null;
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
