/**
 * GET /api/openapi.json: the document of the browser surfaces, for whoever builds their own sign-in page, profile
 * or portal: sign-in (/api/auth), the profile (/api/profile), the self-service portal (/api/portal/{alias}) and the
 * SAML browser routes (/saml). The admin API and the verify API have their own documents (/api/admin/openapi.json,
 * /api/v1/openapi.json); nothing here needs an API key, so the document names none.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { authRoutes } from '../auth/routes';
import type { AppBindings } from '../env';
import { apiRouter, openApiDocumentRoute, registerErrorResponse } from '../lib/api-router';
import { profileRoutes } from '../profile/routes';
import { samlRoutes } from '../saml/routes';
import { portalRoutes } from '../selfservice/routes';

/**
 * The routers this document describes, at the paths worker/routes.ts mounts them. The portal's router carries
 * variables of its own in its context, hence the loose element type (as in worker/routes.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const BROWSER_API_MOUNTS: Array<[string, Hono<any, any, any>]> = [
  ['/api/auth', authRoutes],
  ['/api/profile', profileRoutes],
  ['/api/portal', portalRoutes],
  ['/saml', samlRoutes],
];

let browserDocument: ReturnType<OpenAPIHono['getOpenAPI31Document']> | undefined;

export function browserApiDocument(origin: string) {
  browserDocument ??= (() => {
    const app = new OpenAPIHono<AppBindings>();
    registerErrorResponse(app);
    for (const [mount, router] of BROWSER_API_MOUNTS) app.route(mount, router);
    return app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Edge Identity browser API',
        version: '1.0.0',
        description:
          'Sign-in, profile, self-service portal and SAML. A signed-in browser holds a session cookie (set by the sign-in routes); every change also sends the X-CSRF-Token header the sign-in answered.',
      },
    });
  })();
  return { ...browserDocument, servers: [{ url: origin }] };
}

export const browserApiDocumentRoutes = apiRouter().openapi(openApiDocumentRoute('The browser API document'), (c) => c.json(browserApiDocument(new URL(c.req.url).origin), 200));
