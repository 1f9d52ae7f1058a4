/** Admin API: /api/admin/api-keys (behind `requireAdmin`, which already keeps `read` and `verify` keys from writing). */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { fields, parse, parseJsonBody } from '../lib/validate';
import { API_KEY_SCOPES, assertMayCreateScope, createApiKey, listApiKeys, revokeApiKey } from './api-keys';

/** The scope is required: a key's power is always a choice, never a default someone forgot to change. */
export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scope: z.enum(API_KEY_SCOPES),
  /** Epoch milliseconds after which the key is refused; absent or null = no expiry. */
  expiresAt: z.number().int().positive().nullable().optional(),
});

export const apiKeyAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json({ items: await listApiKeys(c.env.DB, c.var.now) }))
  .post('/', async (c) => {
    const input = await parseJsonBody(c, createApiKeyBody);
    const creator = c.var.auth!;
    assertMayCreateScope(creator, input.scope);
    // A key made by a key belongs to that key's owner: it dies with the same admin's rights.
    const ownerUserId = creator.kind === 'session' ? creator.userId : creator.ownerUserId;
    const createdByKeyId = creator.kind === 'apiKey' ? creator.apiKeyId : null;
    const created = await createApiKey(c.env.DB, { ...input, ownerUserId, createdByKeyId, nowMs: c.var.now }, auditOf(c));
    // The key is returned this once; only its hash is stored.
    return c.json({ ...created.apiKey, key: created.key }, 201);
  })
  .delete('/:id', async (c) => {
    await revokeApiKey(c.env.DB, parse(z.object({ id: fields.id }), c.req.param()).id, c.var.now, auditOf(c));
    return c.body(null, 204);
  });
