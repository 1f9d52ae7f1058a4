/** POST /api/v1/verify — for integrations; API-key authenticated. */
import { Hono } from 'hono';
import { z } from 'zod';
import { apiKeyHashOf, resolveApiKey } from '../auth/api-keys';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { clientAgent, clientIp } from '../lib/http';
import { parseJsonBody } from '../lib/validate';
import { INVALID_API_KEY_MESSAGE, verifyForResource } from './service';

const verifyBody = z.strictObject({
  // Not trimmed here: String.trim would also strip a no-break space or a BOM, and "alice\u00a0" would be alice. The
  // service reads it as every sign-in path does (worker/lib/identity.ts).
  login: z.string().max(128).regex(/\S/),
  resource: z.string().trim().min(1).max(120),
  // Empty or absent: asks SMS/EMAIL tokens for a code (answer CHALLENGE_SENT).
  otp: z.string().trim().max(64).default(''),
  challenge: z.string().max(128).optional(),
});

// No `authenticate` middleware here: it would cost a D1 round trip of its own. The service checks the key in the
// same batch as everything else it reads (and counts nothing for an invalid key); only API keys are accepted.
export const verifyApiRoutes = new Hono<AppBindings>().post('/verify', async (c) => {
  const authorization = c.req.header('authorization');
  if (!authorization) throw new AppError('UNAUTHENTICATED', 'An API key is required (Authorization: Bearer).');
  const key = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  const apiKeyHash = key ? await apiKeyHashOf(key) : null;
  if (apiKeyHash === null) throw new AppError('UNAUTHENTICATED', INVALID_API_KEY_MESSAGE);
  let body;
  try {
    body = await parseJsonBody(c, verifyBody);
  } catch (error) {
    // A bad key is reported before a bad body, as with the authenticating middleware: look the key up on its own.
    if (!(await resolveApiKey(c.env.DB, key!, c.var.now))) throw new AppError('UNAUTHENTICATED', INVALID_API_KEY_MESSAGE);
    throw error;
  }
  const result = await verifyForResource(c.env, { ...body, apiKeyHash, ip: clientIp(c), client: clientAgent(c) }, c.var.now);
  if (result.accepted) return c.json({ accepted: true, serial: result.serial });
  return c.json({ accepted: false, reason: result.reason, ...(result.lockedUntil ? { lockedUntil: result.lockedUntil } : {}), ...(result.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {}) });
});
