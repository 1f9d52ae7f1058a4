/**
 * The cron's statements: what has expired goes, in one D1 batch together with what other domains contribute
 * (the pending enrolments of tokens/repo.ts).
 */
import { lt, lte } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { adminAudit, challenges, messageLog, rateLimits, samlUsedAssertions, sessions, userActivities } from '../db/schema';

export async function deleteExpiredRows(
  d1: D1Database,
  cutoffs: { nowMs: number; activityCutoffMs: number; auditCutoffMs: number },
  alsoExpired: D1PreparedStatement[],
): Promise<void> {
  const db = createDb(d1);
  const { nowMs, activityCutoffMs, auditCutoffMs } = cutoffs;
  await d1.batch([
    d1Statement(d1, db.delete(sessions).where(lte(sessions.expiresAt, nowMs))),
    d1Statement(d1, db.delete(challenges).where(lte(challenges.expiresAt, nowMs))),
    d1Statement(d1, db.delete(rateLimits).where(lte(rateLimits.expiresAt, nowMs))),
    d1Statement(d1, db.delete(samlUsedAssertions).where(lte(samlUsedAssertions.expiresAt, nowMs))),
    d1Statement(d1, db.delete(userActivities).where(lt(userActivities.at, activityCutoffMs))),
    d1Statement(d1, db.delete(messageLog).where(lt(messageLog.at, activityCutoffMs))),
    ...alsoExpired,
    d1Statement(d1, db.delete(adminAudit).where(lt(adminAudit.at, auditCutoffMs))),
  ]);
}
