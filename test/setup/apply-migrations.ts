// Applies migrations/ to the test D1 before each test file (storage is isolated per file): the same SQL
// that `wrangler d1 migrations apply` runs.
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
