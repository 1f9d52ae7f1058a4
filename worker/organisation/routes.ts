/** Admin API: /api/admin/offices and /api/admin/groups (same shape; offices also carry security settings). */
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { apiRouter, idParams, json, jsonBody, memberParams, noContent, route } from '../lib/api-router';
import { itemsOf, pageOf } from '../lib/answers';
import { memberAnswer, organisationAnswer } from './answers';
import { fields } from '../lib/validate';
import { ORGANISATION_NAME_MAX_LENGTH } from '../contract/fields';
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

const listQuery = z.object({ search: fields.search, page: fields.page, pageSize: fields.pageSize });
const name = z.string().trim().min(1).max(ORGANISATION_NAME_MAX_LENGTH);
const createBody = z.strictObject({ name, twoFactorDisabled: z.boolean().optional() });
const updateBody = z.strictObject({ name: name.optional(), twoFactorDisabled: z.boolean().optional() });

const NAMES = { office: { one: 'an office', tag: 'Offices' }, group: { one: 'a group', tag: 'Groups' } } as const;

export function organisationAdminRoutes(kind: OrganisationKind) {
  const { one, tag } = NAMES[kind];
  const tags = [tag];
  return apiRouter()
    .openapi(route({ method: 'get', path: '/', tags, summary: `List ${tag.toLowerCase()} (search, page, pageSize)`, request: { query: listQuery }, responses: { 200: json(pageOf(organisationAnswer), 'One page') } }), async (c) =>
      c.json(await listOrganisations(c.env.DB, kind, c.req.valid('query')), 200),
    )
    .openapi(route({ method: 'post', path: '/', tags, summary: `Create ${one}`, request: { body: jsonBody(createBody) }, responses: { 201: json(organisationAnswer, `The new ${tag.toLowerCase().slice(0, -1)}`) } }), async (c) =>
      c.json(await createOrganisation(c.env.DB, kind, c.req.valid('json'), c.var.now, auditOf(c)), 201),
    )
    .openapi(route({ method: 'get', path: '/{id}', tags, summary: `Get ${one}`, request: { params: idParams }, responses: { 200: json(organisationAnswer, 'Found') } }), async (c) =>
      c.json(await getOrganisation(c.env.DB, kind, c.req.valid('param').id), 200),
    )
    .openapi(
      route({ method: 'patch', path: '/{id}', tags, summary: `Rename ${one} or change its security`, request: { params: idParams, body: jsonBody(updateBody) }, responses: { 200: json(organisationAnswer, 'As changed') } }),
      async (c) => c.json(await updateOrganisation(c.env.DB, kind, c.req.valid('param').id, c.req.valid('json'), auditOf(c)), 200),
    )
    .openapi(route({ method: 'delete', path: '/{id}', tags, summary: `Delete ${one}`, request: { params: idParams }, responses: noContent }), async (c) => {
      await deleteOrganisation(c.env.DB, kind, c.req.valid('param').id, auditOf(c));
      return c.body(null, 204);
    })
    .openapi(
      route({ method: 'get', path: '/{id}/members', tags, summary: 'List members', request: { params: idParams }, responses: { 200: json(itemsOf(memberAnswer), 'The members') } }),
      async (c) => c.json({ items: await listMembers(c.env.DB, kind, c.req.valid('param').id) }, 200),
    )
    .openapi(route({ method: 'put', path: '/{id}/members/{userId}', tags, summary: 'Add a member', request: { params: memberParams }, responses: noContent }), async (c) => {
      const { id, userId } = c.req.valid('param');
      await addMember(c.env.DB, kind, id, userId, c.var.now, auditOf(c));
      return c.body(null, 204);
    })
    .openapi(route({ method: 'delete', path: '/{id}/members/{userId}', tags, summary: 'Remove a member', request: { params: memberParams }, responses: noContent }), async (c) => {
      const { id, userId } = c.req.valid('param');
      await removeMember(c.env.DB, kind, id, userId, auditOf(c));
      return c.body(null, 204);
    });
}
