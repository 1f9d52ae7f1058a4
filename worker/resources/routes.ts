/** Admin API: /api/admin/resources, with their assignments. */
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { apiRouter, idParams, json, jsonBody, memberParams, noContent, route } from '../lib/api-router';
import { pageOf } from '../lib/answers';
import { assignmentAnswer, resourceAnswer } from './answers';
import { fields } from '../lib/validate';
import { RESOURCE_DESCRIPTION_MAX_LENGTH, RESOURCE_NAME_MAX_LENGTH } from '../contract/fields';
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

const name = z.string().trim().min(1).max(RESOURCE_NAME_MAX_LENGTH);
const description = z.string().trim().max(RESOURCE_DESCRIPTION_MAX_LENGTH);
const listQuery = z.object({ search: fields.search, page: fields.page, pageSize: fields.pageSize });
const assignmentsQuery = listQuery.extend({ kind: z.enum(['user', 'token_with_user']).optional() });
const createBody = z.strictObject({ name, description: description.optional() });
const updateBody = z.strictObject({ name: name.optional(), description: description.optional() });
const assignmentBody = z.strictObject({ userId: fields.id, tokenId: fields.id.nullable().optional() });

const tags = ['Resources'];

export const resourceAdminRoutes = apiRouter()
  .openapi(route({ method: 'get', path: '/', tags, summary: 'List resources', request: { query: listQuery }, responses: { 200: json(pageOf(resourceAnswer), 'One page of resources') } }), async (c) =>
    c.json(await listResources(c.env.DB, c.req.valid('query')), 200),
  )
  .openapi(route({ method: 'post', path: '/', tags, summary: 'Create a resource', request: { body: jsonBody(createBody) }, responses: { 201: json(resourceAnswer, 'The new resource') } }), async (c) =>
    c.json(await createResource(c.env.DB, c.req.valid('json'), c.var.now, auditOf(c)), 201),
  )
  .openapi(route({ method: 'get', path: '/{id}', tags, summary: 'Get a resource with its self-service settings', request: { params: idParams }, responses: { 200: json(resourceAnswer, 'The resource') } }), async (c) =>
    c.json(await getResource(c.env.DB, c.req.valid('param').id), 200),
  )
  .openapi(route({ method: 'patch', path: '/{id}', tags, summary: 'Update a resource', request: { params: idParams, body: jsonBody(updateBody) }, responses: { 200: json(resourceAnswer, 'The resource as changed') } }), async (c) =>
    c.json(await updateResource(c.env.DB, c.req.valid('param').id, c.req.valid('json'), auditOf(c)), 200),
  )
  .openapi(route({ method: 'delete', path: '/{id}', tags, summary: 'Delete a resource', request: { params: idParams }, responses: noContent }), async (c) => {
    await deleteResource(c.env.DB, c.req.valid('param').id, auditOf(c));
    return c.body(null, 204);
  })
  .openapi(
    route({
      method: 'get',
      path: '/{id}/assignments',
      tags,
      summary: 'List assigned users (kind=user|token_with_user)',
      request: { params: idParams, query: assignmentsQuery },
      responses: { 200: json(pageOf(assignmentAnswer), 'One page of assignments') },
    }),
    async (c) => c.json(await listAssignments(c.env.DB, c.req.valid('param').id, c.req.valid('query')), 200),
  )
  .openapi(
    route({ method: 'put', path: '/{id}/assignments', tags, summary: 'Assign a user, optionally with their token', request: { params: idParams, body: jsonBody(assignmentBody) }, responses: noContent }),
    async (c) => {
      await assignUser(c.env.DB, c.req.valid('param').id, c.req.valid('json'), c.var.now, auditOf(c));
      return c.body(null, 204);
    },
  )
  .openapi(route({ method: 'delete', path: '/{id}/assignments/{userId}', tags, summary: 'Unassign a user', request: { params: memberParams }, responses: noContent }), async (c) => {
    const { id, userId } = c.req.valid('param');
    await unassignUser(c.env.DB, id, userId, auditOf(c));
    return c.body(null, 204);
  });
