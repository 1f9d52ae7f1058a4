/**
 * Every statement of the token inventory: tokens, their recovery codes, pending enrolments and the resources a token
 * opens. Row types come from worker/db/schema.ts. A change and its audit row go in one D1 batch, the audit row right
 * after the statement whose effect it records (audit/record.ts: it is written only when that statement changed a
 * row). The conditional statements that decide a claim or a single use stay SQL, each with what it guarantees.
 */
import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import {
  OCRA_USED_PAIR_RETENTION_MS,
  PENDING_ENROLMENT_TTL_MS,
  RESYNC_ATTEMPTS_PER_TOKEN,
  RESYNC_WINDOW_MS,
  TOKEN_LOCK_DURATION_MS,
  TOKEN_MAX_FAILS,
} from '../constants';
import { createDb, d1Statement } from '../db/client';
import { assignments, challenges, recoveryCodes, resources, tokens, users } from '../db/schema';
import type { StoredRow } from '../db/stored-row';
import { likeSearch } from '../lib/paging';
import { consumeRateLimitStatement, rateLimitResultFromRow, type RateLimitResult } from '../lib/rate-limit';
import type { RateLimitHitRow } from '../lib/repo';
import type { ConsumableMatch, LastAccepted, ResyncAnchor } from '../otp/verify';

/**
 * The condition of a statement that must run only when the batch's previous statement changed exactly one row (the
 * consume or claim it follows): in one D1 batch, a transaction, it makes the follower's write happen exactly when
 * that statement succeeded. `changes()` counts the previous INSERT, UPDATE or DELETE only.
 */
export const CONSUMED_BY_PREVIOUS_STATEMENT = 'changes() = 1';

export type TokenRow = typeof tokens.$inferSelect;
export type NewTokenRow = typeof tokens.$inferInsert;
/** A tokens row as a statement written in SQL answers it: under the column names, the flags 0/1. */
type StoredTokenRow = StoredRow<typeof tokens>;
/** What claimTokenAttemptStatement returns: the lock this very claim set, if it set one. */
export type ClaimedTokenAttempt = Pick<StoredTokenRow, 'locked_until'>;
/** What countTokenFailure's UPDATE returns. */
export type CountedTokenFailure = Pick<StoredTokenRow, 'fail_count' | 'locked_until'>;

// ---------------------------------------------------------------- what the admin center shows

/** Everything of a token but its sealed seed, with its owner's login. */
const { secretEncrypted: _sealedSeed, ...viewColumns } = getTableColumns(tokens);
const tokenViewSelection = { ...viewColumns, ownerLogin: users.login };
export type TokenViewRow = Omit<TokenRow, 'secretEncrypted'> & { ownerLogin: (typeof users.$inferSelect)['login'] | null };

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

/** The columns of a token the checks read (TokenRecord), named as in D1 (0/1 for the flags). */
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

/** The columns verification reads, as the schema types them (snake_case, the flags 0/1: the names of the columns). */
export type TokenRecord = NonNullable<Awaited<ReturnType<typeof readTokenRecord>>>;

/** The same columns for a statement written in SQL: each key of tokenRecordSelection is its column's name. */
export const TOKEN_RECORD_COLUMNS = Object.keys(tokenRecordSelection).join(', ');

/** The tokens matching `where` (SQL on `tokens`, its placeholders bound to `values`), oldest first. */
export async function readTokenRecordsWhere(d1: D1Database, where: string, values: unknown[]): Promise<TokenRecord[]> {
  const { results } = await d1
    .prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE ${where} ORDER BY created_at`)
    .bind(...values)
    .all<TokenRecord>();
  return results;
}

/** The login of a user, or undefined when there is no such user. */
export async function loginOfUser(d1: D1Database, userId: string): Promise<string | undefined> {
  return (await createDb(d1).select({ login: users.login }).from(users).where(eq(users.id, userId)).get())?.login;
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
export async function acceptMessageTokenCode(d1: D1Database, tokenId: string, nowMs: number, lockedByClaim: number | null, alsoIfAccepted?: D1PreparedStatement): Promise<boolean> {
  const accept = createDb(d1)
    .update(tokens)
    .set({ failCount: 0, lockedUntil: null, activated: true, lastUsedAt: nowMs })
    .where(
      and(
        eq(tokens.id, tokenId),
        eq(tokens.enabled, true),
        or(isNull(tokens.lockedUntil), sql`${tokens.lockedUntil} <= ${nowMs}`, eq(tokens.lockedUntil, lockedByClaim ?? -1)),
      ),
    );
  // `alsoIfAccepted` (the admin's audit row of Check OTP) follows the accept in its batch, conditional on it.
  const [accepted] = alsoIfAccepted ? await d1.batch([d1Statement(d1, accept), alsoIfAccepted]) : [await accept];
  return accepted!.meta.changes === 1;
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
): Promise<{ claimed: ClaimedTokenAttempt | undefined; consumed: boolean; remaining: number | null }> {
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
  const claimed = input.claim ? (results[0]!.results[0] as ClaimedTokenAttempt | undefined) : undefined;
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

// ---------------------------------------------------------------- the verification state of a token (tokens/verification.ts)

// Every consume's shared condition: still enabled, and not locked meanwhile by a concurrent burst of failures
// (bound to the clock); and what it resets (bound to the clock).
const CONSUME_GUARD = 'enabled = 1 AND (locked_until IS NULL OR locked_until <= ?)';
const CONSUME_RESET = 'fail_count = 0, locked_until = NULL, activated = 1, last_used_at = ?';

/**
 * The one conditional write that turns a matching code into a success (OCRA: together with the record of the
 * pair, in one batch). Returns whether this request won it.
 */
export async function consumeTokenMatch(
  db: D1Database,
  tokenId: string,
  match: ConsumableMatch,
  nowMs: number,
  pairHash: string | null,
  alsoIfConsumed?: D1PreparedStatement,
): Promise<boolean> {
  const statements: D1PreparedStatement[] = [];
  if (pairHash) statements.push(db.prepare('DELETE FROM ocra_used_pairs WHERE token_id = ? AND expires_at <= ?').bind(tokenId, nowMs));
  const pairExpiresAt = nowMs + OCRA_USED_PAIR_RETENTION_MS;
  let deciding: number;
  if (match.kind === 'challenge') {
    // Pure challenge-response: the pair's INSERT decides (of two concurrent uses one inserts, the other conflicts);
    // the token's reset follows it only if it inserted.
    deciding = statements.push(
      db
        .prepare(`INSERT INTO ocra_used_pairs (token_id, pair_hash, expires_at) SELECT id, ?, ? FROM tokens WHERE id = ? AND ${CONSUME_GUARD} ON CONFLICT DO NOTHING`)
        .bind(pairHash, pairExpiresAt, tokenId, nowMs),
    ) - 1;
    statements.push(db.prepare(`UPDATE tokens SET ${CONSUME_RESET} WHERE id = ? AND ${CONSUMED_BY_PREVIOUS_STATEMENT}`).bind(nowMs, tokenId));
  } else {
    deciding = statements.push(consumeCounterOrStepStatement(db, tokenId, match, nowMs)) - 1;
    // OCRA with a counter or clock: the pair is recorded too (only if the UPDATE won), so its replay is recognised.
    // The upsert always changes one row then, which keeps CONSUMED_BY_PREVIOUS_STATEMENT true for alsoIfConsumed.
    if (pairHash) {
      statements.push(
        db
          .prepare(
            `INSERT INTO ocra_used_pairs (token_id, pair_hash, expires_at) SELECT ?, ?, ? WHERE ${CONSUMED_BY_PREVIOUS_STATEMENT}
             ON CONFLICT (token_id, pair_hash) DO UPDATE SET expires_at = excluded.expires_at`,
          )
          .bind(tokenId, pairHash, pairExpiresAt),
      );
    }
  }
  if (alsoIfConsumed) statements.push(alsoIfConsumed);
  // The change count of the deciding statement decides, whatever the statements after it did.
  const results = statements.length === 1 ? [await statements[0]!.run()] : await db.batch(statements);
  return results[deciding]!.meta.changes === 1;
}

/**
 * The consume of a counter or time step: moves the token past it, only if it is still ahead of the token and the
 * token is still enabled and not locked meanwhile by a concurrent burst of failures (and `onlyIf` holds). It returns
 * the token's id when it won. With `warmSuccess` (the verify API's warm path) it also sets tokens.warm_success, whose
 * trigger writes that success's rate-limit hit and UserLogin row in this same statement (migration 0013): read the
 * returned row then, not `meta.changes`, which in D1 counts the trigger's writes too.
 */
export function consumeCounterOrStepStatement(
  db: D1Database,
  tokenId: string,
  match: Extract<ConsumableMatch, { kind: 'counter' | 'step' }>,
  nowMs: number,
  onlyIf: { sql: string; values: unknown[] } = { sql: '1', values: [] },
  warmSuccess?: string,
): D1PreparedStatement {
  const alsoSet = warmSuccess === undefined ? { sql: '', values: [] } : { sql: ', warm_success = ?', values: [warmSuccess] };
  return match.kind === 'counter'
    ? db
        .prepare(`UPDATE tokens SET counter = ?, ${CONSUME_RESET}${alsoSet.sql} WHERE id = ? AND counter <= ? AND ${CONSUME_GUARD} AND ${onlyIf.sql} RETURNING id`)
        .bind(match.counter + 1, nowMs, ...alsoSet.values, tokenId, match.counter, nowMs, ...onlyIf.values)
    : db
        .prepare(
          `UPDATE tokens SET last_used_step = ?, drift_steps = ?, ${CONSUME_RESET}${alsoSet.sql} WHERE id = ? AND last_used_step < ? AND ${CONSUME_GUARD} AND ${onlyIf.sql} RETURNING id`,
        )
        .bind(match.step, match.driftSteps, nowMs, ...alsoSet.values, tokenId, match.step, nowMs, ...onlyIf.values);
}

/**
 * SQL that is true when the token row shows `lastAccepted` as its last accepted code and is not locked. The
 * placeholders name the token id, the clock and the condition's own value.
 */
function lastAcceptedCondition(lastAccepted: LastAccepted, p: { id: string; now: string; value: string }): { sql: string; value: string | number } {
  const unlocked = `(locked_until IS NULL OR locked_until <= ${p.now})`;
  if ('counterAfter' in lastAccepted) return { sql: `counter = ${p.value} AND ${unlocked}`, value: lastAccepted.counterAfter };
  if ('step' in lastAccepted) return { sql: `last_used_step = ${p.value} AND ${unlocked}`, value: lastAccepted.step };
  return {
    sql: `EXISTS (SELECT 1 FROM ocra_used_pairs WHERE token_id = ${p.id} AND pair_hash = ${p.value} AND expires_at > ${p.now}) AND ${unlocked}`,
    value: lastAccepted.ocraPairHash,
  };
}

/** Whether the token row shows `lastAccepted` as its last accepted code (and is not locked): the replay answer. */
export async function tokenShowsLastAccepted(db: D1Database, tokenId: string, lastAccepted: LastAccepted, nowMs: number): Promise<boolean> {
  const condition = lastAcceptedCondition(lastAccepted, { id: '?1', now: '?2', value: '?3' });
  return (await db.prepare(`SELECT 1 FROM tokens WHERE id = ?1 AND ${condition.sql}`).bind(tokenId, nowMs, condition.value).first()) !== null;
}

/**
 * Counts a failure atomically. A lock that has run out starts a fresh count (the timed automatic unlock);
 * reaching TOKEN_MAX_FAILS sets a new lock. With `lastAccepted`, the same statement counts nothing when the row
 * shows that code as the one accepted last: then there is no row (undefined), and the answer is OTP_REPLAYED.
 */
export async function countTokenFailure(
  db: D1Database,
  tokenId: string,
  nowMs: number,
  lastAccepted?: LastAccepted,
  alsoIfCounted?: D1PreparedStatement,
): Promise<CountedTokenFailure | null> {
  const replay = lastAccepted ? lastAcceptedCondition(lastAccepted, { id: '?4', now: '?1', value: '?5' }) : null;
  const statement = db.prepare(
    `UPDATE tokens SET
       fail_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE fail_count + 1 END,
       locked_until = CASE
         WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE fail_count + 1 END) >= ?2 THEN ?3
         WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN NULL
         ELSE locked_until END
     WHERE id = ?4${replay ? ` AND NOT (${replay.sql})` : ''}
     RETURNING fail_count, locked_until`,
  );
  const count = replay
    ? statement.bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, tokenId, replay.value)
    : statement.bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, tokenId);
  if (!alsoIfCounted) return count.first<CountedTokenFailure>();
  // `alsoIfCounted` (the admin's audit row of Check OTP) follows the count in its batch, conditional on it.
  const [counted] = await db.batch<CountedTokenFailure>([count, alsoIfCounted]);
  return counted!.results[0] ?? null;
}

/**
 * Claims one resync attempt before any code is computed, in one batch: a hit on the per-token rate limit, and a
 * failure counted on the token only while that hit is allowed and the token is not locked (claimTokenAttemptStatement).
 * `claimed` undefined: no attempt was claimed (rate limited, locked or disabled).
 */
export async function claimResyncAttemptRows(
  db: D1Database,
  tokenId: string,
  nowMs: number,
  alsoIfClaimed?: D1PreparedStatement,
): Promise<{ limit: RateLimitResult; claimed: ClaimedTokenAttempt | undefined }> {
  const rateKey = `resync:${tokenId}`;
  // `alsoIfClaimed` (the admin's audit row of the resync) follows the claim, conditional on it.
  const [limitRows, claimRows] = await db.batch([
    consumeRateLimitStatement(db, rateKey, RESYNC_ATTEMPTS_PER_TOKEN, RESYNC_WINDOW_MS, nowMs),
    claimTokenAttemptStatement(db, tokenId, nowMs, { sql: '(SELECT count FROM rate_limits WHERE key = ?5) <= ?6', values: [rateKey, RESYNC_ATTEMPTS_PER_TOKEN] }),
    ...(alsoIfClaimed ? [alsoIfClaimed] : []),
  ]);
  return {
    limit: rateLimitResultFromRow(limitRows!.results[0] as RateLimitHitRow, RESYNC_ATTEMPTS_PER_TOKEN, nowMs),
    claimed: claimRows!.results[0] as ClaimedTokenAttempt | undefined,
  };
}

/**
 * A resync's re-anchoring: the counter (HOTP) or step and drift (TOTP) set, the fail count reset. Conditional on the
 * counter/step not having moved past the pair and on no lock but the one this very attempt set by reaching the
 * limit (`lockedByClaim`): a lock from other failures stays. False: it did not apply.
 */
export async function applyResyncAnchor(
  db: D1Database,
  tokenId: string,
  anchor: ResyncAnchor,
  lockedByClaim: number | null,
  nowMs: number,
  alsoIfApplied?: D1PreparedStatement,
): Promise<boolean> {
  const [set, values, unused] =
    anchor.kind === 'counter'
      ? ['counter = ?', [anchor.counterAfter], 'counter <= ?']
      : ['last_used_step = ?, drift_steps = ?', [anchor.lastUsedStep, anchor.driftSteps], 'last_used_step < ?'];
  const apply = db
    .prepare(
      `UPDATE tokens SET ${set}, fail_count = 0, locked_until = NULL, activated = 1
       WHERE id = ? AND ${unused} AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ? OR locked_until = ?)`,
    )
    .bind(...values, tokenId, anchor.unusedFrom, nowMs, lockedByClaim ?? -1);
  // `alsoIfApplied` (the admin's audit row of the resync, now its outcome) follows the re-anchoring, conditional on it.
  const [result] = alsoIfApplied ? await db.batch([apply, alsoIfApplied]) : [await apply.run()];
  return result!.meta.changes === 1;
}

/**
 * Claims one attempt at a token's secret BEFORE the secret is examined: counted as a failure, in one statement,
 * only while the token is enabled and not locked (a lock that has run out starts a fresh count); the claim that
 * reaches TOKEN_MAX_FAILS locks the token at once, so no attempt can be claimed after it however many race.
 * RETURNING locked_until: no row means the secret must not be examined (locked or disabled); a value is the lock
 * this very claim set, which only its own success may lift. `onlyIf` adds a condition (placeholders from ?5 on).
 */
export function claimTokenAttemptStatement(db: D1Database, tokenId: string, nowMs: number, onlyIf?: { sql: string; values: unknown[] }): D1PreparedStatement {
  // The WHERE admits only unlocked rows (or run-out locks, which start a fresh count): the SETs rely on it.
  return db
    .prepare(
      `UPDATE tokens SET
         fail_count = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE fail_count + 1 END,
         locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE fail_count + 1 END) >= ?2 THEN ?3 ELSE NULL END
       WHERE id = ?4 AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ?1)${onlyIf ? ` AND ${onlyIf.sql}` : ''}
       RETURNING locked_until`,
    )
    .bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, tokenId, ...(onlyIf?.values ?? []));
}

/**
 * A claimed attempt that turned out to be no failure (a right PIN asking for a code, or a code another token
 * accepted): its count is given back and the lock it set, if it set one, lifted. Any other lock stays.
 */
export function releaseTokenAttemptStatement(db: D1Database, tokenId: string, lockedByClaim: number | null): D1PreparedStatement {
  return db
    .prepare('UPDATE tokens SET fail_count = max(fail_count - 1, 0), locked_until = CASE WHEN locked_until = ?2 THEN NULL ELSE locked_until END WHERE id = ?1')
    .bind(tokenId, lockedByClaim ?? -1);
}

// ---------------------------------------------------------------- seeds and PINs at rest (tokens/secrets.ts)

/** A legacy PIN hash replaced by `pinHash`, only while the row still holds `stored` (a PIN changed meanwhile stays). */
export async function replaceLegacyPinHash(db: D1Database, tokenId: string, pinHash: string, stored: string): Promise<void> {
  await createDb(db).update(tokens).set({ pinHash }).where(and(eq(tokens.id, tokenId), eq(tokens.pinHash, stored)));
}

/** Up to `limit` seeds still sealed the legacy way (the 'v1.' prefix). */
export async function readLegacySealedSeeds(db: D1Database, limit: number): Promise<{ id: string; sealed: string }[]> {
  return createDb(db)
    .select({ id: tokens.id, sealed: sql<string>`${tokens.secretEncrypted}` })
    .from(tokens)
    .where(sql`${tokens.secretEncrypted} LIKE 'v1.%'`)
    .limit(limit);
}

/** Re-sealed seeds stored in one batch, each only while the row still holds the old value (a re-enrolled token keeps its new seed). */
export async function replaceSealedSeeds(db: D1Database, seeds: { id: string; sealed: string; previous: string }[]): Promise<void> {
  if (seeds.length === 0) return;
  const orm = createDb(db);
  await db.batch(
    seeds.map((seed) => d1Statement(db, orm.update(tokens).set({ secretEncrypted: seed.sealed }).where(and(eq(tokens.id, seed.id), eq(tokens.secretEncrypted, seed.previous))))),
  );
}
