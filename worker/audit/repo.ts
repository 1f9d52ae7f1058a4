/**
 * Reading the admin audit trail: a filtered list in keyset pages (newest first), and the CSV export that walks the
 * same filter page by page as a stream, so every row of the filter is exported in bounded memory and bounded reads.
 */
import { CSV_EXPORT_CHUNK_ROWS, DAY_MS } from '../constants';
import { auditRetentionDays } from '../settings/platform';
import { csvCell, csvLine, csvStream } from '../lib/csv';
import { likePattern } from '../lib/paging';
import type { AuditObjectType } from './record';

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

interface AuditRow {
  id: string;
  at: number;
  actor_user_id: string | null;
  actor_login: string | null;
  api_key_id: string | null;
  api_key_name: string | null;
  action: string;
  object_type: AuditObjectType;
  object_id: string | null;
  object_name: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  client: string | null;
}

function whereOf(filter: AuditFilter, nowMs: number, retentionDays: number): { sql: string; params: unknown[] } {
  // Rows past retention are never shown, even before the hourly purge has removed them.
  const conditions = ['at >= ?'];
  const params: unknown[] = [nowMs - retentionDays * DAY_MS];
  if (filter.admin) {
    conditions.push(`(actor_login LIKE ? ESCAPE '\\' OR api_key_name LIKE ? ESCAPE '\\')`);
    params.push(likePattern(filter.admin), likePattern(filter.admin));
  }
  if (filter.objectType) {
    conditions.push('object_type = ?');
    params.push(filter.objectType);
  }
  if (filter.object) {
    conditions.push(`(object_name LIKE ? ESCAPE '\\' OR object_id = ?)`);
    params.push(likePattern(filter.object), filter.object);
  }
  if (filter.action) {
    conditions.push('action = ?');
    params.push(filter.action);
  }
  if (filter.fromMs !== undefined) {
    conditions.push('at >= ?');
    params.push(filter.fromMs);
  }
  if (filter.toMs !== undefined) {
    conditions.push('at < ?');
    params.push(filter.toMs);
  }
  return { sql: conditions.join(' AND '), params };
}

/** A keyset cursor: the (at, id) of the last row shown. */
export function encodeCursor(row: { at: number; id: string }): string {
  return `${row.at}.${row.id}`;
}

export function decodeCursor(cursor: string): { at: number; id: string } | null {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(cursor);
  return match ? { at: Number(match[1]), id: match[2]! } : null;
}

function pageStatement(db: D1Database, filter: AuditFilter, nowMs: number, retentionDays: number, after: { at: number; id: string } | null, limit: number) {
  const where = whereOf(filter, nowMs, retentionDays);
  const keyset = after ? ' AND (at < ? OR (at = ? AND id < ?))' : '';
  return db
    .prepare(`SELECT * FROM admin_audit WHERE ${where.sql}${keyset} ORDER BY at DESC, id DESC LIMIT ?`)
    .bind(...where.params, ...(after ? [after.at, after.at, after.id] : []), limit);
}

function toView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    at: row.at,
    actor: { userId: row.actor_user_id, login: row.actor_login },
    apiKey: row.api_key_id ? { id: row.api_key_id, name: row.api_key_name } : null,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    objectName: row.object_name,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    ip: row.ip,
    client: row.client,
  };
}

export async function listAudit(db: D1Database, filter: AuditFilter, page: { cursor?: string; pageSize: number }, nowMs: number): Promise<AuditPage> {
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const retentionDays = await auditRetentionDays(db);
  const where = whereOf(filter, nowMs, retentionDays);
  // One row more than the page tells whether another page follows.
  const [rows, total] = await db.batch<Record<string, unknown>>([
    pageStatement(db, filter, nowMs, retentionDays, after, page.pageSize + 1),
    db.prepare(`SELECT count(*) AS total FROM admin_audit WHERE ${where.sql}`).bind(...where.params),
  ]);
  const results = rows!.results as unknown as AuditRow[];
  const shown = results.slice(0, page.pageSize);
  return {
    items: shown.map(toView),
    total: total!.results[0]!.total as number,
    nextCursor: results.length > page.pageSize ? encodeCursor(shown[shown.length - 1]!) : null,
  };
}

const CSV_HEADER = ['timestamp', 'admin', 'api key', 'action', 'object type', 'object id', 'object', 'before', 'after', 'ip', 'client'];

/** Every row of the filter as CSV, read CSV_EXPORT_CHUNK_ROWS at a time while the client downloads. */
export function auditCsvStream(db: D1Database, filter: AuditFilter, nowMs: number, chunkRows = CSV_EXPORT_CHUNK_ROWS): ReadableStream<Uint8Array> {
  // Read once, at the first chunk: every chunk of one export cuts at the same age.
  let retentionDays: Promise<number> | null = null;
  return csvStream(CSV_HEADER.map(csvCell).join(','), async (after: { at: number; id: string } | null) => {
    retentionDays ??= auditRetentionDays(db);
    const { results } = await pageStatement(db, filter, nowMs, await retentionDays, after, chunkRows).all<AuditRow>();
    const last = results[results.length - 1];
    return {
      lines: results.map((row) =>
        csvLine([new Date(row.at).toISOString(), row.actor_login, row.api_key_name, row.action, row.object_type, row.object_id, row.object_name, row.before, row.after, row.ip, row.client]),
      ),
      next: results.length === chunkRows && last ? { at: last.at, id: last.id } : null,
    };
  });
}
