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

export const ALIAS_MIN_LENGTH = 3;
export const ALIAS_MAX_LENGTH = 40;
/** Aliases appear in URLs: lower-case letters, digits and single hyphens, ALIAS_MIN_LENGTH to ALIAS_MAX_LENGTH characters. */
export const ALIAS_PATTERN = new RegExp(`^[a-z0-9](?:[a-z0-9]|-(?!-)){${ALIAS_MIN_LENGTH - 2},${ALIAS_MAX_LENGTH - 2}}[a-z0-9]$`);
/** Paths of our own that an alias must not shadow or be confused with. */
export const RESERVED_ALIASES: ReadonlySet<string> = new Set(['admin', 'api', 'login', 'logout', 'saml', 'assets', 'static', 'health', 'selfservice']);
