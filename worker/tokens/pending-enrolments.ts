/**
 * Enrolments that were never activated: the portal's Register New Token replaces the user's previous pending
 * enrolment for the same resource (a reload starts it again), and the cron removes any left past
 * PENDING_ENROLMENT_TTL_MS. A token that was activated meanwhile is never touched: every statement here is
 * conditional on `activated = 0`.
 */
import { PENDING_ENROLMENT_TTL_MS } from '../constants';

/** The tokens that a statement below removes, as a reusable WHERE clause (bound parameters in the callers). */
const REPLACED = 'owner_user_id = ?1 AND enrolling_resource_id = ?2 AND activated = 0';
const EXPIRED = 'activated = 0 AND created_at < ?1';

/**
 * Run in the same batch as the new enrolment's INSERT, before it: the user's earlier pending token for this
 * resource goes. Assignments never name a pending portal token (it joins the resource when confirmed), but an
 * administrator may have assigned one meanwhile, so those fall back to plain "user" first, as deleteToken does.
 */
export function replacePendingEnrolmentStatements(db: D1Database, ownerUserId: string, resourceId: string): D1PreparedStatement[] {
  return [
    db.prepare(`UPDATE assignments SET kind = 'user', token_id = NULL WHERE token_id IN (SELECT id FROM tokens WHERE ${REPLACED})`).bind(ownerUserId, resourceId),
    db.prepare(`DELETE FROM tokens WHERE ${REPLACED}`).bind(ownerUserId, resourceId),
  ];
}

/** For the cron's purge batch: every enrolment older than PENDING_ENROLMENT_TTL_MS and still not activated. */
export function expiredEnrolmentStatements(db: D1Database, nowMs: number): D1PreparedStatement[] {
  const cutoffMs = nowMs - PENDING_ENROLMENT_TTL_MS;
  return [
    db.prepare(`UPDATE assignments SET kind = 'user', token_id = NULL WHERE token_id IN (SELECT id FROM tokens WHERE ${EXPIRED})`).bind(cutoffMs),
    db.prepare(`DELETE FROM tokens WHERE ${EXPIRED}`).bind(cutoffMs),
  ];
}

/**
 * The statements that store a new pending enrolment of `ownerUserId` for `resourceId` in place of the previous
 * one, for one batch: the old one goes, `insert` (the new token's INSERT) runs, and the new token is marked as
 * this resource's enrolment so that the next start replaces it in turn.
 */
export function enrolmentInPlaceOfPrevious(
  db: D1Database,
  enrolment: { tokenId: string; ownerUserId: string; resourceId: string },
  insert: D1PreparedStatement,
): D1PreparedStatement[] {
  return [...replacePendingEnrolmentStatements(db, enrolment.ownerUserId, enrolment.resourceId), insert, markEnrolmentStatement(db, enrolment)];
}

/**
 * For an enrolment stored before it is known to succeed (an SMS/email token, whose code must be sent first: a
 * refused send deletes the new token and must leave the previous enrolment as it was): once sent, one batch
 * replaces the previous pending enrolment with this one. The new token is not marked yet, so it is not replaced.
 */
export function takeOverEnrolmentStatements(db: D1Database, enrolment: { tokenId: string; ownerUserId: string; resourceId: string }): D1PreparedStatement[] {
  return [...replacePendingEnrolmentStatements(db, enrolment.ownerUserId, enrolment.resourceId), markEnrolmentStatement(db, enrolment)];
}

function markEnrolmentStatement(db: D1Database, enrolment: { tokenId: string; resourceId: string }): D1PreparedStatement {
  return db.prepare('UPDATE tokens SET enrolling_resource_id = ? WHERE id = ?').bind(enrolment.resourceId, enrolment.tokenId);
}
