/**
 * Every statement of the token inventory: tokens, their recovery codes, pending enrolments and the resources a token
 * opens. Row types come from worker/db/schema.ts. A change and its audit row go in one D1 batch, the audit row right
 * after the statement whose effect it records (audit/record.ts: it is written only when that statement changed a
 * row). The conditional statements that decide a claim or a single use stay SQL, each with what it guarantees.
 */
import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { PENDING_ENROLMENT_TTL_MS } from '../constants';
import { createDb, d1Statement } from '../db/client';
import { assignments, challenges, recoveryCodes, resources, tokens, users } from '../db/schema';
import { likeSearch } from '../lib/paging';

/**
 * The condition of a statement that must run only when the batch's previous statement changed exactly one row (the
 * consume or claim it follows): in one D1 batch, a transaction, it makes the follower's write happen exactly when
 * that statement succeeded. `changes()` counts the previous INSERT, UPDATE or DELETE only.
 */
export const CONSUMED_BY_PREVIOUS_STATEMENT = 'changes() = 1';

export type TokenRow = typeof tokens.$inferSelect;
export type NewTokenRow = typeof tokens.$inferInsert;

// ---------------------------------------------------------------- what the admin center shows

/** Everything of a token but its sealed seed, with its owner's login. */
const { secretEncrypted: _sealedSeed, ...viewColumns } = getTableColumns(tokens);
const tokenViewSelection = { ...viewColumns, ownerLogin: users.login };
export type TokenViewRow = Omit<TokenRow, 'secretEncrypted'> & { ownerLogin: string | null };

export async function listTokenRows(
  d1: D1Database,
  query: { search?: string; ownerUserId?: string; unassigned?: boolean; page: number; pageSize: number },
): Promise<{ rows: TokenViewRow[]; total: number }> {
  const db = createDb(d1);
  const where = and(
    query.search ? or(likeSearch(tokens.serial, query.search), likeSearch(tokens.description, query.search), likeSearch(users.login, query.search)) : undefined,
    query.ownerUserId ? eq(tokens.ownerUserId, query.ownerUserId) : undefined,
    query.unassigned ? isNull(tokens.ownerUserId) : undefined,
  );
  const [rows, [totals]] = await db.batch([
    db
      .select(tokenViewSelection)
      .from(tokens)
      .leftJoin(users, eq(users.id, tokens.ownerUserId))
      .where(where)
      .orderBy(asc(sql`lower(${tokens.serial})`))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(tokens).leftJoin(users, eq(users.id, tokens.ownerUserId)).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

export async function readTokenViewRow(d1: D1Database, id: string): Promise<TokenViewRow | undefined> {
  return createDb(d1).select(tokenViewSelection).from(tokens).leftJoin(users, eq(users.id, tokens.ownerUserId)).where(eq(tokens.id, id)).get();
}

/** The columns of a token the checks read, as tokens/verification.ts's TokenRecord names them (0/1 for the flags). */
export const tokenRecordSelection = {
  id: tokens.id,
  serial: tokens.serial,
  type: tokens.type,
  algorithm: tokens.algorithm,
  digits: tokens.digits,
  period_seconds: tokens.periodSeconds,
  counter: tokens.counter,
  ocra_suite: tokens.ocraSuite,
  secret_encrypted: tokens.secretEncrypted,
  pin_hash: tokens.pinHash,
  pin_position: tokens.pinPosition,
  fail_count: tokens.failCount,
  locked_until: tokens.lockedUntil,
  last_used_step: tokens.lastUsedStep,
  drift_steps: tokens.driftSteps,
  enabled: sql<number>`${tokens.enabled}`,
  activated: sql<number>`${tokens.activated}`,
  owner_user_id: tokens.ownerUserId,
  destination: tokens.destination,
};

/** A token as the checks take it, or undefined. */
export async function readTokenRecord(d1: D1Database, id: string) {
  return createDb(d1).select(tokenRecordSelection).from(tokens).where(eq(tokens.id, id)).get();
}

export async function userExists(d1: D1Database, userId: string): Promise<boolean> {
  return (await createDb(d1).select({ id: users.id }).from(users).where(eq(users.id, userId)).get()) !== undefined;
}

// ---------------------------------------------------------------- changes

/** One token's INSERT, for the caller's batch (imports insert many in one: all or nothing). */
export function tokenInsertStatement(d1: D1Database, row: NewTokenRow): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).insert(tokens).values(row));
}

/** Runs token inserts with their audit rows in one batch (a unique serial refused rolls back every one). */
export async function insertTokenRows(d1: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  await d1.batch(statements);
}

/**
 * A token handed to another owner leaves the resource assignments of everyone else (they fall back to plain
 * "user"; the CHECK forbids a "token with user" assignment without its token). `keepUserId` null: all of them.
 */
function releaseAssignmentsStatement(d1: D1Database, tokenId: string, keepUserId: string | null): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .update(assignments)
      .set({ kind: 'user', tokenId: null })
      .where(and(eq(assignments.tokenId, tokenId), sql`${assignments.userId} IS NOT ${keepUserId}`)),
  );
}

/** Changes a token with its audit row; false when there is no such token. A new owner releases others' assignments. */
export async function updateTokenRow(
  d1: D1Database,
  id: string,
  changes: Partial<Pick<NewTokenRow, 'description' | 'enabled' | 'ownerUserId'>>,
  audit: D1PreparedStatement,
): Promise<boolean> {
  const [updated] = await d1.batch([
    d1Statement(d1, createDb(d1).update(tokens).set(changes).where(eq(tokens.id, id))),
    audit,
    ...(changes.ownerUserId !== undefined ? [releaseAssignmentsStatement(d1, id, changes.ownerUserId)] : []),
  ]);
  return updated!.meta.changes > 0;
}

/** Deletes a token; the assignments that named it fall back to plain "user" in the same batch. False: no such token. */
export async function deleteTokenRow(d1: D1Database, id: string, audit: D1PreparedStatement | null): Promise<boolean> {
  const [, deleted] = await d1.batch([
    releaseAssignmentsStatement(d1, id, null),
    d1Statement(d1, createDb(d1).delete(tokens).where(eq(tokens.id, id))),
    ...(audit ? [audit] : []),
  ]);
  return deleted!.meta.changes > 0;
}

/** Sets (or with null removes) the PIN hash; the position only when given. False: no such token. */
export async function setTokenPinRow(d1: D1Database, id: string, pinHash: string | null, pinPosition: 'before' | 'after' | undefined, audit: D1PreparedStatement | null): Promise<boolean> {
  const [updated] = await d1.batch([
    d1Statement(d1, createDb(d1).update(tokens).set({ pinHash, ...(pinPosition ? { pinPosition } : {}) }).where(eq(tokens.id, id))),
    ...(audit ? [audit] : []),
  ]);
  return updated!.meta.changes > 0;
}

export async function resetTokenFailCounterRow(d1: D1Database, id: string, audit: D1PreparedStatement): Promise<boolean> {
  const [updated] = await d1.batch([d1Statement(d1, createDb(d1).update(tokens).set({ failCount: 0, lockedUntil: null }).where(eq(tokens.id, id))), audit]);
  return updated!.meta.changes > 0;
}

// ---------------------------------------------------------------- SMS and EMAIL tokens

/**
 * Consumes the right code of a message token: clears its fail counter and lock and activates it, but only while it
 * is enabled and not locked, or locked by the caller's own claim (`lockedByClaim`), which this success lifts. A
 * token disabled or locked by someone else since it was read changes nothing: false.
 */
export async function acceptMessageTokenCode(d1: D1Database, tokenId: string, nowMs: number, lockedByClaim: number | null): Promise<boolean> {
  const accepted = await createDb(d1)
    .update(tokens)
    .set({ failCount: 0, lockedUntil: null, activated: true, lastUsedAt: nowMs })
    .where(
      and(
        eq(tokens.id, tokenId),
        eq(tokens.enabled, true),
        or(isNull(tokens.lockedUntil), sql`${tokens.lockedUntil} <= ${nowMs}`, eq(tokens.lockedUntil, lockedByClaim ?? -1)),
      ),
    );
  return accepted.meta.changes === 1;
}

/** The flow data of the newest open code challenges of `purpose` sent to `target` for `userId` (newest first). */
export async function openCodeChallengeData(d1: D1Database, query: { purpose: string; userId: string | null; target: string; nowMs: number }): Promise<string[]> {
  const rows = await createDb(d1)
    .select({ data: challenges.data })
    .from(challenges)
    .where(
      and(
        eq(challenges.purpose, query.purpose),
        sql`${challenges.userId} IS ${query.userId}`,
        eq(challenges.target, query.target),
        isNull(challenges.consumedAt),
        sql`${challenges.expiresAt} > ${query.nowMs}`,
        sql`${challenges.codeHash} IS NOT NULL`,
      ),
    )
    .orderBy(desc(challenges.createdAt))
    .limit(5);
  return rows.map((row) => row.data);
}

// ---------------------------------------------------------------- recovery codes

/** Unused and not voided: the condition of a code that can still be accepted (columns of recovery_codes). */
const USABLE_CODE_SQL = 'used_at IS NULL AND voided_at IS NULL';

/**
 * Stores a user's new set in place of their old one in one batch: assignments naming the old set fall back to plain
 * "user", the old set and its codes go, the new token and its code hashes come, and `activity` is logged. Of two
 * racing generations the later deletes the earlier's set; the one-set-per-user index refuses what slips past.
 */
export async function replaceRecoverySet(
  d1: D1Database,
  set: { tokenId: string; serial: string; userId: string; codeHashes: string[]; nowMs: number },
  activity: D1PreparedStatement,
): Promise<void> {
  const db = createDb(d1);
  const oldSets = db.select({ id: tokens.id }).from(tokens).where(and(eq(tokens.ownerUserId, set.userId), eq(tokens.type, 'RECOVERY_CODES')));
  await d1.batch([
    d1Statement(d1, db.update(assignments).set({ kind: 'user', tokenId: null }).where(inArray(assignments.tokenId, oldSets))),
    d1Statement(d1, db.delete(tokens).where(inArray(tokens.id, oldSets))),
    tokenInsertStatement(d1, {
      id: set.tokenId,
      serial: set.serial,
      type: 'RECOVERY_CODES',
      kind: 'software',
      description: '',
      enabled: true,
      activated: true,
      ownerUserId: set.userId,
      createdAt: set.nowMs,
    }),
    d1Statement(d1, db.insert(recoveryCodes).values(set.codeHashes.map((codeHash) => ({ tokenId: set.tokenId, codeHash })))),
    activity,
  ]);
}

/**
 * The batch that checks one recovery code. `claim` (the attempt claimed on the token, RETURNING locked_until) runs
 * first when the attempt is counted; the code is then consumed only if that claim changed the row. Without a claim
 * the token must be enabled and unlocked when the code is consumed.
 *
 * The consume is the deciding statement: of concurrent uses of one code exactly one changes its row, and the token
 * update, the RecoveryCodeUsed activity and `alsoIfConsumed` are written exactly when it did.
 */
export async function consumeRecoveryCode(
  d1: D1Database,
  input: {
    tokenId: string;
    serial: string;
    ownerUserId: string | null;
    /** The code's keyed hash; null for input that is no code at all (only the claim runs). */
    codeHash: string | null;
    claim: D1PreparedStatement | null;
    alsoIfConsumed?: D1PreparedStatement;
    via: { channel: string; ip: string | null; client: string | null };
    nowMs: number;
  },
): Promise<{ claimed: { locked_until: number | null } | undefined; consumed: boolean; remaining: number | null }> {
  const statements: D1PreparedStatement[] = input.claim ? [input.claim] : [];
  if (input.codeHash !== null) {
    const tokenUsable = input.claim
      ? CONSUMED_BY_PREVIOUS_STATEMENT // the claim changed the row: enabled and not locked before it
      : 'EXISTS (SELECT 1 FROM tokens WHERE id = ?2 AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ?1))';
    const remainingSql = `(SELECT count(*) FROM recovery_codes WHERE token_id = ?2 AND ${USABLE_CODE_SQL})`;
    statements.push(
      d1.prepare(`UPDATE recovery_codes SET used_at = ?1 WHERE token_id = ?2 AND code_hash = ?3 AND ${USABLE_CODE_SQL} AND ${tokenUsable}`).bind(input.nowMs, input.tokenId, input.codeHash),
      // Success clears the fail counter (and the lock the claim may just have set), and the last code spends the set.
      d1
        .prepare(
          `UPDATE tokens SET fail_count = 0, locked_until = NULL, last_used_at = ?1, enabled = CASE WHEN ${remainingSql} > 0 THEN enabled ELSE 0 END
           WHERE id = ?2 AND ${CONSUMED_BY_PREVIOUS_STATEMENT}`,
        )
        .bind(input.nowMs, input.tokenId),
      d1
        .prepare(
          `INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at)
           SELECT ?3, ?4, (SELECT login FROM users WHERE id = ?4), 'RecoveryCodeUsed', ?5, ?6, ?7,
                  json_object('tokenId', ?2, 'serial', ?8, 'remaining', ${remainingSql}), ?1
           WHERE ${CONSUMED_BY_PREVIOUS_STATEMENT}`,
        )
        .bind(input.nowMs, input.tokenId, crypto.randomUUID(), input.ownerUserId, input.via.channel, input.via.ip, input.via.client, input.serial),
    );
    if (input.alsoIfConsumed) statements.push(input.alsoIfConsumed);
    statements.push(d1.prepare(`SELECT ${remainingSql} AS remaining`).bind(input.nowMs, input.tokenId));
  }
  if (statements.length === 0) return { claimed: undefined, consumed: false, remaining: null };
  const results = await d1.batch(statements);
  const claimed = input.claim ? (results[0]!.results[0] as { locked_until: number | null } | undefined) : undefined;
  const consumed = input.codeHash !== null && results[input.claim ? 1 : 0]!.meta.changes === 1;
  const remaining = consumed ? (results.at(-1)!.results[0] as { remaining: number }).remaining : null;
  return { claimed, consumed, remaining };
}

/** Remaining / total / voided of each of the given RECOVERY_CODES tokens (one read for a whole page of tokens). */
export async function readRecoveryCodeCounts(d1: D1Database, tokenIds: string[]) {
  return createDb(d1)
    .select({
      tokenId: recoveryCodes.tokenId,
      remaining: sql<number>`sum(${recoveryCodes.usedAt} IS NULL AND ${recoveryCodes.voidedAt} IS NULL)`,
      total: count(),
      voidedAt: sql<number | null>`max(${recoveryCodes.voidedAt})`,
    })
    .from(recoveryCodes)
    .where(inArray(recoveryCodes.tokenId, tokenIds))
    .groupBy(recoveryCodes.tokenId);
}

/** The user's own set: when it was made, how many codes remain of how many; undefined when they have none. */
export async function readRecoverySetOfUser(d1: D1Database, userId: string) {
  return createDb(d1)
    .select({
      createdAt: tokens.createdAt,
      remaining: sql<number | null>`sum(${recoveryCodes.usedAt} IS NULL AND ${recoveryCodes.voidedAt} IS NULL)`,
      total: count(recoveryCodes.codeHash),
    })
    .from(tokens)
    .leftJoin(recoveryCodes, eq(recoveryCodes.tokenId, tokens.id))
    .where(and(eq(tokens.ownerUserId, userId), eq(tokens.type, 'RECOVERY_CODES')))
    .groupBy(tokens.id)
    .get();
}

/** Voids every unused code of a set and disables it, with the audit row and the activity, in one batch. */
export async function voidRecoverySet(d1: D1Database, tokenId: string, nowMs: number, audit: D1PreparedStatement, activity: D1PreparedStatement): Promise<void> {
  const db = createDb(d1);
  await d1.batch([
    d1Statement(d1, db.update(recoveryCodes).set({ voidedAt: nowMs }).where(and(eq(recoveryCodes.tokenId, tokenId), isNull(recoveryCodes.usedAt), isNull(recoveryCodes.voidedAt)))),
    d1Statement(d1, db.update(tokens).set({ enabled: false }).where(eq(tokens.id, tokenId))),
    audit,
    activity,
  ]);
}

// ---------------------------------------------------------------- pending enrolments

/**
 * Enrolments that were never activated: the portal's Register New Token replaces the user's previous pending
 * enrolment for the same resource (a reload starts it again), and the cron removes any left past
 * PENDING_ENROLMENT_TTL_MS. A token that was activated meanwhile is never touched: every statement here is
 * conditional on `activated = 0`.
 *
 * Assignments never name a pending portal token (it joins the resource when confirmed), but an administrator may
 * have assigned one meanwhile, so those fall back to plain "user" first, as deleteTokenRow does.
 */
function deletePendingTokensStatements(d1: D1Database, which: SQL | undefined): D1PreparedStatement[] {
  const db = createDb(d1);
  const pending = and(eq(tokens.activated, false), which);
  return [
    d1Statement(d1, db.update(assignments).set({ kind: 'user', tokenId: null }).where(inArray(assignments.tokenId, db.select({ id: tokens.id }).from(tokens).where(pending)))),
    d1Statement(d1, db.delete(tokens).where(pending)),
  ];
}

/** The user's earlier pending token for this resource goes (run before the new enrolment's INSERT). */
function replacePendingEnrolmentStatements(d1: D1Database, ownerUserId: string, resourceId: string): D1PreparedStatement[] {
  return deletePendingTokensStatements(d1, and(eq(tokens.ownerUserId, ownerUserId), eq(tokens.enrollingResourceId, resourceId)));
}

/** For the cron's purge batch: every enrolment older than PENDING_ENROLMENT_TTL_MS and still not activated. */
export function expiredEnrolmentStatements(d1: D1Database, nowMs: number): D1PreparedStatement[] {
  return deletePendingTokensStatements(d1, lt(tokens.createdAt, nowMs - PENDING_ENROLMENT_TTL_MS));
}

/**
 * The statements that store a new pending enrolment of `ownerUserId` for `resourceId` in place of the previous
 * one, for one batch: the old one goes, `insert` (the new token's INSERT) runs, and the new token is marked as
 * this resource's enrolment so that the next start replaces it in turn.
 */
export function enrolmentInPlaceOfPrevious(d1: D1Database, enrolment: { tokenId: string; ownerUserId: string; resourceId: string }, insert: D1PreparedStatement): D1PreparedStatement[] {
  return [...replacePendingEnrolmentStatements(d1, enrolment.ownerUserId, enrolment.resourceId), insert, markEnrolmentStatement(d1, enrolment)];
}

/**
 * For an enrolment stored before it is known to succeed (an SMS/email token, whose code must be sent first: a
 * refused send deletes the new token and must leave the previous enrolment as it was): once sent, one batch
 * replaces the previous pending enrolment with this one. The new token is not marked yet, so it is not replaced.
 */
export function takeOverEnrolmentStatements(d1: D1Database, enrolment: { tokenId: string; ownerUserId: string; resourceId: string }): D1PreparedStatement[] {
  return [...replacePendingEnrolmentStatements(d1, enrolment.ownerUserId, enrolment.resourceId), markEnrolmentStatement(d1, enrolment)];
}

function markEnrolmentStatement(d1: D1Database, enrolment: { tokenId: string; resourceId: string }): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(tokens).set({ enrollingResourceId: enrolment.resourceId }).where(eq(tokens.id, enrolment.tokenId)));
}

// ---------------------------------------------------------------- the resources a token opens

/**
 * Where the token is assigned as "token with user" ('token'), and where its owner has a plain "user" assignment,
 * which accepts any of the owner's usable tokens ('user'). Undefined when there is no such token.
 */
export async function readTokenResources(d1: D1Database, tokenId: string) {
  const db = createDb(d1);
  const owner = db.select({ ownerUserId: tokens.ownerUserId }).from(tokens).where(eq(tokens.id, tokenId));
  const [token, rows] = await db.batch([
    db.select({ id: tokens.id }).from(tokens).where(eq(tokens.id, tokenId)),
    db
      .select({ id: resources.id, name: resources.name, via: sql<'token' | 'user'>`CASE WHEN ${assignments.kind} = 'token_with_user' THEN 'token' ELSE 'user' END` })
      .from(assignments)
      .innerJoin(resources, eq(resources.id, assignments.resourceId))
      .where(or(eq(assignments.tokenId, tokenId), and(eq(assignments.kind, 'user'), sql`${assignments.userId} = (${owner})`)))
      .orderBy(asc(sql`lower(${resources.name})`)),
  ]);
  return token.length === 0 ? undefined : rows;
}

/** The serials of `serials` already in the inventory, compared case-blind (one parameter however many: json_each). */
export async function takenSerials(d1: D1Database, serials: string[]): Promise<string[]> {
  const rows = await createDb(d1)
    .select({ serial: tokens.serial })
    .from(tokens)
    .where(sql`lower(${tokens.serial}) IN (SELECT lower(value) FROM json_each(${JSON.stringify(serials)}))`);
  return rows.map((row) => row.serial);
}
