/** /api/profile: the signed-in user's own profile and its two-factor section. */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { authenticate, currentUserId, requirePlatformSession } from '../auth/middleware';
import { loginFactorsOf, proveStepUp, sendStepUpCode, startStepUpPasskey } from '../auth/step-up';
import type { AppBindings } from '../env';
import { clientAgent, clientIp } from '../lib/http';
import { fields, parse, parseJsonBody } from '../lib/validate';
import { relyingPartyOf } from '../passkeys/relying-party';
import { authenticationCredential, passkeyName, registrationCredential } from '../passkeys/schema';
import { addProfilePasskey, removeProfilePasskey, renameProfilePasskey, startProfilePasskeyRegistration } from './service';
import { generateOwnRecoveryCodes } from './service';
import { activateTwoFactor, confirmPhone, deactivateTwoFactor, profileWithTwoFactor, requestDeactivationCode, requestPhoneVerification } from './service';

const passkeyParam = z.object({ id: fields.id });
const codeBody = z.strictObject({ challengeId: z.string().min(1).max(200), code: z.string().trim().min(1).max(16) });

type ProfileContext = Context<AppBindings>;
const sessionIdOf = (c: ProfileContext) => (c.var.auth?.kind === 'session' ? c.var.auth.sessionId : '');
const meta = (c: ProfileContext) => ({ ip: clientIp(c), nowMs: c.var.now, sessionId: sessionIdOf(c) });

export const profileRoutes = new Hono<AppBindings>()
  .use('*', authenticate, requirePlatformSession)
  .get('/', async (c) => c.json(await profileWithTwoFactor(c.env, currentUserId(c)!)))
  // Proof before change: confirm the current second factor (as /login asks it), then the guarded changes pass.
  .post('/step-up', async (c) => {
    const body = await parseJsonBody(
      c,
      z.union([
        z.strictObject({ otp: z.string().trim().min(1).max(64), challengeId: z.string().min(16).max(200).optional(), factorId: z.string().min(1).max(64).optional() }),
        z.strictObject({ passkey: authenticationCredential }),
      ]),
    );
    const session = { sessionId: sessionIdOf(c), nowMs: c.var.now, rp: relyingPartyOf(c.env, c.req.url) };
    await proveStepUp(c.env, await loginFactorsOf(c.env.DB, currentUserId(c)!), body, session);
    return c.body(null, 204);
  })
  // Step-up with a passkey: options for one of the user's passkeys, bound to this session; then POST /step-up {passkey}.
  .post('/step-up/passkey/options', async (c) => {
    await parseJsonBody(c, z.strictObject({}));
    const factors = await loginFactorsOf(c.env.DB, currentUserId(c)!);
    return c.json({ options: await startStepUpPasskey(c.env, relyingPartyOf(c.env, c.req.url), factors, { sessionId: sessionIdOf(c), nowMs: c.var.now }) });
  })
  .post('/passkeys/options', async (c) => {
    await parseJsonBody(c, z.strictObject({}));
    return c.json({ options: await startProfilePasskeyRegistration(c.env, relyingPartyOf(c.env, c.req.url), currentUserId(c)!, meta(c)) });
  })
  .post('/passkeys', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ credential: registrationCredential, name: passkeyName }));
    return c.json(await addProfilePasskey(c.env, relyingPartyOf(c.env, c.req.url), currentUserId(c)!, body, { ...meta(c), client: clientAgent(c) }), 201);
  })
  .patch('/passkeys/:id', async (c) => {
    const { id } = parse(passkeyParam, c.req.param());
    const { name } = await parseJsonBody(c, z.strictObject({ name: passkeyName }));
    return c.json(await renameProfilePasskey(c.env, currentUserId(c)!, id, name));
  })
  .delete('/passkeys/:id', async (c) => {
    const { id } = parse(passkeyParam, c.req.param());
    await removeProfilePasskey(c.env, currentUserId(c)!, id, { ...meta(c), client: clientAgent(c) });
    return c.body(null, 204);
  })
  .post('/step-up/code', async (c) => {
    const { factorId } = await parseJsonBody(c, z.strictObject({ factorId: z.string().min(1).max(64) }));
    const userId = currentUserId(c)!;
    return c.json(await sendStepUpCode(c.env, userId, await loginFactorsOf(c.env.DB, userId), factorId, meta(c)));
  })
  .post('/recovery-codes', async (c) => {
    await parseJsonBody(c, z.strictObject({}));
    const generated = await generateOwnRecoveryCodes(c.env, currentUserId(c)!, { ...meta(c), client: clientAgent(c) });
    return c.json({ codes: generated.codes, createdAt: generated.createdAt }, 201);
  })
  .post('/two-factor/phone', async (c) => {
    const { phone } = await parseJsonBody(c, z.strictObject({ phone: z.string().trim().min(3).max(32) }));
    const issued = await requestPhoneVerification(c.env, currentUserId(c)!, phone, meta(c));
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs });
  })
  .post('/two-factor/phone/confirm', async (c) =>
    c.json(await confirmPhone(c.env, currentUserId(c)!, await parseJsonBody(c, codeBody), meta(c))),
  )
  .post('/two-factor/activate', async (c) => c.json(await activateTwoFactor(c.env, currentUserId(c)!, meta(c))))
  .post('/two-factor/deactivate/code', async (c) => {
    const issued = await requestDeactivationCode(c.env, currentUserId(c)!, meta(c));
    return c.json({ challengeId: issued.challengeId, expiresAt: issued.expiresAtMs });
  })
  .post('/two-factor/deactivate', async (c) =>
    c.json(await deactivateTwoFactor(c.env, currentUserId(c)!, await parseJsonBody(c, codeBody), meta(c))),
  );
