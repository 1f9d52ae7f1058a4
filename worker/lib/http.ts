/** Small request helpers shared by routes. */
import type { Context } from 'hono';
import type { AppBindings, Env } from '../env';
import { AppError } from '../errors';

/** The client's IP as Cloudflare reports it (tests and local dev fall back to a fixed value). */
export function clientIp(c: Context): string {
  return c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? '127.0.0.1';
}

export function clientAgent(c: Context): string {
  return (c.req.header('user-agent') ?? '').slice(0, 300);
}

/**
 * The origin shown back to the requester itself (the portal address in the admin's own answer, SAML metadata):
 * PUBLIC_ORIGIN when configured, else the request's own. Never for links put into messages: use `linkOrigin`.
 */
export function publicOrigin(c: Context<AppBindings>): string {
  return configuredOrigin(c.env) ?? new URL(c.req.url).origin;
}

/** Hosts of a local start (`npm start`, `wrangler dev`): a link to them can only lead to the reader's own machine. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The origin for every link the product puts into a message (password reset, notifications). The request's
 * Host header is the sender's to choose: from it, an attacker who asks for a victim's reset link would get the
 * victim an email pointing at the attacker's host, carrying the secret token. So the link comes from
 * PUBLIC_ORIGIN; without it only a loopback request's origin is used (a local start), and anything else is
 * refused, telling the administrator what to set. The refusal depends on configuration and URL only, never on
 * the account, so it reveals nothing about who exists.
 */
export function linkOrigin(env: Pick<Env, 'PUBLIC_ORIGIN'>, requestUrl: string): string {
  const configured = configuredOrigin(env);
  if (configured) return configured;
  const request = new URL(requestUrl);
  if (LOOPBACK_HOSTS.has(request.hostname)) return request.origin;
  throw new AppError('PUBLIC_ORIGIN_REQUIRED');
}

function configuredOrigin(env: Pick<Env, 'PUBLIC_ORIGIN'>): string | null {
  const configured = env.PUBLIC_ORIGIN?.trim();
  if (!configured) return null;
  const parsed = URL.canParse(configured) ? new URL(configured) : null;
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new AppError('PUBLIC_ORIGIN_REQUIRED', `PUBLIC_ORIGIN is not an http(s) address: set it to the address users open, e.g. https://id.example.com.`);
  }
  return parsed.origin;
}

/**
 * For answers that must not depend on the account (no enumeration by content or timing) while work runs after them:
 * a compressed answer goes out in chunks, and the local runtime (workerd under `npm start`) delivered the end of
 * such an answer only after the deferred work's database steps, so a client accepting gzip (every browser, fetch)
 * still timed the account lookup through it (about 130 ms for a real login against 45 ms for an unknown one). These
 * answers are a few bytes: `Content-Encoding: identity` keeps them unencoded, with their length, and they end at
 * once. Call it for every request of such a route, never only for real accounts.
 */
export function answerWithoutWaitingForDeferredWork(c: Context): void {
  c.header('Content-Encoding', 'identity');
}

/**
 * Runs `work` after the response: waitUntil keeps the Worker alive for it, and the timer starts it only once the
 * handler has returned, so not even its first statement (typically the account lookup) runs before the answer is out.
 */
export function afterResponse(c: Context, work: () => Promise<unknown>): void {
  answerWithoutWaitingForDeferredWork(c);
  c.executionCtx.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(work));
}

export function isSecureRequest(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:';
}
