/** What /api/admin/user-issues answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs, itemsOf } from '../lib/answers';
import { AUTHENTICATORS, type UserIssueView } from './recovery-service';

const authenticatorStatus = z.enum(['verified', 'failed', 'lost', 'none']);

export const userIssueAnswer = answerOf<UserIssueView>()(
  z
    .object({
      id: z.string(),
      user: z.object({ id: z.uuid(), login: z.string(), firstName: z.string(), lastName: z.string() }),
      resource: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('The portal the request came from'),
      lost: z.array(z.enum(AUTHENTICATORS)),
      authenticators: z
        .object({ password: authenticatorStatus, email: authenticatorStatus, token: authenticatorStatus })
        .describe('What the user proved with each authenticator'),
      newEmail: z.string().nullable(),
      newPasswordGiven: z.boolean(),
      createdAt: epochMs(),
    })
    .openapi('UserIssue'),
);
export type UserIssueAnswer = z.infer<typeof userIssueAnswer>;

export const userIssuesAnswer = itemsOf(userIssueAnswer);
