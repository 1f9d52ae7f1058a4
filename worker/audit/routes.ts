/**
 * Admin API /api/admin/audit (behind the admin guard): the admin audit trail.
 *   GET /        ?admin=&objectType=&object=&action=&from=&to=&cursor=&pageSize=  -> {items, total, nextCursor}
 *   GET /export  the same filter, every row, as a streamed CSV
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppBindings } from '../env';
import { csvResponse } from '../lib/csv';
import { fields, parseQuery } from '../lib/validate';
import { AUDIT_OBJECT_TYPES } from './record';
import { auditCsvStream, listAudit, type AuditFilter } from './repo';

const epochMs = z.coerce.number().int().min(0).max(8.64e15);

const filterQuery = z.object({
  admin: z.string().trim().max(128).optional(),
  objectType: z.enum(AUDIT_OBJECT_TYPES).optional(),
  object: z.string().trim().max(200).optional(),
  action: z.string().trim().regex(/^[a-z_]{1,40}$/).optional(),
  from: epochMs.optional(),
  to: epochMs.optional(),
});
const listQuery = filterQuery.extend({ cursor: z.string().max(80).optional(), pageSize: fields.pageSize });

function filterOf(query: z.infer<typeof filterQuery>): AuditFilter {
  return { admin: query.admin || undefined, objectType: query.objectType, object: query.object || undefined, action: query.action, fromMs: query.from, toMs: query.to };
}

export const auditAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => {
    const query = parseQuery(c, listQuery);
    return c.json(await listAudit(c.env.DB, filterOf(query), { cursor: query.cursor, pageSize: query.pageSize }, c.var.now));
  })
  .get('/export', (c) => csvResponse(auditCsvStream(c.env.DB, filterOf(parseQuery(c, filterQuery)), c.var.now), 'admin-activity.csv'));
