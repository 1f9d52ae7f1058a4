/**
 * The WebAuthn responses as they cross the boundary (@simplewebauthn/browser's JSON): their shape and sizes are
 * checked here, their content by the verifier (ceremonies.ts).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';

const base64Url = (maxLength: number) => z.string().min(1).max(maxLength).regex(/^[A-Za-z0-9_-]+={0,2}$/);
const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8);
const common = {
  id: base64Url(1400),
  rawId: base64Url(1400),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
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
export const passkeyName = z.string().trim().min(1).max(64);
