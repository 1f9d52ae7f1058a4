/** What /api/admin/resources answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import type { AssignmentView, ResourceView } from './service';

export const resourceAnswer = answerOf<ResourceView>()(
  z
    .object({
      id: z.uuid(),
      name: z.string(),
      description: z.string(),
      userCount: z.number().int().describe('Users assigned (either kind)'),
      selfService: z
        .object({
          enabled: z.boolean(),
          alias: z.string().nullable().describe('The portal lives at /selfservice/{alias}'),
          actions: z.array(z.string()).describe('The self-service actions offered, in order'),
          tokenTypes: z.array(z.string()).describe('The token types Register New Token offers'),
        })
        .describe('The self-service portal of this resource'),
      createdAt: epochMs(),
    })
    .openapi('Resource'),
);
export type ResourceAnswer = z.infer<typeof resourceAnswer>;

export const assignmentAnswer = answerOf<AssignmentView>()(
  z
    .object({
      id: z.string(),
      kind: z.enum(['user', 'token_with_user']).describe("'user': any of the user's tokens; 'token_with_user': this token only"),
      user: z.object({ id: z.uuid(), login: z.string(), firstName: z.string(), lastName: z.string() }),
      token: z.object({ id: z.uuid(), serial: z.string(), type: z.string(), enabled: z.boolean() }).nullable(),
      createdAt: epochMs(),
    })
    .openapi('Assignment'),
);
export type AssignmentAnswer = z.infer<typeof assignmentAnswer>;

/** PUT /resources/{id}/self-service: the resource as saved, with where its portal now lives. */
export const savedPortalAnswer = resourceAnswer
  .extend({ portalUrl: z.string().nullable().describe('The portal address, null while it has no alias') })
  .openapi('ResourceWithPortal');
