/** The Worker's bindings: D1, static assets, secrets (.dev.vars locally, `wrangler secret put` in production) and vars. */
export interface Env {
  DB: D1Database;
  ASSETS: Fetcher;
  /** 32 random bytes, base64: the root of the AES-GCM keys that seal token seeds and provider secrets (lib/keys.ts). */
  SEED_ENCRYPTION_KEY: string;
  /** 32 random bytes, base64: the root of the HMAC keys for CSRF tokens, PIN hashes and code challenges (lib/keys.ts). */
  SESSION_KEY: string;
  /** The address users open: links in messages use it (lib/http.ts linkOrigin); empty works only on a local start. */
  PUBLIC_ORIGIN?: string;
  /** The issuer name authenticator apps show for tokens an administrator creates (default: the product name). */
  TOKEN_ISSUER?: string;
  /** Email Workers send binding, when configured on Cloudflare. */
  EMAIL?: SendEmail;
  /**
   * "true": provider URLs may point at loopback (127.0.0.0/8, ::1, localhost), over http too, for local development
   * and the tests' provider server. Private, link-local, CGNAT and metadata addresses stay refused. Never in production.
   */
  ALLOW_INSECURE_PROVIDER_URLS?: string;
  /**
   * Where the hot verification state of TOTP/HOTP/OCRA tokens lives (counters, used steps, fail counts, locks):
   * "d1" (the default: the token rows) or "durable-object" (a SQLite Durable Object per user, worker/verify-state).
   */
  VERIFY_STATE?: string;
  /** The per-user verification state objects (wrangler.toml durable_objects; used when VERIFY_STATE says so). */
  VERIFY_STATE_OBJECT?: DurableObjectNamespace<import('./verify-state/object').VerifyStateObject>;
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
