/** What /api/profile answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import { passkeyAnswer } from '../passkeys/api-schemas';
import { userAnswer } from '../users/answers';
import type { profileWithTwoFactor } from './service';

export const profileAnswer = answerOf<Awaited<ReturnType<typeof profileWithTwoFactor>>>()(
  z
    .object({
      user: userAnswer,
      passkeys: z.array(passkeyAnswer),
      recoveryCodes: z
        .object({ remaining: z.number().int(), total: z.number().int(), createdAt: epochMs() })
        .nullable()
        .describe('The recovery code set: how many remain of how many, made when; null: none'),
      twoFactor: z
        .object({
          available: z.boolean().describe('Whether the platform offers SMS two-factor sign-in'),
          disabledByOffices: z.array(z.string()).describe('The workspaces that switched it off for this user'),
          phone: z.string().nullable(),
          phoneVerified: z.boolean(),
          active: z.boolean(),
        })
        .describe('SMS two-factor sign-in'),
    })
    .openapi('Profile'),
);
export type ProfileAnswer = z.infer<typeof profileAnswer>;
