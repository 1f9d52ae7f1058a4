/** The admin audit trail as the admin center reads it: a filter from the query, a page or every row as CSV. */
import type { AuditObjectType } from './record';
import { auditCsvStream, listAudit, type AuditFilter } from './repo';

/** The filter as the query names it (from/to in epoch milliseconds); empty texts filter nothing. */
export interface AuditQuery {
  admin?: string;
  objectType?: AuditObjectType;
  object?: string;
  action?: string;
  from?: number;
  to?: number;
}

function filterOf(query: AuditQuery): AuditFilter {
  return { admin: query.admin || undefined, objectType: query.objectType, object: query.object || undefined, action: query.action, fromMs: query.from, toMs: query.to };
}

export function readAuditPage(db: D1Database, query: AuditQuery & { cursor?: string; pageSize: number }, nowMs: number) {
  return listAudit(db, filterOf(query), { cursor: query.cursor, pageSize: query.pageSize }, nowMs);
}

export function exportAudit(db: D1Database, query: AuditQuery, nowMs: number): ReadableStream<Uint8Array> {
  return auditCsvStream(db, filterOf(query), nowMs);
}
