/**
 * The self-service portal's API: /api/portal/:alias/... (the page itself is the UI at /selfservice/:alias).
 * Sign-in and restore-access need no session; every action needs a portal session for THIS portal, its CSRF
 * token, and the action being enabled by the administrator.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { checkSameOrigin } from '../auth/middleware';
import { clearSessionCookie, csrfTokenFor, deleteSession, writeSessionCookie } from '../auth/sessions';
import { proveStepUp, sendStepUpCode, startStepUpPasskey } from '../auth/step-up';
import { recordActivity } from '../activities/record';
import type { AppBindings } from '../env';
import { answerWithoutWaitingForDeferredWork, clientAgent, clientIp } from '../lib/http';
import { fields, parse, parseJsonBody } from '../lib/validate';
import { passwordField } from '../users/schema';
import { relyingPartyOf } from '../passkeys/relying-party';
import { CODE_ENROLMENT_TOKEN_TYPES } from './actions';
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
import { generateRecoveryCodes } from '../tokens/recovery-codes';
import { requireProof } from './actions-service';
import { environmentOf } from './environment';
import { portalFactorsOf } from './step-up';
import { notifyAdminsOfNewIssue, type FiledIssue } from './issue-notifications';
import { requireAction, requirePortalSession, withPortal, type PortalVariables } from './portal';
import { AUTHENTICATORS, proveRecovery, startRecovery, submitRecovery } from './recovery-service';
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

const otp = z.string().trim().min(1).max(64);
const flow = z.string().min(1).max(200);
const code = z.string().trim().min(1).max(16);
const pin = z.string().regex(/^\d{4}$/, 'must be 4 digits');

/**
 * The browser's WebAuthn answers as @simplewebauthn/browser sends them (RegistrationResponseJSON /
 * AuthenticationResponseJSON): only their shape and size here; the ceremony checks every byte.
 */
const base64Url = (maxLength: number) => z.string().min(1).max(maxLength).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
const credentialEnvelope = {
  id: base64Url(1400),
  rawId: base64Url(1400),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};
const registrationCredential = z.object({
  ...credentialEnvelope,
  response: z.object({
    clientDataJSON: base64Url(4096),
    attestationObject: base64Url(32_768),
    transports: z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8).optional(),
  }),
});
const authenticationCredential = z.object({
  ...credentialEnvelope,
  response: z.object({
    clientDataJSON: base64Url(4096),
    authenticatorData: base64Url(4096),
    signature: base64Url(1024),
    userHandle: base64Url(128).optional(),
  }),
});
const passkeyName = z.string().trim().min(1).max(100);

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
    return c.json({ state, flow, step, emailCodeOption, ...(delivery ? { delivery } : {}), ...(passkey ? { passkey } : {}) });
  }
  writeSessionCookie(c, result.sessionToken, 'portal');
  return c.json({ state: 'signed_in', csrfToken: await csrfTokenFor(c.env.SESSION_KEY, result.sessionId) });
}

const publicRoutes = new Hono<PortalEnv>()
  .get('/', (c) => c.json({ resource: c.var.portal.resourceName, alias: c.var.portal.alias }))
  .post('/signin', async (c) => {
    checkSameOrigin(c);
    const { login } = await parseJsonBody(c, z.strictObject({ login: z.string().trim().min(1).max(128) }));
    return respond(c, await startPortalSignIn(c.env, c.var.portal, login, meta(c)));
  })
  .post('/signin/password', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow, password: z.string().min(1).max(1024) }));
    return respond(c, await submitPortalPassword(c.env, c.var.portal, body.flow, body.password, meta(c), defer(c)));
  })
  // "No password? Get a sign-in code by email" and "send a new code": the same answer for every login.
  .post('/signin/email-code/request', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow }));
    return respond(c, await requestPortalEmailCode(c.env, c.var.portal, body.flow, meta(c), defer(c)));
  })
  .post('/signin/email-code', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow, code }));
    return respond(c, await submitPortalEmailCode(c.env, c.var.portal, body.flow, body.code, meta(c), defer(c)));
  })
  .post('/signin/otp', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow, otp }));
    return respond(c, await submitPortalOtp(c.env, c.var.portal, body.flow, body.otp, meta(c)));
  })
  // A passkey in place of the OTP (when the OTP step's answer said `passkey: true`): options, then the assertion.
  .post('/signin/passkey/options', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow }));
    return c.json({ options: await startPortalPasskey(c.env, c.var.portal, relyingParty(c), body.flow, meta(c)) });
  })
  .post('/signin/passkey', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow, credential: authenticationCredential }));
    return respond(c, await submitPortalPasskey(c.env, c.var.portal, relyingParty(c), body, meta(c)));
  })
  // SMS/EMAIL token at the OTP step: "send a new code".
  .post('/signin/otp/send', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ flow }));
    return respond(c, await requestPortalTokenCode(c.env, c.var.portal, body.flow, meta(c)));
  })
  .post('/recovery', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(c, z.strictObject({ login: z.string().trim().min(1).max(128), lost: z.array(z.enum(AUTHENTICATORS)).min(1).max(3) }));
    return c.json(await startRecovery(c.env, c.var.portal, body, { ip: clientIp(c), nowMs: c.var.now }, defer(c)));
  })
  // One proof (password, email code or OTP) checked before the request is filed: a mistyped one can be typed again.
  .post('/recovery/proof', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(
      c,
      z.union([z.strictObject({ flow, password: z.string().min(1).max(1024) }), z.strictObject({ flow, emailCode: code }), z.strictObject({ flow, otp })]),
    );
    const { flow: handle, ...proof } = body;
    return c.json(await proveRecovery(c.env, c.var.portal, handle, proof, { ip: clientIp(c), nowMs: c.var.now }));
  })
  .post('/recovery/submit', async (c) => {
    checkSameOrigin(c);
    const body = await parseJsonBody(
      c,
      z.strictObject({
        flow,
        password: z.string().max(1024).optional(),
        emailCode: code.optional(),
        otp: otp.optional(),
        newPassword: passwordField.optional(),
        newEmail: fields.email.optional(),
      }),
    );
    const { flow: handle, ...evidence } = body;
    // The admin notification runs after the response, so a real login answers as fast as an unknown one.
    const later = defer(c);
    const notify = (filed: FiledIssue) => later(notifyAdminsOfNewIssue(c.env, filed, c.req.url, c.var.now));
    return c.json(await submitRecovery(c.env, c.var.portal, handle, evidence, { ip: clientIp(c), nowMs: c.var.now }, notify));
  });

const sessionRoutes = new Hono<PortalEnv>()
  .use('*', requirePortalSession)
  .get('/me', async (c) => c.json({ ...(await portalOverview(c.env, c.var.portal, actor(c))), csrfToken: await csrfTokenFor(c.env.SESSION_KEY, c.var.portalUser!.sessionId) }))
  .post('/signout', async (c) => {
    await deleteSession(c.env.DB, c.var.portalUser!.sessionId);
    await recordActivity(c.env.DB, { type: 'UserLogoff', userId: c.var.portalUser!.userId, channel: 'portal', ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now });
    clearSessionCookie(c, 'portal');
    return c.body(null, 204);
  })
  // Proof before change: confirm the current second factor, then the guarded actions pass for STEP_UP_VALID_MS.
  // A typed code ({otp}, with challengeId/factorId for a sent one) or a passkey ({passkey}: the assertion answering
  // /step-up/passkey/options).
  .post('/step-up', async (c) => {
    const body = await parseJsonBody(
      c,
      z.union([
        z.strictObject({ otp, challengeId: z.string().min(16).max(200).optional(), factorId: z.string().min(1).max(64).optional() }),
        z.strictObject({ passkey: authenticationCredential }),
      ]),
    );
    const factors = await portalFactorsOf(c.env.DB, c.var.portal, c.var.portalUser!.userId);
    await proveStepUp(c.env, factors, body, { sessionId: c.var.portalUser!.sessionId, nowMs: c.var.now, rp: relyingParty(c) });
    return c.body(null, 204);
  })
  .post('/step-up/passkey/options', async (c) => {
    await parseJsonBody(c, z.strictObject({}));
    const factors = await portalFactorsOf(c.env.DB, c.var.portal, c.var.portalUser!.userId);
    return c.json({ options: await startStepUpPasskey(c.env, relyingParty(c), factors, { sessionId: c.var.portalUser!.sessionId, nowMs: c.var.now }) });
  })
  // SMS/EMAIL factors: "send me a code" to the factor named in STEP_UP_REQUIRED's details.
  .post('/step-up/code', async (c) => {
    const { factorId } = await parseJsonBody(c, z.strictObject({ factorId: z.string().min(1).max(64) }));
    const factors = await portalFactorsOf(c.env.DB, c.var.portal, c.var.portalUser!.userId);
    return c.json(await sendStepUpCode(c.env, c.var.portalUser!.userId, factors, factorId, { ip: clientIp(c), nowMs: c.var.now }));
  })
  // Register New Token / Re-Assign Token: enrol, then confirm with the first OTP.
  // SMS and EMAIL tokens name their destination (the phone number or email address the code goes to).
  .post('/tokens/enrol', async (c) => {
    const body = await parseJsonBody(
      c,
      z.strictObject({
        type: z.enum(CODE_ENROLMENT_TOKEN_TYPES),
        description: z.string().trim().max(100).default(''),
        destination: z.string().trim().min(3).max(254).optional(),
        reassign: z.boolean().default(false),
      }),
    );
    requireAction(c, body.reassign ? 'reassignToken' : 'registerNewToken');
    if (body.type === 'SMS' || body.type === 'EMAIL') {
      if (!body.destination) {
        return c.json({ error: { code: 'VALIDATION_FAILED', message: body.type === 'SMS' ? 'Give the phone number the codes go to.' : 'Give the email address the codes go to.' } }, 400);
      }
      const enrolment = await beginMessageTokenEnrolment(c.env, c.var.portal, actor(c), { type: body.type, destination: body.destination, description: body.description });
      return c.json(enrolment, 201);
    }
    return c.json(await beginTokenEnrolment(c.env, c.var.portal, actor(c), { type: body.type, description: body.description, issuer: c.var.portal.resourceName }), 201);
  })
  // Register New Token / Re-Assign Token with a passkey: the creation options, then the credential, which joins the
  // resource at once (the ceremony proves the new passkey; no first OTP).
  .post('/tokens/passkey/options', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ reassign: z.boolean().default(false) }));
    requireAction(c, body.reassign ? 'reassignToken' : 'registerNewToken');
    return c.json({ options: await beginPasskeyEnrolment(c.env, c.var.portal, actor(c), relyingParty(c)) });
  })
  .post('/tokens/passkey', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ credential: registrationCredential, name: passkeyName, reassign: z.boolean().default(false) }));
    requireAction(c, body.reassign ? 'reassignToken' : 'registerNewToken');
    const token = await completePasskeyEnrolment(c.env, c.var.portal, actor(c), relyingParty(c), { credential: body.credential, name: body.name, replaceOld: body.reassign });
    return c.json(token, 201);
  })
  // Re-Assign Token to a passkey the user already has (made in /profile or at another portal): proven by a fresh
  // assertion, then it replaces the old token.
  .post('/tokens/passkey/existing/options', async (c) => {
    requireAction(c, 'reassignToken');
    await parseJsonBody(c, z.strictObject({}));
    return c.json({ options: await beginPasskeyReassign(c.env, c.var.portal, actor(c), relyingParty(c)) });
  })
  .post('/tokens/passkey/existing', async (c) => {
    requireAction(c, 'reassignToken');
    const body = await parseJsonBody(c, z.strictObject({ credential: authenticationCredential }));
    return c.json(await completePasskeyReassign(c.env, c.var.portal, actor(c), relyingParty(c), body.credential));
  })
  .post('/tokens/enrol/resend', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ tokenId: fields.id, reassign: z.boolean().default(false) }));
    requireAction(c, body.reassign ? 'reassignToken' : 'registerNewToken');
    return c.json(await resendEnrolmentCode(c.env, c.var.portal, actor(c), body.tokenId));
  })
  .post('/tokens/confirm', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ tokenId: fields.id, otp, challengeId: z.string().min(16).max(200).optional(), reassign: z.boolean().default(false) }));
    requireAction(c, body.reassign ? 'reassignToken' : 'registerNewToken');
    return c.json(
      await confirmTokenEnrolment(c.env, c.var.portal, actor(c), { tokenId: body.tokenId, otp: body.otp, challengeId: body.challengeId, replaceOld: body.reassign }),
    );
  })
  .post('/tokens/claim', async (c) => {
    requireAction(c, 'registerExistingToken');
    const body = await parseJsonBody(c, z.strictObject({ serial: z.string().trim().min(1).max(64), otp }));
    return c.json(await claimExistingToken(c.env, c.var.portal, actor(c), body));
  })
  .post('/tokens/unassign', async (c) => {
    requireAction(c, 'unassignToken');
    await unassignOwnToken(c.env, c.var.portal, actor(c));
    return c.body(null, 204);
  })
  .post('/tokens/sync', async (c) => {
    requireAction(c, 'synchronizeToken');
    await synchronizeOwnToken(c.env, c.var.portal, actor(c), await parseJsonBody(c, z.strictObject({ otp1: otp, otp2: otp })));
    return c.body(null, 204);
  })
  .put('/tokens/pin', async (c) => {
    requireAction(c, 'setupPin');
    const body = await parseJsonBody(c, z.strictObject({ pin, pinPosition: z.enum(['before', 'after']) }));
    await setOwnPin(c.env, c.var.portal, actor(c), body);
    return c.body(null, 204);
  })
  .delete('/tokens/pin', async (c) => {
    requireAction(c, 'removePin');
    await setOwnPin(c.env, c.var.portal, actor(c), { pin: null });
    return c.body(null, 204);
  })
  .post('/password', async (c) => {
    requireAction(c, 'createPassword');
    await createOwnPassword(c.env, c.var.portal, actor(c), (await parseJsonBody(c, z.strictObject({ password: passwordField }))).password);
    return c.body(null, 204);
  })
  .put('/password', async (c) => {
    requireAction(c, 'changePassword');
    await changeOwnPassword(c.env, c.var.portal, actor(c), await parseJsonBody(c, z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: passwordField })));
    return c.body(null, 204);
  })
  .post('/email', async (c) => {
    requireAction(c, 'changeEmail');
    const { email } = await parseJsonBody(c, z.strictObject({ email: fields.email }));
    const issued = await requestEmailChange(c.env, c.var.portal, actor(c), email);
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs });
  })
  .post('/email/confirm', async (c) => {
    requireAction(c, 'changeEmail');
    return c.json(await confirmEmailChange(c.env, actor(c), await parseJsonBody(c, z.strictObject({ challengeId: z.string().min(1).max(200), code }))));
  })
  .post('/phone', async (c) => {
    requireAction(c, 'changePhone');
    const { phone } = await parseJsonBody(c, z.strictObject({ phone: z.string().trim().min(3).max(32) }));
    const issued = await requestPhoneChange(c.env, c.var.portal, actor(c), phone);
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs });
  })
  .post('/phone/confirm', async (c) => {
    requireAction(c, 'changePhone');
    return c.json(await confirmPhoneChange(c.env, actor(c), await parseJsonBody(c, z.strictObject({ challengeId: z.string().min(1).max(200), code }))));
  })
  .put('/login', async (c) => {
    requireAction(c, 'changeLogin');
    await changeOwnLogin(c.env, c.var.portal, actor(c), (await parseJsonBody(c, z.strictObject({ login: fields.login }))).login);
    return c.body(null, 204);
  })
  .put('/name', async (c) => {
    requireAction(c, 'changeName');
    const body = await parseJsonBody(c, z.strictObject({ firstName: z.string().trim().min(1).max(100), lastName: z.string().trim().min(1).max(100) }));
    await changeOwnName(c.env, actor(c), body);
    return c.body(null, 204);
  })
  // A new set of recovery codes, shown once; it voids the old set. A set is a second factor: the fresh proof first.
  .post('/recovery-codes', async (c) => {
    requireAction(c, 'GenerateRecoveryCodes');
    await parseJsonBody(c, z.strictObject({}));
    const who = actor(c);
    await requireProof(c.env, c.var.portal, who);
    const generated = await generateRecoveryCodes(c.env, who.userId, { channel: 'portal', ip: who.ip, client: who.client, nowMs: who.nowMs });
    return c.json({ codes: generated.codes, createdAt: generated.createdAt }, 201);
  })
  .get('/environments', async (c) => {
    requireAction(c, 'manageEnvironment');
    return c.json({ items: await listOwnEnvironments(c.env, c.var.portalUser!.userId) });
  })
  .put('/environments/:id', async (c) => {
    requireAction(c, 'manageEnvironment');
    const { id } = parse(z.object({ id: fields.id }), c.req.param());
    const { name } = await parseJsonBody(c, z.strictObject({ name: z.string().trim().max(60).nullable() }));
    await nameOwnEnvironment(c.env, c.var.portalUser!.userId, id, name || null);
    return c.body(null, 204);
  })
  .delete('/environments/:id', async (c) => {
    requireAction(c, 'manageEnvironment');
    const { id } = parse(z.object({ id: fields.id }), c.req.param());
    await forgetOwnEnvironment(c.env, c.var.portalUser!.userId, id);
    return c.body(null, 204);
  });

export const portalRoutes = new Hono<PortalEnv>().use('/:alias/*', withPortal).route('/:alias', publicRoutes).route('/:alias', sessionRoutes);
