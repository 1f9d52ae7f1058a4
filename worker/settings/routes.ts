/** Admin API: /api/admin/security — the platform-wide two-factor switch (Admin Center > Misc > Security > Email). */
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { auditRetentionRoutes } from '../audit/retention-routes';
import { apiRouter, json, jsonBody, route } from '../lib/api-router';
import { isTwoFactorEnabled, setTwoFactorEnabled } from './platform';

const securitySettings = z.strictObject({ twoFactorEnabled: z.boolean() });

const tags = ['Security'];

export const securitySettingsAdminRoutes = apiRouter()
  .openapi(
    route({ method: 'get', path: '/', tags, summary: 'Platform security settings (two-factor authentication)', responses: { 200: json(securitySettings, 'The settings') } }),
    async (c) => c.json({ twoFactorEnabled: await isTwoFactorEnabled(c.env.DB) }, 200),
  )
  .openapi(
    route({ method: 'put', path: '/', tags, summary: 'Change the platform security settings', request: { body: jsonBody(securitySettings) }, responses: { 200: json(securitySettings, 'The settings as saved') } }),
    async (c) => {
      const { twoFactorEnabled } = c.req.valid('json');
      await setTwoFactorEnabled(c.env.DB, twoFactorEnabled, c.var.now, auditOf(c));
      return c.json({ twoFactorEnabled }, 200);
    },
  )
  .route('/audit-retention', auditRetentionRoutes);
