/** POST /api/v1/verify — for integrations; API-key authenticated. Its own OpenAPI document: /api/v1/openapi.json. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { apiKeyHashOf, resolveApiKey } from '../auth/api-keys';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { LOGIN_MAX_LENGTH, RESOURCE_NAME_MAX_LENGTH, TYPED_OTP_MAX_LENGTH } from '../contract/fields';
import { apiRouter, json, jsonBody, readJsonBody, registerSharedComponents, route } from '../lib/api-router';
import { clientAgent, clientIp } from '../lib/http';
import { validationFailed } from '../lib/validate';
import { INVALID_API_KEY_MESSAGE, verifyForResource } from './service';

export const verifyBody = z.strictObject({
  // Not trimmed here: String.trim would also strip a no-break space or a BOM, and "alice\u00a0" would be alice. The
  // service reads it as every sign-in path does (worker/lib/identity.ts).
  login: z.string().max(LOGIN_MAX_LENGTH).regex(/\S/),
  resource: z.string().trim().min(1).max(RESOURCE_NAME_MAX_LENGTH),
  // Empty or absent: asks SMS/EMAIL tokens for a code (answer CHALLENGE_SENT).
  otp: z.string().trim().max(TYPED_OTP_MAX_LENGTH).default(''),
  challenge: z.string().max(128).optional(),
});

export const verifyAnswer = z.union([
  z.object({ accepted: z.literal(true), serial: z.string() }),
  z.object({
    accepted: z.literal(false),
    reason: z.string().describe('Why the code was refused (README: the verify API)'),
    lockedUntil: z.number().int().optional().describe('TOKEN_LOCKED: epoch milliseconds'),
    retryAfterMs: z.number().int().optional().describe('RATE_LIMITED: wait this long'),
  }),
]);

type VerifyBindings = AppBindings & { Variables: { apiKeyHash: string; apiKey: string } };

const refuseInvalidKey = () => new AppError('UNAUTHENTICATED', INVALID_API_KEY_MESSAGE);

// No `authenticate` middleware here: it would cost a D1 round trip of its own. The service checks the key in the
// same batch as everything else it reads (and counts nothing for an invalid key); only API keys are accepted.
const bearerKey: MiddlewareHandler<VerifyBindings> = async (c, next) => {
  const authorization = c.req.header('authorization');
  if (!authorization) throw new AppError('UNAUTHENTICATED', 'An API key is required (Authorization: Bearer).');
  const key = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  const apiKeyHash = key ? await apiKeyHashOf(key) : null;
  if (apiKeyHash === null) throw refuseInvalidKey();
  c.set('apiKey', key!);
  c.set('apiKeyHash', apiKeyHash);
  try {
    await readJsonBody(c);
  } catch (error) {
    throw (await resolveApiKey(c.env.DB, key!, c.var.now)) ? error : refuseInvalidKey();
  }
  await next();
};

const verifyRoute = route(
  {
    method: 'post',
    path: '/verify',
    tags: ['Verify'],
    summary:
      "Verify an OTP (with PIN) or a recovery code for a user on a resource; a refusal names its reason (README), FACTOR_NOT_SUPPORTED when the user's only factor there is a passkey",
    security: [{ apiKey: [] }],
    middleware: [bearerKey] as const,
    request: { body: jsonBody(verifyBody) },
    responses: { 200: json(verifyAnswer, 'Accepted, or refused with its reason') },
  },
  { readsBody: false },
);

export const verifyApiRoutes = apiRouter<VerifyBindings>();

verifyApiRoutes
  .openapi(
    verifyRoute,
    async (c) => {
      const body = c.req.valid('json');
      const result = await verifyForResource(c.env, { ...body, apiKeyHash: c.var.apiKeyHash, ip: clientIp(c), client: clientAgent(c) }, c.var.now);
      if (result.accepted) return c.json({ accepted: true as const, serial: result.serial }, 200);
      return c.json(
        {
          accepted: false as const,
          reason: result.reason,
          ...(result.lockedUntil ? { lockedUntil: result.lockedUntil } : {}),
          ...(result.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {}),
        },
        200,
      );
    },
    // A bad key is reported before a bad body, as with the authenticating middleware: look the key up on its own.
    (result, c) => (result.success ? undefined : refuseBody(result.error.issues, (result as { data?: unknown }).data, c)),
  )
  // Public (it holds no data), so integrators can read it before they have a key.
  .get('/openapi.json', (c) => c.json(verifyApiDocument(new URL(c.req.url).origin)));

async function refuseBody(issues: readonly z.core.$ZodIssue[], input: unknown, c: Context<VerifyBindings>): Promise<never> {
  if (!(await resolveApiKey(c.env.DB, c.var.apiKey, c.var.now))) throw refuseInvalidKey();
  throw validationFailed(issues, input);
}

let verifyDocument: ReturnType<OpenAPIHono['getOpenAPI31Document']> | undefined;

export function verifyApiDocument(origin: string) {
  verifyDocument ??= (() => {
    const app = new OpenAPIHono();
    registerSharedComponents(app);
    app.route('/api/v1', verifyApiRoutes);
    return app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Edge Identity verify API', version: '1.0.0' } });
  })();
  return { ...verifyDocument, servers: [{ url: origin }] };
}
