/**
 * The `settings` table's statements for the platform's JSON-valued switches (one row per key), and the office rule
 * that takes two-factor sign-in away. Row types come from worker/db/schema.ts.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { officeMembers, offices, settings } from '../db/schema';

export async function readSetting<T>(d1: D1Database, key: string, fallback: T): Promise<T> {
  const row = await createDb(d1).select({ value: settings.value }).from(settings).where(eq(settings.key, key)).get();
  return row ? (JSON.parse(row.value) as T) : fallback;
}

/** A statement, so the caller puts the write in one batch with its audit row. */
export function writeSettingStatement(d1: D1Database, key: string, value: unknown, nowMs: number): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .insert(settings)
      .values({ key, value: JSON.stringify(value), updatedAt: nowMs })
      .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` } }),
  );
}

/** Offices whose "disable two-factor authentication" is set and that the user belongs to (why 2FA is unavailable). */
export async function officesForbiddingTwoFactor(d1: D1Database, userId: string): Promise<string[]> {
  const rows = await createDb(d1)
    .select({ name: offices.name })
    .from(officeMembers)
    .innerJoin(offices, eq(offices.id, officeMembers.officeId))
    .where(and(eq(officeMembers.userId, userId), eq(offices.twoFactorDisabled, true)))
    .orderBy(asc(offices.name));
  return rows.map((row) => row.name);
}
