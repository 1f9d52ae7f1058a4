/**
 * The bodies and answers of /api/auth, and the step-up both the profile (/api/profile/step-up) and the portal
 * (/api/portal/{alias}/step-up) take: one declaration, so the two doors cannot come to accept different proofs.
 */
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import { fields } from '../lib/validate';
import { authenticationCredential } from '../passkeys/schema';
import { userAnswer } from '../users/answers';
import type { UserView } from '../users/service';
import type { CodeDelivery, LoginStep } from './login-service';
import type { sendStepUpCode } from './step-up';

const stepUpFactorId = z.string().min(1).max(64);
/** The handle a sent code (SMS, email) is answered with. */
export const sentCodeChallenge = z.string().min(16).max(200);

/** A typed code ({otp}, with challengeId and factorId for a code that was sent), or a passkey's assertion. */
export const stepUpBody = z.union([
  z.strictObject({ otp: fields.typedOtp, challengeId: sentCodeChallenge.optional(), factorId: stepUpFactorId.optional() }),
  z.strictObject({ passkey: authenticationCredential }),
]);

/** "Send me a code" to one of the offered SMS or email factors. */
export const stepUpCodeBody = z.strictObject({ factorId: stepUpFactorId });

const delivery = answerOf<CodeDelivery>()(z.object({ channel: z.enum(['email', 'sms']), to: z.string().describe('Masked') }));

export const stepUpCodeAnswer = answerOf<Awaited<ReturnType<typeof sendStepUpCode>>>()(
  z.object({ challengeId: z.string().describe('Answer the code with it'), expiresAt: epochMs(), channel: z.enum(['email', 'sms']), to: z.string().describe('Masked') }),
);

type SecondFactorStep = Extract<LoginStep, { state: 'second_factor' }>;

/** A sign-in step as /api/auth answers it: signed in (the session cookie is set), or the second factor asked. */
export const loginStepAnswer = answerOf<{ state: 'signed_in'; user: UserView; csrfToken: string } | SecondFactorStep>()(
  z.discriminatedUnion('state', [
    z.object({ state: z.literal('signed_in'), user: userAnswer, csrfToken: z.string().describe('Send as X-CSRF-Token with every change') }),
    z.object({
      state: z.literal('second_factor'),
      challenge: z.string().describe('Answer the second factor with it'),
      methods: z.array(z.enum(['passkey', 'otp', 'recovery_code', 'code', 'sms'])).describe('The ways the user may answer'),
      delivery: delivery.optional().describe('Where a code was sent (SMS or email second factor)'),
      expiresAt: epochMs(),
    }),
  ]),
);

/** GET /api/auth/me: the signed-in administrator and the CSRF token of the session. */
export const meAnswer = answerOf<{ user: UserView; csrfToken: string }>()(z.object({ user: userAnswer, csrfToken: z.string() }));
