/** The token types, for the worker's schema and the UI's forms alike. */
export const TOKEN_TYPES = ['TOTP', 'HOTP', 'OCRA', 'SMS', 'EMAIL', 'PASSKEY', 'RECOVERY_CODES'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** The types an administrator creates from a secret (POST /api/admin/tokens; the others have ceremonies of their own). */
export const SECRET_TOKEN_TYPES = ['TOTP', 'HOTP', 'OCRA'] as const satisfies readonly TokenType[];

/** Token types users may register themselves. A passkey is registered by its own ceremony (portal /tokens/passkey). */
export const SELF_SERVICE_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL', 'PASSKEY'] as const satisfies readonly TokenType[];
export type SelfServiceTokenType = (typeof SELF_SERVICE_TOKEN_TYPES)[number];
/** The types Register New Token enrols with a code to confirm (POST /tokens/enrol). */
export const CODE_ENROLMENT_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL'] as const satisfies readonly SelfServiceTokenType[];
