import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes the SQL for schema changes into migrations/, which both
// `wrangler d1 migrations apply` and the test setup apply: one migration path.
export default defineConfig({
  dialect: 'sqlite',
  schema: './worker/db/schema.ts',
  out: './migrations',
});
