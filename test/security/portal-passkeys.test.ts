/**
 * Passkeys at the self-service portal (issue 11 §1): Register New Token and Reassign Token with a passkey, the
 * passkey in place of the OTP at the portal's sign-in, and the step-up by passkey. Whole ceremonies run through the
 * routes against a software authenticator (test/helpers/software-authenticator.ts) whose answers the real WebAuthn
 * verifier checks; RP ID and origin are the tests' PUBLIC_ORIGIN (https://id.example.test).
 *
 * Each test opens with the attack it shows failing.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CODE_MAX_ATTEMPTS, SESSION_COOKIE, STEP_UP_VALID_MS } from '../../worker/constants';
import { csrfTokenFor, mintSessionToken, sessionStatement } from '../../worker/auth/sessions';
import { runPasskeyRegistrationBatch, startPasskeyRegistration, verifyPasskeyRegistration } from '../../worker/passkeys/ceremonies';
import { sha256Hex } from '../../worker/lib/crypto';
import { relyingPartyOf } from '../../worker/passkeys/relying-party';
import { portalClient, portalWith, type AdminClient } from '../helpers/portal';
import { softwareAuthenticator, type SoftwareAuthenticator } from '../helpers/software-authenticator';
import { call, insertUser, json, ORIGIN, randomSeedBase32, totpAt, unique } from '../helpers/worker';

const T0 = Date.UTC(2026, 7, 3, 9, 0, 10); // 10 s into a 30 s step
const STEP_MS = 30_000;
const PASSWORD = 'portal password 1';
const RP = relyingPartyOf(env, ORIGIN);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

const nextStep = () => vi.setSystemTime(Date.now() + STEP_MS);

let ipCounter = 0;
const browserFor = (alias: string) => portalClient(alias, { ip: `198.51.100.${++ipCounter % 250}` });
type Browser = ReturnType<typeof portalClient>;

const PASSKEY_PORTAL_ACTIONS = ['registerNewToken', 'reassignToken', 'setupPin', 'synchronizeToken', 'changeName'];

/** A portal that lets users register TOTP and passkeys, and a user with a password assigned to it. */
async function passkeyPortal(options: { tokenTypes?: string[] } = {}) {
  const portal = await portalWith(PASSKEY_PORTAL_ACTIONS, options.tokenTypes ?? ['TOTP', 'PASSKEY']);
  return portal;
}

async function userOf(admin: AdminClient, resourceId: string, assignment: { totp?: 'with_user' | 'owned' } = {}) {
  const user = await insertUser({ password: PASSWORD });
  let seed: string | null = null;
  let totpId: string | null = null;
  if (assignment.totp) {
    seed = randomSeedBase32();
    totpId = (await admin.post<{ id: string }>('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId: user.id })).id;
  }
  await admin.put(`/resources/${resourceId}/assignments`, assignment.totp === 'with_user' ? { userId: user.id, tokenId: totpId } : { userId: user.id });
  return { ...user, seed, totpId };
}

/** A passkey the user made elsewhere (in /profile): the core's ceremony with the same RP, outside the portal. */
async function passkeyMadeElsewhere(userId: string, authenticator: SoftwareAuthenticator): Promise<string> {
  const boundTo = `profile-test:${crypto.randomUUID()}`;
  const options = await startPasskeyRegistration(env, RP, { userId, userName: userId, displayName: userId, boundTo, nowMs: Date.now() });
  const { tokenId, statements } = await verifyPasskeyRegistration(env, RP, { userId, boundTo, credential: await authenticator.register(options), name: 'Phone', nowMs: Date.now() });
  await runPasskeyRegistrationBatch(env.DB, statements);
  return tokenId;
}

/** Password, then the OTP step (which must be asked for): its answer, and the calls that answer it. */
async function otpStep(alias: string, login: string) {
  const browser = browserFor(alias);
  const start = await browser.send('POST', '/signin', { login });
  const flow = start.body.flow as string;
  const answer = await browser.send('POST', '/signin/password', { flow, password: PASSWORD });
  expect(answer.body).toMatchObject({ state: 'continue', step: 'otp' });
  return {
    browser,
    flow,
    answer,
    otp: (otp: string) => browser.send('POST', '/signin/otp', { flow, otp }),
    passkeyOptions: () => browser.send('POST', '/signin/passkey/options', { flow }),
    passkey: (credential: unknown) => browser.send('POST', '/signin/passkey', { flow, credential }),
  };
}

async function signInWithTotp(alias: string, login: string, seed: string): Promise<Browser> {
  const step = await otpStep(alias, login);
  expect((await step.otp(await totpAt(seed, Date.now()))).body.state).toBe('signed_in');
  nextStep();
  return step.browser;
}

async function signInWithPasskey(alias: string, login: string, authenticator: SoftwareAuthenticator): Promise<Browser> {
  const step = await otpStep(alias, login);
  expect(step.answer.body.passkey).toBe(true);
  const options = await step.passkeyOptions();
  expect(options.status).toBe(200);
  expect((await step.passkey(await authenticator.authenticate(options.body.options))).body.state).toBe('signed_in');
  return step.browser;
}

/** Register New Token (or Reassign) with a passkey: options, the ceremony, the credential. */
async function registerPasskey(browser: Browser, authenticator: SoftwareAuthenticator, input: { name?: string; reassign?: boolean } = {}) {
  const flag = input.reassign ? { reassign: true } : {};
  const options = await browser.send('POST', '/tokens/passkey/options', flag);
  if (options.status !== 200) return options;
  return browser.send('POST', '/tokens/passkey', { credential: await authenticator.register(options.body.options), name: input.name ?? 'Laptop', ...flag });
}

/** A portal session written into D1 as one signed in with the password alone (method "password"). */
async function passwordOnlySession(alias: string, userId: string, resourceId: string) {
  const { token, sessionId } = await mintSessionToken();
  await sessionStatement(env.DB, sessionId, { userId, kind: 'portal', resourceId, method: 'password', nowMs: Date.now() }).run();
  const cookie = `${SESSION_COOKIE.replace('session', 'portal')}=${token}`;
  const csrf = await csrfTokenFor(env.SESSION_KEY, sessionId);
  return async (method: string, path: string, body?: unknown) => {
    const response = await call(`/api/portal/${alias}${path}`, { method, headers: { origin: ORIGIN, cookie, 'x-csrf-token': csrf }, ...(body !== undefined ? { json: body } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

const assignmentOf = (resourceId: string, userId: string) =>
  env.DB.prepare('SELECT kind, token_id FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resourceId, userId).first<{ kind: string; token_id: string | null }>();
const tokensOf = async (userId: string) =>
  (await env.DB.prepare('SELECT id, type, enabled, secret_encrypted, description FROM tokens WHERE owner_user_id = ? ORDER BY created_at').bind(userId).all<any>()).results;
const webauthnChallengesOf = async (boundTo: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM challenges WHERE purpose LIKE 'webauthn-%' AND target = ?`).bind(boundTo).first<{ n: number }>())!.n;
const activitiesOf = async (userId: string, type: string) =>
  (await env.DB.prepare('SELECT detail FROM user_activities WHERE user_id = ? AND type = ? ORDER BY at').bind(userId, type).all<{ detail: string }>()).results.map((row) => JSON.parse(row.detail));

describe('Register New Token with a passkey, then the portal sign-in with it', () => {
  it('the passkey becomes the resource\'s token with the user in one batch, and the next sign-in asks for it', async () => {
    // Walk (cross-feature): Bob signs in with his TOTP, registers a passkey here, signs out; a phishing page that
    // relays his password and a TOTP code gets no further: the resource now asks for the passkey, which answers only
    // this origin. His passkey signs him in, and the session counts as having proven the factor.
    const { admin, resource, alias } = await passkeyPortal();
    const bob = await userOf(admin, resource.id, { totp: 'with_user' });
    const authenticator = softwareAuthenticator();
    const browser = await signInWithTotp(alias, bob.login, bob.seed!);

    const registered = await registerPasskey(browser, authenticator, { name: 'Work laptop' });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ type: 'PASSKEY', description: 'Work laptop', enabled: true, activated: true });
    const passkey = (await tokensOf(bob.id)).find((token) => token.type === 'PASSKEY');
    expect(passkey).toMatchObject({ id: registered.body.id, secret_encrypted: null, enabled: 1 });
    expect(await assignmentOf(resource.id, bob.id)).toEqual({ kind: 'token_with_user', token_id: registered.body.id });
    expect(await activitiesOf(bob.id, 'PasskeyRegistered')).toEqual([expect.objectContaining({ tokenId: registered.body.id, resource: resource.name, reassign: false })]);
    expect((await browser.send('GET', '/me')).body.token).toMatchObject({ id: registered.body.id, type: 'PASSKEY' });
    expect((await browser.send('POST', '/signout')).status).toBe(204);

    // The TOTP still exists (it was not re-assigned away), but this resource no longer takes it.
    const relayed = await otpStep(alias, bob.login);
    expect(relayed.answer.body).toEqual({ state: 'continue', flow: expect.any(String), step: 'otp', emailCodeOption: false, passkey: true });
    expect((await relayed.otp(await totpAt(bob.seed!, Date.now()))).body.error.code).toBe('OTP_INVALID');

    const again = await signInWithPasskey(alias, bob.login, authenticator);
    const session = await env.DB.prepare(`SELECT method FROM sessions WHERE user_id = ? AND kind = 'portal' ORDER BY created_at DESC LIMIT 1`).bind(bob.id).first<{ method: string }>();
    expect(session!.method).toBe('password+passkey');
    // Signed in with the factor itself: a guarded change needs no further step-up.
    expect((await registerPasskey(again, softwareAuthenticator(), { name: 'Second' })).status).toBe(201);
  });

  it('a user without any factor registers a passkey with the password alone; from then on the portal asks for it', async () => {
    // Attack: the password alone after the user's first passkey. Before it there is nothing to prove beyond the
    // password (as for a first TOTP); after it, the password opens nothing.
    const { admin, resource, alias } = await passkeyPortal();
    const carol = await userOf(admin, resource.id);
    const browser = browserFor(alias);
    expect((await browser.signIn(carol.login, PASSWORD)).body.state).toBe('signed_in');
    const authenticator = softwareAuthenticator();
    expect((await registerPasskey(browser, authenticator)).status).toBe(201);

    const attacker = browserFor(alias);
    const answer = await attacker.signIn(carol.login, PASSWORD);
    expect(answer.body).toMatchObject({ state: 'continue', step: 'otp', passkey: true });
    expect((await attacker.send('GET', '/me')).status).toBe(401);
    await signInWithPasskey(alias, carol.login, authenticator);
  });
});

describe('proof before a passkey is registered', () => {
  it('a session without the fresh proof of the current factor gets STEP_UP_REQUIRED, and nothing is stored', async () => {
    // Attack: Bob's password leaked. A session with the password alone (or one whose proof is older than
    // STEP_UP_VALID_MS) registers the attacker's passkey, which the resource would take from then on.
    const { admin, resource, alias } = await passkeyPortal();
    const bob = await userOf(admin, resource.id, { totp: 'with_user' });
    const attacker = await passwordOnlySession(alias, bob.id, resource.id);
    const attackerKey = softwareAuthenticator();
    const before = await tokensOf(bob.id);

    const options = await attacker('POST', '/tokens/passkey/options', {});
    expect(options.status).toBe(403);
    expect(options.body.error.code).toBe('STEP_UP_REQUIRED');
    expect(options.body.error.details).toMatchObject({ otp: true });
    // A credential made for options fetched elsewhere is refused before it is looked at.
    const forged = await attackerKey.register({
      challenge: 'Zm9yZ2VkLWNoYWxsZW5nZQ',
      rp: { id: RP.id, name: RP.name },
      user: { id: 'bWFsbG9yeQ', name: bob.login, displayName: bob.login },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    const stored = await attacker('POST', '/tokens/passkey', { credential: forged, name: 'attacker' });
    expect(stored.status).toBe(403);
    expect(stored.body.error.code).toBe('STEP_UP_REQUIRED');
    expect(await attacker('POST', '/tokens/passkey/options', { reassign: true })).toMatchObject({ status: 403, body: { error: { code: 'STEP_UP_REQUIRED' } } });
    expect(await tokensOf(bob.id)).toEqual(before);
    expect(await assignmentOf(resource.id, bob.id)).toEqual({ kind: 'token_with_user', token_id: bob.totpId });

    // Bob's own session whose proof has run out: options taken while it was fresh do not carry the proof along.
    const browser = await signInWithTotp(alias, bob.login, bob.seed!);
    vi.setSystemTime(Date.now() + STEP_UP_VALID_MS - 60_000);
    const fresh = await browser.send('POST', '/tokens/passkey/options', {});
    expect(fresh.status).toBe(200);
    vi.setSystemTime(Date.now() + 61_000);
    const late = await browser.send('POST', '/tokens/passkey', { credential: await softwareAuthenticator().register(fresh.body.options), name: 'late' });
    expect(late.status).toBe(403);
    expect(late.body.error.code).toBe('STEP_UP_REQUIRED');
    expect(await tokensOf(bob.id)).toEqual(before);
  });

  it('a registration challenge from one portal session is refused in another, even of the same user', async () => {
    // Attack: a challenge (and the credential answering it) leaks from one session, e.g. a shared computer's, and is
    // sent in another session. It is bound to the session it was issued to: elsewhere it finds nothing.
    const { admin, resource, alias } = await passkeyPortal();
    const bob = await userOf(admin, resource.id, { totp: 'with_user' });
    const first = await signInWithTotp(alias, bob.login, bob.seed!);
    const second = await signInWithTotp(alias, bob.login, bob.seed!);
    const authenticator = softwareAuthenticator();

    const options = await first.send('POST', '/tokens/passkey/options', {});
    const credential = await authenticator.register(options.body.options);
    const elsewhere = await second.send('POST', '/tokens/passkey', { credential, name: 'moved' });
    expect(elsewhere.status).toBe(410);
    expect(elsewhere.body.error.code).toBe('CHALLENGE_EXPIRED');
    expect((await tokensOf(bob.id)).filter((token) => token.type === 'PASSKEY')).toEqual([]);

    // In its own session it still works, once: the replay finds its challenge gone.
    expect((await first.send('POST', '/tokens/passkey', { credential, name: 'own' })).status).toBe(201);
    expect((await first.send('POST', '/tokens/passkey', { credential, name: 'replay' })).body.error.code).toBe('CHALLENGE_EXPIRED');
    expect((await tokensOf(bob.id)).filter((token) => token.type === 'PASSKEY')).toHaveLength(1);
  });

  it('only where the administrator allows passkeys, and only through the passkey ceremony', async () => {
    // Attack: registering a passkey at a portal whose resource allows only TOTP, or sending PASSKEY to the code
    // enrolment (which would make a token with no credential behind it).
    const { admin, resource, alias } = await passkeyPortal({ tokenTypes: ['TOTP'] });
    const carol = await userOf(admin, resource.id);
    const browser = browserFor(alias);
    await browser.signIn(carol.login, PASSWORD);
    expect((await browser.send('POST', '/tokens/passkey/options', {})).body.error.code).toBe('ACTION_DISABLED');
    expect((await browser.send('POST', '/tokens/passkey/existing/options', {})).body.error.code).toBe('ACTION_DISABLED');
    expect((await browser.send('POST', '/tokens/enrol', { type: 'PASSKEY' })).body.error.code).toBe('VALIDATION_FAILED');
    expect(await tokensOf(carol.id)).toEqual([]);

    // The administrator allows it like any other type.
    const saved = await admin.request(`/resources/${resource.id}/self-service`, { method: 'PUT', json: { enabled: true, alias, actions: PASSKEY_PORTAL_ACTIONS, tokenTypes: ['TOTP', 'PASSKEY'] } });
    expect((await json(saved)).selfService.tokenTypes).toEqual(['TOTP', 'PASSKEY']);
    expect((await registerPasskey(browser, softwareAuthenticator())).status).toBe(201);
  });
});

describe('the passkey at the portal sign-in', () => {
  it('a passkey challenge from one sign-in flow is refused in another; in its own flow it signs in once', async () => {
    // Attack: a challenge and its assertion from one sign-in (a phishing page that started its own flow and got the
    // victim to answer, or a replay) used in another flow.
    const { admin, resource, alias } = await passkeyPortal();
    const dana = await userOf(admin, resource.id);
    const authenticator = softwareAuthenticator();
    await passkeyMadeElsewhere(dana.id, authenticator);

    const one = await otpStep(alias, dana.login);
    const two = await otpStep(alias, dana.login);
    const credential = await authenticator.authenticate((await one.passkeyOptions()).body.options);
    const moved = await two.passkey(credential);
    expect(moved.status).toBe(410);
    expect(moved.body.error.code).toBe('CHALLENGE_EXPIRED');
    expect((await two.browser.send('GET', '/me')).status).toBe(401);

    expect((await one.passkey(credential)).body.state).toBe('signed_in');
    const replay = await two.passkey(credential);
    expect(replay.body.error.code).toBe('CHALLENGE_EXPIRED');
    expect(await activitiesOf(dana.id, 'UserLoginAttempt')).toEqual([{ reason: 'challenge_expired' }, { reason: 'challenge_expired' }]);
  });

  it("another user's passkey is refused at the victim's OTP step", async () => {
    // Attack: Mallory has Alice's password (phished) and a passkey of her own that this resource accepts for HER.
    // At Alice's OTP step she answers Alice's options with her own passkey.
    const { admin, resource, alias } = await passkeyPortal();
    const alice = await userOf(admin, resource.id);
    const mallory = await userOf(admin, resource.id);
    const alicesKey = softwareAuthenticator();
    const mallorysKey = softwareAuthenticator();
    await passkeyMadeElsewhere(alice.id, alicesKey);
    await passkeyMadeElsewhere(mallory.id, mallorysKey);

    const step = await otpStep(alias, alice.login);
    const options = (await step.passkeyOptions()).body.options;
    const answer = await step.passkey(await mallorysKey.authenticate({ ...options, allowCredentials: [] }, mallorysKey.credentials[0]));
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('PASSKEY_INVALID');
    expect((await step.browser.send('GET', '/me')).status).toBe(401);
    expect(await activitiesOf(alice.id, 'UserLoginAttempt')).toEqual([{ reason: 'passkey_invalid' }]);
  });

  it('a passkey of the user that this resource does not accept is refused: the token with the user is another token', async () => {
    // Attack: Erin's resource is assigned her TOTP "with" her; she (or whoever holds her laptop) also has a passkey
    // made in /profile. The portal must not take it in place of the TOTP the resource's verification asks for.
    const { admin, resource, alias } = await passkeyPortal();
    const erin = await userOf(admin, resource.id, { totp: 'owned' });
    const authenticator = softwareAuthenticator();
    const passkeyId = await passkeyMadeElsewhere(erin.id, authenticator);

    // With a plain "user" assignment, her own passkey is one of the tokens this resource accepts.
    const before = await otpStep(alias, erin.login);
    expect(before.answer.body.passkey).toBe(true);
    const options = (await before.passkeyOptions()).body.options;
    expect(options.allowCredentials).toEqual([expect.objectContaining({ id: authenticator.credentials[0]!.id })]);

    // The administrator assigns her TOTP "with" her: from then on only it counts, also for options already fetched.
    await admin.put(`/resources/${resource.id}/assignments`, { userId: erin.id, tokenId: erin.totpId });
    const refused = await before.passkey(await authenticator.authenticate(options));
    expect(refused.body.error.code).toBe('PASSKEY_INVALID');
    expect((await before.browser.send('GET', '/me')).status).toBe(401);

    const after = await otpStep(alias, erin.login);
    expect(after.answer.body).toEqual({ state: 'continue', flow: expect.any(String), step: 'otp', emailCodeOption: false });
    expect((await after.passkeyOptions()).body.error.code).toBe('SIGNIN_NO_PASSKEY');
    expect(await webauthnChallengesOf(`portal-signin:${await sha256Hex(after.flow)}`)).toBe(0);
    expect((await env.DB.prepare('SELECT last_used_at FROM tokens WHERE id = ?').bind(passkeyId).first<{ last_used_at: number | null }>())!.last_used_at).toBeNull();
    expect((await after.otp(await totpAt(erin.seed!, Date.now()))).body.state).toBe('signed_in');
    nextStep();

    // With one of her passkeys assigned "with" her, her other passkey is not this resource's factor either.
    const other = softwareAuthenticator();
    await passkeyMadeElsewhere(erin.id, other);
    await admin.put(`/resources/${resource.id}/assignments`, { userId: erin.id, tokenId: passkeyId });
    const assigned = await otpStep(alias, erin.login);
    const allowed = (await assigned.passkeyOptions()).body.options;
    expect(allowed.allowCredentials.map((credential: { id: string }) => credential.id)).toEqual([authenticator.credentials[0]!.id]);
    expect((await assigned.passkey(await other.authenticate({ ...allowed, allowCredentials: [] }, other.credentials[0]))).body.error.code).toBe('PASSKEY_INVALID');
    expect((await assigned.passkey(await authenticator.authenticate((await assigned.passkeyOptions()).body.options))).body.state).toBe('signed_in');
  });

  it("passkey answers claim the flow's attempts like typed OTPs; of 20 concurrent copies of one assertion one signs in", async () => {
    // Attack: replaying one valid assertion in parallel to get several sessions, or sending assertion after
    // assertion to one flow. The flow's attempt is claimed first and its challenge taken by one conditional DELETE.
    const { admin, resource, alias } = await passkeyPortal();
    const frank = await userOf(admin, resource.id);
    const authenticator = softwareAuthenticator();
    await passkeyMadeElsewhere(frank.id, authenticator);

    const step = await otpStep(alias, frank.login);
    const credential = await authenticator.authenticate((await step.passkeyOptions()).body.options);
    const answers = await Promise.all(Array.from({ length: 20 }, () => step.passkey(credential)));
    expect(answers.filter((answer) => answer.body?.state === 'signed_in')).toHaveLength(1);
    const sessions = await env.DB.prepare(`SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND kind = 'portal'`).bind(frank.id).first<{ n: number }>();
    expect(sessions!.n).toBe(1);

    // A fresh flow: CODE_MAX_ATTEMPTS bad answers spend it, and then even the right passkey is refused.
    const guessed = await otpStep(alias, frank.login);
    for (let attempt = 0; attempt < CODE_MAX_ATTEMPTS; attempt++) {
      const options = (await guessed.passkeyOptions()).body.options;
      const bad = await authenticator.authenticate(options);
      const tampered = { ...bad, response: { ...bad.response, signature: bad.response.signature.slice(0, -4) + 'AAAA' } };
      expect((await guessed.passkey(tampered)).body.error.code).toBe('PASSKEY_INVALID');
    }
    const spent = await guessed.passkeyOptions();
    expect(spent.body.error.code).toBe('CODE_EXPIRED');
  });
});

describe('Reassign Token with a passkey', () => {
  it('a new passkey replaces the old token on every resource; the old one stops working', async () => {
    // Attack surface: the old token (perhaps lost) must not keep working once the user moved to a passkey.
    const { admin, resource, alias } = await passkeyPortal();
    const gina = await userOf(admin, resource.id, { totp: 'with_user' });
    const browser = await signInWithTotp(alias, gina.login, gina.seed!);
    const replaced = await registerPasskey(browser, softwareAuthenticator(), { reassign: true });
    expect(replaced.status).toBe(201);
    expect(await assignmentOf(resource.id, gina.id)).toEqual({ kind: 'token_with_user', token_id: replaced.body.id });
    expect((await tokensOf(gina.id)).find((token) => token.id === gina.totpId)!.enabled).toBe(0);
    expect(await activitiesOf(gina.id, 'PasskeyRegistered')).toEqual([expect.objectContaining({ reassign: true })]);
  });

  it('a passkey the user already has takes over after a fresh assertion; another user\'s passkey is refused', async () => {
    // Attack: re-assigning the resource to a passkey without having it at hand (a stale session naming a token id,
    // or an assertion from someone else's passkey). Only a fresh assertion of one of the user's own passkeys counts.
    const { admin, resource, alias } = await passkeyPortal();
    const hank = await userOf(admin, resource.id, { totp: 'with_user' });
    const other = await userOf(admin, resource.id);
    const hanksKey = softwareAuthenticator();
    const othersKey = softwareAuthenticator();
    const hanksPasskey = await passkeyMadeElsewhere(hank.id, hanksKey);
    await passkeyMadeElsewhere(other.id, othersKey);
    const browser = await signInWithTotp(alias, hank.login, hank.seed!);

    const options = (await browser.send('POST', '/tokens/passkey/existing/options', {})).body.options;
    expect(options.allowCredentials.map((credential: { id: string }) => credential.id)).toEqual([hanksKey.credentials[0]!.id]);
    const foreign = await browser.send('POST', '/tokens/passkey/existing', { credential: await othersKey.authenticate({ ...options, allowCredentials: [] }, othersKey.credentials[0]) });
    expect(foreign.body.error.code).toBe('PASSKEY_INVALID');
    expect(await assignmentOf(resource.id, hank.id)).toEqual({ kind: 'token_with_user', token_id: hank.totpId });

    const again = (await browser.send('POST', '/tokens/passkey/existing/options', {})).body.options;
    const taken = await browser.send('POST', '/tokens/passkey/existing', { credential: await hanksKey.authenticate(again) });
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ id: hanksPasskey, type: 'PASSKEY' });
    expect(await assignmentOf(resource.id, hank.id)).toEqual({ kind: 'token_with_user', token_id: hanksPasskey });
    expect((await tokensOf(hank.id)).find((token) => token.id === hank.totpId)!.enabled).toBe(0);
    await signInWithPasskey(alias, hank.login, hanksKey);
  });

  it('a passkey has no PIN and no resync', async () => {
    // Misuse: the PIN is typed with a code and the resync reads two codes; a passkey has neither, and a "PIN" set
    // on it would be a secret that guards nothing.
    const { admin, resource, alias } = await passkeyPortal();
    const ivy = await userOf(admin, resource.id);
    const browser = browserFor(alias);
    await browser.signIn(ivy.login, PASSWORD);
    expect((await registerPasskey(browser, softwareAuthenticator())).status).toBe(201);
    expect((await browser.send('PUT', '/tokens/pin', { pin: '1234', pinPosition: 'after' })).body.error.code).toBe('TOKEN_TYPE_MISMATCH');
    expect((await browser.send('POST', '/tokens/sync', { otp1: '123456', otp2: '234567' })).body.error.code).toBe('TOKEN_TYPE_MISMATCH');
    expect((await tokensOf(ivy.id))[0]).toMatchObject({ type: 'PASSKEY' });
  });
});

describe('the step-up with a passkey', () => {
  it("STEP_UP_REQUIRED offers the passkey; the session's own challenge proves it, another session's or user's does not", async () => {
    // Attack: a session left open long ago (its proof expired) borrows a step-up assertion made in another session,
    // or answers with a passkey that is not the user's factor here (another user's, or one the resource does not
    // take). Each is refused and the session stays unproven.
    const { admin, resource, alias } = await passkeyPortal();
    const jane = await userOf(admin, resource.id);
    const janesKey = softwareAuthenticator();
    const mallorysKey = softwareAuthenticator();
    await passkeyMadeElsewhere(jane.id, janesKey);
    await passkeyMadeElsewhere((await userOf(admin, resource.id)).id, mallorysKey);
    const stale = await signInWithPasskey(alias, jane.login, janesKey);
    vi.setSystemTime(Date.now() + STEP_UP_VALID_MS + 1);
    const other = await signInWithPasskey(alias, jane.login, janesKey);

    const refused = await registerPasskey(stale, softwareAuthenticator());
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: false, passkey: true, codeTargets: [] } });

    const borrowed = await janesKey.authenticate((await other.send('POST', '/step-up/passkey/options', {})).body.options);
    expect((await stale.send('POST', '/step-up', { passkey: borrowed })).body.error.code).toBe('CHALLENGE_EXPIRED');
    const options = (await stale.send('POST', '/step-up/passkey/options', {})).body.options;
    const foreign = await mallorysKey.authenticate({ ...options, allowCredentials: [] }, mallorysKey.credentials[0]);
    expect((await stale.send('POST', '/step-up', { passkey: foreign })).body.error.code).toBe('PASSKEY_INVALID');
    expect((await registerPasskey(stale, softwareAuthenticator())).body.error.code).toBe('STEP_UP_REQUIRED');

    const own = await janesKey.authenticate((await stale.send('POST', '/step-up/passkey/options', {})).body.options);
    expect((await stale.send('POST', '/step-up', { passkey: own })).status).toBe(204);
    expect((await registerPasskey(stale, softwareAuthenticator())).status).toBe(201);
  });

  it('a passkey that is not the factor this resource takes cannot step up here', async () => {
    // Attack: Kim's resource takes her TOTP ("with" her); a passkey she made in /profile must not stand in for it.
    const { admin, resource, alias } = await passkeyPortal();
    const kim = await userOf(admin, resource.id, { totp: 'with_user' });
    await passkeyMadeElsewhere(kim.id, softwareAuthenticator());
    const browser = await signInWithTotp(alias, kim.login, kim.seed!);
    vi.setSystemTime(Date.now() + STEP_UP_VALID_MS + 1);
    const refused = await registerPasskey(browser, softwareAuthenticator());
    expect(refused.body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { otp: true, passkey: false } });
    expect((await browser.send('POST', '/step-up/passkey/options', {})).body.error.code).toBe('STEP_UP_NO_PASSKEY');
  });
});

describe('a recovery code at the portal OTP step', () => {
  it('signs in once; each typed code is counted only on the factor of its kind', async () => {
    // Attack: with Bob's password, guesses at the portal's OTP step. A recovery-code-shaped guess must not count as
    // a wrong OTP on his authenticator app (nor an OTP guess on his recovery set), a used code is refused and counts
    // as a guess, and his own code signs him in once.
    const portal = await portalWith([...PASSKEY_PORTAL_ACTIONS, 'GenerateRecoveryCodes'], ['TOTP', 'PASSKEY']);
    const bob = await userOf(portal.admin, portal.resource.id, { totp: 'owned' });
    const generated = await (await signInWithTotp(portal.alias, bob.login, bob.seed!)).send('POST', '/recovery-codes', {});
    expect(generated.status).toBe(201);
    const [first] = generated.body.codes as string[];
    const failCounts = async () =>
      Object.fromEntries((await env.DB.prepare('SELECT type, fail_count FROM tokens WHERE owner_user_id = ?').bind(bob.id).all<{ type: string; fail_count: number }>()).results.map((row) => [row.type, row.fail_count]));

    // Typed as people type it: lower case, without the dashes.
    const step = await otpStep(portal.alias, bob.login);
    expect((await step.otp(first!.replace(/-/g, '').toLowerCase())).body.state).toBe('signed_in');
    const session = await env.DB.prepare(`SELECT method FROM sessions WHERE user_id = ? AND kind = 'portal' ORDER BY created_at DESC LIMIT 1`).bind(bob.id).first<{ method: string }>();
    expect(session!.method).toBe('password+recovery_code');
    expect(await failCounts()).toEqual({ TOTP: 0, RECOVERY_CODES: 0 });

    const replay = await otpStep(portal.alias, bob.login);
    expect((await replay.otp(first!)).body.error.code).toBe('OTP_INVALID');
    expect(await failCounts()).toEqual({ TOTP: 0, RECOVERY_CODES: 1 });
    expect((await replay.otp('000000')).body.error.code).toBe('OTP_INVALID');
    expect(await failCounts()).toEqual({ TOTP: 1, RECOVERY_CODES: 1 });
  });
});
