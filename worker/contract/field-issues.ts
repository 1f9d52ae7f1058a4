/**
 * Why the server refused one field: `{ path, code, params, message }` in VALIDATION_FAILED's `details.issues`.
 * `message` is the English sentence (for API clients and logs); the UI renders `code` with `params` in the page's
 * language at the field named by `path` (ui/src/lib/error-texts.ts holds the texts, typed over these codes).
 */

/** zod's issue codes the schemas raise (params: minimum / maximum and origin, format and pattern, values, keys). */
export const SCHEMA_ISSUE_CODES = ['too_small', 'too_big', 'invalid_format', 'invalid_type', 'invalid_value', 'unrecognized_keys', 'not_multiple_of', 'custom'] as const;

/** Our own, raised by schemas (`.refine(..., { params: { code } })`) or by services (`fieldRefusal`). */
export const OWN_ISSUE_CODES = [
  'REQUIRED',
  'INVALID_PHONE',
  'ALIAS_RESERVED',
  'NOT_IN_FUTURE',
  // A list names one entry twice (a portal's actions)
  'DUPLICATE_ENTRY',
  'PROVIDER_URL_INVALID',
  'PROVIDER_URL_NOT_HTTPS',
  'PROVIDER_URL_CREDENTIALS',
  'PROVIDER_URL_FORBIDDEN',
  'PROVIDER_URL_HOST_TEMPLATED',
  'PROVIDER_SECRET_REQUIRED',
  'PROVIDER_SECRET_URL_CHANGED',
  // The SAML configuration checker (worker/saml/config.ts; params.key names the key)
  'UNKNOWN_KEY',
  'NOT_A_MAPPING',
  'YAML_SYNTAX',
  'YAML_DUPLICATE_KEY',
  'YAML_UNCLOSED',
  'YAML_BAD_INDENT',
  'SAML_CONFIG_TOO_LARGE',
  'SAML_VERSION',
  'SAML_URL_NOT_HTTPS',
  'SAML_CERTIFICATE_INVALID',
  'SAML_SHA1_ALLOWED',
  'SAML_RESPONSE_ONLY_SIGNATURES',
  // Proof before change: a factor id the user was not offered (worker/auth/step-up.ts)
  'NOT_OFFERED',
  // Restore access: a proof with an authenticator the request declared lost (worker/selfservice/recovery-service.ts)
  'DECLARED_LOST',
  // OCRA inputs (worker/otp/ocra.ts): the suite's challenge format; a PIN hash of the suite's exact length (params
  // minimum = maximum, in characters)
  'NOT_NUMERIC',
  'NOT_HEX',
  'EXACT_LENGTH',
  // An otpauth:// key URI that cannot be read (worker/otp/key-uri.ts)
  'OTPAUTH_URI_INVALID',
] as const;

export type FieldIssueCode = (typeof SCHEMA_ISSUE_CODES)[number] | (typeof OWN_ISSUE_CODES)[number];
export const FIELD_ISSUE_CODES: readonly FieldIssueCode[] = [...SCHEMA_ISSUE_CODES, ...OWN_ISSUE_CODES];

export type FieldIssueParams = {
  /** too_small / too_big: the limit, and what it measures (string: characters, number: the value, array: entries). */
  minimum?: number;
  maximum?: number;
  origin?: string;
  /** invalid_format: zod's format (email, regex, url ...) and, for a pattern of worker/contract/fields.ts, its name. */
  format?: string;
  pattern?: string;
  /** invalid_type: the expected kind. */
  expected?: string;
  /** invalid_value: the values allowed; unrecognized_keys: the unknown names. */
  values?: string[];
  keys?: string[];
  /** REQUIRED / UNKNOWN_KEY in a document: the key; SAML_CONFIG_TOO_LARGE: the limit. */
  key?: string;
  maxBytes?: number;
};

export interface FieldIssue {
  path: string;
  code?: FieldIssueCode;
  params?: FieldIssueParams;
  message: string;
}
