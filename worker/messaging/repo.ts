/**
 * Every statement of messaging: the settings rows it owns, the development outbox and the message log. Row types
 * come from worker/db/schema.ts; multi-row writes go in one D1 batch.
 */
import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { createDb } from '../db/client';
import { messageLog, outbox, settings } from '../db/schema';

export type OutboxItem = typeof outbox.$inferSelect;
export type MessageLogItem = typeof messageLog.$inferSelect;
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

export async function insertMessageLog(d1: D1Database, row: Omit<MessageLogItem, 'id'>): Promise<string> {
  const id = crypto.randomUUID();
  await createDb(d1).insert(messageLog).values({ id, ...row });
  return id;
}

export async function listMessageLog(
  d1: D1Database,
  query: { page: number; pageSize: number; channel?: MessageLogItem['channel']; status?: MessageLogItem['status']; userId?: string },
): Promise<Page<MessageLogItem>> {
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

/** The filters that are set. */
function conditions(candidates: Array<SQL | undefined | '' | null>): SQL[] {
  return candidates.filter((condition): condition is SQL => Boolean(condition));
}
