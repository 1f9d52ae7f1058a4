/**
 * Every statement of SAML: the saved configuration versions, the pending AuthnRequests (`challenges` rows), the
 * consumed assertion ids and the users an assertion signs in. Row types come from worker/db/schema.ts; the
 * single-use statements (replay guard, request consumption) say what their condition guarantees.
 */
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { challenges, samlConfigVersions, samlUsedAssertions, settings, users } from '../db/schema';
import type { StoredRow } from '../db/stored-row';

type UserRow = typeof users.$inferSelect;

// ---------------------------------------------------------------- configuration versions

const versionSelection = {
  version: samlConfigVersions.version,
  yaml: samlConfigVersions.yaml,
  config: samlConfigVersions.config,
  allowSignIn: samlConfigVersions.allowSignIn,
  savedAt: samlConfigVersions.savedAt,
  savedByLogin: users.login,
};
export type SamlVersionRow = Pick<typeof samlConfigVersions.$inferSelect, 'version' | 'yaml' | 'config' | 'allowSignIn' | 'savedAt'> & { savedByLogin: UserRow['login'] | null };

/** The latest saved version and the version `appliedVersion` (null: none), with who saved each, in one round trip. */
export async function readLatestAndApplied(d1: D1Database, appliedVersion: number | null): Promise<{ latest: SamlVersionRow | null; applied: SamlVersionRow | null }> {
  const db = createDb(d1);
  const versions = () => db.select(versionSelection).from(samlConfigVersions).leftJoin(users, eq(users.id, samlConfigVersions.savedByUserId));
  const [[latest], [applied]] = await db.batch([
    versions().orderBy(desc(samlConfigVersions.version)).limit(1),
    versions().where(eq(samlConfigVersions.version, appliedVersion ?? -1)),
  ]);
  return { latest: latest ?? null, applied: applied ?? null };
}

/**
 * A new version numbered inside the INSERT (one more than the highest): two admins saving at once get two
 * versions, or the primary key refuses the second, never one overwriting the other.
 */
export function insertVersionStatement(d1: D1Database, version: { yaml: string; config: string; allowSignIn: boolean; savedByUserId: string | null; nowMs: number }): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO saml_config_versions (version, yaml, config, allow_sign_in, saved_by_user_id, saved_at)
       SELECT COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ? FROM saml_config_versions`,
    )
    .bind(version.yaml, version.config, version.allowSignIn ? 1 : 0, version.savedByUserId, version.nowMs);
}

/** The number of version `version`, or of the latest when it is undefined; null when there is no such version. */
export async function findVersionNumber(d1: D1Database, version: number | undefined): Promise<number | null> {
  const query = createDb(d1).select({ version: samlConfigVersions.version }).from(samlConfigVersions);
  const [row] = version === undefined ? await query.orderBy(desc(samlConfigVersions.version)).limit(1) : await query.where(eq(samlConfigVersions.version, version));
  return row?.version ?? null;
}

/** The configuration (JSON) of the latest saved version, or null when none was saved. */
export async function readLatestConfig(d1: D1Database): Promise<string | null> {
  const [row] = await createDb(d1).select({ config: samlConfigVersions.config }).from(samlConfigVersions).orderBy(desc(samlConfigVersions.version)).limit(1);
  return row?.config ?? null;
}

/** The version the settings row `appliedKey` names. */
export async function readAppliedVersionRow(d1: D1Database, appliedKey: string): Promise<Pick<typeof samlConfigVersions.$inferSelect, 'version' | 'config' | 'allowSignIn'> | null> {
  const [row] = await createDb(d1)
    .select({ version: samlConfigVersions.version, config: samlConfigVersions.config, allowSignIn: samlConfigVersions.allowSignIn })
    .from(settings)
    .innerJoin(samlConfigVersions, eq(samlConfigVersions.version, sql`CAST(${settings.value} AS INTEGER)`))
    .where(eq(settings.key, appliedKey));
  return row ?? null;
}

// ---------------------------------------------------------------- pending requests and used assertions

export async function insertPendingRequest(
  d1: D1Database,
  request: { id: string; purpose: string; requestId: string; data: string; ip: string; nowMs: number; expiresAt: number },
): Promise<void> {
  await createDb(d1)
    .insert(challenges)
    .values({ id: request.id, purpose: request.purpose, target: request.requestId, maxAttempts: 1, data: request.data, ip: request.ip, createdAt: request.nowMs, expiresAt: request.expiresAt });
}

/** The data of the request while it is unconsumed and unexpired. */
export async function findPendingRequest(d1: D1Database, id: string, purpose: string, nowMs: number): Promise<string | null> {
  const [row] = await createDb(d1)
    .select({ data: challenges.data })
    .from(challenges)
    .where(and(eq(challenges.id, id), eq(challenges.purpose, purpose), isNull(challenges.consumedAt), gt(challenges.expiresAt, nowMs)));
  return row?.data ?? null;
}

/**
 * Records the assertion as used until it would have expired anyway. DO NOTHING on a known id: changes() = 0 tells
 * the replay, and of two concurrent posts of one assertion exactly one inserts.
 */
export function useAssertionStatement(d1: D1Database, key: string, keepUntilMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).insert(samlUsedAssertions).values({ assertionId: key, expiresAt: keepUntilMs }).onConflictDoNothing({ target: samlUsedAssertions.assertionId }));
}

/** Consumes the pending request while it is open: changes() = 1 for exactly one response answering it. */
export function consumePendingRequestStatement(d1: D1Database, id: string, purpose: string, nowMs: number): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .update(challenges)
      .set({ consumedAt: nowMs })
      .where(and(eq(challenges.id, id), eq(challenges.purpose, purpose), isNull(challenges.consumedAt), gt(challenges.expiresAt, nowMs))),
  );
}

export async function isAssertionUsed(d1: D1Database, key: string): Promise<boolean> {
  const [row] = await createDb(d1).select({ key: samlUsedAssertions.assertionId }).from(samlUsedAssertions).where(eq(samlUsedAssertions.assertionId, key));
  return row !== undefined;
}

// ---------------------------------------------------------------- users

/** A `users` row as `SELECT *` answers it: under its column names (snake_case), the flags 0/1. */
type StoredUserRow = StoredRow<typeof users>;

/**
 * The user a SAML sign-in goes on with, under the column names, as the sign-in script reads it
 * (scripts/user-fields.ts maps fields to columns): a stored row, or a first sign-in's row about to be inserted, with
 * the columns the ACS itself needs typed.
 */
export type UserColumns = Record<string, unknown> & Pick<StoredUserRow, 'id' | 'login' | 'enabled' | 'language'>;

/** Up to two users holding the email key: two mean an ambiguous email. */
export async function usersWithEmailKey(d1: D1Database, emailKey: string): Promise<StoredUserRow[]> {
  const { results } = await d1.prepare('SELECT * FROM users WHERE email_key = ? LIMIT 2').bind(emailKey).all<StoredUserRow>();
  return results;
}

export async function isLoginKeyTaken(d1: D1Database, loginKey: string): Promise<boolean> {
  const [row] = await createDb(d1).select({ id: users.id }).from(users).where(eq(users.loginKey, loginKey)).limit(1);
  return row !== undefined;
}

/** A user registered by their first SAML sign-in; the UNIQUE login_key index refuses a concurrent colliding one. */
export function insertUserStatement(
  d1: D1Database,
  user: Pick<UserRow, 'id' | 'login' | 'firstName' | 'lastName' | 'email' | 'language' | 'createdAt' | 'updatedAt' | 'loginKey' | 'emailKey'>,
): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).insert(users).values({ ...user, enabled: true, isAdmin: false }));
}
