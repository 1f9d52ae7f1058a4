/** POST /api/v1/verify — for integrations; API-key authenticated. */
import { Hono } from 'hono';
import { z } from 'zod';
import { authenticate, requireApiKey } from '../auth/middleware';
import type { AppBindings } from '../env';
import { clientAgent, clientIp } from '../lib/http';
import { parseJsonBody } from '../lib/validate';
import { verifyForResource } from './service';

const verifyBody = z.strictObject({
  login: z.string().trim().min(1).max(128),
  resource: z.string().trim().min(1).max(120),
  // Empty or absent: asks SMS/EMAIL tokens for a code (answer CHALLENGE_SENT).
  otp: z.string().trim().max(64).default(''),
  challenge: z.string().max(128).optional(),
});

export const verifyApiRoutes = new Hono<AppBindings>().use('*', authenticate, requireApiKey).post('/verify', async (c) => {
  const body = await parseJsonBody(c, verifyBody);
  const result = await verifyForResource(c.env, { ...body, ip: clientIp(c), client: clientAgent(c) }, c.var.now);
  if (result.accepted) return c.json({ accepted: true, serial: result.serial });
  return c.json({ accepted: false, reason: result.reason, ...(result.lockedUntil ? { lockedUntil: result.lockedUntil } : {}), ...(result.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {}) });
});
