/** Admin API: /api/admin/security — the platform-wide two-factor switch (Admin Center > Misc > Security > Email). */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { parseJsonBody } from '../lib/validate';
import { isTwoFactorEnabled, setTwoFactorEnabled } from './platform';

export const securitySettingsAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json({ twoFactorEnabled: await isTwoFactorEnabled(c.env.DB) }))
  .put('/', async (c) => {
    const { twoFactorEnabled } = await parseJsonBody(c, z.strictObject({ twoFactorEnabled: z.boolean() }));
    await setTwoFactorEnabled(c.env.DB, twoFactorEnabled, c.var.now, auditOf(c));
    return c.json({ twoFactorEnabled });
  });
