/** Small request helpers shared by routes. */
import type { Context } from 'hono';
import type { AppBindings } from '../env';

/** The client's IP as Cloudflare reports it (tests and local dev fall back to a fixed value). */
export function clientIp(c: Context): string {
  return c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? '127.0.0.1';
}

export function clientAgent(c: Context): string {
  return (c.req.header('user-agent') ?? '').slice(0, 300);
}

/** The origin links should point to: PUBLIC_ORIGIN when configured, else the request's own. */
export function publicOrigin(c: Context<AppBindings>): string {
  const configured = c.env.PUBLIC_ORIGIN?.trim();
  return configured ? configured.replace(/\/$/, '') : new URL(c.req.url).origin;
}

export function isSecureRequest(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:';
}
