/** Admin API: /api/admin/resources, with their assignments. */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { fields, parse, parseJsonBody, parseQuery } from '../lib/validate';
import {
  assignUser,
  createResource,
  deleteResource,
  getResource,
  listAssignments,
  listResources,
  unassignUser,
  updateResource,
} from './service';

const idParam = z.object({ id: fields.id });
const name = z.string().trim().min(1).max(120);
const listQuery = z.object({ search: fields.search, page: fields.page, pageSize: fields.pageSize });
const assignmentsQuery = listQuery.extend({ kind: z.enum(['user', 'token_with_user']).optional() });

export const resourceAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json(await listResources(c.env.DB, parseQuery(c, listQuery))))
  .post('/', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ name, description: z.string().trim().max(500).optional() }));
    return c.json(await createResource(c.env.DB, body, c.var.now, auditOf(c)), 201);
  })
  .get('/:id', async (c) => c.json(await getResource(c.env.DB, parse(idParam, c.req.param()).id)))
  .patch('/:id', async (c) => {
    const { id } = parse(idParam, c.req.param());
    const body = await parseJsonBody(c, z.strictObject({ name: name.optional(), description: z.string().trim().max(500).optional() }));
    return c.json(await updateResource(c.env.DB, id, body, auditOf(c)));
  })
  .delete('/:id', async (c) => {
    await deleteResource(c.env.DB, parse(idParam, c.req.param()).id, auditOf(c));
    return c.body(null, 204);
  })
  .get('/:id/assignments', async (c) => {
    const { id } = parse(idParam, c.req.param());
    return c.json(await listAssignments(c.env.DB, id, parseQuery(c, assignmentsQuery)));
  })
  .put('/:id/assignments', async (c) => {
    const { id } = parse(idParam, c.req.param());
    const body = await parseJsonBody(c, z.strictObject({ userId: fields.id, tokenId: fields.id.nullable().optional() }));
    await assignUser(c.env.DB, id, body, c.var.now, auditOf(c));
    return c.body(null, 204);
  })
  .delete('/:id/assignments/:userId', async (c) => {
    const { id, userId } = parse(z.object({ id: fields.id, userId: fields.id }), c.req.param());
    await unassignUser(c.env.DB, id, userId, auditOf(c));
    return c.body(null, 204);
  });
