/** /api/auth: platform sign-in, second factor, sign-out and "who am I". */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { recordActivity } from '../activities/record';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { afterResponse, clientAgent, clientIp, linkOrigin } from '../lib/http';
import { parseJsonBody } from '../lib/validate';
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
const loginBody = z.strictObject({ login: z.string().max(128).regex(/\S/), password: z.string().min(1).max(1024) });
const loginChallenge = z.string().min(1).max(200);
const secondFactorBody = z.strictObject({ challenge: loginChallenge, otp: z.string().trim().min(1).max(64) });
const requestMeta = (c: Context<AppBindings>) => ({ ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });

export const authRoutes = new Hono<AppBindings>()
  .use('*', authenticate)
  .post('/login', async (c) => {
    checkSameOrigin(c);
    const { login, password } = await parseJsonBody(c, loginBody);
    const step = await startPasswordLogin(c.env, login, password, { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    return respondToStep(c, step);
  })
  .post('/login/second-factor', async (c) => {
    checkSameOrigin(c);
    const { challenge, otp } = await parseJsonBody(c, secondFactorBody);
    const step = await completeSecondFactor(c.env, challenge, otp, { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    return respondToStep(c, step);
  })
  // The second factor by passkey: options for this /login challenge, then the assertion (claims one of its attempts).
  .post('/login/passkey/options', async (c) => {
    checkSameOrigin(c);
    const { challenge } = await parseJsonBody(c, z.strictObject({ challenge: loginChallenge }));
    return c.json({ options: await startSecondFactorPasskey(c.env, relyingPartyOf(c.env, c.req.url), challenge, c.var.now) });
  })
  .post('/login/passkey', async (c) => {
    checkSameOrigin(c);
    const { challenge, credential } = await parseJsonBody(c, z.strictObject({ challenge: loginChallenge, credential: authenticationCredential }));
    return respondToStep(c, await completeSecondFactorPasskey(c.env, relyingPartyOf(c.env, c.req.url), challenge, credential, requestMeta(c)));
  })
  // Passwordless "Sign in with a passkey": a flow handle and options for any discoverable passkey, then its assertion.
  .post('/passkey/options', async (c) => {
    checkSameOrigin(c);
    await parseJsonBody(c, z.strictObject({}));
    return c.json(await startPasswordlessPasskey(c.env, relyingPartyOf(c.env, c.req.url), requestMeta(c)));
  })
  .post('/passkey', async (c) => {
    checkSameOrigin(c);
    const { flow, credential } = await parseJsonBody(c, z.strictObject({ flow: z.string().min(1).max(200), credential: authenticationCredential }));
    return respondToStep(c, await completePasswordlessPasskey(c.env, relyingPartyOf(c.env, c.req.url), flow, credential, requestMeta(c)));
  })
  .post('/password-reset', async (c) => {
    checkSameOrigin(c);
    const { login } = await parseJsonBody(c, z.strictObject({ login: z.string().trim().min(1).max(128) }));
    // Refused for every login alike when no trustworthy origin is configured: the link would carry the Host header.
    const origin = linkOrigin(c.env, c.req.url);
    const meta = { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now };
    await claimPasswordResetRequest(c.env.DB, login, meta);
    // The same answer, after the same work, for every login: the account is looked up only after the response.
    afterResponse(c, () => sendPasswordResetLink(c.env, login, { ...meta, origin }));
    return c.json({ requested: true }, 202);
  })
  .post('/password-reset/complete', async (c) => {
    checkSameOrigin(c);
    const { token, password } = await parseJsonBody(c, z.strictObject({ token: z.string().min(1).max(200), password: passwordField }));
    await completePasswordReset(c.env, token, password, { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    return c.body(null, 204);
  })
  .post('/logout', async (c) => {
    const auth = c.var.auth;
    if (auth?.kind === 'session') {
      await checkCsrf(c);
      await deleteSession(c.env.DB, auth.sessionId);
      await recordActivity(c.env.DB, { type: 'UserLogoff', userId: auth.userId, channel: auth.sessionKind === 'portal' ? 'portal' : 'login', ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  // Whether the sign-in page offers "Sign in with SAML": allowed in the applied SAML configuration.
  .get('/saml-status', async (c) => {
    return c.json({ available: await isSamlSignInAvailable(c.env.DB) });
  })
  .get('/me', async (c) => {
    const auth = c.var.auth;
    if (auth?.kind !== 'session' || auth.sessionKind !== 'platform') throw new AppError('UNAUTHENTICATED');
    return c.json({ user: await getUser(c.env.DB, auth.userId), csrfToken: await csrfTokenFor(c.env.SESSION_KEY, auth.sessionId) });
  });

async function respondToStep(c: Context<AppBindings>, step: LoginStep): Promise<Response> {
  if (step.state === 'second_factor') {
    return c.json({ state: step.state, challenge: step.challenge, methods: step.methods, ...(step.delivery ? { delivery: step.delivery } : {}), expiresAt: step.expiresAt });
  }
  writeSessionCookie(c, step.sessionToken);
  return c.json({ state: step.state, user: await getUser(c.env.DB, step.userId), csrfToken: await csrfTokenFor(c.env.SESSION_KEY, step.sessionId) });
}
