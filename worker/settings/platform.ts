/** Platform-wide switches kept in the `settings` table as JSON values. */
import type { Audit } from '../audit/record';

const TWO_FACTOR_KEY = 'platform.twoFactorEnabled';

export async function readSetting<T>(db: D1Database, key: string, fallback: T): Promise<T> {
  const row = await db.prepare('SELECT value FROM settings WHERE key = ?').bind(key).first<{ value: string }>();
  return row ? (JSON.parse(row.value) as T) : fallback;
}

export function writeSettingStatement(db: D1Database, key: string, value: unknown, nowMs: number): D1PreparedStatement {
  return db
    .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
    .bind(key, JSON.stringify(value), nowMs);
}

/** Two-factor authentication by SMS for the platform sign-in: off until the administrator switches it on. */
export function isTwoFactorEnabled(db: D1Database): Promise<boolean> {
  return readSetting(db, TWO_FACTOR_KEY, false);
}

export async function setTwoFactorEnabled(db: D1Database, enabled: boolean, nowMs: number, audit: Audit): Promise<void> {
  const before = await isTwoFactorEnabled(db);
  await db.batch([
    writeSettingStatement(db, TWO_FACTOR_KEY, enabled, nowMs),
    audit({ action: 'update', objectType: 'security_settings', objectId: TWO_FACTOR_KEY, objectName: 'twoFactorEnabled', before: { twoFactorEnabled: before }, after: { twoFactorEnabled: enabled } }),
  ]);
}

/** Offices whose "disable two-factor authentication" is set and that the user belongs to (why 2FA is unavailable). */
export async function officesForbiddingTwoFactor(db: D1Database, userId: string): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT o.name FROM office_members m JOIN offices o ON o.id = m.office_id WHERE m.user_id = ? AND o.two_factor_disabled = 1 ORDER BY o.name')
    .bind(userId)
    .all<{ name: string }>();
  return results.map((row) => row.name);
}
