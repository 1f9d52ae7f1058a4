/** What /api/admin/sign-in-script answers, field by field where declared (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs, itemsOf } from '../lib/answers';
import type { readVersionSource } from './service';
import type { ScriptUserField } from './user-fields';

export const scriptVersionAnswer = answerOf<Awaited<ReturnType<typeof readVersionSource>>>()(
  z
    .object({
      version: z.number().int(),
      source: z.string().describe('The script as saved (YAML)'),
      onError: z.enum(['deny', 'continue']).describe('What a sign-in does when the script fails'),
      savedAt: epochMs(),
      savedBy: z.string().nullable().describe('The login of the administrator who saved it'),
    })
    .openapi('ScriptVersion'),
);

export const scriptUserFieldsAnswer = answerOf<{ items: Array<Pick<ScriptUserField, 'name' | 'writable' | 'type' | 'description'>> }>()(
  itemsOf(
    z.object({
      name: z.string().describe('The system name scripts use'),
      writable: z.boolean(),
      type: z.enum(['string', 'boolean']),
      description: z.string(),
    }),
  ),
);
