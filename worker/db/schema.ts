/**
 * The D1 schema. This file is the source of the SQL in migrations/ (`npm run db:generate`).
 *
 * Conventions: ids are random UUIDs (text); times are Unix epoch milliseconds (integer); booleans are
 * 0/1 integers; lists and small structured values are JSON text, validated by zod where they are read.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { AuditObjectType } from '../audit/record';
import { TOKEN_TYPES } from '../contract/tokens';
import { HASH_ALGORITHMS } from '../otp/hotp';

const id = () => text('id').primaryKey();
const createdAt = () => integer('created_at').notNull();
/** Generic over the name, so the column's SQL name stays in its type: db/stored-row.ts keys raw rows by it. */
const bool = <Name extends string>(name: Name) => integer(name, { mode: 'boolean' });

// ---------------------------------------------------------------- people and organisation

export const users = sqliteTable(
  'users',
  {
    id: id(),
    login: text('login').notNull(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    email: text('email'),
    phone: text('phone'),
    language: text('language', { enum: ['de', 'en'] }).notNull().default('en'),
    passwordHash: text('password_hash'),
    enabled: bool('enabled').notNull().default(true),
    isAdmin: bool('is_admin').notNull().default(false),
    /** 2FA by SMS: the E.164 number, whether it was confirmed with a code, and whether 2FA is switched on. */
    smsPhone: text('sms_phone'),
    smsPhoneVerified: bool('sms_phone_verified').notNull().default(false),
    smsTwoFactorActive: bool('sms_two_factor_active').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
    /**
     * identityKey(login) / identityKey(email) (worker/lib/identity.ts: NFKC + case fold), what lookups and
     * uniqueness compare. Kept current by triggers of migration 0007 for ASCII values; NULL until the Worker fills it
     * for others.
     */
    loginKey: text('login_key'),
    emailKey: text('email_key'),
  },
  (t) => [
    uniqueIndex('users_login_unique').on(sql`lower(${t.login})`),
    index('users_email_idx').on(sql`lower(${t.email})`),
    uniqueIndex('users_login_key_unique').on(t.loginKey),
    index('users_email_key_idx').on(t.emailKey),
    index('users_identity_key_missing').on(t.id).where(sql`${t.loginKey} IS NULL OR (${t.email} IS NOT NULL AND ${t.emailKey} IS NULL)`),
  ],
);

/** A workspace / team. */
export const offices = sqliteTable(
  'offices',
  {
    id: id(),
    name: text('name').notNull(),
    /** When set, members cannot activate two-factor authentication (issue: workspace security). */
    twoFactorDisabled: bool('two_factor_disabled').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('offices_name_unique').on(sql`lower(${t.name})`)],
);

export const groups = sqliteTable(
  'groups',
  {
    id: id(),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('groups_name_unique').on(sql`lower(${t.name})`)],
);

export const officeMembers = sqliteTable(
  'office_members',
  {
    officeId: text('office_id').notNull().references(() => offices.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.officeId, t.userId] }), index('office_members_user_idx').on(t.userId)],
);

export const groupMembers = sqliteTable(
  'group_members',
  {
    groupId: text('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('group_members_user_idx').on(t.userId)],
);

// ---------------------------------------------------------------- resources, tokens, assignments

export const resources = sqliteTable(
  'resources',
  {
    id: id(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** Self-service portal: off unless an alias is set and this is true. */
    selfServiceEnabled: bool('self_service_enabled').notNull().default(false),
    selfServiceAlias: text('self_service_alias'),
    /** JSON: ordered list of enabled portal action names (the order shown on the portal). */
    selfServiceActions: text('self_service_actions').notNull().default('[]'),
    /** JSON: token types users may register in the portal. */
    selfServiceTokenTypes: text('self_service_token_types').notNull().default('[]'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('resources_name_unique').on(sql`lower(${t.name})`),
    uniqueIndex('resources_alias_unique').on(sql`lower(${t.selfServiceAlias})`),
  ],
);

/**
 * PASSKEY: a WebAuthn credential (passkey_credentials holds its public key; no seed). RECOVERY_CODES: a set of
 * single-use codes (recovery_codes holds their keyed hashes; no seed).
 */
export { TOKEN_TYPES, type TokenType } from '../contract/tokens';
export { HASH_ALGORITHMS, type HashAlgorithm } from '../otp/hotp';

export const tokens = sqliteTable(
  'tokens',
  {
    id: id(),
    serial: text('serial').notNull(),
    type: text('type', { enum: TOKEN_TYPES }).notNull(),
    kind: text('kind', { enum: ['software', 'hardware'] }).notNull(),
    description: text('description').notNull().default(''),
    algorithm: text('algorithm', { enum: HASH_ALGORITHMS }).notNull().default('SHA1'),
    digits: integer('digits').notNull().default(6),
    /** TOTP time step. */
    periodSeconds: integer('period_seconds').notNull().default(30),
    /** HOTP: the next counter value expected (everything below it is used). */
    counter: integer('counter').notNull().default(0),
    /** OCRA suite string (RFC 6287), for OCRA tokens. */
    ocraSuite: text('ocra_suite'),
    /** SMS and EMAIL tokens: where their codes go (E.164 number or lower-cased email address); null for OTP generators. */
    destination: text('destination'),
    /** The seed, AES-GCM sealed under the seed-sealing key (lib/keys.ts): "v2.<iv>.<ciphertext>", base64url ("v1.": legacy). */
    secretEncrypted: text('secret_encrypted'),
    pinHash: text('pin_hash'),
    pinPosition: text('pin_position', { enum: ['before', 'after'] }).notNull().default('after'),
    failCount: integer('fail_count').notNull().default(0),
    lockedUntil: integer('locked_until'),
    /** TOTP: the highest time step ever accepted (replay protection); -1 when none. */
    lastUsedStep: integer('last_used_step').notNull().default(-1),
    /** TOTP: remembered clock drift in steps, centre of the next verification window. */
    driftSteps: integer('drift_steps').notNull().default(0),
    enabled: bool('enabled').notNull().default(true),
    /** Software tokens stay pending until their first correct OTP proves enrolment. */
    activated: bool('activated').notNull().default(true),
    ownerUserId: text('owner_user_id').references(() => users.id, { onDelete: 'set null' }),
    lastUsedAt: integer('last_used_at'),
    createdAt: createdAt(),
    /** A pending token from the portal's Register New Token: the resource it is enrolled for (migration 0012). */
    enrollingResourceId: text('enrolling_resource_id').references((): AnySQLiteColumn => resources.id, { onDelete: 'set null' }),
    /**
     * NULL at rest. Set only by the verify API's warm consume (worker/verify-api/warm-path.ts): JSON of the rate-limit
     * hit and UserLogin row that the trigger tokens_warm_success writes in the same statement, then clears it
     * (migration 0013; the trigger is not in drizzle's schema).
     */
    warmSuccess: text('warm_success'),
  },
  (t) => [
    uniqueIndex('tokens_serial_unique').on(sql`lower(${t.serial})`),
    index('tokens_owner_idx').on(t.ownerUserId),
    // The cron finds never-activated enrolments past PENDING_ENROLMENT_TTL_MS (migration 0012).
    index('tokens_pending_idx').on(t.createdAt).where(sql`activated = 0`),
    // RECOVERY_CODES: one set per user (migration 0010).
    uniqueIndex('tokens_one_recovery_set_per_user').on(t.ownerUserId).where(sql`type = 'RECOVERY_CODES'`),
  ],
);

/**
 * OCRA challenge/response pairs a token already had accepted, until they expire (OCRA_USED_PAIR_RETENTION_MS):
 * the same pair again answers OTP_REPLAYED. `pairHash` is SHA-256 over the suite's challenge field and the response.
 */
export const ocraUsedPairs = sqliteTable(
  'ocra_used_pairs',
  {
    tokenId: text('token_id').notNull().references(() => tokens.id, { onDelete: 'cascade' }),
    pairHash: text('pair_hash').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.pairHash] })],
);

/**
 * The WebAuthn credential of a PASSKEY token (migration 0009). `credentialId` and `publicKey` (COSE) are base64url;
 * `signCount` is the authenticator's counter, `suspiciousAt` set once a counter failed to go up (a cloned
 * authenticator): refused from then on.
 */
export const passkeyCredentials = sqliteTable(
  'passkey_credentials',
  {
    tokenId: text('token_id').primaryKey().references(() => tokens.id, { onDelete: 'cascade' }),
    credentialId: text('credential_id').notNull(),
    publicKey: text('public_key').notNull(),
    signCount: integer('sign_count').notNull().default(0),
    /** JSON: the transports the authenticator reported (usb, nfc, ble, internal, hybrid). */
    transports: text('transports').notNull().default('[]'),
    aaguid: text('aaguid').notNull(),
    backupEligible: bool('backup_eligible').notNull(),
    backedUp: bool('backed_up').notNull(),
    suspiciousAt: integer('suspicious_at'),
  },
  (t) => [uniqueIndex('passkey_credentials_credential_id_unique').on(t.credentialId)],
);

/**
 * The codes of a RECOVERY_CODES token (migration 0010): only their keyed hashes (tokens/recovery-codes.ts). A code
 * is refused once `usedAt` (accepted once) or `voidedAt` (the administrator voided the set) is set.
 */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    tokenId: text('token_id').notNull().references(() => tokens.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
    voidedAt: integer('voided_at'),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.codeHash] })],
);

/** A user assigned to a resource, either as a plain "user" or as "token with user". */
export const assignments = sqliteTable(
  'assignments',
  {
    id: id(),
    resourceId: text('resource_id').notNull().references(() => resources.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['user', 'token_with_user'] }).notNull(),
    tokenId: text('token_id').references(() => tokens.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('assignments_resource_user_unique').on(t.resourceId, t.userId),
    index('assignments_token_idx').on(t.tokenId),
    check('assignments_kind_token', sql`${t.kind} = 'user' OR ${t.tokenId} IS NOT NULL`),
  ],
);

// ---------------------------------------------------------------- authentication state

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: id(),
    name: text('name').notNull(),
    /** SHA-256 of the key; the key itself is shown once at creation. */
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters, so admins can tell keys apart. */
    keyPrefix: text('key_prefix').notNull(),
    /** What the key may call (worker/auth/api-keys.ts API_KEY_SCOPES); NOT NULL without a default on purpose. */
    scope: text('scope', { enum: ['verify', 'read', 'admin'] }).notNull(),
    /** The admin who made it: the key works only while this user is an enabled admin (NULL once deleted). */
    ownerUserId: text('owner_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
    /** Refused from this moment on; NULL = no expiry. */
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    /** The key that made this one (NULL when an admin signed in made it): revoking that key revokes this one too. */
    createdByKeyId: text('created_by_key_id').references((): AnySQLiteColumn => apiKeys.id),
  },
  (t) => [index('api_keys_owner_idx').on(t.ownerUserId), index('api_keys_created_by_key_idx').on(t.createdByKeyId), check('api_keys_scope', sql`${t.scope} IN ('verify', 'read', 'admin')`)],
);

export const SESSION_KINDS = ['platform', 'portal'] as const;

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 of the session token held in the cookie. */
    id: id(),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: SESSION_KINDS }).notNull(),
    /** Portal sessions are bound to one resource. */
    resourceId: text('resource_id').references(() => resources.id, { onDelete: 'cascade' }),
    /** How the session was established: password, password+otp, password+sms, saml, email-code... */
    method: text('method').notNull(),
    /** When the session last proved the user's current second factor (step-up); signing in with it counts too. */
    reprovedAt: integer('reproved_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

/**
 * Short-lived challenges: email/SMS codes, multi-step sign-in state, password-reset links, SAML request ids.
 * Codes are stored only as hashes; `attempts` counts wrong guesses against `maxAttempts`.
 */
export const challenges = sqliteTable(
  'challenges',
  {
    /** For flows the client holds a reference to, SHA-256 of that reference. */
    id: id(),
    purpose: text('purpose').notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** Where a code went (E.164 number or email address), or what a SAML request id belongs to. */
    target: text('target'),
    codeHash: text('code_hash'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    /** JSON state of the flow this challenge belongs to. */
    data: text('data').notNull().default('{}'),
    ip: text('ip'),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
    consumedAt: integer('consumed_at'),
  },
  (t) => [
    index('challenges_user_purpose_idx').on(t.userId, t.purpose),
    index('challenges_expires_idx').on(t.expiresAt),
    // WebAuthn challenges: issuing one removes the older ones of its binding (worker/passkeys/challenges.ts).
    index('challenges_purpose_target_idx').on(t.purpose, t.target),
  ],
);

/** Fixed-window counters for rate limits (per IP, per user, per phone number...). */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

/** Platform settings as JSON values by key (2FA switch, SMS supplier, templates, ...). */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

// ---------------------------------------------------------------- security activity and messaging

export const USER_ACTIVITY_TYPES = [
  'UserLogin',
  'UserLoginAttempt',
  'UserLogoff',
  'UserPasswortChangeRequest', // sic: the product's public name
  'UserPasswordChange',
  'UserEmailChangeRequest',
  'UserEmailChange',
  'PasskeyRegistered',
  'PasskeyRemoved',
  'RecoveryCodesGenerated',
  'RecoveryCodeUsed',
  'RecoveryCodesVoided',
] as const;
export type UserActivityType = (typeof USER_ACTIVITY_TYPES)[number];

export const userActivities = sqliteTable(
  'user_activities',
  {
    id: id(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** The login as typed, kept for attempts by unknown users. */
    login: text('login'),
    type: text('type', { enum: USER_ACTIVITY_TYPES }).notNull(),
    /** Which door: login, portal, saml, api. */
    channel: text('channel').notNull(),
    ip: text('ip'),
    client: text('client'),
    /** JSON: reason of a failure, environment score, resource... */
    detail: text('detail').notNull().default('{}'),
    at: integer('at').notNull(),
  },
  (t) => [index('user_activities_at_idx').on(t.at), index('user_activities_user_at_idx').on(t.userId, t.at)],
);

/** Every message send with its outcome. The text is stored with codes redacted. */
export const messageLog = sqliteTable(
  'message_log',
  {
    id: id(),
    channel: text('channel', { enum: ['sms', 'email'] }).notNull(),
    provider: text('provider').notNull(),
    recipient: text('recipient').notNull(),
    purpose: text('purpose').notNull(),
    language: text('language').notNull(),
    status: text('status', { enum: ['sent', 'failed'] }).notNull(),
    error: text('error'),
    providerMessageId: text('provider_message_id'),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    at: integer('at').notNull(),
  },
  (t) => [index('message_log_at_idx').on(t.at)],
);

/** The local development mailbox: messages "delivered" by the outbox provider. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: id(),
    channel: text('channel', { enum: ['sms', 'email'] }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('outbox_at_idx').on(t.at)],
);

// ---------------------------------------------------------------- self-service portal

/** An access recovery request ("user issue") waiting for an administrator. */
export const userIssues = sqliteTable(
  'user_issues',
  {
    id: id(),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    resourceId: text('resource_id').references(() => resources.id, { onDelete: 'cascade' }),
    /** JSON: what was lost, subset of ["password", "email", "token"]. */
    lost: text('lost').notNull(),
    /** JSON: authenticator -> "verified" | "failed" | "lost" | "none". */
    authenticators: text('authenticators').notNull(),
    pendingPasswordHash: text('pending_password_hash'),
    pendingEmail: text('pending_email'),
    state: text('state', { enum: ['open', 'approved'] }).notNull().default('open'),
    createdAt: createdAt(),
    resolvedAt: integer('resolved_at'),
    resolvedByUserId: text('resolved_by_user_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    index('user_issues_user_idx').on(t.userId),
    // One open request per user: a new one replaces it (migration 0006).
    uniqueIndex('user_issues_one_open_per_user').on(t.userId).where(sql`state = 'open'`),
  ],
);

/** Environments a user signs in from, for the sign-in environment score. */
export const userEnvironments = sqliteTable(
  'user_environments',
  {
    id: id(),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    /** JSON of the environment's attributes (country, ASN, browser family, IP prefix...). */
    attributes: text('attributes').notNull(),
    fingerprint: text('fingerprint').notNull(),
    name: text('name'),
    signInCount: integer('sign_in_count').notNull().default(1),
    firstSeenAt: integer('first_seen_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
  },
  (t) => [uniqueIndex('user_environments_user_fp_unique').on(t.userId, t.fingerprint)],
);

// ---------------------------------------------------------------- admin audit trail (migration 0011)

/**
 * What administrators and API keys changed (worker/audit/). Ids and names are copies, no foreign keys: the trail
 * outlives the admin, the key and the object. `before` / `after`: JSON, secrets masked.
 */
export const adminAudit = sqliteTable(
  'admin_audit',
  {
    id: id(),
    at: integer('at').notNull(),
    /** The admin signed in, or the owner of the API key. */
    actorUserId: text('actor_user_id'),
    actorLogin: text('actor_login'),
    apiKeyId: text('api_key_id'),
    apiKeyName: text('api_key_name'),
    action: text('action').notNull(),
    objectType: text('object_type').$type<AuditObjectType>().notNull(),
    objectId: text('object_id'),
    objectName: text('object_name'),
    before: text('before'),
    after: text('after'),
    ip: text('ip'),
    client: text('client'),
  },
  (t) => [
    index('admin_audit_at_idx').on(t.at, t.id),
    index('admin_audit_actor_at_idx').on(t.actorUserId, t.at),
    index('admin_audit_object_at_idx').on(t.objectType, t.objectId, t.at),
  ],
);

// ---------------------------------------------------------------- SAML and sign-in scripts

/** Every saved SAML configuration; the applied one is named by settings key `saml.appliedVersion`. */
export const samlConfigVersions = sqliteTable('saml_config_versions', {
  version: integer('version').primaryKey(),
  yaml: text('yaml').notNull(),
  /** JSON of the validated configuration. */
  config: text('config').notNull(),
  allowSignIn: bool('allow_sign_in').notNull(),
  savedByUserId: text('saved_by_user_id').references(() => users.id, { onDelete: 'set null' }),
  savedAt: integer('saved_at').notNull(),
});

/** Assertion ids already consumed, kept until the assertion would have expired anyway. */
export const samlUsedAssertions = sqliteTable(
  'saml_used_assertions',
  {
    assertionId: text('assertion_id').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('saml_used_assertions_expires_idx').on(t.expiresAt)],
);

/** Every saved version of the sign-in script; the applied one is named by settings key `script.appliedVersion`. */
export const signInScriptVersions = sqliteTable('sign_in_script_versions', {
  version: integer('version').primaryKey(),
  source: text('source').notNull(),
  /** JSON of the compiled program (script-engine's compile output). */
  compiled: text('compiled').notNull(),
  /** What an error in the script does to the sign-in. */
  onError: text('on_error', { enum: ['deny', 'continue'] }).notNull().default('deny'),
  savedByUserId: text('saved_by_user_id').references(() => users.id, { onDelete: 'set null' }),
  savedAt: integer('saved_at').notNull(),
});
