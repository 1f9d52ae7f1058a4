import { z } from 'zod';
import { TOKEN_COUNTER_MAX } from '../constants';
import { HASH_ALGORITHMS } from '../db/schema';
import { fields } from '../lib/validate';
import { TOKEN_DESCRIPTION_MAX_LENGTH, TOKEN_PIN_MAX_LENGTH, TOKEN_PIN_MIN_LENGTH, TOKEN_PIN_PATTERN, TOKEN_SERIAL_MAX_LENGTH } from '../contract/fields';

/** The same limit the admin center's token forms state before the admin types. */
const tokenDescription = z.string().trim().max(TOKEN_DESCRIPTION_MAX_LENGTH).optional();

const serial = z.string().trim().min(1).max(TOKEN_SERIAL_MAX_LENGTH).regex(/^[\w.:-]+$/, 'may contain letters, digits and . _ : - only');
const pin = z.string().regex(TOKEN_PIN_PATTERN, `must be ${TOKEN_PIN_MIN_LENGTH} to ${TOKEN_PIN_MAX_LENGTH} digits`);
const pinPosition = z.enum(['before', 'after']);
const otp = fields.typedOtp;

export const createSoftwareTokenBody = z.strictObject({
  type: z.enum(['TOTP', 'HOTP']),
  serial: serial.optional(),
  description: tokenDescription,
  algorithm: z.enum(HASH_ALGORITHMS).default('SHA1'),
  digits: z.union([z.literal(6), z.literal(8)]).default(6),
  periodSeconds: z.union([z.literal(30), z.literal(60)]).default(30),
  ownerUserId: fields.id.nullable().optional(),
  pin: pin.optional(),
  pinPosition: pinPosition.optional(),
});

export const createHardwareTokenBody = z.strictObject({
  type: z.enum(['TOTP', 'HOTP', 'OCRA']),
  serial,
  seed: z.string().trim().min(1).max(512),
  seedEncoding: z.enum(['base32', 'hex', 'auto']).default('auto'),
  description: tokenDescription,
  algorithm: z.enum(HASH_ALGORITHMS).default('SHA1'),
  digits: z.number().int().default(6),
  periodSeconds: z.number().int().default(30),
  // Beyond TOKEN_COUNTER_MAX the HOTP/OCRA code cannot compute the counter exactly (constants.ts).
  counter: z.number().int().min(0).max(TOKEN_COUNTER_MAX).default(0),
  ocraSuite: z.string().trim().max(64).optional(),
  ownerUserId: fields.id.nullable().optional(),
  pin: pin.optional(),
  pinPosition: pinPosition.optional(),
});

/** An SMS or EMAIL token for a user: codes go to `destination` (a phone number, or an email address). */
export const createMessageTokenBody = z.strictObject({
  type: z.enum(['SMS', 'EMAIL']),
  destination: fields.codeDestination,
  ownerUserId: fields.id,
  serial: serial.optional(),
  description: tokenDescription,
  pin: pin.optional(),
  pinPosition: pinPosition.optional(),
});

export const updateTokenBody = z.strictObject({
  description: tokenDescription,
  enabled: z.boolean().optional(),
  ownerUserId: fields.id.nullable().optional(),
});

export const setPinBody = z.strictObject({ pin: pin.nullable(), pinPosition: pinPosition.optional() });
export const checkOtpBody = z.strictObject({ otp, challenge: z.string().max(128).optional() });
export const resyncBody = z.strictObject({ otp1: otp, otp2: otp });

export const listTokensQuery = z.object({
  search: fields.search,
  ownerUserId: fields.id.optional(),
  unassigned: z.enum(['true', 'false']).optional(),
  page: fields.page,
  pageSize: fields.pageSize,
});
