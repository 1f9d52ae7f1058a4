/**
 * Every domain router and the path it is mounted at. Add a domain by adding one line here.
 */
import type { Hono } from 'hono';
import { adminRoutes } from './admin/routes';
import { authRoutes } from './auth/routes';
import { browserApiDocumentRoutes } from './openapi/routes';
import { profileRoutes } from './profile/routes';
import { samlRoutes } from './saml/routes';
import { portalPageRoutes } from './selfservice/page-routes';
import { portalRoutes } from './selfservice/routes';
import { verifyApiRoutes } from './verify-api/routes';

// Routers may extend AppBindings with variables of their own (the portal's), hence the loose element type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const routes: Array<[string, Hono<any, any, any>]> = [
  ['/api/auth', authRoutes],
  ['/api/admin', adminRoutes],
  ['/api/v1', verifyApiRoutes],
  ['/api/profile', profileRoutes],
  ['/api/portal', portalRoutes],
  ['/selfservice', portalPageRoutes],
  ['/saml', samlRoutes],
  // GET /api/openapi.json: the document of the browser surfaces above (auth, profile, portal, SAML).
  ['/api', browserApiDocumentRoutes],
];
