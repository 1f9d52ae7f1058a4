/** Admin API: /api/admin/users */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { fields, parse, parseJsonBody, parseQuery } from '../lib/validate';
import { readUserOverview } from './overview';
import { createUserBody, listUsersQuery, setPasswordBody, updateUserBody } from './schema';
import { createUser, deleteUser, getUser, listUsers, setUserPassword, unlockUser, updateUser } from './service';

const idParam = z.object({ id: fields.id });

export const userAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json(await listUsers(c.env.DB, parseQuery(c, listUsersQuery))))
  .post('/', async (c) => c.json(await createUser(c.env.DB, await parseJsonBody(c, createUserBody), c.var.now, auditOf(c)), 201))
  .get('/:id', async (c) => c.json(await getUser(c.env.DB, parse(idParam, c.req.param()).id)))
  .get('/:id/overview', async (c) => c.json(await readUserOverview(c.env.DB, parse(idParam, c.req.param()).id, c.var.now)))
  .patch('/:id', async (c) => {
    const { id } = parse(idParam, c.req.param());
    return c.json(await updateUser(c.env.DB, id, await parseJsonBody(c, updateUserBody), c.var.now, auditOf(c)));
  })
  .delete('/:id', async (c) => {
    await deleteUser(c.env.DB, parse(idParam, c.req.param()).id, auditOf(c));
    return c.body(null, 204);
  })
  .put('/:id/password', async (c) => {
    const { id } = parse(idParam, c.req.param());
    const { password } = await parseJsonBody(c, setPasswordBody);
    await setUserPassword(c.env.DB, id, password, c.var.now, auditOf(c));
    return c.body(null, 204);
  })
  .post('/:id/unlock', async (c) => {
    await unlockUser(c.env.DB, parse(idParam, c.req.param()).id, auditOf(c));
    return c.body(null, 204);
  });
