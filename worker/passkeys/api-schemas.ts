/**
 * What the passkey routes answer (profile, sign-in, portal): a passkey as its owner sees it, and the WebAuthn
 * options handed to the browser as @simplewebauthn makes them (its JSON forms of the WebAuthn Level 3 options).
 */
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { answerOf, epochMs } from '../lib/answers';
import type { PasskeyEntry } from './repo';

export const passkeyAnswer = answerOf<PasskeyEntry>()(
  z
    .object({
      id: z.uuid(),
      name: z.string(),
      createdAt: epochMs(),
      lastUsedAt: epochMs().nullable(),
      backedUp: z.boolean().describe('Synced by its provider (a passkey in a password manager or cloud keychain)'),
      transports: z.array(z.string()),
    })
    .openapi('Passkey'),
);

/** The options' extensions go to the browser as they are; the WebAuthn API defines them, not this API. */
type AsSent<Options> = Omit<Options, 'extensions'> & { extensions?: Record<string, unknown> };
const extensions = z.record(z.string(), z.unknown()).optional().describe('WebAuthn client extension inputs, passed to the browser as they are');
const userVerification = z.enum(['discouraged', 'preferred', 'required']);
const hints = z.array(z.enum(['hybrid', 'security-key', 'client-device'])).optional();
const credentialDescriptor = z.object({ id: z.string().describe('base64url credential id'), transports: z.array(z.string()).optional(), type: z.string() });

export const passkeyRequestOptions = answerOf<AsSent<PublicKeyCredentialRequestOptionsJSON>>()(
  z
    .object({
      challenge: z.string().describe('base64url'),
      timeout: z.number().optional().describe('Milliseconds'),
      rpId: z.string().optional(),
      allowCredentials: z.array(credentialDescriptor).optional(),
      userVerification: userVerification.optional(),
      hints,
      extensions,
    })
    .openapi('PasskeyRequestOptions'),
);

export const passkeyCreationOptions = answerOf<AsSent<PublicKeyCredentialCreationOptionsJSON>>()(
  z
    .object({
      rp: z.object({ name: z.string(), id: z.string().optional() }),
      user: z.object({ id: z.string().describe('base64url user handle'), name: z.string(), displayName: z.string() }),
      challenge: z.string().describe('base64url'),
      pubKeyCredParams: z.array(z.object({ alg: z.number().describe('COSE algorithm identifier'), type: z.literal('public-key') })),
      timeout: z.number().optional().describe('Milliseconds'),
      excludeCredentials: z.array(credentialDescriptor).optional(),
      authenticatorSelection: z
        .object({
          authenticatorAttachment: z.enum(['cross-platform', 'platform']).optional(),
          requireResidentKey: z.boolean().optional(),
          residentKey: z.enum(['discouraged', 'preferred', 'required']).optional(),
          userVerification: userVerification.optional(),
        })
        .optional(),
      hints,
      attestation: z.enum(['direct', 'enterprise', 'indirect', 'none']).optional(),
      attestationFormats: z.array(z.enum(['fido-u2f', 'packed', 'android-safetynet', 'android-key', 'tpm', 'apple', 'none'])).optional(),
      extensions,
    })
    .openapi('PasskeyCreationOptions'),
);

/** `{options}` for navigator.credentials.get(): to sign in or prove a step-up with a passkey. */
export const passkeyRequestAnswer = z.object({ options: passkeyRequestOptions });
/** `{options}` for navigator.credentials.create(): to register a passkey. */
export const passkeyCreationAnswer = z.object({ options: passkeyCreationOptions });
