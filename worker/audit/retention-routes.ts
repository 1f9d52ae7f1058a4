/**
 * Admin API: /api/admin/security/audit-retention: how many days the admin audit trail keeps its rows (Security >
 * Email > Admin activity). The change is itself an audit row, in the batch that makes it.
 */
import { z } from 'zod';
import { apiRouter, json, jsonBody, route } from '../lib/api-router';
import { AUDIT_RETENTION_BOUNDS, auditRetentionDays, setAuditRetentionDays } from '../settings/platform';
import { auditOf } from './record';

const retention = z.object({ days: z.number().int(), minDays: z.number().int(), maxDays: z.number().int() });
const retentionChange = z.strictObject({ days: z.number().int().min(AUDIT_RETENTION_BOUNDS.min).max(AUDIT_RETENTION_BOUNDS.max) });
const tags = ['Security'];

async function retentionView(db: D1Database): Promise<z.infer<typeof retention>> {
  return { days: await auditRetentionDays(db), minDays: AUDIT_RETENTION_BOUNDS.min, maxDays: AUDIT_RETENTION_BOUNDS.max };
}

export const auditRetentionRoutes = apiRouter()
  .openapi(
    route({ method: 'get', path: '/', tags, summary: 'Days the admin audit trail keeps its rows, and the bounds', responses: { 200: json(retention, 'The retention') } }),
    async (c) => c.json(await retentionView(c.env.DB), 200),
  )
  .openapi(
    route({ method: 'put', path: '/', tags, summary: 'Change the admin audit retention', request: { body: jsonBody(retentionChange) }, responses: { 200: json(retention, 'The retention as saved') } }),
    async (c) => {
      await setAuditRetentionDays(c.env.DB, c.req.valid('json').days, c.var.now, auditOf(c));
      return c.json(await retentionView(c.env.DB), 200);
    },
  );
