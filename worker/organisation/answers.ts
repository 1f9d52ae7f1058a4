/** What /api/admin/offices and /api/admin/groups answer, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import type { MemberView, OrganisationView } from './service';

export const organisationAnswer = answerOf<OrganisationView>()(
  z
    .object({
      id: z.uuid(),
      name: z.string(),
      memberCount: z.number().int(),
      createdAt: epochMs(),
      twoFactorDisabled: z.boolean().optional().describe('Offices only: members sign in without a second factor'),
    })
    .openapi('Organisation'),
);
export type OrganisationAnswer = z.infer<typeof organisationAnswer>;

export const memberAnswer = answerOf<MemberView>()(
  z.object({ userId: z.uuid(), login: z.string(), firstName: z.string(), lastName: z.string(), addedAt: epochMs() }).openapi('Member'),
);
export type MemberAnswer = z.infer<typeof memberAnswer>;
