/** The token types, for the worker's schema and the UI's forms alike. */
export const TOKEN_TYPES = ['TOTP', 'HOTP', 'OCRA', 'SMS', 'EMAIL', 'PASSKEY', 'RECOVERY_CODES'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** The HMAC hashes a token may name (RFC 6238 §1.2; OCRA suites name one too), for the worker and the token forms. */
export const HASH_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** The types an administrator creates from a secret (POST /api/admin/tokens; the others have ceremonies of their own). */
export const SECRET_TOKEN_TYPES = ['TOTP', 'HOTP', 'OCRA'] as const satisfies readonly TokenType[];

/** Token types users may register themselves. A passkey is registered by its own ceremony (portal /tokens/passkey). */
export const SELF_SERVICE_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL', 'PASSKEY'] as const satisfies readonly TokenType[];
export type SelfServiceTokenType = (typeof SELF_SERVICE_TOKEN_TYPES)[number];
/** The types Register New Token enrols with a code to confirm (POST /tokens/enrol). */
export const CODE_ENROLMENT_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL'] as const satisfies readonly SelfServiceTokenType[];
