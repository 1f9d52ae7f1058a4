/** /api/auth: platform sign-in, second factor, sign-out and "who am I". */
import { $ } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { recordSignOut } from '../activities/service';
import { LOGIN_MAX_LENGTH, TYPED_PASSWORD_MAX_LENGTH } from '../contract/fields';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { afterResponse, clientAgent, clientIp, linkOrigin } from '../lib/http';
import { apiRouter, json, jsonBody, noContent, route } from '../lib/api-router';
import { fields } from '../lib/validate';
import { passkeyRequestAnswer, passkeyRequestOptions } from '../passkeys/api-schemas';
import { loginStepAnswer, meAnswer } from './api-schemas';
import { isSamlSignInAvailable } from '../saml/config-service';
import { getUser } from '../users/service';
import { authenticationCredential } from '../passkeys/schema';
import { relyingPartyOf } from '../passkeys/relying-party';
import {
  completePasswordlessPasskey,
  completeSecondFactor,
  completeSecondFactorPasskey,
  startPasswordLogin,
  startPasswordlessPasskey,
  startSecondFactorPasskey,
  type LoginStep,
} from './login-service';
import { claimPasswordResetRequest, completePasswordReset, sendPasswordResetLink } from './password-reset';
import { passwordField } from '../users/schema';
import { authenticate, checkCsrf, checkSameOrigin } from './middleware';
import { clearSessionCookie, csrfTokenFor, deleteSession, writeSessionCookie } from './sessions';

// The login is not trimmed here: String.trim would also strip a no-break space or a BOM, and "alice\u00a0" would be
// alice. login-service reads it as every sign-in path does (worker/lib/identity.ts).
const loginBody = z.strictObject({ login: z.string().max(LOGIN_MAX_LENGTH).regex(/\S/), password: z.string().min(1).max(TYPED_PASSWORD_MAX_LENGTH) });
const loginChallenge = z.string().min(1).max(200);
const secondFactorBody = z.strictObject({ challenge: loginChallenge, otp: fields.typedOtp });
const requestMeta = (c: Context<AppBindings>) => ({ ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });

/** Sign-in forms are refused cross-site (login CSRF) before their body is read. */
const sameOrigin: MiddlewareHandler<AppBindings> = async (c, next) => {
  checkSameOrigin(c);
  await next();
};
const signInForm = sameOrigin;
const loginStep = json(loginStepAnswer, 'Signed in (user, csrfToken; the session cookie is set), or the second factor asked (challenge, methods, expiresAt)');
const passwordlessStart = json(z.object({ flow: z.string().describe('Send it back with the assertion'), options: passkeyRequestOptions }), 'A flow handle and WebAuthn options for the browser');
const tags = ['Sign-in'];

export const authRoutes = $(apiRouter().use('*', authenticate))
  .openapi(
    route({ method: 'post', path: '/login', tags, summary: 'Sign in with login and password', middleware: signInForm, request: { body: jsonBody(loginBody) }, responses: { 200: loginStep } }),
    async (c) => {
      const { login, password } = c.req.valid('json');
      return respondToStep(c, await startPasswordLogin(c.env, login, password, requestMeta(c)));
    },
  )
  .openapi(
    route({ method: 'post', path: '/login/second-factor', tags, summary: 'Answer the second factor with a code', middleware: signInForm, request: { body: jsonBody(secondFactorBody) }, responses: { 200: loginStep } }),
    async (c) => {
      const { challenge, otp } = c.req.valid('json');
      return respondToStep(c, await completeSecondFactor(c.env, challenge, otp, requestMeta(c)));
    },
  )
  // The second factor by passkey: options for this /login challenge, then the assertion (claims one of its attempts).
  .openapi(
    route({
      method: 'post',
      path: '/login/passkey/options',
      tags,
      summary: 'Options to answer the second factor with a passkey',
      middleware: signInForm,
      request: { body: jsonBody(z.strictObject({ challenge: loginChallenge })) },
      responses: { 200: json(passkeyRequestAnswer, 'WebAuthn options for the browser') },
    }),
    async (c) => c.json({ options: await startSecondFactorPasskey(c.env, relyingPartyOf(c.env, c.req.url), c.req.valid('json').challenge, c.var.now) }, 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/login/passkey',
      tags,
      summary: 'Answer the second factor with a passkey assertion',
      middleware: signInForm,
      request: { body: jsonBody(z.strictObject({ challenge: loginChallenge, credential: authenticationCredential })) },
      responses: { 200: loginStep },
    }),
    async (c) => {
      const { challenge, credential } = c.req.valid('json');
      return respondToStep(c, await completeSecondFactorPasskey(c.env, relyingPartyOf(c.env, c.req.url), challenge, credential, requestMeta(c)));
    },
  )
  // Passwordless "Sign in with a passkey": a flow handle and options for any discoverable passkey, then its assertion.
  .openapi(
    route({ method: 'post', path: '/passkey/options', tags, summary: 'Start a passwordless sign-in with any discoverable passkey', middleware: signInForm, request: { body: jsonBody(z.strictObject({})) }, responses: { 200: passwordlessStart } }),
    async (c) => c.json(await startPasswordlessPasskey(c.env, relyingPartyOf(c.env, c.req.url), requestMeta(c)), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/passkey',
      tags,
      summary: 'Finish a passwordless sign-in with the passkey assertion',
      middleware: signInForm,
      request: { body: jsonBody(z.strictObject({ flow: z.string().min(1).max(200), credential: authenticationCredential })) },
      responses: { 200: loginStep },
    }),
    async (c) => {
      const { flow, credential } = c.req.valid('json');
      return respondToStep(c, await completePasswordlessPasskey(c.env, relyingPartyOf(c.env, c.req.url), flow, credential, requestMeta(c)));
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/password-reset',
      tags,
      summary: 'Ask for a password reset link (the same answer for every login)',
      middleware: signInForm,
      request: { body: jsonBody(z.strictObject({ login: z.string().trim().min(1).max(LOGIN_MAX_LENGTH) })) },
      responses: { 202: json(z.object({ requested: z.literal(true) }), 'Asked; a link goes out if the account has an email address') },
    }),
    async (c) => {
      const { login } = c.req.valid('json');
      // Refused for every login alike when no trustworthy origin is configured: the link would carry the Host header.
      const origin = linkOrigin(c.env, c.req.url);
      const meta = requestMeta(c);
      await claimPasswordResetRequest(c.env.DB, login, meta);
      // The same answer, after the same work, for every login: the account is looked up only after the response.
      afterResponse(c, () => sendPasswordResetLink(c.env, login, { ...meta, origin }));
      return c.json({ requested: true as const }, 202);
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/password-reset/complete',
      tags,
      summary: 'Set a new password with the link token',
      middleware: signInForm,
      request: { body: jsonBody(z.strictObject({ token: z.string().min(1).max(200), password: passwordField })) },
      responses: noContent,
    }),
    async (c) => {
      const { token, password } = c.req.valid('json');
      await completePasswordReset(c.env, token, password, requestMeta(c));
      return c.body(null, 204);
    },
  )
  .openapi(route({ method: 'post', path: '/logout', tags, summary: 'Sign out (ends the session)', responses: noContent }), async (c) => {
    const auth = c.var.auth;
    if (auth?.kind === 'session') {
      await checkCsrf(c);
      await deleteSession(c.env.DB, auth.sessionId);
      await recordSignOut(c.env.DB, { userId: auth.userId, channel: auth.sessionKind === 'portal' ? 'portal' : 'login', ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  // Whether the sign-in page offers "Sign in with SAML": allowed in the applied SAML configuration.
  .openapi(
    route({ method: 'get', path: '/saml-status', tags, summary: 'Whether the sign-in page offers SAML sign-in', responses: { 200: json(z.object({ available: z.boolean() }), 'Offered or not') } }),
    async (c) => c.json({ available: await isSamlSignInAvailable(c.env.DB) }, 200),
  )
  .openapi(route({ method: 'get', path: '/me', tags, summary: 'The signed-in administrator and the CSRF token', responses: { 200: json(meAnswer, 'The administrator and the CSRF token') } }), async (c) => {
    const auth = c.var.auth;
    if (auth?.kind !== 'session' || auth.sessionKind !== 'platform') throw new AppError('UNAUTHENTICATED');
    return c.json({ user: await getUser(c.env.DB, auth.userId), csrfToken: await csrfTokenFor(c.env.SESSION_KEY, auth.sessionId) }, 200);
  });

async function respondToStep(c: Context<AppBindings>, step: LoginStep) {
  if (step.state === 'second_factor') {
    return c.json(
      { state: step.state, challenge: step.challenge, methods: step.methods, ...(step.delivery ? { delivery: step.delivery } : {}), expiresAt: step.expiresAt },
      200,
    );
  }
  writeSessionCookie(c, step.sessionToken);
  return c.json({ state: step.state, user: await getUser(c.env.DB, step.userId), csrfToken: await csrfTokenFor(c.env.SESSION_KEY, step.sessionId) }, 200);
}
