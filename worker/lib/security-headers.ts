import type { MiddlewareHandler } from 'hono';

/**
 * Strict headers on every response, the UI's pages, files and SPA fallback included (wrangler.toml sends every
 * request through the Worker; worker/app.ts serves the assets). The CSP has no 'unsafe-eval' (Monaco runs without
 * it) and forbids framing; styles allow inline because Monaco and Preact set style attributes.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
  // The SAML sign-in hands off to the IdP by redirect, and IdPs POST back to us: forms may target any https URL.
  "form-action 'self' https:",
].join('; ');

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  // Responses passed through from ASSETS have immutable headers: re-wrap before setting ours.
  c.res = new Response(c.res.body, c.res);
  const h = c.res.headers;
  h.set('x-content-type-options', 'nosniff');
  h.set('content-security-policy', CONTENT_SECURITY_POLICY);
  h.set('x-frame-options', 'DENY');
  h.set('referrer-policy', 'no-referrer');
  h.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
  h.set('cross-origin-opener-policy', 'same-origin');
  h.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  if ((h.get('content-type') ?? '').includes('application/json')) h.set('cache-control', 'no-store');
};
