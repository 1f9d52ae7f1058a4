/** The Worker entry: HTTP through the Hono app, and the cron trigger for purges. */
import { createApp } from './app';
import type { Env } from './env';
import { runScheduledPurge } from './maintenance/purge';

// The Durable Object class behind VERIFY_STATE_OBJECT (wrangler.toml): it must be exported by the entry module.
export { VerifyStateObject } from './verify-state/object';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runScheduledPurge(env, Date.now()));
  },
} satisfies ExportedHandler<Env>;
