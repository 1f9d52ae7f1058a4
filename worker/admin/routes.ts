/** The admin API under /api/admin: every route behind an admin session (with CSRF) or an API key. */
import { Hono } from 'hono';
import { activityAdminRoutes } from '../activities/routes';
import { auditAdminRoutes } from '../audit/routes';
import { apiKeyAdminRoutes } from '../auth/api-key-routes';
import { authenticate, requireAdmin } from '../auth/middleware';
import type { AppBindings } from '../env';
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
import { openApiDocument } from './openapi';

export const adminRoutes = new Hono<AppBindings>()
  // The API description is public (it holds no data), so integrators can read it before they have a key.
  .get('/openapi.json', (c) => c.json(openApiDocument(new URL(c.req.url).origin)))
  .use('*', authenticate, requireAdmin)
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
