/** Looking up a resource's portal, and the portal session guard. */
import type { Context, MiddlewareHandler } from 'hono';
import { checkSameOrigin } from '../auth/middleware';
import { csrfTokenFor, readSessionCookie, resolveSession } from '../auth/sessions';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { timingSafeEqual } from '../lib/crypto';
import type { SelfServiceAction, SelfServiceTokenType } from './actions';
import { findEnabledPortal } from './repo';

export interface Portal {
  resourceId: string;
  resourceName: string;
  alias: string;
  actions: SelfServiceAction[];
  tokenTypes: SelfServiceTokenType[];
}

export async function loadPortal(db: D1Database, alias: string): Promise<Portal> {
  const row = await findEnabledPortal(db, alias);
  if (!row?.selfServiceAlias) throw new AppError('PORTAL_NOT_FOUND');
  return {
    resourceId: row.id,
    resourceName: row.name,
    alias: row.selfServiceAlias,
    actions: JSON.parse(row.selfServiceActions) as SelfServiceAction[],
    tokenTypes: JSON.parse(row.selfServiceTokenTypes) as SelfServiceTokenType[],
  };
}

export interface PortalVariables {
  portal: Portal;
  portalUser?: { userId: string; sessionId: string; signInMethod: string; secondFactorProvenAt: number | null; reprovedAt: number | null };
}

type PortalContext = Context<AppBindings & { Variables: PortalVariables }>;

/** Loads the portal named in the path (404 for unknown or disabled portals). */
export const withPortal: MiddlewareHandler<AppBindings & { Variables: PortalVariables }> = async (c, next) => {
  c.set('portal', await loadPortal(c.env.DB, c.req.param('alias') ?? ''));
  return next();
};

/** The request's live session for this portal, if any (a session of another portal or of the admin center is none). */
export async function portalSessionOf(c: PortalContext) {
  const token = readSessionCookie(c, 'portal');
  const session = token ? await resolveSession(c.env.DB, token, c.var.now) : null;
  return session && session.kind === 'portal' && session.resourceId === c.var.portal.resourceId ? session : null;
}

/**
 * A portal session bound to THIS portal's resource: a session from another portal does not open this one.
 * State changes also need the session's CSRF token.
 */
export const requirePortalSession: MiddlewareHandler<AppBindings & { Variables: PortalVariables }> = async (c, next) => {
  const session = await portalSessionOf(c);
  if (!session) throw new AppError('UNAUTHENTICATED');
  if (!['GET', 'HEAD'].includes(c.req.method)) {
    checkSameOrigin(c);
    const expected = await csrfTokenFor(c.env.SESSION_KEY, session.id);
    if (!timingSafeEqual(c.req.header('x-csrf-token') ?? '', expected)) throw new AppError('CSRF_REJECTED');
  }
  c.set('portalUser', {
    userId: session.userId,
    sessionId: session.id,
    signInMethod: session.method,
    secondFactorProvenAt: session.secondFactorProvenAt,
    reprovedAt: session.reprovedAt,
  });
  return next();
};

/** Refuses actions the administrator has not enabled for this portal (the UI hides them; the server decides). */
export function requireAction(c: PortalContext, action: SelfServiceAction): void {
  if (!c.var.portal.actions.includes(action)) throw new AppError('ACTION_DISABLED');
}
