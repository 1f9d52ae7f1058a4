/** The Worker's bindings: D1, static assets, secrets (.dev.vars locally, `wrangler secret put` in production) and vars. */
export interface Env {
  DB: D1Database;
  ASSETS: Fetcher;
  /** 32 random bytes, base64: the AES-GCM key that encrypts token seeds at rest. */
  SEED_ENCRYPTION_KEY: string;
  /** 32 random bytes, base64: HMAC key for CSRF tokens and other server-side MACs. */
  SESSION_KEY: string;
  /** The address users open: links in messages use it (lib/http.ts linkOrigin); empty works only on a local start. */
  PUBLIC_ORIGIN?: string;
  /** Email Workers send binding, when configured on Cloudflare. */
  EMAIL?: SendEmail;
  /** Allows the tests' local provider servers on http://127.0.0.1 (never set in production). */
  ALLOW_INSECURE_PROVIDER_URLS?: string;
}

/** Hono generics for the whole app: bindings plus the per-request variables our middleware sets. */
export interface AppBindings {
  Bindings: Env;
  Variables: {
    /** Request time in ms; the clock is a parameter everywhere below the routes. */
    now: number;
    auth?: import('./auth/types').Principal;
  };
}
