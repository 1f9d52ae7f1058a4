/**
 * Every statement of platform sign-in: sessions, the /login second-factor and password-reset challenges, the users'
 * sign-in columns and API keys. Row types come from worker/db/schema.ts. The conditional statements (claims,
 * single-use consumption, caps) say what their condition guarantees; the ones whose condition is a count or the
 * batch's previous statement stay SQL.
 */
import { and, desc, eq, gt, isNotNull, isNull, lt, ne, sql } from 'drizzle-orm';
import { SESSION_TTL_MS } from '../constants';
import { createDb, d1Statement } from '../db/client';
import { apiKeys, challenges, sessions, users } from '../db/schema';

type UserRow = typeof users.$inferSelect;
type ApiKeyRow = typeof apiKeys.$inferSelect;
type SessionRecord = typeof sessions.$inferSelect;

// ---------------------------------------------------------------- sessions

export interface NewSession {
  userId: string;
  kind: SessionRecord['kind'];
  resourceId?: string | null;
  method: string;
  ip?: string | null;
  userAgent?: string | null;
  nowMs: number;
  /** How long it lasts at most; SESSION_TTL_MS unless the kind has its own (portal sessions). */
  ttlMs?: number;
}

export function sessionStatement(d1: D1Database, sessionId: string, input: NewSession): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .insert(sessions)
      .values({
        id: sessionId,
        userId: input.userId,
        kind: input.kind,
        resourceId: input.resourceId ?? null,
        method: input.method,
        ip: input.ip ?? null,
        userAgent: input.userAgent ?? null,
        createdAt: input.nowMs,
        lastSeenAt: input.nowMs,
        expiresAt: input.nowMs + (input.ttlMs ?? SESSION_TTL_MS),
      }),
  );
}

/**
 * When a session last proved its user's second factor: its step-up (`reproved_at`), or its sign-in when that took
 * the second factor (the methods "password+otp", "password+sms", "password+email"...: a first factor, then '+' and
 * the second; and "passkey", the passwordless sign-in whose user-verified passkey proves both); 0 for never. The
 * guarded changes (worker/auth/step-up.ts) compare it with STEP_UP_VALID_MS.
 */
const secondFactorProvenAtSql = sql<number>`MAX(COALESCE(${sessions.reprovedAt}, 0), CASE WHEN ${sessions.method} LIKE '%+%' OR ${sessions.method} = 'passkey' THEN ${sessions.createdAt} ELSE 0 END)`;

export type LiveSession = Pick<SessionRecord, 'id' | 'userId' | 'kind' | 'resourceId' | 'method' | 'expiresAt' | 'lastSeenAt' | 'reprovedAt'> &
  Pick<UserRow, 'isAdmin'> & { provenAt: number };

/** The session with this id while it is neither expired nor idle since `activeSinceMs`, and its user enabled. */
export async function findLiveSession(d1: D1Database, sessionId: string, nowMs: number, activeSinceMs: number): Promise<LiveSession | null> {
  const [row] = await createDb(d1)
    .select({
      id: sessions.id,
      userId: sessions.userId,
      kind: sessions.kind,
      resourceId: sessions.resourceId,
      method: sessions.method,
      expiresAt: sessions.expiresAt,
      lastSeenAt: sessions.lastSeenAt,
      reprovedAt: sessions.reprovedAt,
      isAdmin: users.isAdmin,
      provenAt: secondFactorProvenAtSql,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), gt(sessions.expiresAt, nowMs), gt(sessions.lastSeenAt, activeSinceMs), eq(users.enabled, true)));
  return row ?? null;
}

export async function touchSession(d1: D1Database, sessionId: string, nowMs: number): Promise<void> {
  await createDb(d1).update(sessions).set({ lastSeenAt: nowMs }).where(eq(sessions.id, sessionId));
}

/** `secondFactorProvenAtSql` of one session; 0 when it never proved one or does not exist. */
export async function readSecondFactorProvenAt(d1: D1Database, sessionId: string): Promise<number> {
  const [row] = await createDb(d1).select({ provenAt: secondFactorProvenAtSql }).from(sessions).where(eq(sessions.id, sessionId));
  return row?.provenAt ?? 0;
}

/** A successful step-up: the session may change factors for STEP_UP_VALID_MS from now. */
export function recordReproofStatement(d1: D1Database, sessionId: string, nowMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(sessions).set({ reprovedAt: nowMs }).where(eq(sessions.id, sessionId)));
}

export async function deleteSession(d1: D1Database, sessionId: string): Promise<void> {
  await createDb(d1).delete(sessions).where(eq(sessions.id, sessionId));
}

/** Ends every session of a user but `exceptSessionId`, e.g. after a password change or when the account is disabled. */
export function deleteUserSessionsStatement(d1: D1Database, userId: string, exceptSessionId?: string): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId ?? ''))));
}

// ---------------------------------------------------------------- users at sign-in

const loginUserColumns = {
  id: users.id,
  login: users.login,
  passwordHash: users.passwordHash,
  enabled: users.enabled,
  language: users.language,
  firstName: users.firstName,
  smsPhone: users.smsPhone,
  smsPhoneVerified: users.smsPhoneVerified,
  smsTwoFactorActive: users.smsTwoFactorActive,
};
export type LoginUser = Pick<UserRow, keyof typeof loginUserColumns>;

/** The user whose identity key is `loginKey` (worker/lib/identity.ts), enabled or not. */
export async function findLoginUserByKey(d1: D1Database, loginKey: string): Promise<LoginUser | null> {
  const [row] = await createDb(d1).select(loginUserColumns).from(users).where(eq(users.loginKey, loginKey));
  return row ?? null;
}

export async function findLoginUserById(d1: D1Database, userId: string): Promise<LoginUser | null> {
  const [row] = await createDb(d1).select(loginUserColumns).from(users).where(eq(users.id, userId));
  return row ?? null;
}

/** How a message to the user greets them and in which language. */
export async function findUserGreeting(d1: D1Database, userId: string): Promise<Pick<UserRow, 'login' | 'firstName' | 'language'> | null> {
  const [row] = await createDb(d1).select({ login: users.login, firstName: users.firstName, language: users.language }).from(users).where(eq(users.id, userId));
  return row ?? null;
}

/** The SMS 2FA number of a user and whether it is confirmed and switched on. */
export async function findSmsTwoFactor(d1: D1Database, userId: string): Promise<Pick<UserRow, 'smsPhone' | 'smsPhoneVerified' | 'smsTwoFactorActive'> | null> {
  const [row] = await createDb(d1)
    .select({ smsPhone: users.smsPhone, smsPhoneVerified: users.smsPhoneVerified, smsTwoFactorActive: users.smsTwoFactorActive })
    .from(users)
    .where(eq(users.id, userId));
  return row ?? null;
}

export function setPasswordStatement(d1: D1Database, userId: string, passwordHash: string, nowMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(users).set({ passwordHash, updatedAt: nowMs }).where(eq(users.id, userId)));
}

// ---------------------------------------------------------------- the /login second-factor step

const SECOND_FACTOR_PURPOSE = 'login-second-factor';

export function insertSecondFactorStatement(
  d1: D1Database,
  row: { id: string; userId: string; maxAttempts: number; data: string; ip: string; nowMs: number; expiresAt: number },
): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .insert(challenges)
      .values({ id: row.id, purpose: SECOND_FACTOR_PURPOSE, userId: row.userId, maxAttempts: row.maxAttempts, data: row.data, ip: row.ip, createdAt: row.nowMs, expiresAt: row.expiresAt }),
  );
}

type OpenStep = Pick<typeof challenges.$inferSelect, 'userId' | 'data'>;

/**
 * Claims one attempt of the step: only while it is open (unconsumed, unexpired) and under its limit, in the one
 * statement that counts it, so N parallel guesses get at most max_attempts claims. No row: nothing was claimed.
 */
export async function claimSecondFactorAttempt(d1: D1Database, challengeId: string, nowMs: number): Promise<OpenStep | null> {
  const [row] = await createDb(d1)
    .update(challenges)
    .set({ attempts: sql`${challenges.attempts} + 1` })
    .where(openSecondFactor(challengeId, nowMs))
    .returning({ userId: challenges.userId, data: challenges.data });
  return row ?? null;
}

/** The step while it is open and has attempts left, without claiming one (for the passkey options). */
export async function findOpenSecondFactor(d1: D1Database, challengeId: string, nowMs: number): Promise<OpenStep | null> {
  const [row] = await createDb(d1).select({ userId: challenges.userId, data: challenges.data }).from(challenges).where(openSecondFactor(challengeId, nowMs));
  return row ?? null;
}

/** The step is open (unconsumed, unexpired) and under its attempt limit. */
function openSecondFactor(challengeId: string, nowMs: number) {
  return and(
    eq(challenges.id, challengeId),
    eq(challenges.purpose, SECOND_FACTOR_PURPOSE),
    isNull(challenges.consumedAt),
    gt(challenges.expiresAt, nowMs),
    lt(challenges.attempts, challenges.maxAttempts),
  );
}

/** Single use: true only for the one request whose UPDATE flipped consumed_at. */
export async function consumeChallenge(d1: D1Database, challengeId: string, nowMs: number): Promise<boolean> {
  const result = await createDb(d1)
    .update(challenges)
    .set({ consumedAt: nowMs })
    .where(and(eq(challenges.id, challengeId), isNull(challenges.consumedAt)));
  return result.meta.changes === 1;
}

export async function deleteChallenge(d1: D1Database, challengeId: string): Promise<void> {
  await createDb(d1).delete(challenges).where(eq(challenges.id, challengeId));
}

// ---------------------------------------------------------------- password-reset links

const RESET_PURPOSE = 'password-reset';

/** The enabled user a reset request names by identity key, with where the link goes. */
export async function findResetRecipient(d1: D1Database, loginKey: string): Promise<Pick<UserRow, 'id' | 'login' | 'email' | 'firstName' | 'language'> | null> {
  const [row] = await createDb(d1)
    .select({ id: users.id, login: users.login, email: users.email, firstName: users.firstName, language: users.language })
    .from(users)
    .where(and(eq(users.loginKey, loginKey), eq(users.enabled, true)));
  return row ?? null;
}

/**
 * Adds the link only while the user has fewer than `maxValidLinks` unused, unexpired ones: the count and the insert
 * are one statement, so concurrent requests cannot overshoot the cap (changes() = 0 means it was full).
 */
export function insertResetLinkStatement(d1: D1Database, link: { id: string; userId: string; ip: string; nowMs: number; expiresAt: number; maxValidLinks: number }): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO challenges (id, purpose, user_id, max_attempts, ip, created_at, expires_at)
       SELECT ?1, '${RESET_PURPOSE}', ?2, 1, ?3, ?4, ?5
       WHERE (SELECT count(*) FROM challenges WHERE user_id = ?2 AND purpose = '${RESET_PURPOSE}' AND consumed_at IS NULL AND expires_at > ?4) < ?6`,
    )
    .bind(link.id, link.userId, link.ip, link.nowMs, link.expiresAt, link.maxValidLinks);
}

/**
 * Consumes the link while it is unused and unexpired, in the one UPDATE whose returned row decides: of two
 * concurrent completions exactly one gets the user id.
 */
export async function claimResetLink(d1: D1Database, linkId: string, nowMs: number): Promise<string | null> {
  const [row] = await createDb(d1)
    .update(challenges)
    .set({ consumedAt: nowMs })
    .where(and(eq(challenges.id, linkId), eq(challenges.purpose, RESET_PURPOSE), isNull(challenges.consumedAt), gt(challenges.expiresAt, nowMs)))
    .returning({ userId: challenges.userId });
  return row?.userId ?? null;
}

/** Voids the user's other unused links (they were for the password just replaced). */
export function voidResetLinksStatement(d1: D1Database, userId: string, nowMs: number): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .update(challenges)
      .set({ consumedAt: nowMs })
      .where(and(eq(challenges.userId, userId), eq(challenges.purpose, RESET_PURPOSE), isNull(challenges.consumedAt))),
  );
}

export async function findUserLogin(d1: D1Database, userId: string): Promise<string | null> {
  const [row] = await createDb(d1).select({ login: users.login }).from(users).where(eq(users.id, userId));
  return row?.login ?? null;
}

// ---------------------------------------------------------------- API keys

/**
 * The SQL condition "the row of `api_keys` in scope can be used at `nowSql`": not revoked, not expired, and its
 * owner is an enabled administrator right now (a deleted owner leaves NULL, which matches no user).
 */
export function usableKeyCondition(nowSql: string): string {
  return `(api_keys.revoked_at IS NULL AND (api_keys.expires_at IS NULL OR api_keys.expires_at > ${nowSql})
    AND EXISTS (SELECT 1 FROM users WHERE users.id = api_keys.owner_user_id AND users.enabled = 1 AND users.is_admin = 1))`;
}

export type NewApiKey = Pick<ApiKeyRow, 'id' | 'name' | 'keyHash' | 'keyPrefix' | 'scope' | 'ownerUserId' | 'createdByKeyId' | 'createdAt' | 'expiresAt'>;

/** The key's insert; its one returned row carries the owner's login as it is now, under the alias of its field. */
function insertApiKeyQuery(d1: D1Database, key: NewApiKey) {
  return createDb(d1)
    .insert(apiKeys)
    .values(key)
    .returning({ ownerLogin: sql<UserRow['login'] | null>`(SELECT login FROM users WHERE id = ${apiKeys.ownerUserId})`.as('ownerLogin') });
}

/** What `insertApiKeyStatement` returns: the query's own row, as its one column is named by its alias. */
export type InsertedApiKey = Awaited<ReturnType<typeof insertApiKeyQuery>>[number];

/** The insert of a key, for the batch that also writes its audit row. */
export function insertApiKeyStatement(d1: D1Database, key: NewApiKey): D1PreparedStatement {
  return d1Statement(d1, insertApiKeyQuery(d1, key));
}

/** Every key with its owner's login and whether it is usable at `nowMs`; revoked ones last, newest first. */
export async function listApiKeyRows(d1: D1Database, nowMs: number) {
  return createDb(d1)
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      keyPrefix: apiKeys.keyPrefix,
      scope: apiKeys.scope,
      ownerUserId: apiKeys.ownerUserId,
      ownerLogin: users.login,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      usable: sql<number>`${sql.raw(usableKeyCondition(String(Math.floor(nowMs))))}`,
    })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.ownerUserId))
    .orderBy(isNotNull(apiKeys.revokedAt), desc(apiKeys.createdAt));
}

export async function findApiKey(d1: D1Database, id: string): Promise<Pick<ApiKeyRow, 'name' | 'scope'> | null> {
  const [row] = await createDb(d1).select({ name: apiKeys.name, scope: apiKeys.scope }).from(apiKeys).where(eq(apiKeys.id, id));
  return row ?? null;
}

export function revokeApiKeyStatement(d1: D1Database, id: string, nowMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(apiKeys).set({ revokedAt: nowMs }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))));
}

/**
 * Revokes the keys `id` made, only when the batch's previous statement changed a row (changes() = 1): in the batch
 * after the key's own revocation and its audit row, whose insert is just as conditional.
 */
export function revokeKeysMadeByStatement(d1: D1Database, id: string, nowMs: number): D1PreparedStatement {
  return d1.prepare('UPDATE api_keys SET revoked_at = ? WHERE created_by_key_id = ? AND revoked_at IS NULL AND changes() = 1').bind(nowMs, id);
}

/** What `apiKeyLookupStatement` selects; a usable key's owner exists (the condition says so), so it is no NULL. */
export type ApiKeyLookupRow = Pick<ApiKeyRow, 'id' | 'scope'> & { ownerUserId: NonNullable<ApiKeyRow['ownerUserId']> };

/** Reads a key usable now by its hash: no row means refuse. Never cached. */
export function apiKeyLookupStatement(d1: D1Database, keyHash: string, nowMs: number): D1PreparedStatement {
  return d1
    .prepare(`SELECT api_keys.id, api_keys.scope, api_keys.owner_user_id AS ownerUserId FROM api_keys WHERE api_keys.key_hash = ?1 AND ${usableKeyCondition('?2')}`)
    .bind(keyHash, nowMs);
}

/** Records the key's last use, at most once a minute (the condition keeps the write off most requests). */
export function touchApiKeyStatement(d1: D1Database, keyHash: string, nowMs: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE api_keys SET last_used_at = ?1 WHERE api_keys.key_hash = ?2 AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < ?1 - 60000)
         AND ${usableKeyCondition('?1')}`,
    )
    .bind(nowMs, keyHash);
}
