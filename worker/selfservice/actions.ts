/**
 * The fifteen self-service actions an administrator can switch on per resource, in the product's names.
 * The stored list is ordered: that order is the order on the portal's main page.
 */
export const SELF_SERVICE_ACTIONS = [
  'registerNewToken',
  'registerExistingToken',
  'reassignToken',
  'unassignToken',
  'synchronizeToken',
  'setupPin',
  'removePin',
  'createPassword',
  'changePassword',
  'changeEmail',
  'changePhone',
  'changeLogin',
  'changeName',
  'manageEnvironment',
  // Off unless the administrator switches it on, like every action (a resource's list starts empty).
  'GenerateRecoveryCodes',
] as const;
export type SelfServiceAction = (typeof SELF_SERVICE_ACTIONS)[number];

/** Token types users may register themselves. A passkey is registered by its own ceremony (routes.ts /tokens/passkey). */
export const SELF_SERVICE_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL', 'PASSKEY'] as const;
export type SelfServiceTokenType = (typeof SELF_SERVICE_TOKEN_TYPES)[number];
/** The types Register New Token enrols with a code to confirm (POST /tokens/enrol). */
export const CODE_ENROLMENT_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL'] as const satisfies readonly SelfServiceTokenType[];

/** Aliases appear in URLs: lower-case letters, digits and single hyphens, 3 to 40 characters. */
export const ALIAS_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,38}[a-z0-9]$/;
/** Paths of our own that an alias must not shadow or be confused with. */
export const RESERVED_ALIASES = new Set(['admin', 'api', 'login', 'logout', 'saml', 'assets', 'static', 'health', 'selfservice']);
