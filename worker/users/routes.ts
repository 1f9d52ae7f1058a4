/** Admin API: /api/admin/users */
import { auditOf } from '../audit/record';
import { apiRouter, idParams, json, jsonBody, noContent, route } from '../lib/api-router';
import { pageOf } from '../lib/answers';
import { userAnswer, userOverviewAnswer } from './answers';
import { readUserOverview } from './overview';
import { createUserBody, listUsersQuery, setPasswordBody, updateUserBody } from './schema';
import { createUser, deleteUser, getUser, listUsers, setUserPassword, unlockUser, updateUser } from './service';

const tags = ['Users'];

export const userAdminRoutes = apiRouter()
  .openapi(route({ method: 'get', path: '/', tags, summary: 'List users (search, page, pageSize)', request: { query: listUsersQuery }, responses: { 200: json(pageOf(userAnswer), 'One page of users') } }), async (c) =>
    c.json(await listUsers(c.env.DB, c.req.valid('query')), 200),
  )
  .openapi(route({ method: 'post', path: '/', tags, summary: 'Create a user', request: { body: jsonBody(createUserBody) }, responses: { 201: json(userAnswer, 'The new user') } }), async (c) =>
    c.json(await createUser(c.env.DB, c.req.valid('json'), c.var.now, auditOf(c)), 201),
  )
  .openapi(route({ method: 'get', path: '/{id}', tags, summary: 'Get a user', request: { params: idParams }, responses: { 200: json(userAnswer, 'The user') } }), async (c) =>
    c.json(await getUser(c.env.DB, c.req.valid('param').id), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/overview',
      tags,
      summary: 'The user page: the user, their tokens, assignments, workspaces, groups, recent activities and open user issues',
      request: { params: idParams },
      responses: { 200: json(userOverviewAnswer, 'The user page') },
    }),
    async (c) => c.json(await readUserOverview(c.env.DB, c.req.valid('param').id, c.var.now), 200),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}',
      tags,
      summary: 'Update a user (demoting or disabling the last enabled administrator is refused: LAST_ADMIN)',
      request: { params: idParams, body: jsonBody(updateUserBody) },
      responses: { 200: json(userAnswer, 'The user as changed') },
    }),
    async (c) => c.json(await updateUser(c.env.DB, c.req.valid('param').id, c.req.valid('json'), c.var.now, auditOf(c)), 200),
  )
  .openapi(route({ method: 'delete', path: '/{id}', tags, summary: 'Delete a user (not the last enabled administrator: LAST_ADMIN)', request: { params: idParams }, responses: noContent }), async (c) => {
    await deleteUser(c.env.DB, c.req.valid('param').id, auditOf(c));
    return c.body(null, 204);
  })
  .openapi(route({ method: 'put', path: '/{id}/password', tags, summary: 'Set or remove the password', request: { params: idParams, body: jsonBody(setPasswordBody) }, responses: noContent }), async (c) => {
    await setUserPassword(c.env.DB, c.req.valid('param').id, c.req.valid('json').password, c.var.now, auditOf(c));
    return c.body(null, 204);
  })
  .openapi(route({ method: 'post', path: '/{id}/unlock', tags, summary: 'Clear the sign-in lockout', request: { params: idParams }, responses: noContent }), async (c) => {
    await unlockUser(c.env.DB, c.req.valid('param').id, auditOf(c));
    return c.body(null, 204);
  });
