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
/** A token's serial (letters, digits and . _ : -), as printed on a hardware token or chosen by the admin. */
export const TOKEN_SERIAL_MAX_LENGTH = 64;
/** A passkey's name, as the user calls it ("Laptop", "YubiKey 5"). */
export const PASSKEY_NAME_MAX_LENGTH = 64;
/** A resource's name (the verify API names a resource by it) and its description. */
export const RESOURCE_NAME_MAX_LENGTH = 120;
export const RESOURCE_DESCRIPTION_MAX_LENGTH = 500;
/** A workspace's or a group's name. */
export const ORGANISATION_NAME_MAX_LENGTH = 120;
export const API_KEY_NAME_MAX_LENGTH = 100;
/** The name a user gives one of their sign-in environments (a browser on a device) in the portal. */
export const ENVIRONMENT_NAME_MAX_LENGTH = 60;

/**
 * A one-time code as typed at any door: a PIN with the OTP, an OCRA response or a recovery code. Generous, since a
 * longer value is refused as a wrong code anyway; the limit only bounds the work a request can ask for.
 */
export const TYPED_OTP_MAX_LENGTH = 64;
/** A code sent by SMS or email, as typed. */
export const SENT_CODE_MAX_LENGTH = 16;
/**
 * A password as typed to sign in or to prove who one is. Looser than PASSWORD_MAX_LENGTH (what may be set), so a long
 * wrong password is answered as a wrong password; the bound only caps the hashing work a request can ask for.
 */
export const TYPED_PASSWORD_MAX_LENGTH = 1024;

export const PHONE_MIN_LENGTH = 3;
export const PHONE_MAX_LENGTH = 32;
/**
 * Only the shape: digits with the usual separators. Whether the number exists in its country is the server's check
 * (libphonenumber), which answers INVALID_PHONE.
 */
export const PHONE_SHAPE = /^\+?[\d\s()./-]+$/;

/** The Account SID Twilio shows in its console: AC and 32 hex digits (checked before any call to Twilio). */
export const TWILIO_ACCOUNT_SID_PATTERN = /^AC[0-9a-fA-F]{32}$/;

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
  twilioAccountSid: TWILIO_ACCOUNT_SID_PATTERN,
} as const;
export type PatternName = keyof typeof NAMED_PATTERNS;
