/**
 * What administrators see of security activity: the last ACTIVITY_RETENTION_DAYS only (older rows are purged by
 * the cron trigger, and never shown or counted even before the purge runs).
 */
import { CSV_EXPORT_CHUNK_ROWS } from '../constants';
import type { UserActivityType } from '../db/schema';
import type { Page } from '../lib/paging';
import { csvCell, csvLine, csvStream } from '../lib/csv';
import { listActivityGroupRows, listActivityRows, listActivityRowsAfter, recordActivity, type ActivityInput, type ActivityKeyset, type ActivityRowFilter } from './repo';

export interface ActivityFilter extends ActivityRowFilter {
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

export async function listActivities(db: D1Database, filter: ActivityFilter, nowMs: number): Promise<Page<ActivityView>> {
  const { rows, total } = await listActivityRows(db, filter, nowMs);
  return {
    items: rows.map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> })),
    total,
    page: filter.page,
    pageSize: filter.pageSize,
  };
}

/** Per user, each activity with its count (unknown logins of failed attempts are grouped by the login typed). */
export async function groupActivities(db: D1Database, filter: ActivityFilter, nowMs: number): Promise<Page<GroupedActivityView>> {
  const { rows, total } = await listActivityGroupRows(db, filter, nowMs);
  const groups = new Map<string, GroupedActivityView>();
  for (const row of rows) {
    let group = groups.get(row.groupKey);
    if (!group) {
      group = { userId: row.userId, login: row.login, counts: {}, total: 0, lastAt: row.lastAt };
      groups.set(row.groupKey, group);
    }
    group.counts[row.type] = row.count;
    group.total += row.count;
  }
  return { items: [...groups.values()], total, page: filter.page, pageSize: filter.pageSize };
}

const ACTIVITY_CSV_HEADER = ['timestamp', 'user', 'activity', 'channel', 'ip', 'client', 'detail'];

/**
 * Every activity of the filter as CSV (not only the page shown), newest first, read `chunkRows` at a time by
 * keyset (at, rowid) while the client downloads.
 */
export function activitiesCsvStream(db: D1Database, filter: Omit<ActivityFilter, 'page' | 'pageSize'>, nowMs: number, chunkRows = CSV_EXPORT_CHUNK_ROWS): ReadableStream<Uint8Array> {
  return csvStream(ACTIVITY_CSV_HEADER.join(','), async (after: ActivityKeyset | null) => {
    const rows = await listActivityRowsAfter(db, filter, after, chunkRows, nowMs);
    const last = rows[rows.length - 1];
    return {
      lines: rows.map((a) => csvLine([new Date(a.at).toISOString(), a.login, a.type, a.channel, a.ip, a.client, a.detail])),
      next: rows.length === chunkRows && last ? { at: last.at, rowid: last.rowid } : null,
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

/** A user signed out (of the admin center, the profile or a portal): the UserLogoff activity. */
export function recordSignOut(db: D1Database, input: Omit<ActivityInput, 'type'>): Promise<void> {
  return recordActivity(db, { ...input, type: 'UserLogoff' });
}
