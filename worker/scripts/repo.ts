/**
 * Storage of the sign-in script: every save is a new row in sign_in_script_versions (history, diff, restore);
 * settings name the applied version and hold the kill switch. "Delete" clears the applied pointer and keeps the
 * history, so a deleted script can still be looked at and restored.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { AuditChange, Audit } from '../audit/record';
import { createDb } from '../db/client';
import { groups, offices, signInScriptVersions, users } from '../db/schema';
import type { StoredRow } from '../db/stored-row';
import { readSetting, writeSettingStatement } from '../settings/repo';

export const APPLIED_VERSION_KEY = 'script.appliedVersion';
export const ENABLED_KEY = 'script.enabled';

/** A saved version with the login of who saved it (null: saved by no user, or the user is gone). */
export type ScriptVersionRow = typeof signInScriptVersions.$inferSelect & { savedByLogin: (typeof users.$inferSelect)['login'] | null };

export async function readAppliedVersion(db: D1Database): Promise<number | null> {
  return readSetting<number | null>(db, APPLIED_VERSION_KEY, null);
}

export async function readScriptEnabled(db: D1Database): Promise<boolean> {
  return readSetting(db, ENABLED_KEY, true);
}

export async function loadVersion(d1: D1Database, version: number): Promise<ScriptVersionRow | null> {
  const [row] = await createDb(d1)
    .select({ ...versionColumns, source: signInScriptVersions.source, compiled: signInScriptVersions.compiled })
    .from(signInScriptVersions)
    .leftJoin(users, eq(users.id, signInScriptVersions.savedByUserId))
    .where(eq(signInScriptVersions.version, version));
  return row ?? null;
}

const versionColumns = {
  version: signInScriptVersions.version,
  onError: signInScriptVersions.onError,
  savedByUserId: signInScriptVersions.savedByUserId,
  savedAt: signInScriptVersions.savedAt,
  savedByLogin: users.login,
};

export async function listVersions(d1: D1Database, limit = 100): Promise<Array<Omit<ScriptVersionRow, 'source' | 'compiled'>>> {
  return createDb(d1)
    .select(versionColumns)
    .from(signInScriptVersions)
    .leftJoin(users, eq(users.id, signInScriptVersions.savedByUserId))
    .orderBy(desc(signInScriptVersions.version))
    .limit(limit);
}

/**
 * Saves a new version and applies it in one batch. The version number is computed inside the INSERT, so two
 * admins saving at once get two versions rather than one overwriting the other.
 */
export async function insertAndApplyVersion(
  db: D1Database,
  input: { source: string; compiled: string; onError: 'deny' | 'continue'; savedByUserId: string | null; nowMs: number },
  audit: Audit,
  change: Omit<AuditChange, 'objectType'>,
): Promise<number> {
  const [inserted] = await db.batch<Pick<StoredRow<typeof signInScriptVersions>, 'version'>>([
    db
      .prepare(
        'INSERT INTO sign_in_script_versions (version, source, compiled, on_error, saved_by_user_id, saved_at) SELECT COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ? FROM sign_in_script_versions RETURNING version',
      )
      .bind(input.source, input.compiled, input.onError, input.savedByUserId, input.nowMs),
    audit({ ...change, objectType: 'sign_in_script' }),
    db
      .prepare(
        "INSERT INTO settings (key, value, updated_at) SELECT ?, CAST(MAX(version) AS TEXT), ? FROM sign_in_script_versions WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .bind(APPLIED_VERSION_KEY, input.nowMs),
  ]);
  return inserted!.results[0]!.version;
}

/**
 * Stores a version's program recompiled by a newer engine. Only over the text it was read as: two sign-ins
 * upgrading at once write the same program, and a row changed meanwhile is left as it is.
 */
export async function replaceCompiled(d1: D1Database, version: number, previous: string, compiled: string): Promise<void> {
  await createDb(d1)
    .update(signInScriptVersions)
    .set({ compiled })
    .where(and(eq(signInScriptVersions.version, version), eq(signInScriptVersions.compiled, previous)));
}

export function clearAppliedStatement(db: D1Database, nowMs: number): D1PreparedStatement {
  return writeSettingStatement(db, APPLIED_VERSION_KEY, null, nowMs);
}

export function setEnabledStatement(db: D1Database, enabled: boolean, nowMs: number): D1PreparedStatement {
  return writeSettingStatement(db, ENABLED_KEY, enabled, nowMs);
}

/** The ids a script's constant office and group ids are checked against when it is saved. */
export async function readOfficeAndGroupIds(d1: D1Database): Promise<{ officeIds: string[]; groupIds: string[] }> {
  const db = createDb(d1);
  const [officeRows, groupRows] = await db.batch([db.select({ id: offices.id }).from(offices), db.select({ id: groups.id }).from(groups)]);
  return { officeIds: officeRows.map((row) => row.id), groupIds: groupRows.map((row) => row.id) };
}

/** The name of the office or group a membership effect names, or null when it no longer exists. */
export async function membershipTargetName(d1: D1Database, kind: 'office' | 'group', id: string): Promise<string | null> {
  const table = kind === 'office' ? offices : groups;
  const [row] = await createDb(d1).select({ name: table.name }).from(table).where(eq(table.id, id));
  return row?.name ?? null;
}

/**
 * The users row as the sign-in passes it to a script (column names, as `scriptUserOf` reads them), for the
 * designer's test run on a real user.
 */
export async function readUserRow(d1: D1Database, id: string): Promise<StoredRow<typeof users> | null> {
  return d1.prepare('SELECT * FROM users WHERE id = ?').bind(id).first<StoredRow<typeof users>>();
}

/**
 * A script's saved user fields as one UPDATE (column -> value, columns from SCRIPT_USER_FIELDS only), changing the
 * row only where `condition` (SQL over users, from the caller's rules) holds.
 */
export function updateUserColumnsStatement(d1: D1Database, userId: string, columns: ReadonlyArray<[column: string, value: unknown]>, nowMs: number, condition: string | null): D1PreparedStatement {
  const guard = condition ? ` AND ${condition}` : '';
  return d1
    .prepare(`UPDATE users SET ${columns.map(([column]) => `${column} = ?`).join(', ')}, updated_at = ? WHERE id = ?${guard}`)
    .bind(...columns.map(([, value]) => value), nowMs, userId);
}
