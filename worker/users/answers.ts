/** What /api/admin/users answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { USER_ACTIVITY_TYPES } from '../db/schema';
import { answerOf, epochMs } from '../lib/answers';
import { tokenAnswer } from '../tokens/answers';
import type { UserOverview } from './overview';
import type { UserView } from './service';

export const userAnswer = answerOf<UserView>()(
  z
    .object({
      id: z.uuid(),
      login: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      email: z.string().nullable(),
      phone: z.string().nullable(),
      language: z.enum(['de', 'en']),
      enabled: z.boolean(),
      isAdmin: z.boolean(),
      hasPassword: z.boolean().describe('Whether a password is set (the hash is never shown)'),
      smsPhone: z.string().nullable().describe('The number SMS second-factor codes go to'),
      smsPhoneVerified: z.boolean(),
      smsTwoFactorActive: z.boolean(),
      createdAt: epochMs(),
      updatedAt: epochMs(),
    })
    .openapi('User'),
);
export type UserAnswer = z.infer<typeof userAnswer>;

const named = z.object({ id: z.uuid(), name: z.string() });

export const userOverviewAnswer = answerOf<UserOverview>()(
  z
    .object({
      user: userAnswer,
      tokens: z.array(tokenAnswer),
      assignments: z.array(
        z.object({
          resource: named,
          kind: z.enum(['user', 'token_with_user']).describe("'user': any of the user's tokens; 'token_with_user': this token only"),
          token: z.object({ id: z.uuid(), serial: z.string() }).nullable(),
        }),
      ),
      offices: z.array(named).describe('Workspaces'),
      groups: z.array(named),
      recentActivities: z.array(z.object({ id: z.string(), type: z.enum(USER_ACTIVITY_TYPES), channel: z.string(), ip: z.string().nullable(), at: epochMs() })),
      openIssues: z.array(z.object({ id: z.string(), lost: z.array(z.string()), resource: z.string().nullable(), createdAt: epochMs() })),
    })
    .openapi('UserOverview'),
);
export type UserOverviewAnswer = z.infer<typeof userOverviewAnswer>;
