/** What /api/admin/audit answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import { AUDIT_OBJECT_TYPES } from './record';
import type { AuditPage } from './repo';

export const auditEntryAnswer = z
  .object({
    id: z.string(),
    at: epochMs(),
    actor: z.object({ userId: z.string().nullable(), login: z.string().nullable() }).describe('The administrator (login kept after their deletion)'),
    apiKey: z.object({ id: z.string(), name: z.string().nullable() }).nullable().describe('The API key the change came through, or null for a session'),
    action: z.string(),
    objectType: z.enum(AUDIT_OBJECT_TYPES),
    objectId: z.string().nullable(),
    objectName: z.string().nullable(),
    before: z.unknown().describe('The object before the change, secrets masked'),
    after: z.unknown().describe('The object after the change, secrets masked'),
    ip: z.string().nullable(),
    client: z.string().nullable(),
  })
  .openapi('AuditEntry');

export const auditPageAnswer = answerOf<AuditPage>()(
  z
    .object({
      items: z.array(auditEntryAnswer),
      total: z.number().int(),
      nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
    })
    .openapi('AuditPage'),
);
export type AuditEntryAnswer = z.infer<typeof auditEntryAnswer>;
