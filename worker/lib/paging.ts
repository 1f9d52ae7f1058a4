import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. Use with `ESCAPE '\'`. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** `column LIKE '%search%'` with the wildcards in `search` taken literally (likePattern and its ESCAPE together). */
export function likeSearch(column: SQLWrapper, search: string): SQL {
  return sql`${column} LIKE ${likePattern(search)} ESCAPE '\\'`;
}
