/**
 * The admin API under /api/admin: every route behind an admin session (with CSRF) or an API key. Its OpenAPI
 * document is generated from the routes' declarations (worker/lib/api-router.ts), so it cannot drift from them.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { activityAdminRoutes } from '../activities/routes';
import { auditAdminRoutes } from '../audit/routes';
import { apiKeyAdminRoutes } from '../auth/api-key-routes';
import { authenticate, requireAdmin } from '../auth/middleware';
import { apiRouter, openApiDocumentRoute, registerSharedComponents } from '../lib/api-router';
import { messagingAdminRoutes } from '../messaging/routes';
import { organisationAdminRoutes } from '../organisation/routes';
import { resourceAdminRoutes } from '../resources/routes';
import { samlAdminRoutes } from '../saml/admin-routes';
import { scriptAdminRoutes } from '../scripts/routes';
import { portalSettingsAdminRoutes } from '../selfservice/admin-routes';
import { userIssueAdminRoutes } from '../selfservice/admin-issue-routes';
import { securitySettingsAdminRoutes } from '../settings/routes';
import { tokenAdminRoutes } from '../tokens/routes';
import { userAdminRoutes } from '../users/routes';

// The API description is public (it holds no data), so integrators can read it before they have a key.
const router = apiRouter().openapi(openApiDocumentRoute('This document'), (c) => c.json(adminApiDocument(new URL(c.req.url).origin), 200));
// Everything routed after it needs an admin. Not chained: `$()` over a chained `.use('*')` reads its path as the base
// path, typing every admin path as `${string}/...`, and such a pattern key matches other paths too (`${string}/resources`
// is also /tokens/:id/resources), so the typed client mixed those routes' inputs and answers.
router.use('*', authenticate, requireAdmin);

export const adminRoutes = router
  .route('/users', userAdminRoutes)
  .route('/offices', organisationAdminRoutes('office'))
  .route('/groups', organisationAdminRoutes('group'))
  .route('/resources', resourceAdminRoutes)
  .route('/resources', portalSettingsAdminRoutes)
  .route('/tokens', tokenAdminRoutes)
  .route('/api-keys', apiKeyAdminRoutes)
  .route('/activities', activityAdminRoutes)
  .route('/audit', auditAdminRoutes)
  .route('/user-issues', userIssueAdminRoutes)
  .route('/security', securitySettingsAdminRoutes)
  .route('/messaging', messagingAdminRoutes)
  .route('/sign-in-script', scriptAdminRoutes)
  .route('/saml', samlAdminRoutes);

let adminDocument: ReturnType<OpenAPIHono['getOpenAPI31Document']> | undefined;

export function adminApiDocument(origin: string) {
  adminDocument ??= (() => {
    const app = new OpenAPIHono();
    registerSharedComponents(app);
    app.route('/api/admin', adminRoutes);
    return app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'Edge Identity admin API', version: '1.0.0', description: 'The verify API has its own document: /api/v1/openapi.json' },
      security: [{ apiKey: [] }, { session: [] }],
    });
  })();
  return { ...adminDocument, servers: [{ url: origin }] };
}
