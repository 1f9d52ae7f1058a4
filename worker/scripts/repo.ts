/**
 * Storage of the sign-in script: every save is a new row in sign_in_script_versions (history, diff, restore);
 * settings name the applied version and hold the kill switch. "Delete" clears the applied pointer and keeps the
 * history, so a deleted script can still be looked at and restored.
 */
import type { AuditChange, Audit } from '../audit/record';
import { readSetting, writeSettingStatement } from '../settings/platform';

export const APPLIED_VERSION_KEY = 'script.appliedVersion';
export const ENABLED_KEY = 'script.enabled';

export interface ScriptVersionRow {
  version: number;
  source: string;
  compiled: string;
  on_error: 'deny' | 'continue';
  saved_by_user_id: string | null;
  saved_at: number;
  saved_by_login?: string | null;
}

export async function readAppliedVersion(db: D1Database): Promise<number | null> {
  return readSetting<number | null>(db, APPLIED_VERSION_KEY, null);
}

export async function readScriptEnabled(db: D1Database): Promise<boolean> {
  return readSetting(db, ENABLED_KEY, true);
}

export async function loadVersion(db: D1Database, version: number): Promise<ScriptVersionRow | null> {
  return db
    .prepare('SELECT v.*, u.login AS saved_by_login FROM sign_in_script_versions v LEFT JOIN users u ON u.id = v.saved_by_user_id WHERE v.version = ?')
    .bind(version)
    .first<ScriptVersionRow>();
}

export async function listVersions(db: D1Database, limit = 100): Promise<Array<Omit<ScriptVersionRow, 'source' | 'compiled'>>> {
  const { results } = await db
    .prepare(
      'SELECT v.version, v.on_error, v.saved_by_user_id, v.saved_at, u.login AS saved_by_login FROM sign_in_script_versions v LEFT JOIN users u ON u.id = v.saved_by_user_id ORDER BY v.version DESC LIMIT ?',
    )
    .bind(limit)
    .all<Omit<ScriptVersionRow, 'source' | 'compiled'>>();
  return results;
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
  const [inserted] = await db.batch<{ version: number }>([
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
export async function replaceCompiled(db: D1Database, version: number, previous: string, compiled: string): Promise<void> {
  await db.prepare('UPDATE sign_in_script_versions SET compiled = ? WHERE version = ? AND compiled = ?').bind(compiled, version, previous).run();
}

export function clearAppliedStatement(db: D1Database, nowMs: number): D1PreparedStatement {
  return writeSettingStatement(db, APPLIED_VERSION_KEY, null, nowMs);
}

export function setEnabledStatement(db: D1Database, enabled: boolean, nowMs: number): D1PreparedStatement {
  return writeSettingStatement(db, ENABLED_KEY, enabled, nowMs);
}
