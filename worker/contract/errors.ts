/**
 * The catalogue of domain errors, shared by the worker and the UI: the codes are stable public API, the status is
 * what the one `onError` (worker/app.ts) answers with, the message is the English text. The UI's German texts are
 * a `Record<ErrorCode, string>` (ui/src/lib/error-texts.ts), so a code added here without its German text fails
 * the type-check.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNAUTHENTICATED: { status: 401, message: 'Sign in first.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  CSRF_REJECTED: { status: 403, message: 'The request did not come from this site.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'This conflicts with existing data.' },
  RATE_LIMITED: { status: 429, message: 'Too many attempts. Try again later.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Login or password is wrong.' },
  ACCOUNT_LOCKED: { status: 423, message: 'The account is locked for a while after too many failed attempts.' },
  // Users, resources, tokens
  LOGIN_TAKEN: { status: 409, message: 'This login is already taken.' },
  // Another account holds this email under the identity key (worker/lib/identity.ts: NFKC + case fold).
  EMAIL_TAKEN: { status: 409, message: 'This email address is already used by another account.' },
  NAME_TAKEN: { status: 409, message: 'This name is already taken.' },
  SERIAL_TAKEN: { status: 409, message: 'A token with this serial already exists.' },
  ALIAS_TAKEN: { status: 409, message: 'This alias is already used by another resource.' },
  USER_NOT_FOUND: { status: 404, message: 'User not found.' },
  TOKEN_NOT_FOUND: { status: 404, message: 'Token not found.' },
  RESOURCE_NOT_FOUND: { status: 404, message: 'Resource not found.' },
  OFFICE_NOT_FOUND: { status: 404, message: 'Office not found.' },
  GROUP_NOT_FOUND: { status: 404, message: 'Group not found.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'API key not found.' },
  LAST_ADMIN: { status: 409, message: 'The last enabled administrator cannot be demoted, disabled or deleted.' },
  INVALID_SECRET: { status: 400, message: 'The token secret is not valid (expected base32 or hex).' },
  UNSUPPORTED_OCRA_SUITE: { status: 400, message: 'This OCRA suite is not supported.' },
  INVALID_IMPORT: { status: 400, message: 'The import file could not be read.' },
  TOKEN_TYPE_MISMATCH: { status: 400, message: 'This operation does not apply to this token type.' },
  // A recovery code set with no usable code left (all used, or voided) stays disabled: the user makes a new one.
  RECOVERY_CODES_SPENT: { status: 409, message: 'This recovery code set has no unused codes left. The user makes a new set.' },
  WEAK_PASSWORD: { status: 400, message: 'The password is too weak.' },
  // OTP verification (also returned as reasons by /api/v1/verify)
  OTP_INVALID: { status: 401, message: 'The one-time password is wrong.' },
  TOKEN_LOCKED: { status: 423, message: 'The token is locked after too many failed attempts.' },
  TOKEN_DISABLED: { status: 403, message: 'The token is disabled.' },
  NO_TOKEN: { status: 403, message: 'No usable token is assigned.' },
  // The user's only factor here is a passkey: it needs a browser ceremony, which /api/v1/verify cannot run.
  FACTOR_NOT_SUPPORTED: { status: 409, message: 'The assigned factor (a passkey) cannot be checked by this interface; it needs a browser.' },
  // Passkeys (worker/passkeys)
  PASSKEY_INVALID: { status: 401, message: 'This passkey could not be verified.' },
  PASSKEY_SUSPICIOUS: { status: 403, message: 'This passkey is blocked: it may have been copied. Use another factor and remove it.' },
  CHALLENGE_EXPIRED: { status: 410, message: 'The passkey request has expired. Try again.' },
  PASSKEY_NOT_FOUND: { status: 404, message: 'Passkey not found.' },
  PASSKEY_ALREADY_REGISTERED: { status: 409, message: 'This passkey is already registered.' },
  PASSKEY_LIMIT_REACHED: { status: 409, message: 'You have the largest number of passkeys allowed. Remove one first.' },
  // Messaging
  MESSAGE_NOT_SENT: { status: 502, message: 'The message could not be sent.' },
  CODE_INVALID: { status: 401, message: 'The code is wrong.' },
  CODE_EXPIRED: { status: 410, message: 'The code has expired. Request a new one.' },
  TEMPLATE_INVALID: { status: 400, message: 'The message template is not valid.' },
  // Two-factor authentication by SMS
  TWO_FACTOR_UNAVAILABLE: { status: 409, message: 'Two-factor authentication is not enabled on this platform.' },
  TWO_FACTOR_FORBIDDEN_BY_OFFICE: { status: 409, message: 'Two-factor authentication is disabled by your workspace.' },
  // Self-service portal
  PORTAL_NOT_FOUND: { status: 404, message: 'There is no self-service portal at this address.' },
  ACTION_DISABLED: { status: 403, message: 'This action is not enabled for this portal.' },
  STEP_UP_REQUIRED: { status: 403, message: 'Confirm with your current code first.' },
  SAME_PASSWORD: { status: 400, message: 'The new password must differ from the current one.' },
  PASSWORD_EXISTS: { status: 409, message: 'You already have a password; change it instead.' },
  NO_PASSWORD: { status: 409, message: 'You have no password yet; create one instead.' },
  ISSUE_NOT_FOUND: { status: 404, message: 'This request was not found or is already handled.' },
  // Restore access (worker/selfservice/recovery-service.ts): a proof is checked before the request is filed.
  RECOVERY_PROOF_INVALID: { status: 401, message: 'This is not right. Check it and try again.' },
  RECOVERY_ATTEMPTS_USED: { status: 429, message: 'No tries are left for this request. Send it with what you could prove, or start again later.' },
  RECOVERY_PROOF_REQUIRED: { status: 400, message: 'Prove who you are with something you still have before the request is sent.' },
  RECOVERY_NOTHING_LEFT: { status: 400, message: 'Restore access needs one thing you still have (password, email or token) to prove who you are. Without any, ask your administrator.' },
  // Proof before change (worker/auth/step-up.ts): the proof asked for does not fit the user's factors
  STEP_UP_NO_FACTOR: { status: 400, message: 'You have no second factor to confirm.' },
  STEP_UP_NO_PASSKEY: { status: 400, message: 'You have no passkey to confirm with.' },
  // A passkey needs the site's relying party, which this request does not have.
  STEP_UP_PASSKEY_UNAVAILABLE: { status: 400, message: 'Confirm with a code here.' },
  // A typed code where the user has no app token or recovery codes: their proof is a passkey, or a code sent first.
  STEP_UP_PASSKEY_EXPECTED: { status: 400, message: 'Confirm with your passkey.' },
  STEP_UP_CODE_NOT_SENT: { status: 400, message: 'Have a code sent first.' },
  // Portal sign-in (worker/selfservice/signin-service.ts): a request for a step or factor this sign-in does not have;
  // details.step names the step it is at.
  SIGNIN_WRONG_STEP: { status: 400, message: 'This sign-in is at another step. Start again.' },
  SIGNIN_NO_PASSKEY: { status: 400, message: 'This sign-in does not use a passkey.' },
  SIGNIN_NO_SENT_CODE: { status: 400, message: 'This sign-in does not use codes sent by SMS or email.' },
  // Links in messages (lib/http.ts linkOrigin): a server setting, the same answer for every account
  PUBLIC_ORIGIN_REQUIRED: {
    status: 503,
    message: 'This server cannot send links yet: the administrator must set PUBLIC_ORIGIN to the address users open (e.g. https://id.example.com).',
  },
  // sign-in scripts
  SCRIPT_INVALID: { status: 400, message: 'The sign-in script has errors.' },
  // SAML (worker/saml)
  SAML_CONFIG_INVALID: { status: 400, message: 'The SAML configuration has errors.' },
  SAML_METADATA_INVALID: { status: 400, message: 'The IdP metadata could not be read.' },
  SAML_UNAVAILABLE: { status: 409, message: 'Sign-in with SAML is not enabled.' },
  SAML_XML_TOO_DEEP: { status: 400, message: 'The XML document nests elements deeper than allowed.' },
  SAML_RETURN_PATH_INVALID: { status: 400, message: 'The return address must be a path on this site.' },
  // Generic
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: ContentfulStatusCode; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The request field an error is about, where it is about one: the UI shows it at that field (the others concern
 * the form as a whole). Names are the request bodies' keys.
 */
export const ERROR_FIELDS = {
  LOGIN_TAKEN: 'login',
  EMAIL_TAKEN: 'email',
  NAME_TAKEN: 'name',
  SERIAL_TAKEN: 'serial',
  ALIAS_TAKEN: 'alias',
  INVALID_SECRET: 'seed',
  UNSUPPORTED_OCRA_SUITE: 'ocraSuite',
  WEAK_PASSWORD: 'password',
  SAME_PASSWORD: 'newPassword',
} as const satisfies Partial<Record<ErrorCode, string>>;
