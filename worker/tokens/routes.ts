/** Admin API: /api/admin/tokens */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { clientAgent, clientIp } from '../lib/http';
import { fields, parse, parseJsonBody, parseQuery } from '../lib/validate';
import {
  checkOtpBody,
  createHardwareTokenBody,
  createMessageTokenBody,
  createSoftwareTokenBody,
  listTokensQuery,
  resyncBody,
  setPinBody,
  updateTokenBody,
} from './schema';
import type { ResyncResult } from '../otp/verify-service';
import { adminTokenIssuer } from '../otp/key-uri';
import { decodeSeed } from './secrets';
import { tokenResources } from './token-resources';
import {
  checkTokenOtp,
  createHardwareToken,
  createMessageToken,
  createSoftwareToken,
  deleteToken,
  getToken,
  listTokens,
  resetTokenFailCounter,
  resyncTokenById,
  sendTokenCheckCode,
  setTokenPin,
  updateToken,
} from './service';
import { tokenImportRoutes } from './import-routes';
import { tellObjectsOfTokenChanges } from '../verify-state/client';
import { voidRecoveryCodes } from './recovery-codes';

const idParam = z.object({ id: fields.id });

function resyncRefusal(result: Extract<ResyncResult, { ok: false }>): AppError {
  if (result.reason === 'OTP_INVALID') return new AppError('OTP_INVALID', 'The two codes were not found next to each other in the resync window.');
  if (result.reason === 'RATE_LIMITED') return new AppError('RATE_LIMITED', 'Too many resync attempts for this token. Try again later.', { retryAfterMs: result.retryAfterMs });
  if (result.reason === 'TOKEN_LOCKED') return new AppError('TOKEN_LOCKED', undefined, { lockedUntil: result.lockedUntil ?? null });
  return new AppError(result.reason);
}

export const tokenAdminRoutes = new Hono<AppBindings>()
  // Admin changes reach the token's verification state object too, after their D1 write (docs/scale.md §5 rule 2).
  .use('/:id/*', tellObjectsOfTokenChanges)
  .use('/:id', tellObjectsOfTokenChanges)
  .get('/', async (c) => {
    const query = parseQuery(c, listTokensQuery);
    return c.json(await listTokens(c.env.DB, { ...query, unassigned: query.unassigned === 'true' }, c.var.now));
  })
  .post('/software', async (c) => {
    const body = await parseJsonBody(c, createSoftwareTokenBody);
    return c.json(await createSoftwareToken(c.env, { ...body, issuer: adminTokenIssuer(c.env.TOKEN_ISSUER) }, c.var.now, auditOf(c)), 201);
  })
  .post('/hardware', async (c) => {
    const body = await parseJsonBody(c, createHardwareTokenBody);
    const seed = decodeSeed(body.seed, body.seedEncoding);
    return c.json(await createHardwareToken(c.env, { ...body, seed }, c.var.now, auditOf(c)), 201);
  })
  // SMS / EMAIL: bound to the user's phone number or email address, usable at once (the admin vouches for it).
  .post('/message', async (c) => {
    const body = await parseJsonBody(c, createMessageTokenBody);
    return c.json(await createMessageToken(c.env, { ...body, activated: true }, c.var.now, auditOf(c)), 201);
  })
  .route('/import', tokenImportRoutes)
  .get('/:id', async (c) => c.json(await getToken(c.env.DB, parse(idParam, c.req.param()).id, c.var.now)))
  .patch('/:id', async (c) => {
    const { id } = parse(idParam, c.req.param());
    return c.json(await updateToken(c.env.DB, id, await parseJsonBody(c, updateTokenBody), c.var.now, auditOf(c)));
  })
  .delete('/:id', async (c) => {
    await deleteToken(c.env.DB, parse(idParam, c.req.param()).id, auditOf(c));
    return c.body(null, 204);
  })
  .put('/:id/pin', async (c) => {
    const { id } = parse(idParam, c.req.param());
    const body = await parseJsonBody(c, setPinBody);
    await setTokenPin(c.env, id, body.pin, body.pinPosition, auditOf(c));
    return c.body(null, 204);
  })
  // RECOVERY_CODES: every unused code of the set refused from now on (the user lost the printout, or left).
  .post('/:id/void', async (c) => {
    const { id } = parse(idParam, c.req.param());
    await voidRecoveryCodes(c.env.DB, id, { channel: 'admin', ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now }, auditOf(c));
    return c.json(await getToken(c.env.DB, id, c.var.now));
  })
  .post('/:id/reset-fail-counter', async (c) => {
    await resetTokenFailCounter(c.env.DB, parse(idParam, c.req.param()).id, auditOf(c));
    return c.body(null, 204);
  })
  // SMS/EMAIL tokens: "Send code" to the token's destination, then /check with the code received.
  .post('/:id/send-code', async (c) => {
    const { id } = parse(idParam, c.req.param());
    return c.json(await sendTokenCheckCode(c.env, id, { ip: clientIp(c), nowMs: c.var.now }));
  })
  // The resources this token opens (as their "token with user", or through its owner's plain assignment).
  .get('/:id/resources', async (c) => c.json({ items: await tokenResources(c.env.DB, parse(idParam, c.req.param()).id) }))
  .post('/:id/check', async (c) => {
    const { id } = parse(idParam, c.req.param());
    const body = await parseJsonBody(c, checkOtpBody);
    const result = await checkTokenOtp(c.env, id, body.otp, c.var.now, body.challenge);
    return c.json(result.ok ? { valid: true } : { valid: false, reason: result.reason, lockedUntil: result.lockedUntil ?? null });
  })
  .post('/:id/resync', async (c) => {
    const { id } = parse(idParam, c.req.param());
    const body = await parseJsonBody(c, resyncBody);
    const result = await resyncTokenById(c.env, id, body.otp1, body.otp2, c.var.now);
    if (!result.ok) throw resyncRefusal(result);
    return c.json(await getToken(c.env.DB, id, c.var.now));
  });
