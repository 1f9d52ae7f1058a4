/**
 * The root Hono app: per-request clock, security headers, body limits, the one error mapper, and the domain
 * routers mounted by path.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorBody } from './errors';
import type { AppBindings } from './env';
import { securityHeaders } from './lib/security-headers';
import { routes } from './routes';

export function createApp() {
  const app = new Hono<AppBindings>();

  app.use('*', async (c, next) => {
    c.set('now', Date.now());
    await next();
  });
  app.use('*', securityHeaders);

  app.get('/health', (c) => c.json({ ok: true }));

  for (const [path, router] of routes) app.route(path, router);

  // What no route answers is the UI (static assets, or index.html as the SPA fallback), served from here so that
  // securityHeaders covers it. In the Worker's own namespaces only a browser navigation gets the UI; other
  // clients get a JSON 404.
  app.notFound((c) => {
    if (!WORKER_NAMESPACES.test(new URL(c.req.url).pathname) || wantsHtml(c.req.raw)) return c.env.ASSETS.fetch(c.req.raw);
    return c.json(errorBody('NOT_FOUND', 'Not found.'), 404);
  });

  app.onError((error, c) => {
    if (error instanceof AppError) return c.json(errorBody(error.code, error.message, error.details), error.status);
    if (error instanceof HTTPException) {
      const code = error.status === 413 ? 'PAYLOAD_TOO_LARGE' : error.status === 401 ? 'UNAUTHENTICATED' : 'VALIDATION_FAILED';
      return c.json(errorBody(code, error.message || code), error.status);
    }
    // Unknown errors: log for the operator, answer without internals (no stack, no SQL).
    console.error('unhandled error', c.req.method, new URL(c.req.url).pathname, error);
    return c.json(errorBody('INTERNAL', 'Something went wrong on our side.'), 500);
  });

  return app;
}

/** Paths the Worker owns: API, SAML, portal and sign-in endpoints, health. */
const WORKER_NAMESPACES = /^\/(?:api|saml|selfservice)\/|^\/(?:login|admin|portal)|^\/(?:logout|health)$/;

function wantsHtml(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}
