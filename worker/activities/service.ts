/**
 * What administrators see of security activity: the last ACTIVITY_RETENTION_DAYS only (older rows are purged by
 * the cron trigger, and never shown or counted even before the purge runs).
 */
import { ACTIVITY_RETENTION_DAYS, CSV_EXPORT_CHUNK_ROWS, DAY_MS } from '../constants';
import type { UserActivityType } from '../db/schema';
import type { Page } from '../lib/paging';
import { likePattern } from '../lib/paging';
import { csvCell, csvLine, csvStream } from '../lib/csv';

export interface ActivityFilter {
  /** Matches the user's login (or the login typed at a failed attempt). */
  user?: string;
  type?: UserActivityType;
  page: number;
  pageSize: number;
}

export interface ActivityView {
  id: string;
  userId: string | null;
  login: string | null;
  type: UserActivityType;
  channel: string;
  ip: string | null;
  client: string | null;
  detail: Record<string, unknown>;
  at: number;
}

export interface GroupedActivityView {
  userId: string | null;
  login: string | null;
  counts: Partial<Record<UserActivityType, number>>;
  total: number;
  lastAt: number;
}

function whereClause(filter: Omit<ActivityFilter, 'page' | 'pageSize'>, nowMs: number) {
  const conditions = ['a.at >= ?'];
  const params: unknown[] = [nowMs - ACTIVITY_RETENTION_DAYS * DAY_MS];
  if (filter.user) {
    conditions.push(`coalesce(u.login, a.login) LIKE ? ESCAPE '\\'`);
    params.push(likePattern(filter.user));
  }
  if (filter.type) {
    conditions.push('a.type = ?');
    params.push(filter.type);
  }
  return { sql: `FROM user_activities a LEFT JOIN users u ON u.id = a.user_id WHERE ${conditions.join(' AND ')}`, params };
}

export async function listActivities(db: D1Database, filter: ActivityFilter, nowMs: number): Promise<Page<ActivityView>> {
  const where = whereClause(filter, nowMs);
  const [rows, total] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT a.id, a.user_id, coalesce(u.login, a.login) AS login, a.type, a.channel, a.ip, a.client, a.detail, a.at
         ${where.sql} ORDER BY a.at DESC, a.rowid DESC LIMIT ? OFFSET ?`,
      )
      .bind(...where.params, filter.pageSize, (filter.page - 1) * filter.pageSize),
    db.prepare(`SELECT count(*) AS total ${where.sql}`).bind(...where.params),
  ]);
  return {
    items: rows!.results.map((row) => ({
      id: row.id as string,
      userId: row.user_id as string | null,
      login: row.login as string | null,
      type: row.type as UserActivityType,
      channel: row.channel as string,
      ip: row.ip as string | null,
      client: row.client as string | null,
      detail: JSON.parse(row.detail as string) as Record<string, unknown>,
      at: row.at as number,
    })),
    total: total!.results[0]!.total as number,
    page: filter.page,
    pageSize: filter.pageSize,
  };
}

/** Per user, each activity with its count (unknown logins of failed attempts are grouped by the login typed). */
export async function groupActivities(db: D1Database, filter: ActivityFilter, nowMs: number): Promise<Page<GroupedActivityView>> {
  const where = whereClause(filter, nowMs);
  // Failed attempts by unknown logins have no user id: they group by the login typed.
  const filtered = `filtered AS (
    SELECT coalesce(a.user_id, 'login:' || lower(a.login)) AS k, a.user_id, coalesce(u.login, a.login) AS login, a.type, a.at
    ${where.sql})`;
  const [rows, total] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `WITH ${filtered},
         page AS (SELECT k, max(at) AS last_at FROM filtered GROUP BY k ORDER BY last_at DESC LIMIT ? OFFSET ?)
         SELECT page.k, page.last_at, max(f.user_id) AS user_id, max(f.login) AS login, f.type, count(*) AS n
         FROM filtered f JOIN page ON page.k = f.k GROUP BY page.k, f.type ORDER BY page.last_at DESC, page.k`,
      )
      .bind(...where.params, filter.pageSize, (filter.page - 1) * filter.pageSize),
    db.prepare(`WITH ${filtered} SELECT count(DISTINCT k) AS total FROM filtered`).bind(...where.params),
  ]);
  const groups = new Map<string, GroupedActivityView>();
  for (const row of rows!.results) {
    const key = row.k as string;
    let group = groups.get(key);
    if (!group) {
      group = { userId: row.user_id as string | null, login: row.login as string | null, counts: {}, total: 0, lastAt: row.last_at as number };
      groups.set(key, group);
    }
    group.counts[row.type as UserActivityType] = row.n as number;
    group.total += row.n as number;
  }
  return { items: [...groups.values()], total: total!.results[0]!.total as number, page: filter.page, pageSize: filter.pageSize };
}

const ACTIVITY_CSV_HEADER = ['timestamp', 'user', 'activity', 'channel', 'ip', 'client', 'detail'];

/**
 * Every activity of the filter as CSV (not only the page shown), newest first, read `chunkRows` at a time by
 * keyset (at, rowid) while the client downloads.
 */
export function activitiesCsvStream(db: D1Database, filter: Omit<ActivityFilter, 'page' | 'pageSize'>, nowMs: number, chunkRows = CSV_EXPORT_CHUNK_ROWS): ReadableStream<Uint8Array> {
  const where = whereClause(filter, nowMs);
  return csvStream(ACTIVITY_CSV_HEADER.join(','), async (after: { at: number; rowid: number } | null) => {
    const keyset = after ? ' AND (a.at < ? OR (a.at = ? AND a.rowid < ?))' : '';
    const { results } = await db
      .prepare(
        `SELECT a.rowid AS rowid, coalesce(u.login, a.login) AS login, a.type, a.channel, a.ip, a.client, a.detail, a.at
         ${where.sql}${keyset} ORDER BY a.at DESC, a.rowid DESC LIMIT ?`,
      )
      .bind(...where.params, ...(after ? [after.at, after.at, after.rowid] : []), chunkRows)
      .all<{ rowid: number; login: string | null; type: string; channel: string; ip: string | null; client: string | null; detail: string; at: number }>();
    const last = results[results.length - 1];
    return {
      lines: results.map((a) => csvLine([new Date(a.at).toISOString(), a.login, a.type, a.channel, a.ip, a.client, a.detail])),
      next: results.length === chunkRows && last ? { at: last.at, rowid: last.rowid } : null,
    };
  });
}

/** Every user group of the filter as CSV, `chunkRows` groups per read (the grouping query pages by offset). */
export function groupedCsvStream(db: D1Database, filter: Omit<ActivityFilter, 'page' | 'pageSize'>, types: readonly UserActivityType[], nowMs: number, chunkRows = CSV_EXPORT_CHUNK_ROWS): ReadableStream<Uint8Array> {
  const header = ['user', ...types, 'total', 'last activity'];
  return csvStream(header.map(csvCell).join(','), async (page: number | null) => {
    const current = page ?? 1;
    const { items, total } = await groupActivities(db, { ...filter, page: current, pageSize: chunkRows }, nowMs);
    return {
      lines: items.map((g) => csvLine([g.login, ...types.map((t) => g.counts[t] ?? 0), g.total, new Date(g.lastAt).toISOString()])),
      next: current * chunkRows < total ? current + 1 : null,
    };
  });
}
