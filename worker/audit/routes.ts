/**
 * Admin API /api/admin/audit (behind the admin guard): the admin audit trail.
 *   GET /        ?admin=&objectType=&object=&action=&from=&to=&cursor=&pageSize=  -> {items, total, nextCursor}
 *   GET /export  the same filter, every row, as a streamed CSV
 */
import { z } from 'zod';
import { apiRouter, csv, json, route } from '../lib/api-router';
import { auditPageAnswer } from './answers';
import { csvResponse } from '../lib/csv';
import { fields } from '../lib/validate';
import { AUDIT_OBJECT_TYPES } from './record';
import { exportAudit, readAuditPage } from './service';

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

const tags = ['Activities'];

export const auditAdminRoutes = apiRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      tags,
      summary: 'Admin audit trail, newest first (admin, objectType, object, action, from, to; keyset paging: cursor, pageSize)',
      request: { query: listQuery },
      responses: { 200: json(auditPageAnswer, 'One page of the audit trail, newest first') },
    }),
    async (c) => c.json(await readAuditPage(c.env.DB, c.req.valid('query'), c.var.now), 200),
  )
  .openapi(
    route({ method: 'get', path: '/export', tags, summary: 'Every audit row of the filter as a streamed CSV', request: { query: filterQuery }, responses: { 200: csv('admin-activity.csv') } }),
    (c) => csvResponse(exportAudit(c.env.DB, c.req.valid('query'), c.var.now), 'admin-activity.csv'),
  );
