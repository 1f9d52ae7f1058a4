/**
 * Who is calling, and may they. `authenticate` reads a Bearer API key or the session cookie and sets
 * `c.var.auth`; the guards below refuse what is not allowed, API key scopes included (`requireAdmin` is the one
 * place the admin API checks them). Cookie-authenticated state changes must carry the
 * session's CSRF token in `X-CSRF-Token` (a header a cross-site form cannot set) and, when present, a same-origin
 * `Origin`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { timingSafeEqual } from '../lib/crypto';
import { requireApiKeyScope, resolveApiKey } from './api-keys';
import { csrfTokenFor, readSessionCookie, resolveSession } from './sessions';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const authenticate: MiddlewareHandler<AppBindings> = async (c, next) => {
  const authorization = c.req.header('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const apiKey = match ? await resolveApiKey(c.env.DB, match[1]!, c.var.now) : null;
    // A wrong key is an error, not an anonymous request: integrations should learn at once that their key is bad.
    // Revoked, expired and keys whose owner is no longer an enabled admin are wrong keys too.
    if (!apiKey) throw new AppError('UNAUTHENTICATED', 'The API key is not valid.');
    c.set('auth', { kind: 'apiKey', ...apiKey });
    return next();
  }
  const token = readSessionCookie(c);
  if (token) {
    const session = await resolveSession(c.env.DB, token, c.var.now);
    if (session) {
      c.set('auth', {
        kind: 'session',
        sessionId: session.id,
        sessionKind: session.kind,
        userId: session.userId,
        isAdmin: session.isAdmin,
        resourceId: session.resourceId,
      });
    }
  }
  return next();
};

/**
 * Admin API: an admin's platform session, or an API key whose scope covers the request: `read` keys only read
 * (GET/HEAD), `verify` keys never get in. Checked here for every admin route, so a new route cannot forget it.
 */
export const requireAdmin: MiddlewareHandler<AppBindings> = async (c, next) => {
  const auth = c.var.auth;
  if (!auth) throw new AppError('UNAUTHENTICATED');
  if (auth.kind === 'session' && !(auth.isAdmin && auth.sessionKind === 'platform')) throw new AppError('FORBIDDEN');
  if (auth.kind === 'apiKey') requireApiKeyScope(auth, SAFE_METHODS.has(c.req.method) ? 'adminRead' : 'adminWrite');
  await checkCsrf(c);
  return next();
};

/**
 * In front of an admin GET whose answer is as good as every write: the outbox holds live sign-in codes and
 * password-reset links, so a `read` key reading it could take over any account. Such reads need an `admin` key.
 */
export const requireFullAdminScope: MiddlewareHandler<AppBindings> = async (c, next) => {
  const auth = c.var.auth;
  if (auth?.kind === 'apiKey') requireApiKeyScope(auth, 'adminWrite');
  return next();
};

/** Any signed-in platform user (the profile pages). */
export const requirePlatformSession: MiddlewareHandler<AppBindings> = async (c, next) => {
  const auth = c.var.auth;
  if (auth?.kind !== 'session' || auth.sessionKind !== 'platform') throw new AppError('UNAUTHENTICATED');
  await checkCsrf(c);
  return next();
};

export async function checkCsrf(c: Context<AppBindings>): Promise<void> {
  const auth = c.var.auth;
  if (SAFE_METHODS.has(c.req.method) || auth?.kind !== 'session') return;
  checkSameOrigin(c);
  const expected = await csrfTokenFor(c.env.SESSION_KEY, auth.sessionId);
  const given = c.req.header('x-csrf-token') ?? '';
  if (!timingSafeEqual(given, expected)) throw new AppError('CSRF_REJECTED');
}

/** For unauthenticated state changes (sign-in forms): refuse cross-site requests (login CSRF). */
export function checkSameOrigin(c: Context): void {
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin) throw new AppError('CSRF_REJECTED');
  if (c.req.header('sec-fetch-site') === 'cross-site') throw new AppError('CSRF_REJECTED');
}

export function currentUserId(c: Context<AppBindings>): string | null {
  const auth = c.var.auth;
  return auth?.kind === 'session' ? auth.userId : null;
}
