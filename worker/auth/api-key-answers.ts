/** What /api/admin/api-keys answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import { API_KEY_SCOPES, type ApiKeyView } from './api-keys';

export const apiKeyAnswer = answerOf<ApiKeyView>()(
  z
    .object({
      id: z.uuid(),
      name: z.string(),
      keyPrefix: z.string().describe('The first characters of the key, to recognise it; never the secret'),
      scope: z.enum(API_KEY_SCOPES),
      ownerUserId: z.uuid().nullable(),
      ownerLogin: z.string().nullable().describe('null once the owner is deleted (the key is then refused)'),
      createdAt: epochMs(),
      lastUsedAt: epochMs().nullable(),
      expiresAt: epochMs().nullable(),
      revokedAt: epochMs().nullable(),
      status: z
        .enum(['active', 'revoked', 'expired', 'owner_inactive'])
        .describe('Whether the key works now, and if not why: owner_inactive = its owner is no longer an enabled admin'),
    })
    .openapi('ApiKey'),
);
export type ApiKeyAnswer = z.infer<typeof apiKeyAnswer>;

export const createdApiKeyAnswer = apiKeyAnswer.extend({ key: z.string().describe('The secret, returned this once (only its hash is stored)') }).openapi('CreatedApiKey');
