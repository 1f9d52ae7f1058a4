/**
 * Every statement of messaging: the settings rows it owns, the development outbox and the message log. Row types
 * come from worker/db/schema.ts; multi-row writes go in one D1 batch.
 */
import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { challenges, messageLog, outbox, settings } from '../db/schema';

export type OutboxItem = typeof outbox.$inferSelect;
export type MessageLogRow = typeof messageLog.$inferSelect;
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

// ---------------------------------------------------------------- settings rows

/** The stored text of each of `keys` that has a row. */
export async function readSettingRows(d1: D1Database, keys: readonly string[]): Promise<Map<string, string>> {
  const rows = await createDb(d1).select({ key: settings.key, value: settings.value }).from(settings).where(inArray(settings.key, [...keys]));
  return new Map(rows.map((row) => [row.key, row.value]));
}

/**
 * Writes every row in one batch: a save changes all its sections or none. `andThen` joins the same batch after the
 * rows (the admin audit row of the save).
 */
export async function writeSettingRows(d1: D1Database, rows: ReadonlyArray<{ key: string; value: string }>, nowMs: number, andThen: D1PreparedStatement[] = []): Promise<void> {
  const db = createDb(d1);
  const statements = rows.map((row) => {
    const upsert = db
      .insert(settings)
      .values({ key: row.key, value: row.value, updatedAt: nowMs })
      .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` } })
      .toSQL();
    return d1.prepare(upsert.sql).bind(...upsert.params);
  });
  if (statements.length > 0) await d1.batch([...statements, ...andThen]);
}

/** Rewrites each row only if it still holds `previous` (a save in between wins over a background rewrite). */
export async function replaceSettingRowsIfUnchanged(d1: D1Database, rows: ReadonlyArray<{ key: string; previous: string; value: string }>): Promise<void> {
  const db = createDb(d1);
  const [first, ...rest] = rows.map((row) =>
    db
      .update(settings)
      .set({ value: row.value })
      .where(and(eq(settings.key, row.key), eq(settings.value, row.previous))),
  );
  if (first) await db.batch([first, ...rest]);
}

// ---------------------------------------------------------------- outbox

export async function insertOutboxMessage(d1: D1Database, message: Omit<OutboxItem, 'id'>): Promise<string> {
  const id = crypto.randomUUID();
  await createDb(d1).insert(outbox).values({ id, ...message });
  return id;
}

export async function listOutbox(
  d1: D1Database,
  query: { page: number; pageSize: number; channel?: OutboxItem['channel']; recipient?: string },
): Promise<Page<OutboxItem>> {
  const db = createDb(d1);
  const where = and(...conditions([query.channel && eq(outbox.channel, query.channel), query.recipient && eq(outbox.recipient, query.recipient)]));
  const [items, [totals]] = await db.batch([
    db
      .select()
      .from(outbox)
      .where(where)
      .orderBy(desc(outbox.at), asc(outbox.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(outbox).where(where),
  ]);
  return { items, total: totals?.total ?? 0, page: query.page, pageSize: query.pageSize };
}

export async function clearOutbox(d1: D1Database): Promise<number> {
  const result = await createDb(d1).delete(outbox);
  return result.meta.changes ?? 0;
}

// ---------------------------------------------------------------- message log

export async function insertMessageLog(d1: D1Database, row: Omit<MessageLogRow, 'id'>): Promise<string> {
  const id = crypto.randomUUID();
  await createDb(d1).insert(messageLog).values({ id, ...row });
  return id;
}

export async function listMessageLogRows(
  d1: D1Database,
  query: { page: number; pageSize: number; channel?: MessageLogRow['channel']; status?: MessageLogRow['status']; userId?: string },
): Promise<Page<MessageLogRow>> {
  const db = createDb(d1);
  const where = and(
    ...conditions([
      query.channel && eq(messageLog.channel, query.channel),
      query.status && eq(messageLog.status, query.status),
      query.userId && eq(messageLog.userId, query.userId),
    ]),
  );
  const [items, [totals]] = await db.batch([
    db
      .select()
      .from(messageLog)
      .where(where)
      .orderBy(desc(messageLog.at), asc(messageLog.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(messageLog).where(where),
  ]);
  return { items, total: totals?.total ?? 0, page: query.page, pageSize: query.pageSize };
}

// ---------------------------------------------------------------- sent codes (codes.ts)

type ChallengeRow = typeof challenges.$inferSelect;

/** Voids every unused code of this purpose sent to `target` for this user (the newest code is the only one that counts). */
export function voidSentCodesStatement(d1: D1Database, code: { purpose: string; target: string; userId: string | null; nowMs: number }): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE challenges SET consumed_at = ?1
       WHERE purpose = ?2 AND target = ?3 AND user_id IS ?4 AND consumed_at IS NULL AND code_hash IS NOT NULL`,
    )
    .bind(code.nowMs, code.purpose, code.target, code.userId);
}

/**
 * A sent code's row: a `challenges` row with a code hash is one (only insertSentCodeStatement writes a hash), and it
 * always holds the address the code went to.
 */
type SentCodeRow = Omit<ChallengeRow, 'codeHash' | 'target'> & { [Column in 'codeHash' | 'target']: NonNullable<ChallengeRow[Column]> };

export function insertSentCodeStatement(
  d1: D1Database,
  code: Pick<SentCodeRow, 'id' | 'purpose' | 'userId' | 'target' | 'codeHash' | 'maxAttempts' | 'data' | 'ip' | 'createdAt' | 'expiresAt'>,
): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).insert(challenges).values({ ...code, attempts: 0 }));
}

export type ClaimedCode = Pick<SentCodeRow, 'userId' | 'target' | 'purpose' | 'codeHash' | 'attempts' | 'maxAttempts' | 'data'>;

/**
 * Claims one attempt of the code before it is compared: only while it is unconsumed, unexpired, under its limit and
 * of `purpose` (when given), in the one UPDATE that counts it, so N parallel guesses get at most max_attempts
 * comparisons. Null: nothing was claimed.
 */
export async function claimCodeAttempt(d1: D1Database, rowId: string, nowMs: number, purpose: string | null): Promise<ClaimedCode | null> {
  const [row] = await createDb(d1)
    .update(challenges)
    .set({ attempts: sql`${challenges.attempts} + 1` })
    .where(
      and(
        eq(challenges.id, rowId),
        isNull(challenges.consumedAt),
        gt(challenges.expiresAt, nowMs),
        lt(challenges.attempts, challenges.maxAttempts),
        isNotNull(challenges.codeHash),
        purpose === null ? undefined : eq(challenges.purpose, purpose),
      ),
    )
    .returning({
      userId: challenges.userId,
      // The row has a code hash (the condition), so it is a sent code's: the hash and the address are set.
      target: sql<SentCodeRow['target']>`${challenges.target}`,
      purpose: challenges.purpose,
      codeHash: sql<SentCodeRow['codeHash']>`${challenges.codeHash}`,
      attempts: challenges.attempts,
      maxAttempts: challenges.maxAttempts,
      data: challenges.data,
    });
  return row ?? null;
}

/** Why a code could not be claimed: its row as it is, if any. */
export async function findCodeState(d1: D1Database, rowId: string): Promise<Pick<ChallengeRow, 'purpose' | 'expiresAt' | 'consumedAt' | 'codeHash'> | null> {
  const [row] = await createDb(d1)
    .select({ purpose: challenges.purpose, expiresAt: challenges.expiresAt, consumedAt: challenges.consumedAt, codeHash: challenges.codeHash })
    .from(challenges)
    .where(eq(challenges.id, rowId));
  return row ?? null;
}

/** The filters that are set. */
function conditions(candidates: Array<SQL | undefined | '' | null>): SQL[] {
  return candidates.filter((condition): condition is SQL => Boolean(condition));
}
