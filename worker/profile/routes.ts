/** /api/profile: the signed-in user's own profile and its two-factor section. */
import { $ } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { authenticate, currentUserId, requirePlatformSession } from '../auth/middleware';
import { loginFactorsOf, proveStepUp, sendStepUpCode, startStepUpPasskey } from '../auth/step-up';
import type { AppBindings } from '../env';
import { apiRouter, idParams, json, jsonBody, noContent, route } from '../lib/api-router';
import { stepUpBody, stepUpCodeAnswer, stepUpCodeBody } from '../auth/api-schemas';
import { passkeyAnswer, passkeyCreationAnswer, passkeyRequestAnswer } from '../passkeys/api-schemas';
import { profileAnswer } from './answers';
import { clientAgent, clientIp } from '../lib/http';
import { fields } from '../lib/validate';
import { relyingPartyOf } from '../passkeys/relying-party';
import { passkeyName, registrationCredential } from '../passkeys/schema';
import { addProfilePasskey, removeProfilePasskey, renameProfilePasskey, startProfilePasskeyRegistration } from './service';
import { generateOwnRecoveryCodes } from './service';
import { activateTwoFactor, confirmPhone, deactivateTwoFactor, profileWithTwoFactor, requestDeactivationCode, requestPhoneVerification } from './service';

const codeBody = z.strictObject({ challengeId: z.string().min(1).max(200), code: fields.sentCode });
const noFields = jsonBody(z.strictObject({}));
const challengeIssued = json(z.object({ challengeId: z.string(), expiresAt: z.number().int() }), 'The code was sent: answer it with this challenge');
const stepUpPasskeyOptions = json(passkeyRequestAnswer, 'WebAuthn options for the browser');
const profile = json(profileAnswer, 'The profile with its two-factor section');

type ProfileContext = Context<AppBindings>;
const sessionIdOf = (c: ProfileContext) => (c.var.auth?.kind === 'session' ? c.var.auth.sessionId : '');
const meta = (c: ProfileContext) => ({ ip: clientIp(c), nowMs: c.var.now, sessionId: sessionIdOf(c) });
const tags = ['Profile'];

export const profileRoutes = $(apiRouter().use('*', authenticate, requirePlatformSession))
  .openapi(route({ method: 'get', path: '/', tags, summary: 'The signed-in user with their two-factor section', responses: { 200: profile } }), async (c) =>
    c.json(await profileWithTwoFactor(c.env, currentUserId(c)!), 200),
  )
  // Proof before change: confirm the current second factor (as /login asks it), then the guarded changes pass.
  .openapi(
    route({ method: 'post', path: '/step-up', tags, summary: 'Prove the current second factor (OTP or passkey) before a guarded change', request: { body: jsonBody(stepUpBody) }, responses: noContent }),
    async (c) => {
      const session = { sessionId: sessionIdOf(c), nowMs: c.var.now, rp: relyingPartyOf(c.env, c.req.url) };
      await proveStepUp(c.env, await loginFactorsOf(c.env.DB, currentUserId(c)!), c.req.valid('json'), session);
      return c.body(null, 204);
    },
  )
  // Step-up with a passkey: options for one of the user's passkeys, bound to this session; then POST /step-up {passkey}.
  .openapi(
    route({ method: 'post', path: '/step-up/passkey/options', tags, summary: "Options for a step-up with one of the user's passkeys", request: { body: noFields }, responses: { 200: stepUpPasskeyOptions } }),
    async (c) => {
      const factors = await loginFactorsOf(c.env.DB, currentUserId(c)!);
      return c.json({ options: await startStepUpPasskey(c.env, relyingPartyOf(c.env, c.req.url), factors, { sessionId: sessionIdOf(c), nowMs: c.var.now }) }, 200);
    },
  )
  .openapi(route({ method: 'post', path: '/passkeys/options', tags, summary: 'Options to register a new passkey', request: { body: noFields }, responses: { 200: json(passkeyCreationAnswer, 'WebAuthn options for the browser') } }), async (c) =>
    c.json({ options: await startProfilePasskeyRegistration(c.env, relyingPartyOf(c.env, c.req.url), currentUserId(c)!, meta(c)) }, 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/passkeys',
      tags,
      summary: 'Register a passkey',
      request: { body: jsonBody(z.strictObject({ credential: registrationCredential, name: passkeyName })) },
      responses: { 201: json(passkeyAnswer, 'The new passkey') },
    }),
    async (c) => c.json(await addProfilePasskey(c.env, relyingPartyOf(c.env, c.req.url), currentUserId(c)!, c.req.valid('json'), { ...meta(c), client: clientAgent(c) }), 201),
  )
  .openapi(
    route({ method: 'patch', path: '/passkeys/{id}', tags, summary: 'Rename a passkey', request: { params: idParams, body: jsonBody(z.strictObject({ name: passkeyName })) }, responses: { 200: json(passkeyAnswer, 'The passkey') } }),
    async (c) => c.json(await renameProfilePasskey(c.env, currentUserId(c)!, c.req.valid('param').id, c.req.valid('json').name), 200),
  )
  .openapi(route({ method: 'delete', path: '/passkeys/{id}', tags, summary: 'Remove a passkey', request: { params: idParams }, responses: noContent }), async (c) => {
    await removeProfilePasskey(c.env, currentUserId(c)!, c.req.valid('param').id, { ...meta(c), client: clientAgent(c) });
    return c.body(null, 204);
  })
  .openapi(
    route({
      method: 'post',
      path: '/step-up/code',
      tags,
      summary: 'Send a step-up code to an SMS or email factor',
      request: { body: jsonBody(stepUpCodeBody) },
      responses: { 200: json(stepUpCodeAnswer, 'Where the code went') },
    }),
    async (c) => {
      const userId = currentUserId(c)!;
      return c.json(await sendStepUpCode(c.env, userId, await loginFactorsOf(c.env.DB, userId), c.req.valid('json').factorId, meta(c)), 200);
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/recovery-codes',
      tags,
      summary: 'A new set of recovery codes (shown this once; the previous set is void)',
      request: { body: noFields },
      responses: { 201: json(z.object({ codes: z.array(z.string()), createdAt: z.number().int() }), 'The codes') },
    }),
    async (c) => {
      const generated = await generateOwnRecoveryCodes(c.env, currentUserId(c)!, { ...meta(c), client: clientAgent(c) });
      return c.json({ codes: generated.codes, createdAt: generated.createdAt }, 201);
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/two-factor/phone',
      tags,
      summary: 'Send a code to confirm a phone number',
      request: { body: jsonBody(z.strictObject({ phone: fields.phone })) },
      responses: { 200: challengeIssued },
    }),
    async (c) => {
      const issued = await requestPhoneVerification(c.env, currentUserId(c)!, c.req.valid('json').phone, meta(c));
      return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs }, 200);
    },
  )
  .openapi(
    route({ method: 'post', path: '/two-factor/phone/confirm', tags, summary: 'Confirm the phone number with its code', request: { body: jsonBody(codeBody) }, responses: { 200: profile } }),
    async (c) => c.json(await confirmPhone(c.env, currentUserId(c)!, c.req.valid('json'), meta(c)), 200),
  )
  .openapi(route({ method: 'post', path: '/two-factor/activate', tags, summary: 'Switch two-factor sign-in on', responses: { 200: profile } }), async (c) =>
    c.json(await activateTwoFactor(c.env, currentUserId(c)!, meta(c)), 200),
  )
  .openapi(route({ method: 'post', path: '/two-factor/deactivate/code', tags, summary: 'Send the code that confirms switching two-factor sign-in off', responses: { 200: challengeIssued } }), async (c) => {
    const issued = await requestDeactivationCode(c.env, currentUserId(c)!, meta(c));
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs }, 200);
  })
  .openapi(
    route({ method: 'post', path: '/two-factor/deactivate', tags, summary: 'Switch two-factor sign-in off with its code', request: { body: jsonBody(codeBody) }, responses: { 200: profile } }),
    async (c) => c.json(await deactivateTwoFactor(c.env, currentUserId(c)!, c.req.valid('json'), meta(c)), 200),
  );
