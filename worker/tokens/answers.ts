/** What /api/admin/tokens answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { SECRET_TOKEN_TYPES, TOKEN_TYPES } from '../contract/tokens';
import { HASH_ALGORITHMS } from '../db/schema';
import { answerOf, epochMs, itemsOf } from '../lib/answers';
import type { importTokens } from './import-service';
import type { AdminCheckCodeSent } from './message-tokens';
import type { EnrolmentView, TokenView } from './service';
import type { TokenResource } from './token-resources';

export const tokenAnswer = answerOf<TokenView>()(
  z
    .object({
      id: z.uuid(),
      serial: z.string(),
      type: z.enum(TOKEN_TYPES),
      kind: z.enum(['software', 'hardware']),
      description: z.string(),
      algorithm: z.enum(HASH_ALGORITHMS),
      digits: z.number().int(),
      periodSeconds: z.number().int(),
      counter: z.number().int(),
      ocraSuite: z.string().nullable(),
      hasPin: z.boolean(),
      pinPosition: z.enum(['before', 'after']).describe('Where the PIN goes relative to the code'),
      failCount: z.number().int(),
      lockedUntil: epochMs().nullable(),
      enabled: z.boolean(),
      activated: z.boolean().describe('false until the first correct code (a pending enrolment)'),
      driftSteps: z.number().int(),
      destination: z.string().nullable().describe('SMS and EMAIL tokens: where codes go, masked ("+49•••••••67"); null for OTP generators'),
      owner: z.object({ id: z.uuid(), login: z.string() }).nullable(),
      lastUsedAt: epochMs().nullable(),
      createdAt: epochMs(),
      recoveryCodes: z
        .object({ remaining: z.number().int(), total: z.number().int(), voidedAt: epochMs().nullable() })
        .nullable()
        .describe('RECOVERY_CODES sets: how many codes remain, of how many, and when an administrator voided them; else null'),
      passkey: z
        .object({
          aaguid: z.string(),
          transports: z.array(z.string()),
          backupEligible: z.boolean(),
          backedUp: z.boolean(),
          signCount: z.number().int(),
          suspiciousAt: epochMs().nullable().describe('When a signature counter failed to go up (a cloned authenticator); refused since'),
        })
        .nullable()
        .describe('PASSKEY tokens; else null'),
    })
    .openapi('Token'),
);
export type TokenAnswer = z.infer<typeof tokenAnswer>;

export const enrolmentAnswer = answerOf<EnrolmentView>()(
  z
    .object({
      token: tokenAnswer,
      enrolment: z
        .object({ secretBase32: z.string(), keyUri: z.string().describe('otpauth:// URI'), qrSvg: z.string().describe('The key URI as an SVG QR code') })
        .describe('Shown this once'),
    })
    .openapi('TokenEnrolment'),
);
export type EnrolmentAnswer = z.infer<typeof enrolmentAnswer>;

export const checkCodeSentAnswer = answerOf<AdminCheckCodeSent>()(
  z.object({ sentTo: z.string().nullable().describe('Where it went, masked as in the token'), expiresAt: epochMs() }),
);

export const tokenResourcesAnswer = itemsOf(
  answerOf<TokenResource>()(
    z.object({
      id: z.uuid(),
      name: z.string(),
      via: z.enum(['token', 'user']).describe("'token': assigned as this very token; 'user': through its owner's plain assignment"),
    }),
  ),
);
export type TokenResourceAnswer = z.infer<typeof tokenResourcesAnswer>['items'][number];

export const importAnswer = answerOf<Awaited<ReturnType<typeof importTokens>>>()(
  z
    .object({
      imported: z.number().int().describe('Tokens created (0 in a dry run)'),
      dryRun: z.boolean().optional().describe('true: nothing was written; `tokens` is what would be imported'),
      tokens: z.array(
        z.object({
          serial: z.string(),
          type: z.enum(SECRET_TOKEN_TYPES),
          algorithm: z.enum(HASH_ALGORITHMS),
          digits: z.number().int(),
          counter: z.number().int(),
          periodSeconds: z.number().int(),
        }),
      ),
    })
    .openapi('TokenImport'),
);
export type ImportAnswer = z.infer<typeof importAnswer>;
