/**
 * The admin audit trail's statements. Writing: one row per change, inside the change's batch (record.ts builds it).
 * Reading: a filtered list in keyset pages (newest first), and the CSV export that walks the
 * same filter page by page as a stream, so every row of the filter is exported in bounded memory and bounded reads.
 */
import { and, count, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import { CSV_EXPORT_CHUNK_ROWS, DAY_MS } from '../constants';
import { createDb, type Db } from '../db/client';
import { adminAudit } from '../db/schema';
import { auditRetentionDays } from '../settings/platform';
import { csvCell, csvLine, csvStream } from '../lib/csv';
import { likeSearch } from '../lib/paging';
import type { AuditActor, AuditChange, AuditObjectType } from './record';

export interface AuditFilter {
  /** Matches the admin's login or the API key's name. */
  admin?: string;
  objectType?: AuditObjectType;
  /** Matches the object's name or id. */
  object?: string;
  action?: string;
  fromMs?: number;
  toMs?: number;
}

export interface AuditEntryView {
  id: string;
  at: number;
  actor: { userId: string | null; login: string | null };
  apiKey: { id: string; name: string | null } | null;
  action: string;
  objectType: AuditObjectType;
  objectId: string | null;
  objectName: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  client: string | null;
}

export interface AuditPage {
  items: AuditEntryView[];
  total: number;
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

type AuditRow = typeof adminAudit.$inferSelect;

function whereOf(filter: AuditFilter, nowMs: number, retentionDays: number): SQL | undefined {
  return and(
    // Rows past retention are never shown, even before the hourly purge has removed them.
    gte(adminAudit.at, nowMs - retentionDays * DAY_MS),
    filter.admin ? or(likeSearch(adminAudit.actorLogin, filter.admin), likeSearch(adminAudit.apiKeyName, filter.admin)) : undefined,
    filter.objectType ? eq(adminAudit.objectType, filter.objectType) : undefined,
    filter.object ? or(likeSearch(adminAudit.objectName, filter.object), eq(adminAudit.objectId, filter.object)) : undefined,
    filter.action ? eq(adminAudit.action, filter.action) : undefined,
    filter.fromMs !== undefined ? gte(adminAudit.at, filter.fromMs) : undefined,
    filter.toMs !== undefined ? lt(adminAudit.at, filter.toMs) : undefined,
  );
}

/** A keyset cursor: the (at, id) of the last row shown. */
export function encodeCursor(row: { at: number; id: string }): string {
  return `${row.at}.${row.id}`;
}

export function decodeCursor(cursor: string): { at: number; id: string } | null {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(cursor);
  return match ? { at: Number(match[1]), id: match[2]! } : null;
}

function pageQuery(db: Db, filter: AuditFilter, nowMs: number, retentionDays: number, after: { at: number; id: string } | null, limit: number) {
  const olderThanCursor = after ? or(lt(adminAudit.at, after.at), and(eq(adminAudit.at, after.at), lt(adminAudit.id, after.id))) : undefined;
  return db
    .select()
    .from(adminAudit)
    .where(and(whereOf(filter, nowMs, retentionDays), olderThanCursor))
    .orderBy(desc(adminAudit.at), desc(adminAudit.id))
    .limit(limit);
}

function toView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    at: row.at,
    actor: { userId: row.actorUserId, login: row.actorLogin },
    apiKey: row.apiKeyId ? { id: row.apiKeyId, name: row.apiKeyName } : null,
    action: row.action,
    objectType: row.objectType,
    objectId: row.objectId,
    objectName: row.objectName,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    ip: row.ip,
    client: row.client,
  };
}

export async function listAudit(d1: D1Database, filter: AuditFilter, page: { cursor?: string; pageSize: number }, nowMs: number): Promise<AuditPage> {
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const retentionDays = await auditRetentionDays(d1);
  const db = createDb(d1);
  // One row more than the page tells whether another page follows.
  const [results, [totals]] = await db.batch([
    pageQuery(db, filter, nowMs, retentionDays, after, page.pageSize + 1),
    db.select({ total: count() }).from(adminAudit).where(whereOf(filter, nowMs, retentionDays)),
  ]);
  const shown = results.slice(0, page.pageSize);
  return {
    items: shown.map(toView),
    total: totals?.total ?? 0,
    nextCursor: results.length > page.pageSize ? encodeCursor(shown[shown.length - 1]!) : null,
  };
}

const CSV_HEADER = ['timestamp', 'admin', 'api key', 'action', 'object type', 'object id', 'object', 'before', 'after', 'ip', 'client'];

/** Every row of the filter as CSV, read CSV_EXPORT_CHUNK_ROWS at a time while the client downloads. */
export function auditCsvStream(d1: D1Database, filter: AuditFilter, nowMs: number, chunkRows = CSV_EXPORT_CHUNK_ROWS): ReadableStream<Uint8Array> {
  // Read once, at the first chunk: every chunk of one export cuts at the same age.
  let retentionDays: Promise<number> | null = null;
  return csvStream(CSV_HEADER.map(csvCell).join(','), async (after: { at: number; id: string } | null) => {
    retentionDays ??= auditRetentionDays(d1);
    const results = await pageQuery(createDb(d1), filter, nowMs, await retentionDays, after, chunkRows);
    const last = results[results.length - 1];
    return {
      lines: results.map((row) =>
        csvLine([new Date(row.at).toISOString(), row.actorLogin, row.apiKeyName, row.action, row.objectType, row.objectId, row.objectName, row.before, row.after, row.ip, row.client]),
      ),
      next: results.length === chunkRows && last ? { at: last.at, id: last.id } : null,
    };
  });
}

/** An audit row's own values, before and after already JSON with their secrets masked (record.ts). */
export type AuditRowValues = Omit<AuditChange, 'before' | 'after' | 'objectName'> & { objectName: string | null; before: string | null; after: string | null };

/**
 * The insert of one audit row. `onlyAfterAChange`: it runs only when the batch's previous statement changed a row
 * (`changes() > 0`), so the trail never records a change that did not happen. `id` and `outcomeUpdates`: a row the
 * action names itself, whose later insert under the same id rewrites only its outcome (`after`). The actor's login,
 * the key's name and a token's serial are read in the same statement, as they are at this moment.
 */
export function auditInsertStatement(
  d1: D1Database,
  actor: AuditActor,
  row: AuditRowValues,
  options: { onlyAfterAChange: boolean; id?: string; outcomeUpdates?: boolean },
): D1PreparedStatement {
  // SQLite needs a WHERE in an INSERT ... SELECT before ON CONFLICT (else it reads ON as a join): hence `WHERE true`.
  const condition = options.onlyAfterAChange ? 'WHERE changes() > 0' : 'WHERE true';
  const upsert = options.outcomeUpdates ? ' ON CONFLICT (id) DO UPDATE SET after = excluded.after' : '';
  return d1
    .prepare(
      `INSERT INTO admin_audit (id, at, actor_user_id, actor_login, api_key_id, api_key_name, action, object_type, object_id, object_name, before, after, ip, client)
       SELECT ?1, ?2, ?3, (SELECT login FROM users WHERE id = ?3), ?4, (SELECT name FROM api_keys WHERE id = ?4), ?5, ?6, ?7,
              COALESCE(?8, CASE ?6 WHEN 'token' THEN (SELECT serial FROM tokens WHERE id = ?7) END), ?9, ?10, ?11, ?12
       ${condition}${upsert}`,
    )
    .bind(options.id ?? crypto.randomUUID(), actor.nowMs, actor.userId, actor.apiKeyId, row.action, row.objectType, row.objectId, row.objectName, row.before, row.after, actor.ip, actor.client);
}
