/**
 * The WebAuthn responses as they cross the boundary (@simplewebauthn/browser's JSON): their shape and sizes are
 * checked here, their content by the verifier (ceremonies.ts).
 */
import type { AuthenticationExtensionsClientOutputs, AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { PASSKEY_NAME_MAX_LENGTH } from '../contract/fields';

const base64Url = (maxLength: number) => z.string().min(1).max(maxLength).regex(/^[A-Za-z0-9_-]+={0,2}$/);
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
/**
 * A browser's credential is typed by WebAuthn's JSON (@simplewebauthn copies it): transports as any strings, the
 * extension results as WebAuthn's interface (and an interface does not pass as a record type). These two declare
 * those types as their input, so the typed client takes a credential as the browser made it; what they accept is
 * unchanged (the known transports, a JSON object of results).
 */
const transports: z.ZodType<Array<(typeof TRANSPORTS)[number]>, string[]> = z.array(z.enum(TRANSPORTS)).max(8);
const extensionResults: z.ZodType<Record<string, unknown>, AuthenticationExtensionsClientOutputs> = z.record(z.string(), z.unknown());
const common = {
  id: base64Url(1400),
  rawId: base64Url(1400),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: extensionResults.default({}),
};

export const registrationCredential = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64Url(4096),
    attestationObject: base64Url(16384),
    authenticatorData: base64Url(8192).optional(),
    transports: transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64Url(4096).optional(),
  }),
}) satisfies z.ZodType<RegistrationResponseJSON>;

export const authenticationCredential = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64Url(4096),
    authenticatorData: base64Url(8192),
    signature: base64Url(1024),
    userHandle: base64Url(128).nullish().transform((value) => value ?? undefined),
  }),
}) satisfies z.ZodType<AuthenticationResponseJSON>;

/** A passkey's name, as the user calls it ("Laptop", "YubiKey 5"). */
export const passkeyName = z.string().trim().min(1).max(PASSKEY_NAME_MAX_LENGTH);
