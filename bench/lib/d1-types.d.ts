/**
 * The bench runs on Node and reaches D1 through miniflare, which hands out objects of the Workers D1 API. These two
 * names are the only Workers types the Node side uses; the rest of the Workers globals stay out of its surface
 * (tsconfig.node.json), so Node code cannot call a Workers-only API by mistake.
 */
import type { D1Database as WorkersD1Database, D1PreparedStatement as WorkersD1PreparedStatement } from '@cloudflare/workers-types';

declare global {
  type D1Database = WorkersD1Database;
  type D1PreparedStatement = WorkersD1PreparedStatement;
}
