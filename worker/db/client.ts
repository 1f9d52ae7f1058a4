import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Db = ReturnType<typeof createDb>;

export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export { schema };

/**
 * A drizzle query as a D1 statement, for a D1 batch that also carries statements drizzle does not build (the
 * admin audit row, the conditional claims): `db.batch` takes drizzle queries only, `D1Database.batch` takes these.
 * This is the data-access layer itself (the one `.prepare(` outside a repo): it prepares what a repo's query built.
 */
export function d1Statement(d1: D1Database, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}
