/** /api/profile: the signed-in user's own profile and its two-factor section. */
import { Hono } from 'hono';
import { z } from 'zod';
import { authenticate, currentUserId, requirePlatformSession } from '../auth/middleware';
import type { AppBindings } from '../env';
import { clientIp } from '../lib/http';
import { parseJsonBody } from '../lib/validate';
import { activateTwoFactor, confirmPhone, deactivateTwoFactor, profileWithTwoFactor, requestDeactivationCode, requestPhoneVerification } from './service';

const codeBody = z.strictObject({ challengeId: z.string().min(1).max(200), code: z.string().trim().min(1).max(16) });

export const profileRoutes = new Hono<AppBindings>()
  .use('*', authenticate, requirePlatformSession)
  .get('/', async (c) => c.json(await profileWithTwoFactor(c.env, currentUserId(c)!)))
  .post('/two-factor/phone', async (c) => {
    const { phone } = await parseJsonBody(c, z.strictObject({ phone: z.string().trim().min(3).max(32) }));
    const issued = await requestPhoneVerification(c.env, currentUserId(c)!, phone, { ip: clientIp(c), nowMs: c.var.now });
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs });
  })
  .post('/two-factor/phone/confirm', async (c) =>
    c.json(await confirmPhone(c.env, currentUserId(c)!, await parseJsonBody(c, codeBody), { ip: clientIp(c), nowMs: c.var.now })),
  )
  .post('/two-factor/activate', async (c) => c.json(await activateTwoFactor(c.env, currentUserId(c)!, c.var.now)))
  .post('/two-factor/deactivate/code', async (c) => {
    const issued = await requestDeactivationCode(c.env, currentUserId(c)!, { ip: clientIp(c), nowMs: c.var.now });
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs });
  })
  .post('/two-factor/deactivate', async (c) =>
    c.json(await deactivateTwoFactor(c.env, currentUserId(c)!, await parseJsonBody(c, codeBody), { ip: clientIp(c), nowMs: c.var.now })),
  );
