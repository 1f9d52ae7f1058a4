/** Admin API: /api/admin/offices and /api/admin/groups (same shape; offices also carry security settings). */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { fields, parse, parseJsonBody, parseQuery } from '../lib/validate';
import {
  addMember,
  createOrganisation,
  deleteOrganisation,
  getOrganisation,
  listMembers,
  listOrganisations,
  removeMember,
  updateOrganisation,
  type OrganisationKind,
} from './service';

const idParam = z.object({ id: fields.id });
const memberParams = z.object({ id: fields.id, userId: fields.id });
const listQuery = z.object({ search: fields.search, page: fields.page, pageSize: fields.pageSize });
const name = z.string().trim().min(1).max(120);

export function organisationAdminRoutes(kind: OrganisationKind) {
  const createBody = z.strictObject({ name, twoFactorDisabled: z.boolean().optional() });
  const updateBody = z.strictObject({ name: name.optional(), twoFactorDisabled: z.boolean().optional() });
  return new Hono<AppBindings>()
    .get('/', async (c) => c.json(await listOrganisations(c.env.DB, kind, parseQuery(c, listQuery))))
    .post('/', async (c) => c.json(await createOrganisation(c.env.DB, kind, await parseJsonBody(c, createBody), c.var.now, auditOf(c)), 201))
    .get('/:id', async (c) => c.json(await getOrganisation(c.env.DB, kind, parse(idParam, c.req.param()).id)))
    .patch('/:id', async (c) => {
      const { id } = parse(idParam, c.req.param());
      return c.json(await updateOrganisation(c.env.DB, kind, id, await parseJsonBody(c, updateBody), auditOf(c)));
    })
    .delete('/:id', async (c) => {
      await deleteOrganisation(c.env.DB, kind, parse(idParam, c.req.param()).id, auditOf(c));
      return c.body(null, 204);
    })
    .get('/:id/members', async (c) => c.json({ items: await listMembers(c.env.DB, kind, parse(idParam, c.req.param()).id) }))
    .put('/:id/members/:userId', async (c) => {
      const { id, userId } = parse(memberParams, c.req.param());
      await addMember(c.env.DB, kind, id, userId, c.var.now, auditOf(c));
      return c.body(null, 204);
    })
    .delete('/:id/members/:userId', async (c) => {
      const { id, userId } = parse(memberParams, c.req.param());
      await removeMember(c.env.DB, kind, id, userId, auditOf(c));
      return c.body(null, 204);
    });
}
