/**
 * The self-service portal's API: /api/portal/{alias}/... (the page itself is the UI at /selfservice/:alias).
 * Sign-in and restore-access need no session; every action needs a portal session for THIS portal, its CSRF
 * token, and the action being enabled by the administrator. Bodies and answers: ./api-schemas.ts.
 */
import { $ } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { checkSameOrigin } from '../auth/middleware';
import { clearSessionCookie, csrfTokenFor, deleteSession, writeSessionCookie } from '../auth/sessions';
import { proveStepUp, sendStepUpCode, startStepUpPasskey } from '../auth/step-up';
import { recordSignOut } from '../activities/service';
import type { AppBindings } from '../env';
import { apiRouter, json, jsonBody, noContent, route } from '../lib/api-router';
import { answerWithoutWaitingForDeferredWork, clientAgent, clientIp } from '../lib/http';
import { fieldRefusal } from '../lib/validate';
import { authenticationCredential, passkeyName, registrationCredential } from '../passkeys/schema';
import { passkeyCreationAnswer, passkeyRequestAnswer } from '../passkeys/api-schemas';
import { relyingPartyOf } from '../passkeys/relying-party';
import type { SelfServiceAction } from './actions';
import {
  beginMessageTokenEnrolment,
  beginPasskeyEnrolment,
  beginPasskeyReassign,
  completePasskeyEnrolment,
  completePasskeyReassign,
  beginTokenEnrolment,
  changeOwnLogin,
  changeOwnName,
  changeOwnPassword,
  claimExistingToken,
  confirmEmailChange,
  confirmPhoneChange,
  confirmTokenEnrolment,
  createOwnPassword,
  forgetOwnEnvironment,
  listOwnEnvironments,
  nameOwnEnvironment,
  portalOverview,
  requestEmailChange,
  requestPhoneChange,
  resendEnrolmentCode,
  setOwnPin,
  synchronizeOwnToken,
  unassignOwnToken,
  type PortalActor,
} from './actions-service';
import { stepUpBody } from '../auth/api-schemas';
import { aliasParams, answer, body, enrolmentAnswer, environmentParams, overviewAnswer } from './api-schemas';
import { generateRecoveryCodes } from '../tokens/recovery-codes';
import { requireProof } from './actions-service';
import { environmentOf } from './environment';
import { portalFactorsOf } from './step-up';
import { notifyAdminsOfNewIssue, type FiledIssue } from './issue-notifications';
import { portalSessionOf, requireAction, requirePortalSession, withPortal, type PortalVariables } from './portal';
import { proveRecovery, startRecovery, submitRecovery } from './recovery-service';
import {
  requestPortalEmailCode,
  requestPortalTokenCode,
  startPortalPasskey,
  startPortalSignIn,
  submitPortalEmailCode,
  submitPortalOtp,
  submitPortalPasskey,
  submitPortalPassword,
  type PortalSignInResult,
} from './signin-service';

type PortalEnv = AppBindings & { Variables: PortalVariables };
type PortalContext = Context<PortalEnv>;

const meta = (c: PortalContext) => ({ ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now, environment: environmentOf(c.req.raw, clientIp(c)) });
/** Work that must not delay (or time) the answer: sending codes whose existence the answer must not reveal. */
const defer = (c: PortalContext) => {
  answerWithoutWaitingForDeferredWork(c);
  return (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
};
const relyingParty = (c: PortalContext) => relyingPartyOf(c.env, c.req.url);
const actor = (c: PortalContext): PortalActor => ({
  userId: c.var.portalUser!.userId,
  sessionId: c.var.portalUser!.sessionId,
  signInMethod: c.var.portalUser!.signInMethod,
  secondFactorProvenAt: c.var.portalUser!.secondFactorProvenAt,
  reprovedAt: c.var.portalUser!.reprovedAt,
  ip: clientIp(c),
  client: clientAgent(c),
  nowMs: c.var.now,
});

async function respond(c: PortalContext, result: PortalSignInResult) {
  if (result.state === 'continue') {
    const { state, flow, step, emailCodeOption, delivery, passkey } = result;
    return c.json({ state, flow, step, emailCodeOption, ...(delivery ? { delivery } : {}), ...(passkey ? { passkey } : {}) }, 200);
  }
  writeSessionCookie(c, result.sessionToken, 'portal');
  return c.json({ state: 'signed_in' as const, csrfToken: await csrfTokenFor(c.env.SESSION_KEY, result.sessionId) }, 200);
}

/** Sign-in and restore-access forms are refused cross-site (login CSRF) before their body is read. */
const sameOrigin: MiddlewareHandler<PortalEnv> = async (c, next) => {
  checkSameOrigin(c);
  await next();
};
/** An action the administrator has not enabled is refused before its body is read. */
const enabled =
  (action: SelfServiceAction): MiddlewareHandler<PortalEnv> =>
  async (c, next) => {
    requireAction(c, action);
    await next();
  };

const signInTags = ['Portal sign-in'];
const tags = ['Portal actions'];
const signInStep = json(answer.signIn, 'The next step (flow, step, what it offers), or signed in (csrfToken; the portal session cookie is set)');
/** Registering a passkey as the token answers creation options; signing in, step-up and re-assigning, request options. */
const passkeyRequest = json(passkeyRequestAnswer, 'WebAuthn options for the browser to use a passkey');
const passkeyCreation = json(passkeyCreationAnswer, 'WebAuthn options for the browser to make a passkey');
const challengeIssued = json(answer.challenge, 'The code was sent: confirm it with this challenge');
const token = json(answer.token, 'The token now assigned on this resource');
const params = aliasParams;

const publicRoutes = $(apiRouter<PortalEnv>())
  .openapi(route({ method: 'get', path: '/', tags: signInTags, summary: "The portal's resource", request: { params }, responses: { 200: json(answer.portal, 'Resource, alias and whether signed in') } }), async (c) =>
    c.json({ resource: c.var.portal.resourceName, alias: c.var.portal.alias, signedIn: (await portalSessionOf(c)) !== null }, 200),
  )
  .openapi(
    route({ method: 'post', path: '/signin', tags: signInTags, summary: 'Start signing in with a login', middleware: sameOrigin, request: { params, body: jsonBody(body.signIn) }, responses: { 200: signInStep } }),
    async (c) => respond(c, await startPortalSignIn(c.env, c.var.portal, c.req.valid('json').login, meta(c))),
  )
  .openapi(
    route({ method: 'post', path: '/signin/password', tags: signInTags, summary: 'Answer the password step', middleware: sameOrigin, request: { params, body: jsonBody(body.password) }, responses: { 200: signInStep } }),
    async (c) => {
      const { flow, password } = c.req.valid('json');
      return respond(c, await submitPortalPassword(c.env, c.var.portal, flow, password, meta(c), defer(c)));
    },
  )
  // "No password? Get a sign-in code by email" and "send a new code": the same answer for every login.
  .openapi(
    route({
      method: 'post',
      path: '/signin/email-code/request',
      tags: signInTags,
      summary: 'Send a sign-in code by email (the same answer for every login)',
      middleware: sameOrigin,
      request: { params, body: jsonBody(body.flow) },
      responses: { 200: signInStep },
    }),
    async (c) => respond(c, await requestPortalEmailCode(c.env, c.var.portal, c.req.valid('json').flow, meta(c), defer(c))),
  )
  .openapi(
    route({ method: 'post', path: '/signin/email-code', tags: signInTags, summary: 'Answer with the emailed sign-in code', middleware: sameOrigin, request: { params, body: jsonBody(body.emailCode) }, responses: { 200: signInStep } }),
    async (c) => {
      const { flow, code } = c.req.valid('json');
      return respond(c, await submitPortalEmailCode(c.env, c.var.portal, flow, code, meta(c), defer(c)));
    },
  )
  .openapi(
    route({ method: 'post', path: '/signin/otp', tags: signInTags, summary: "Answer the OTP step with the token's code", middleware: sameOrigin, request: { params, body: jsonBody(body.otp) }, responses: { 200: signInStep } }),
    async (c) => {
      const { flow, otp } = c.req.valid('json');
      return respond(c, await submitPortalOtp(c.env, c.var.portal, flow, otp, meta(c)));
    },
  )
  // A passkey in place of the OTP (when the OTP step's answer said `passkey: true`): options, then the assertion.
  .openapi(
    route({ method: 'post', path: '/signin/passkey/options', tags: signInTags, summary: 'Options to answer the OTP step with a passkey', middleware: sameOrigin, request: { params, body: jsonBody(body.flow) }, responses: { 200: passkeyRequest } }),
    async (c) => c.json({ options: await startPortalPasskey(c.env, c.var.portal, relyingParty(c), c.req.valid('json').flow, meta(c)) }, 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/signin/passkey',
      tags: signInTags,
      summary: 'Answer the OTP step with a passkey assertion',
      middleware: sameOrigin,
      request: { params, body: jsonBody(z.strictObject({ flow: body.flow.shape.flow, credential: authenticationCredential })) },
      responses: { 200: signInStep },
    }),
    async (c) => respond(c, await submitPortalPasskey(c.env, c.var.portal, relyingParty(c), c.req.valid('json'), meta(c))),
  )
  // SMS/EMAIL token at the OTP step: "send a new code".
  .openapi(
    route({ method: 'post', path: '/signin/otp/send', tags: signInTags, summary: 'SMS/EMAIL token: send a new code', middleware: sameOrigin, request: { params, body: jsonBody(body.flow) }, responses: { 200: signInStep } }),
    async (c) => respond(c, await requestPortalTokenCode(c.env, c.var.portal, c.req.valid('json').flow, meta(c))),
  )
  .openapi(
    route({
      method: 'post',
      path: '/recovery',
      tags: signInTags,
      summary: 'Restore access: name the login and what was lost',
      middleware: sameOrigin,
      request: { params, body: jsonBody(body.recoveryStart) },
      responses: { 200: json(answer.recoveryStart, 'What the account can still prove with, and what the request must carry') },
    }),
    async (c) => c.json(await startRecovery(c.env, c.var.portal, c.req.valid('json'), { ip: clientIp(c), nowMs: c.var.now }, defer(c)), 200),
  )
  // One proof (password, email code or OTP) checked before the request is filed: a mistyped one can be typed again.
  .openapi(
    route({
      method: 'post',
      path: '/recovery/proof',
      tags: signInTags,
      summary: 'Restore access: check one proof (password, email code or OTP)',
      middleware: sameOrigin,
      request: { params, body: jsonBody(body.recoveryProof) },
      responses: { 200: json(answer.recoveryProof, 'The proofs verified so far and those still open') },
    }),
    async (c) => {
      const { flow: handle, ...proof } = c.req.valid('json');
      return c.json(await proveRecovery(c.env, c.var.portal, handle, proof, { ip: clientIp(c), nowMs: c.var.now }), 200);
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/recovery/submit',
      tags: signInTags,
      summary: 'Restore access: file the request for an administrator',
      middleware: sameOrigin,
      request: { params, body: jsonBody(body.recoverySubmit) },
      responses: { 200: json(answer.recoverySubmitted, 'Filed (the same answer for every login)') },
    }),
    async (c) => {
      const { flow: handle, ...evidence } = c.req.valid('json');
      // The admin notification runs after the response, so a real login answers as fast as an unknown one.
      const later = defer(c);
      const notify = (filed: FiledIssue) => later(notifyAdminsOfNewIssue(c.env, filed, c.req.url, c.var.now));
      return c.json(await submitRecovery(c.env, c.var.portal, handle, evidence, { ip: clientIp(c), nowMs: c.var.now }, notify), 200);
    },
  );

const tokenPasskeyBody = z.strictObject({ credential: registrationCredential, name: passkeyName, reassign: body.passkeyOptions.shape.reassign });
const action = { tags, request: { params } } as const;
const withBody = <S extends z.ZodType>(schema: S) => ({ params, body: jsonBody(schema) });

const sessionRoutes = $(apiRouter<PortalEnv>().use('*', requirePortalSession))
  .openapi(route({ ...action, method: 'get', path: '/me', summary: 'The signed-in user, their token and the enabled actions', responses: { 200: json(overviewAnswer, 'The overview and the CSRF token') } }), async (c) =>
    c.json({ ...(await portalOverview(c.env, c.var.portal, actor(c))), csrfToken: await csrfTokenFor(c.env.SESSION_KEY, c.var.portalUser!.sessionId) }, 200),
  )
  .openapi(route({ ...action, method: 'post', path: '/signout', summary: 'Sign out of the portal', responses: noContent }), async (c) => {
    await deleteSession(c.env.DB, c.var.portalUser!.sessionId);
    await recordSignOut(c.env.DB, { userId: c.var.portalUser!.userId, channel: 'portal', ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    clearSessionCookie(c, 'portal');
    return c.body(null, 204);
  })
  // Proof before change: confirm the current second factor, then the guarded actions pass for STEP_UP_VALID_MS.
  // A typed code ({otp}, with challengeId/factorId for a sent one) or a passkey ({passkey}: the assertion answering
  // /step-up/passkey/options).
  .openapi(route({ ...action, method: 'post', path: '/step-up', summary: 'Prove the current second factor (code or passkey) before a guarded action', request: withBody(stepUpBody), responses: noContent }), async (c) => {
    const factors = await portalFactorsOf(c.env.DB, c.var.portal, c.var.portalUser!.userId);
    await proveStepUp(c.env, factors, c.req.valid('json'), { sessionId: c.var.portalUser!.sessionId, nowMs: c.var.now, rp: relyingParty(c) });
    return c.body(null, 204);
  })
  .openapi(route({ ...action, method: 'post', path: '/step-up/passkey/options', summary: 'Options for a step-up with a passkey', request: withBody(body.none), responses: { 200: passkeyRequest } }), async (c) => {
    const factors = await portalFactorsOf(c.env.DB, c.var.portal, c.var.portalUser!.userId);
    return c.json({ options: await startStepUpPasskey(c.env, relyingParty(c), factors, { sessionId: c.var.portalUser!.sessionId, nowMs: c.var.now }) }, 200);
  })
  // SMS/EMAIL factors: "send me a code" to the factor named in STEP_UP_REQUIRED's details.
  .openapi(
    route({ ...action, method: 'post', path: '/step-up/code', summary: 'Send a step-up code to an SMS or email factor', request: withBody(body.stepUpCode), responses: { 200: json(answer.stepUpCode, 'Where the code went') } }),
    async (c) => {
      const factors = await portalFactorsOf(c.env.DB, c.var.portal, c.var.portalUser!.userId);
      return c.json(await sendStepUpCode(c.env, c.var.portalUser!.userId, factors, c.req.valid('json').factorId, { ip: clientIp(c), nowMs: c.var.now }), 200);
    },
  )
  // Register New Token / Reassign Token: enrol, then confirm with the first OTP.
  // SMS and EMAIL tokens name their destination (the phone number or email address the code goes to).
  .openapi(
    route({
      ...action,
      method: 'post',
      path: '/tokens/enrol',
      summary: 'Register New Token / Reassign Token: enrol a code token',
      request: withBody(body.tokenEnrol),
      responses: { 201: json(z.union([enrolmentAnswer.software, enrolmentAnswer.message]), 'A software token with its seed (shown once), or an SMS/EMAIL token and the code sent to it') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      requireAction(c, input.reassign ? 'reassignToken' : 'registerNewToken');
      if (input.type === 'SMS' || input.type === 'EMAIL') {
        if (!input.destination) throw fieldRefusal('destination', 'REQUIRED', input.type === 'SMS' ? 'Give the phone number the codes go to.' : 'Give the email address the codes go to.');
        return c.json(await beginMessageTokenEnrolment(c.env, c.var.portal, actor(c), { type: input.type, destination: input.destination, description: input.description }), 201);
      }
      return c.json(await beginTokenEnrolment(c.env, c.var.portal, actor(c), { type: input.type, description: input.description, issuer: c.var.portal.resourceName }), 201);
    },
  )
  // Register New Token / Reassign Token with a passkey: the creation options, then the credential, which joins the
  // resource at once (the ceremony proves the new passkey; no first OTP).
  .openapi(route({ ...action, method: 'post', path: '/tokens/passkey/options', summary: 'Options to register a passkey as the token', request: withBody(body.passkeyOptions), responses: { 200: passkeyCreation } }), async (c) => {
    requireAction(c, c.req.valid('json').reassign ? 'reassignToken' : 'registerNewToken');
    return c.json({ options: await beginPasskeyEnrolment(c.env, c.var.portal, actor(c), relyingParty(c)) }, 200);
  })
  .openapi(route({ ...action, method: 'post', path: '/tokens/passkey', summary: 'Register a passkey as the token', request: withBody(tokenPasskeyBody), responses: { 201: token } }), async (c) => {
    const input = c.req.valid('json');
    requireAction(c, input.reassign ? 'reassignToken' : 'registerNewToken');
    return c.json(await completePasskeyEnrolment(c.env, c.var.portal, actor(c), relyingParty(c), { credential: input.credential, name: input.name, replaceOld: input.reassign }), 201);
  })
  // Reassign Token to a passkey the user already has (made in /profile or at another portal): proven by a fresh
  // assertion, then it replaces the old token.
  .openapi(
    route({ ...action, method: 'post', path: '/tokens/passkey/existing/options', summary: 'Options to re-assign the token to a passkey the user has', middleware: enabled('reassignToken'), request: withBody(body.none), responses: { 200: passkeyRequest } }),
    async (c) => c.json({ options: await beginPasskeyReassign(c.env, c.var.portal, actor(c), relyingParty(c)) }, 200),
  )
  .openapi(
    route({
      ...action,
      method: 'post',
      path: '/tokens/passkey/existing',
      summary: 'Re-assign the token to a passkey the user has (its assertion)',
      middleware: enabled('reassignToken'),
      request: withBody(z.strictObject({ credential: authenticationCredential })),
      responses: { 200: token },
    }),
    async (c) => c.json(await completePasskeyReassign(c.env, c.var.portal, actor(c), relyingParty(c), c.req.valid('json').credential), 200),
  )
  .openapi(
    route({ ...action, method: 'post', path: '/tokens/enrol/resend', summary: 'SMS/EMAIL enrolment: send a new code', request: withBody(body.tokenResend), responses: { 200: json(enrolmentAnswer.codeSent, 'The new code was sent') } }),
    async (c) => {
      const input = c.req.valid('json');
      requireAction(c, input.reassign ? 'reassignToken' : 'registerNewToken');
      return c.json(await resendEnrolmentCode(c.env, c.var.portal, actor(c), input.tokenId), 200);
    },
  )
  .openapi(route({ ...action, method: 'post', path: '/tokens/confirm', summary: 'Confirm an enrolment with the first code', request: withBody(body.tokenConfirm), responses: { 200: token } }), async (c) => {
    const input = c.req.valid('json');
    requireAction(c, input.reassign ? 'reassignToken' : 'registerNewToken');
    return c.json(await confirmTokenEnrolment(c.env, c.var.portal, actor(c), { tokenId: input.tokenId, otp: input.otp, challengeId: input.challengeId, replaceOld: input.reassign }), 200);
  })
  .openapi(
    route({ ...action, method: 'post', path: '/tokens/claim', summary: 'Register Existing Token: claim a token by serial and code', middleware: enabled('registerExistingToken'), request: withBody(body.tokenClaim), responses: { 200: token } }),
    async (c) => c.json(await claimExistingToken(c.env, c.var.portal, actor(c), c.req.valid('json')), 200),
  )
  .openapi(route({ ...action, method: 'post', path: '/tokens/unassign', summary: 'Unassign the token from this resource', middleware: enabled('unassignToken'), responses: noContent }), async (c) => {
    await unassignOwnToken(c.env, c.var.portal, actor(c));
    return c.body(null, 204);
  })
  .openapi(
    route({ ...action, method: 'post', path: '/tokens/sync', summary: 'Synchronize the token with two consecutive codes', middleware: enabled('synchronizeToken'), request: withBody(body.tokenSync), responses: noContent }),
    async (c) => {
      await synchronizeOwnToken(c.env, c.var.portal, actor(c), c.req.valid('json'));
      return c.body(null, 204);
    },
  )
  .openapi(route({ ...action, method: 'put', path: '/tokens/pin', summary: "Set the token's PIN", middleware: enabled('setupPin'), request: withBody(body.pin), responses: noContent }), async (c) => {
    await setOwnPin(c.env, c.var.portal, actor(c), c.req.valid('json'));
    return c.body(null, 204);
  })
  .openapi(route({ ...action, method: 'delete', path: '/tokens/pin', summary: "Remove the token's PIN", middleware: enabled('removePin'), responses: noContent }), async (c) => {
    await setOwnPin(c.env, c.var.portal, actor(c), { pin: null });
    return c.body(null, 204);
  })
  .openapi(route({ ...action, method: 'post', path: '/password', summary: 'Create a password (the account has none)', middleware: enabled('createPassword'), request: withBody(body.newPassword), responses: noContent }), async (c) => {
    await createOwnPassword(c.env, c.var.portal, actor(c), c.req.valid('json').password);
    return c.body(null, 204);
  })
  .openapi(route({ ...action, method: 'put', path: '/password', summary: 'Change the password', middleware: enabled('changePassword'), request: withBody(body.changePassword), responses: noContent }), async (c) => {
    await changeOwnPassword(c.env, c.var.portal, actor(c), c.req.valid('json'));
    return c.body(null, 204);
  })
  .openapi(route({ ...action, method: 'post', path: '/email', summary: 'Change the email address: send a code to the new one', middleware: enabled('changeEmail'), request: withBody(body.email), responses: { 200: challengeIssued } }), async (c) => {
    const issued = await requestEmailChange(c.env, c.var.portal, actor(c), c.req.valid('json').email);
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs }, 200);
  })
  .openapi(
    route({ ...action, method: 'post', path: '/email/confirm', summary: 'Confirm the new email address with its code', middleware: enabled('changeEmail'), request: withBody(body.sentCode), responses: { 200: json(answer.email, 'The new address') } }),
    async (c) => c.json(await confirmEmailChange(c.env, actor(c), c.req.valid('json')), 200),
  )
  .openapi(route({ ...action, method: 'post', path: '/phone', summary: 'Change the mobile number: send a code to the new one', middleware: enabled('changePhone'), request: withBody(body.phone), responses: { 200: challengeIssued } }), async (c) => {
    const issued = await requestPhoneChange(c.env, c.var.portal, actor(c), c.req.valid('json').phone);
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs }, 200);
  })
  .openapi(
    route({ ...action, method: 'post', path: '/phone/confirm', summary: 'Confirm the new mobile number with its code', middleware: enabled('changePhone'), request: withBody(body.sentCode), responses: { 200: json(answer.phone, 'The new number') } }),
    async (c) => c.json(await confirmPhoneChange(c.env, actor(c), c.req.valid('json')), 200),
  )
  .openapi(route({ ...action, method: 'put', path: '/login', summary: 'Change the login', middleware: enabled('changeLogin'), request: withBody(body.login), responses: noContent }), async (c) => {
    await changeOwnLogin(c.env, c.var.portal, actor(c), c.req.valid('json').login);
    return c.body(null, 204);
  })
  .openapi(route({ ...action, method: 'put', path: '/name', summary: 'Change first and last name', middleware: enabled('changeName'), request: withBody(body.name), responses: noContent }), async (c) => {
    await changeOwnName(c.env, actor(c), c.req.valid('json'));
    return c.body(null, 204);
  })
  // A new set of recovery codes, shown once; it voids the old set. A set is a second factor: the fresh proof first.
  .openapi(
    route({
      ...action,
      method: 'post',
      path: '/recovery-codes',
      summary: 'A new set of recovery codes (shown this once; the previous set is void)',
      middleware: enabled('GenerateRecoveryCodes'),
      request: withBody(body.none),
      responses: { 201: json(answer.recoveryCodes, 'The codes') },
    }),
    async (c) => {
      const who = actor(c);
      await requireProof(c.env, c.var.portal, who);
      const generated = await generateRecoveryCodes(c.env, who.userId, { channel: 'portal', ip: who.ip, client: who.client, nowMs: who.nowMs });
      return c.json({ codes: generated.codes, createdAt: generated.createdAt }, 201);
    },
  )
  .openapi(
    route({ ...action, method: 'get', path: '/environments', summary: 'The environments the user signed in from', middleware: enabled('manageEnvironment'), responses: { 200: json(answer.environments, 'Most recent first') } }),
    async (c) => c.json({ items: await listOwnEnvironments(c.env, c.var.portalUser!.userId) }, 200),
  )
  .openapi(
    route({
      ...action,
      method: 'put',
      path: '/environments/{id}',
      summary: 'Name an environment (null or empty: no name)',
      middleware: enabled('manageEnvironment'),
      request: { params: environmentParams, body: jsonBody(body.environmentName) },
      responses: noContent,
    }),
    async (c) => {
      await nameOwnEnvironment(c.env, c.var.portalUser!.userId, c.req.valid('param').id, c.req.valid('json').name || null);
      return c.body(null, 204);
    },
  )
  .openapi(
    route({ ...action, method: 'delete', path: '/environments/{id}', summary: 'Forget an environment', middleware: enabled('manageEnvironment'), request: { params: environmentParams }, responses: noContent }),
    async (c) => {
      await forgetOwnEnvironment(c.env, c.var.portalUser!.userId, c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

export const portalRoutes = apiRouter<PortalEnv>().use('/:alias/*', withPortal).route('/:alias', publicRoutes).route('/:alias', sessionRoutes);
