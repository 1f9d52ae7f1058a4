/** Admin API: /api/admin/api-keys (behind `requireAdmin`, which already keeps `read` and `verify` keys from writing). */
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { API_KEY_NAME_MAX_LENGTH } from '../contract/fields';
import { apiRouter, idParams, json, jsonBody, noContent, route } from '../lib/api-router';
import { itemsOf } from '../lib/answers';
import { apiKeyAnswer, createdApiKeyAnswer } from './api-key-answers';
import { API_KEY_SCOPES, assertMayCreateScope, createApiKey, listApiKeys, revokeApiKey } from './api-keys';

/** The scope is required: a key's power is always a choice, never a default someone forgot to change. */
const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(API_KEY_NAME_MAX_LENGTH),
  scope: z.enum(API_KEY_SCOPES),
  expiresAt: z.number().int().positive().nullable().optional().describe('Epoch milliseconds after which the key is refused; absent or null = no expiry'),
});

const tags = ['API keys'];

export const apiKeyAdminRoutes = apiRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      tags,
      summary: 'List API keys: scope, owner (ownerUserId, ownerLogin), created, last used, expiry, status (active, revoked, expired, owner_inactive)',
      responses: { 200: json(itemsOf(apiKeyAnswer), 'Every key (never the secret)') },
    }),
    async (c) => c.json({ items: await listApiKeys(c.env.DB, c.var.now) }, 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/',
      tags,
      summary:
        'Create an API key (shown once) with a scope: verify (only /api/v1/verify), read (admin API GET only) or admin (all; only from an admin session). Owned by the creating admin; refused once that admin is disabled, demoted or deleted, or after expiresAt',
      request: { body: jsonBody(createApiKeyBody) },
      responses: { 201: json(createdApiKeyAnswer, 'The key with its secret `key`, returned this once') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const creator = c.var.auth!;
      assertMayCreateScope(creator, input.scope);
      // A key made by a key belongs to that key's owner: it dies with the same admin's rights.
      const ownerUserId = creator.kind === 'session' ? creator.userId : creator.ownerUserId;
      const createdByKeyId = creator.kind === 'apiKey' ? creator.apiKeyId : null;
      const created = await createApiKey(c.env.DB, { ...input, ownerUserId, createdByKeyId, nowMs: c.var.now }, auditOf(c));
      // The key is returned this once; only its hash is stored.
      return c.json({ ...created.apiKey, key: created.key }, 201);
    },
  )
  .openapi(route({ method: 'delete', path: '/{id}', tags, summary: 'Revoke an API key', request: { params: idParams }, responses: noContent }), async (c) => {
    await revokeApiKey(c.env.DB, c.req.valid('param').id, c.var.now, auditOf(c));
    return c.body(null, 204);
  });
