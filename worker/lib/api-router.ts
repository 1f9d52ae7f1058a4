/**
 * Routes declared once: `route()` (createRoute with our error envelope and body cap) on `apiRouter()` (an
 * OpenAPIHono whose validation failures are our VALIDATION_FAILED with one FieldIssue per refused field). The
 * same declaration validates the request, types the handler and writes the OpenAPI document.
 */
import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { MAX_JSON_BODY_BYTES } from '../constants';
import type { AppBindings } from '../env';
import { ERROR_CATALOGUE, AppError } from '../errors';
import { readBodyText, validationFailed } from './validate';

export function apiRouter<E extends Env = AppBindings>() {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      // The validator passes the input it read as `data` (absent from the failure's type): REQUIRED is told from it.
      if (!result.success) throw validationFailed(result.error.issues, (result as { data?: unknown }).data);
    },
  });
}

interface RouteOptions {
  /** The largest JSON body this route reads (imports carry whole files). */
  maxBodyBytes?: number;
  /** false: the route's own middleware calls readJsonBody (to order its refusals itself). */
  readsBody?: boolean;
}

/**
 * createRoute plus what every route shares: the error envelope as the answer to any refusal, and a JSON body read
 * with a size cap before the validator sees it (the validator itself would read any length).
 */
export function route<const R extends RouteConfig>(config: R, options: RouteOptions = {}): R {
  const withError = { ...config, responses: { ...config.responses, default: { $ref: '#/components/responses/Error' } } };
  const reads = config.request?.body && options.readsBody !== false ? [cappedJsonBody(options.maxBodyBytes ?? MAX_JSON_BODY_BYTES)] : [];
  const middleware = [...(config.middleware ? [config.middleware].flat() : []), ...reads];
  // Answered as the declared R: the added default response and body-reading middleware do not change the handler's
  // types. A spread of R is typed as R with the added properties, so what createRoute builds is an R without a cast.
  return createRoute(middleware.length ? { ...withError, middleware } : withError);
}

const JSON_MEDIA_TYPE = /^application\/([a-z-.]+\+)?json(;|$)/i;

function cappedJsonBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    await readJsonBody(c, maxBytes);
    await next();
  };
}

/** Reads a JSON body with a size cap (PAYLOAD_TOO_LARGE) and checks it parses (MALFORMED_JSON) for the validator. */
export async function readJsonBody(c: Context, maxBytes = MAX_JSON_BODY_BYTES): Promise<void> {
  if (!JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? '')) return;
  const text = await readBodyText(c, maxBytes);
  try {
    if (text.length) JSON.parse(text);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
  // An empty body is an empty object, as it always was; the validator reads the text cached here.
  // (Hono keeps promises in bodyCache, though its type says otherwise.)
  (c.req.bodyCache as Record<string, Promise<string>>).text = Promise.resolve(text.length ? text : '{}');
}

/** Request and response shapes every declaration uses. */
export const jsonBody = <S extends z.ZodType>(schema: S, description?: string) =>
  ({ required: true, description, content: { 'application/json': { schema } } }) as const;

export const json = <S extends z.ZodType>(schema: S, description: string) =>
  ({ description, content: { 'application/json': { schema } } }) as const;

export const csv = (description: string) => ({ description, content: { 'text/csv': { schema: z.string() } } }) as const;

/**
 * `format=csv` answers the same rows as a streamed CSV. Its schema is written as OpenAPI, not zod: a zod one would
 * add `string` to the JSON answer's type (the route's typed response takes the union of its contents' schemas).
 */
export const jsonOrCsv = <S extends z.ZodType>(schema: S, description: string) =>
  ({ description, content: { 'application/json': { schema }, 'text/csv': { schema: { type: 'string' } } } }) as const;

export const noContent = { 204: { description: 'Done; nothing to answer.' } } as const;

/**
 * A served OpenAPI document, as far as its own route declares it: the parts are OpenAPI's (its specification
 * defines them), so they are named and left open beneath.
 */
export const openApiDocumentAnswer = z.object({
  openapi: z.string().describe('3.1.0'),
  info: z.object({ title: z.string(), version: z.string(), description: z.string().optional() }),
  servers: z.array(z.object({ url: z.string() })),
  paths: z.record(z.string(), z.unknown()).optional().describe('OpenAPI 3.1 path items'),
  components: z.record(z.string(), z.unknown()).optional().describe('OpenAPI 3.1 components'),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  webhooks: z.record(z.string(), z.unknown()).optional(),
});

/** GET /openapi.json of a router: public (a description holds no data), so a client can read it before signing in. */
export const openApiDocumentRoute = (summary: string) =>
  route({ method: 'get', path: '/openapi.json', tags: ['Meta'], summary, security: [], responses: { 200: json(openApiDocumentAnswer, 'The OpenAPI 3.1 document') } });

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CATALOGUE) as [keyof typeof ERROR_CATALOGUE, ...(keyof typeof ERROR_CATALOGUE)[]]),
      message: z.string(),
      details: z.unknown().optional().describe('VALIDATION_FAILED: {issues: [{path, code, params, message}]}'),
    }),
  })
  .openapi('Error');

/** The error response every route of every document answers a refusal with. */
export function registerErrorResponse(app: Pick<OpenAPIHono, 'openAPIRegistry'>) {
  app.openAPIRegistry.register('Error', ErrorEnvelope);
  app.openAPIRegistry.registerComponent('responses', 'Error', {
    description: 'Refused: the error envelope with a stable code (VALIDATION_FAILED lists each refused field).',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
}

/** The admin and verify documents' shared parts: the error response, the two ways to authenticate. */
export function registerSharedComponents(app: Pick<OpenAPIHono, 'openAPIRegistry'>) {
  registerErrorResponse(app);
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key created in the admin center. Its scope limits it: verify keys only call /api/v1/verify, read keys only GET the admin API, admin keys do everything (FORBIDDEN otherwise). It works while its owner is an enabled administrator and until it expires or is revoked.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-eid_session',
    description: 'Admin session; state changes need the X-CSRF-Token header',
  });
}

/** Path parameters most routes share. */
export const idParams = z.object({ id: z.uuid() });
export const memberParams = z.object({ id: z.uuid(), userId: z.uuid() });
