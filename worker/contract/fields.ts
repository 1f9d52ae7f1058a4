/**
 * The rules of the fields people type into, shared by the worker's schemas and the UI's forms (which state them as
 * hints and check them before sending). The security numbers themselves stay in worker/constants.ts.
 */
import { ALIAS_PATTERN } from './selfservice';
import { TOKEN_PIN_DEFAULT_LENGTH, TOKEN_PIN_MAX_LENGTH, TOKEN_PIN_MIN_LENGTH } from '../constants';

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../constants';
export { TOKEN_PIN_DEFAULT_LENGTH, TOKEN_PIN_MAX_LENGTH, TOKEN_PIN_MIN_LENGTH };

export const LOGIN_MAX_LENGTH = 128;
/** Letters and digits of any script and . _ @ + - (logins are often email addresses). */
export const LOGIN_PATTERN = /^[\p{L}\p{N}._@+-]+$/u;
export const EMAIL_MAX_LENGTH = 254;
export const PERSON_NAME_MAX_LENGTH = 100;
/** A token's description (its name on lists), as the admin or the user types it. */
export const TOKEN_DESCRIPTION_MAX_LENGTH = 200;

export const PHONE_MIN_LENGTH = 3;
export const PHONE_MAX_LENGTH = 32;
/**
 * Only the shape: digits with the usual separators. Whether the number exists in its country is the server's check
 * (libphonenumber), which answers INVALID_PHONE.
 */
export const PHONE_SHAPE = /^\+?[\d\s()./-]+$/;

/** A token PIN an administrator sets: TOKEN_PIN_MIN_LENGTH to TOKEN_PIN_MAX_LENGTH digits. */
export const TOKEN_PIN_PATTERN = new RegExp(`^\\d{${TOKEN_PIN_MIN_LENGTH},${TOKEN_PIN_MAX_LENGTH}}$`);
/** The PIN a user sets in the portal (Set up PIN) has the default length exactly. */
export const PORTAL_PIN_PATTERN = new RegExp(`^\\d{${TOKEN_PIN_DEFAULT_LENGTH}}$`);

/**
 * The patterns a refusal names (FieldIssue params.pattern), so the UI states the rule in words instead of showing a
 * regular expression.
 */
export const NAMED_PATTERNS = {
  login: LOGIN_PATTERN,
  alias: ALIAS_PATTERN,
  phone: PHONE_SHAPE,
  tokenPin: TOKEN_PIN_PATTERN,
  portalPin: PORTAL_PIN_PATTERN,
} as const;
export type PatternName = keyof typeof NAMED_PATTERNS;
