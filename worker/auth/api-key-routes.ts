/** Admin API: /api/admin/api-keys */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppBindings } from '../env';
import { fields, parse, parseJsonBody } from '../lib/validate';
import { currentUserId } from './middleware';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys';

export const apiKeyAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json({ items: await listApiKeys(c.env.DB) }))
  .post('/', async (c) => {
    const { name } = await parseJsonBody(c, z.strictObject({ name: z.string().trim().min(1).max(100) }));
    const created = await createApiKey(c.env.DB, { name, createdByUserId: currentUserId(c), nowMs: c.var.now });
    // The key is returned this once; only its hash is stored.
    return c.json({ ...created.apiKey, key: created.key }, 201);
  })
  .delete('/:id', async (c) => {
    await revokeApiKey(c.env.DB, parse(z.object({ id: fields.id }), c.req.param()).id, c.var.now);
    return c.body(null, 204);
  });
