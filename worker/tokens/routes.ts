/** Admin API: /api/admin/tokens */
import { z } from 'zod';
import { auditActorOf, auditOf } from '../audit/record';
import { AppError } from '../errors';
import { apiRouter, idParams, json, jsonBody, noContent, route } from '../lib/api-router';
import { checkCodeSentAnswer, enrolmentAnswer, tokenAnswer, tokenResourcesAnswer } from './answers';
import { pageOf } from '../lib/answers';
import { clientAgent, clientIp } from '../lib/http';
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
import type { ResyncResult } from '../tokens/verification';
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

function resyncRefusal(result: Extract<ResyncResult, { ok: false }>): AppError {
  if (result.reason === 'OTP_INVALID') return new AppError('OTP_INVALID', 'The two codes were not found next to each other in the resync window.');
  if (result.reason === 'RATE_LIMITED') return new AppError('RATE_LIMITED', 'Too many resync attempts for this token. Try again later.', { retryAfterMs: result.retryAfterMs });
  if (result.reason === 'TOKEN_LOCKED') return new AppError('TOKEN_LOCKED', undefined, { lockedUntil: result.lockedUntil ?? null });
  return new AppError(result.reason);
}

const tags = ['Tokens'];
const oneToken = json(tokenAnswer, 'The token');
const created = json(tokenAnswer, 'The new token');

const router = apiRouter();
// Admin changes reach the token's verification state object too, after their D1 write (docs/scale.md §5 rule 2).
// Registered apart from the routes' chain: a chained `.use('/:id')` types the routes after it as under `/:id` as
// well as `/` (`$()` reads its path as the base path), so the typed client saw every token route at both paths.
router.use('/:id/*', tellObjectsOfTokenChanges).use('/:id', tellObjectsOfTokenChanges);

export const tokenAdminRoutes = router
  .openapi(route({ method: 'get', path: '/', tags, summary: 'List tokens', request: { query: listTokensQuery }, responses: { 200: json(pageOf(tokenAnswer), 'One page of tokens') } }), async (c) => {
    const query = c.req.valid('query');
    return c.json(await listTokens(c.env.DB, { ...query, unassigned: query.unassigned === 'true' }, c.var.now), 200);
  })
  .openapi(
    route({ method: 'post', path: '/software', tags, summary: 'Create a software token (returns the QR code once)', request: { body: jsonBody(createSoftwareTokenBody) }, responses: { 201: json(enrolmentAnswer, 'The new token with its seed and QR code, shown this once') } }),
    async (c) => c.json(await createSoftwareToken(c.env, { ...c.req.valid('json'), issuer: adminTokenIssuer(c.env.TOKEN_ISSUER) }, c.var.now, auditOf(c)), 201),
  )
  .openapi(route({ method: 'post', path: '/hardware', tags, summary: 'Register a hardware token', request: { body: jsonBody(createHardwareTokenBody) }, responses: { 201: created } }), async (c) => {
    const body = c.req.valid('json');
    const seed = decodeSeed(body.seed, body.seedEncoding);
    return c.json(await createHardwareToken(c.env, { ...body, seed }, c.var.now, auditOf(c)), 201);
  })
  // SMS / EMAIL: bound to the user's phone number or email address, usable at once (the admin vouches for it).
  .openapi(
    route({
      method: 'post',
      path: '/message',
      tags,
      summary: 'Create an SMS or email token bound to a phone number / email address',
      request: { body: jsonBody(createMessageTokenBody) },
      responses: { 201: created },
    }),
    async (c) => c.json(await createMessageToken(c.env, { ...c.req.valid('json'), activated: true }, c.var.now, auditOf(c)), 201),
  )
  .route('/import', tokenImportRoutes)
  .openapi(route({ method: 'get', path: '/{id}', tags, summary: 'Get a token', request: { params: idParams }, responses: { 200: oneToken } }), async (c) =>
    c.json(await getToken(c.env.DB, c.req.valid('param').id, c.var.now), 200),
  )
  .openapi(
    route({ method: 'patch', path: '/{id}', tags, summary: 'Enable/disable, describe or hand over a token', request: { params: idParams, body: jsonBody(updateTokenBody) }, responses: { 200: oneToken } }),
    async (c) => c.json(await updateToken(c.env.DB, c.req.valid('param').id, c.req.valid('json'), c.var.now, auditOf(c)), 200),
  )
  .openapi(route({ method: 'delete', path: '/{id}', tags, summary: 'Delete a token', request: { params: idParams }, responses: noContent }), async (c) => {
    await deleteToken(c.env.DB, c.req.valid('param').id, auditOf(c));
    return c.body(null, 204);
  })
  .openapi(route({ method: 'put', path: '/{id}/pin', tags, summary: 'Set or remove the PIN', request: { params: idParams, body: jsonBody(setPinBody) }, responses: noContent }), async (c) => {
    const body = c.req.valid('json');
    await setTokenPin(c.env, c.req.valid('param').id, body.pin, body.pinPosition, auditOf(c));
    return c.body(null, 204);
  })
  // RECOVERY_CODES: every unused code of the set refused from now on (the user lost the printout, or left).
  .openapi(
    route({
      method: 'post',
      path: '/{id}/void',
      tags,
      summary: 'Recovery code sets: void every unused code (all refused from then on) and disable the set; answers the token',
      request: { params: idParams },
      responses: { 200: oneToken },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await voidRecoveryCodes(c.env.DB, id, { channel: 'admin', ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now }, auditOf(c));
      return c.json(await getToken(c.env.DB, id, c.var.now), 200);
    },
  )
  .openapi(route({ method: 'post', path: '/{id}/reset-fail-counter', tags, summary: 'Reset the fail counter and unlock', request: { params: idParams }, responses: noContent }), async (c) => {
    await resetTokenFailCounter(c.env.DB, c.req.valid('param').id, auditOf(c));
    return c.body(null, 204);
  })
  // SMS/EMAIL tokens: "Send code" to the token's destination, then /check with the code received.
  .openapi(
    route({
      method: 'post',
      path: '/{id}/send-code',
      tags,
      summary: "SMS/email tokens: send a code to check with /check (the user's own codes are untouched)",
      request: { params: idParams },
      responses: { 200: json(checkCodeSentAnswer, 'Where the code went') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const sent = await sendTokenCheckCode(c.env, id, { ip: clientIp(c), nowMs: c.var.now }, auditOf(c));
      return c.json(sent, 200);
    },
  )
  // The resources this token opens (as their "token with user", or through its owner's plain assignment).
  .openapi(
    route({
      method: 'get',
      path: '/{id}/resources',
      tags,
      summary: 'The resources a token opens (as their token, or through its owner)',
      request: { params: idParams },
      responses: { 200: json(tokenResourcesAnswer, 'The resources') },
    }),
    async (c) => c.json({ items: await tokenResources(c.env.DB, c.req.valid('param').id) }, 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/check',
      tags,
      summary: 'Check an OTP (consumes it when valid)',
      request: { params: idParams, body: jsonBody(checkOtpBody) },
      responses: { 200: json(z.object({ valid: z.boolean(), reason: z.string().optional(), lockedUntil: z.number().int().nullable().optional() }), 'Whether the code was valid, and why not') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { id } = c.req.valid('param');
      const result = await checkTokenOtp(c.env, id, body.otp, c.var.now, auditActorOf(c), body.challenge);
      return c.json(result.ok ? { valid: true } : { valid: false, reason: result.reason, lockedUntil: result.lockedUntil ?? null }, 200);
    },
  )
  .openapi(
    route({ method: 'post', path: '/{id}/resync', tags, summary: 'Resynchronise with two consecutive OTPs', request: { params: idParams, body: jsonBody(resyncBody) }, responses: { 200: oneToken } }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const result = await resyncTokenById(c.env, id, body.otp1, body.otp2, c.var.now, auditActorOf(c));
      if (!result.ok) throw resyncRefusal(result);
      return c.json(await getToken(c.env.DB, id, c.var.now), 200);
    },
  );
