/** Platform-wide switches kept in the `settings` table as JSON values. */
import type { Audit } from '../audit/record';
import { ADMIN_AUDIT_RETENTION_DAYS, ADMIN_AUDIT_RETENTION_MAX_DAYS, ADMIN_AUDIT_RETENTION_MIN_DAYS } from '../constants';
import { fieldRefusal } from '../lib/validate';
import { readSetting, writeSettingStatement } from './repo';

const TWO_FACTOR_KEY = 'platform.twoFactorEnabled';
const AUDIT_RETENTION_KEY = 'platform.adminAuditRetentionDays';

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

export const AUDIT_RETENTION_BOUNDS = { min: ADMIN_AUDIT_RETENTION_MIN_DAYS, max: ADMIN_AUDIT_RETENTION_MAX_DAYS } as const;

/** Days the admin audit trail keeps its rows: what the hourly purge and every read of the trail go by. */
export async function auditRetentionDays(db: D1Database): Promise<number> {
  const days = await readSetting(db, AUDIT_RETENTION_KEY, ADMIN_AUDIT_RETENTION_DAYS);
  // A row written by hand outside the bounds still keeps the trail within them.
  return Math.min(ADMIN_AUDIT_RETENTION_MAX_DAYS, Math.max(ADMIN_AUDIT_RETENTION_MIN_DAYS, Math.round(days)));
}

export async function setAuditRetentionDays(db: D1Database, days: number, nowMs: number, audit: Audit): Promise<void> {
  // The route's schema refuses these first; the same refusal here keeps every other caller within the bounds.
  const bounds = { minimum: ADMIN_AUDIT_RETENTION_MIN_DAYS, maximum: ADMIN_AUDIT_RETENTION_MAX_DAYS, origin: 'number' };
  if (!Number.isInteger(days)) throw fieldRefusal('days', 'invalid_type', 'expected a whole number of days', { expected: 'int' });
  if (days < ADMIN_AUDIT_RETENTION_MIN_DAYS) throw fieldRefusal('days', 'too_small', `at least ${ADMIN_AUDIT_RETENTION_MIN_DAYS} days`, bounds);
  if (days > ADMIN_AUDIT_RETENTION_MAX_DAYS) throw fieldRefusal('days', 'too_big', `at most ${ADMIN_AUDIT_RETENTION_MAX_DAYS} days`, bounds);
  const before = await auditRetentionDays(db);
  await db.batch([
    writeSettingStatement(db, AUDIT_RETENTION_KEY, days, nowMs),
    audit({ action: 'update', objectType: 'security_settings', objectId: AUDIT_RETENTION_KEY, objectName: 'auditRetentionDays', before: { auditRetentionDays: before }, after: { auditRetentionDays: days } }),
  ]);
}
