/**
 * The portal API's bodies and answers (/api/portal/{alias}/...), declared once for the validator, the handlers'
 * types and the OpenAPI document. An answer lists the fields the portal page reads; the typed handlers hold the
 * services to them.
 */
import { z } from 'zod';
import { sentCodeChallenge, stepUpCodeAnswer, stepUpCodeBody } from '../auth/api-schemas';
import {
  ENVIRONMENT_NAME_MAX_LENGTH,
  LOGIN_MAX_LENGTH,
  PORTAL_PIN_PATTERN,
  TOKEN_DESCRIPTION_MAX_LENGTH,
  TOKEN_PIN_DEFAULT_LENGTH,
  TOKEN_SERIAL_MAX_LENGTH,
  TYPED_PASSWORD_MAX_LENGTH,
} from '../contract/fields';
import { fields } from '../lib/validate';
import { passwordField } from '../users/schema';
import { AUTHENTICATORS } from './recovery-service';
import { CODE_ENROLMENT_TOKEN_TYPES, SELF_SERVICE_ACTIONS, SELF_SERVICE_TOKEN_TYPES } from './actions';

export const otp = fields.typedOtp;
export const flow = z.string().min(1).max(200);
export const code = fields.sentCode;
export const typedPassword = z.string().min(1).max(TYPED_PASSWORD_MAX_LENGTH);
export const login = z.string().trim().min(1).max(LOGIN_MAX_LENGTH);
/** A code sent by SMS or email is answered with the challenge it was sent under. */
export const challengeId = z.string().min(1).max(200);
const pin = z.string().regex(PORTAL_PIN_PATTERN, `must be ${TOKEN_PIN_DEFAULT_LENGTH} digits`);
/** Register New Token and Reassign Token share their routes; `reassign` says which action (and which switch) it is. */
const reassign = z.boolean().default(false);

export const aliasParams = z.object({ alias: z.string().describe("The portal's alias (/selfservice/{alias})") });
export const environmentParams = aliasParams.extend({ id: fields.id });

export const body = {
  signIn: z.strictObject({ login }),
  password: z.strictObject({ flow, password: typedPassword }),
  flow: z.strictObject({ flow }),
  emailCode: z.strictObject({ flow, code }),
  otp: z.strictObject({ flow, otp }),
  recoveryStart: z.strictObject({ login, lost: z.array(z.enum(AUTHENTICATORS)).min(1).max(3) }),
  recoveryProof: z.union([z.strictObject({ flow, password: typedPassword }), z.strictObject({ flow, emailCode: code }), z.strictObject({ flow, otp })]),
  recoverySubmit: z.strictObject({
    flow,
    password: z.string().max(TYPED_PASSWORD_MAX_LENGTH).optional(),
    emailCode: code.optional(),
    otp: otp.optional(),
    newPassword: passwordField.optional(),
    newEmail: fields.email.optional(),
  }),
  stepUpCode: stepUpCodeBody,
  tokenEnrol: z.strictObject({
    type: z.enum(CODE_ENROLMENT_TOKEN_TYPES),
    description: z.string().trim().max(TOKEN_DESCRIPTION_MAX_LENGTH).default(''),
    /** SMS and EMAIL tokens: the phone number or email address the codes go to. */
    destination: fields.codeDestination.optional(),
    reassign,
  }),
  passkeyOptions: z.strictObject({ reassign }),
  tokenResend: z.strictObject({ tokenId: fields.id, reassign }),
  tokenConfirm: z.strictObject({ tokenId: fields.id, otp, challengeId: sentCodeChallenge.optional(), reassign }),
  tokenClaim: z.strictObject({ serial: z.string().trim().min(1).max(TOKEN_SERIAL_MAX_LENGTH), otp }),
  tokenSync: z.strictObject({ otp1: otp, otp2: otp }),
  pin: z.strictObject({ pin, pinPosition: z.enum(['before', 'after']) }),
  newPassword: z.strictObject({ password: passwordField }),
  changePassword: z.strictObject({ currentPassword: typedPassword, newPassword: passwordField }),
  email: z.strictObject({ email: fields.email }),
  phone: z.strictObject({ phone: fields.phone }),
  sentCode: z.strictObject({ challengeId, code }),
  login: z.strictObject({ login: fields.login }),
  name: z.strictObject({ firstName: fields.personName.min(1), lastName: fields.personName.min(1) }),
  environmentName: z.strictObject({ name: z.string().trim().max(ENVIRONMENT_NAME_MAX_LENGTH).nullable() }),
  none: z.strictObject({}),
};

const delivery = z.object({ channel: z.enum(['sms', 'email']), to: z.string().describe('Masked') });

export const answer = {
  portal: z.object({
    resource: z.string(),
    alias: z.string(),
    signedIn: z.boolean().describe('Whether the request carries a live session of this portal: then GET /me answers; otherwise it would be a 401'),
  }),
  signIn: z.union([
    z.object({
      state: z.literal('continue'),
      flow: z.string(),
      step: z.enum(['password', 'email_code', 'otp']),
      /** The password step also offers "get a sign-in code by email" (for every login alike). */
      emailCodeOption: z.boolean(),
      delivery: delivery.optional().describe('SMS/EMAIL token at the OTP step: where the code went'),
      passkey: z.literal(true).optional().describe('At the OTP step: a passkey may answer it (POST /signin/passkey/options)'),
    }),
    z.object({ state: z.literal('signed_in'), csrfToken: z.string() }),
  ]),
  token: z.object({
    id: z.string(),
    serial: z.string(),
    type: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    activated: z.boolean(),
    hasPin: z.boolean(),
    pinPosition: z.enum(['before', 'after']).nullable(),
    destination: z.string().nullable().optional().describe('SMS/EMAIL tokens: where codes go, masked'),
  }),
  challenge: z.object({ challengeId: z.string(), expiresAt: z.number().int() }),
  recoveryStart: z.object({
    flow: z.string(),
    verify: z.array(z.enum(AUTHENTICATORS)),
    needs: z.object({ newPassword: z.boolean(), newEmail: z.boolean() }),
    emailCooldownMs: z.number().int().optional().describe('No new email code could go out yet: how long until one can'),
  }),
  recoveryProof: z.object({ verified: z.array(z.enum(AUTHENTICATORS)), verify: z.array(z.enum(AUTHENTICATORS)), attemptsLeft: z.number().int() }),
  recoverySubmitted: z.object({ submitted: z.literal(true) }),
  recoveryCodes: z.object({ codes: z.array(z.string()), createdAt: z.number().int() }),
  environments: z.object({
    items: z.array(
      z.object({
        id: z.string(),
        name: z.string().nullable(),
        attributes: z.object({
          country: z.string().nullable(),
          region: z.string().nullable(),
          asn: z.number().nullable(),
          timezone: z.string().nullable(),
          tlsVersion: z.string().nullable(),
          browser: z.string().nullable(),
          os: z.string().nullable(),
          ipPrefix: z.string().nullable(),
        }),
        signInCount: z.number().int(),
        firstSeenAt: z.number().int(),
        lastSeenAt: z.number().int(),
      }),
    ),
  }),
  email: z.object({ email: z.string() }),
  phone: z.object({ phone: z.string() }),
  stepUpCode: stepUpCodeAnswer,
};

const tokenEnrolment = z.object({
  token: z.object({ id: z.string(), serial: z.string() }),
  /** Shown once: the base32 seed, the otpauth:// URI and its QR code. */
  enrolment: z.object({ secretBase32: z.string(), keyUri: z.string(), qrSvg: z.string() }),
});
const codeSent = z.object({ challengeId: z.string(), expiresAt: z.number().int(), channel: z.enum(['sms', 'email']) });
const messageEnrolment = codeSent.extend({ token: z.object({ id: z.string(), serial: z.string(), type: z.enum(['SMS', 'EMAIL']), destination: z.string().nullable() }) });

export const enrolmentAnswer = { software: tokenEnrolment, message: messageEnrolment, codeSent };

export const overviewAnswer = z.object({
  resource: z.object({ name: z.string(), alias: z.string() }),
  actions: z.array(z.enum(SELF_SERVICE_ACTIONS)),
  tokenTypes: z.array(z.enum(SELF_SERVICE_TOKEN_TYPES)),
  user: z.object({
    login: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    language: z.enum(['de', 'en']),
    hasPassword: z.boolean(),
  }),
  token: answer.token.nullable(),
  recoveryCodes: z.object({ remaining: z.number().int(), total: z.number().int(), createdAt: z.number().int() }).nullable().describe('The recovery code set; null: none'),
  csrfToken: z.string(),
});

export type PortalOverview = z.infer<typeof overviewAnswer>;
export type SignInAnswer = z.infer<typeof answer.signIn>;
export type CodeDelivery = z.infer<typeof delivery>;
export type RecoveryStart = z.infer<typeof answer.recoveryStart>;
export type RecoveryCodesIssued = z.infer<typeof answer.recoveryCodes>;
export type Enrolment = z.infer<typeof tokenEnrolment>;
export type MessageEnrolment = z.infer<typeof messageEnrolment>;
export type PortalEnvironment = z.infer<typeof answer.environments>['items'][number];
