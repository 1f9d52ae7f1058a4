/**
 * Passkeys through the real routes: /login (second factor after the password, and passwordless), /profile (add,
 * rename, remove) and the step-up by passkey. The authenticator signs real WebAuthn data for the deployment's RP
 * (https://id.example.test, the tests' PUBLIC_ORIGIN). Each test opens with the attack it shows failing.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CODE_MAX_ATTEMPTS, PASSKEY_SIGNIN_STARTS_PER_IP, STEP_UP_VALID_MS } from '../../worker/constants';
import { freshPhone } from '../helpers/messaging';
import { softwareAuthenticator, type SoftwareAuthenticator } from '../helpers/software-authenticator';
import { adminClient, call, insertUser, json, ORIGIN, randomSeedBase32, signIn, totpAt } from '../helpers/worker';

afterEach(() => vi.useRealTimers());

type Session = { cookie: string; csrfToken: string };

function profile(session: Session, method: string, path: string, body?: unknown) {
  return call(`/api/profile${path}`, {
    method,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, origin: ORIGIN },
    ...(body === undefined ? {} : { json: body }),
  });
}
const auth = (path: string, body: unknown) => call(`/api/auth${path}`, { method: 'POST', headers: { origin: ORIGIN }, json: body });
const sessionOf = async (response: Response): Promise<Session & { body: any }> => {
  const body = await json(response);
  return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrfToken: body.csrfToken, body };
};

/** A user who signed in with the password (no factor yet) and added a passkey in /profile. */
async function userWithPasskey(authenticator: SoftwareAuthenticator = softwareAuthenticator({ origin: ORIGIN })) {
  const user = await insertUser();
  const session = await signIn(user.login, user.password);
  const { options } = await json(profile(session, 'POST', '/passkeys/options', {}));
  const added = await profile(session, 'POST', '/passkeys', { credential: await authenticator.register(options), name: 'Laptop' });
  expect(added.status).toBe(201);
  return { user, session, authenticator, passkey: await json(added) };
}

async function passwordStep(user: { login: string; password: string }) {
  const body = await json(auth('/login', { login: user.login, password: user.password }));
  expect(body.state).toBe('second_factor');
  return body as { challenge: string; methods: string[] };
}

describe('/login with a passkey as the second factor', () => {
  it('asks a passkey-only user for the passkey and signs in with it (session proven for step-up)', async () => {
    const { user, authenticator, passkey } = await userWithPasskey();
    expect(passkey).toMatchObject({ name: 'Laptop', backedUp: true, transports: ['internal'], lastUsedAt: null });
    const step = await passwordStep(user);
    expect(step.methods).toEqual(['passkey']);
    const { options } = await json(auth('/login/passkey/options', { challenge: step.challenge }));
    expect(options.allowCredentials.map((entry: { id: string }) => entry.id)).toEqual([authenticator.credentials[0]!.id]);
    const signedIn = await auth('/login/passkey', { challenge: step.challenge, credential: await authenticator.authenticate(options) });
    expect(signedIn.status).toBe(200);
    const session = await sessionOf(signedIn);
    expect(session.body).toMatchObject({ state: 'signed_in', user: { login: user.login } });
    expect(await env.DB.prepare(`SELECT method FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT 1`).bind(user.id).first('method')).toBe('password+passkey');
    const listed = (await json(profile(session, 'GET', ''))).passkeys;
    expect(listed).toHaveLength(1);
    expect(listed[0].lastUsedAt).not.toBeNull();
  });

  it('a typed code does not replace the passkey, and failed assertions spend the step\'s attempts', async () => {
    // Attack: past the password, the attacker has no passkey: they type codes, or submit assertions of their own
    // authenticator, as often as they like.
    const { user, authenticator } = await userWithPasskey();
    const attacker = await userWithPasskey();
    const step = await passwordStep(user);
    const typed = await auth('/login/second-factor', { challenge: step.challenge, otp: '123456' });
    expect((await json(typed)).error.code).toBe('OTP_INVALID');
    for (let attempt = 1; attempt < CODE_MAX_ATTEMPTS; attempt++) {
      const { options } = await json(auth('/login/passkey/options', { challenge: step.challenge }));
      const foreign = await attacker.authenticator.authenticate({ ...options, allowCredentials: [] });
      expect((await json(auth('/login/passkey', { challenge: step.challenge, credential: foreign }))).error.code).toBe('PASSKEY_INVALID');
    }
    // The step's attempts are spent: the right passkey now is refused too.
    const options = await auth('/login/passkey/options', { challenge: step.challenge });
    expect((await json(options)).error.code).toBe('CODE_EXPIRED');
    const fresh = await passwordStep(user);
    const { options: freshOptions } = await json(auth('/login/passkey/options', { challenge: fresh.challenge }));
    const right = await authenticator.authenticate(freshOptions);
    expect((await json(auth('/login/passkey', { challenge: step.challenge, credential: right }))).error.code).toBe('CODE_EXPIRED');
    const attempts = await env.DB.prepare(`SELECT json_extract(detail, '$.reason') AS reason FROM user_activities WHERE user_id = ? AND type = 'UserLoginAttempt'`).bind(user.id).all();
    expect(attempts.results.map((row) => row.reason)).toEqual(['otp_invalid', ...Array(CODE_MAX_ATTEMPTS - 1).fill('passkey_invalid')]);
  });

  it('an assertion made for one /login challenge cannot finish another', async () => {
    // Attack: an assertion captured from the victim's sign-in (its challenge) is submitted with the attacker's own
    // password step for the same account.
    const { user, authenticator } = await userWithPasskey();
    const victimStep = await passwordStep(user);
    const { options } = await json(auth('/login/passkey/options', { challenge: victimStep.challenge }));
    const captured = await authenticator.authenticate(options);
    const attackerStep = await passwordStep(user);
    expect((await json(auth('/login/passkey', { challenge: attackerStep.challenge, credential: captured }))).error.code).toBe('CHALLENGE_EXPIRED');
  });
});

describe('/login asks every strong factor the user has, and no weaker one', () => {
  it('a user with a passkey and an SMS token is asked the passkey; no code is texted, none accepted', async () => {
    // Attack: a SIM swap (or an SMS interception) gives the attacker the user's texts; with the password they hope
    // /login still takes the texted code where the user has a passkey.
    const { user } = await userWithPasskey();
    const admin = await adminClient();
    await admin.post('/tokens/message', { type: 'SMS', destination: freshPhone(), ownerUserId: user.id });
    const outboxBefore = await env.DB.prepare('SELECT count(*) AS n FROM outbox').first('n');
    const step = await passwordStep(user);
    expect(step.methods).toEqual(['passkey']);
    expect(step).not.toHaveProperty('delivery');
    expect(await env.DB.prepare('SELECT count(*) AS n FROM outbox').first('n')).toBe(outboxBefore);
    expect((await json(auth('/login/second-factor', { challenge: step.challenge, otp: '123456' }))).error.code).toBe('OTP_INVALID');
  });

  it('a user with a passkey and an app token may use either; the step-up offers both', async () => {
    const { user } = await userWithPasskey();
    const admin = await adminClient();
    const seed = randomSeedBase32();
    await admin.post('/tokens/hardware', { type: 'TOTP', serial: `PK-TOTP-${user.id.slice(0, 8)}`, seed, seedEncoding: 'base32', ownerUserId: user.id });
    const step = await passwordStep(user);
    expect(step.methods).toEqual(['passkey', 'otp']);
    const signedIn = await auth('/login/second-factor', { challenge: step.challenge, otp: await totpAt(seed, Date.now()) });
    expect(signedIn.status).toBe(200);
    const session = await sessionOf(signedIn);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + STEP_UP_VALID_MS + 1000);
    expect((await json(profile(session, 'POST', '/passkeys/options', {}))).error.details).toEqual({ otp: true, passkey: true, recoveryCode: false, codeTargets: [] });
  });
});

describe('recovery codes beside a passkey', () => {
  it('/login offers the recovery code, takes one once, and the step-up takes another', async () => {
    // Attack surface: the phone with the passkey is lost; the recovery code is the way in, and each works once.
    const { user, authenticator } = await userWithPasskey();
    const { flow, options } = await json(auth('/passkey/options', {}));
    const owner = await sessionOf(await auth('/passkey', { flow, credential: await authenticator.authenticate(options) }));
    const made = await profile(owner, 'POST', '/recovery-codes', {});
    expect(made.status).toBe(201);
    const { codes } = await json(made);

    const step = await passwordStep(user);
    expect(step.methods).toEqual(['passkey', 'recovery_code']);
    const signedIn = await auth('/login/second-factor', { challenge: step.challenge, otp: codes[0] });
    expect(signedIn.status).toBe(200);
    const session = await sessionOf(signedIn);
    expect(await env.DB.prepare(`SELECT method FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT 1`).bind(user.id).first('method')).toBe('password+recovery-code');
    const again = await passwordStep(user);
    expect((await json(auth('/login/second-factor', { challenge: again.challenge, otp: codes[0] }))).error.code).toBe('OTP_INVALID');

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + STEP_UP_VALID_MS + 1000);
    expect((await json(profile(session, 'POST', '/passkeys/options', {}))).error.details).toMatchObject({ passkey: true, recoveryCode: true });
    expect((await profile(session, 'POST', '/step-up', { otp: codes[1] })).status).toBe(204);
    expect((await profile(session, 'POST', '/passkeys/options', {})).status).toBe(200);
  });
});

describe('passwordless sign-in with a passkey', () => {
  it('signs in with a user-verified discoverable passkey; the session may change factors at once', async () => {
    const { user, authenticator, passkey } = await userWithPasskey();
    const { flow, options } = await json(auth('/passkey/options', {}));
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe('required');
    const session = await sessionOf(await auth('/passkey', { flow, credential: await authenticator.authenticate(options) }));
    expect(session.body).toMatchObject({ state: 'signed_in', user: { id: user.id } });
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM challenges WHERE target LIKE ?`).bind(`%${flow}%`).first('n')).toBe(0);
    expect((await profile(session, 'DELETE', `/passkeys/${passkey.id}`)).status).toBe(204);
  });

  it('a passkey without user verification does not sign in alone', async () => {
    // Attack: a found security key (no PIN asked: user present, not verified) is used to sign in without the password.
    const { user, authenticator } = await userWithPasskey(softwareAuthenticator({ origin: ORIGIN, userVerified: false }));
    const { flow, options } = await json(auth('/passkey/options', {}));
    const refused = await auth('/passkey', { flow, credential: await authenticator.authenticate(options) });
    expect(refused.status).toBe(401);
    expect((await json(refused)).error.code).toBe('PASSKEY_INVALID');
    expect(refused.headers.get('set-cookie')).toBeNull();
    const logged = await env.DB.prepare(`SELECT json_extract(detail, '$.reason') AS reason FROM user_activities WHERE user_id = ? AND type = 'UserLoginAttempt'`).bind(user.id).first('reason');
    expect(logged).toBe('passkey_invalid');
  });

  it('a flow handle from another start, or one used already, does not take the assertion', async () => {
    // Attack: the assertion is replayed, or sent with a flow handle the attacker started.
    const { authenticator } = await userWithPasskey();
    const victim = await json(auth('/passkey/options', {}));
    const attacker = await json(auth('/passkey/options', {}));
    const credential = await authenticator.authenticate(victim.options);
    expect((await json(auth('/passkey', { flow: attacker.flow, credential }))).error.code).toBe('CHALLENGE_EXPIRED');
    expect((await auth('/passkey', { flow: victim.flow, credential })).status).toBe(200);
    expect((await json(auth('/passkey', { flow: victim.flow, credential }))).error.code).toBe('CHALLENGE_EXPIRED');
  });

  it('one address starts at most PASSKEY_SIGNIN_STARTS_PER_IP sign-ins per window; another address is not held up', async () => {
    // Attack: one client starts passwordless sign-ins without end, each leaving a stored challenge behind.
    const start = (ip: string) => call('/api/auth/passkey/options', { method: 'POST', headers: { origin: ORIGIN, 'cf-connecting-ip': ip }, json: {} });
    const flooder = `203.0.113.${Math.floor(Math.random() * 200) + 20}`;
    const statuses: number[] = [];
    for (let batch = 0; batch < PASSKEY_SIGNIN_STARTS_PER_IP + 1; batch += 50) {
      const size = Math.min(50, PASSKEY_SIGNIN_STARTS_PER_IP + 1 - batch);
      statuses.push(...(await Promise.all(Array.from({ length: size }, () => start(flooder).then((response) => response.status)))));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(PASSKEY_SIGNIN_STARTS_PER_IP);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
    expect((await start('198.51.100.77')).status).toBe(200);
  });

  it('a disabled account does not sign in with its passkey', async () => {
    // Attack: the admin disabled the account; its passkey still exists on the user's phone.
    const { user, authenticator } = await userWithPasskey();
    await env.DB.prepare('UPDATE users SET enabled = 0 WHERE id = ?').bind(user.id).run();
    const { flow, options } = await json(auth('/passkey/options', {}));
    expect((await auth('/passkey', { flow, credential: await authenticator.authenticate(options) })).status).toBe(401);
  });
});

describe('/profile passkeys need the current factor to add or remove', () => {
  it('a session whose proof is old cannot add or remove a passkey until it steps up with the passkey', async () => {
    // Attack: a session left open (or stolen) adds the attacker's passkey, or removes the owner's.
    const { user, authenticator, passkey } = await userWithPasskey();
    const step = await passwordStep(user);
    const { options } = await json(auth('/login/passkey/options', { challenge: step.challenge }));
    const session = await sessionOf(await auth('/login/passkey', { challenge: step.challenge, credential: await authenticator.authenticate(options) }));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + STEP_UP_VALID_MS + 1000);

    const addOptions = await profile(session, 'POST', '/passkeys/options', {});
    expect(addOptions.status).toBe(403);
    expect((await json(addOptions)).error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { passkey: true, otp: false, recoveryCode: false, codeTargets: [] } });
    const removal = await profile(session, 'DELETE', `/passkeys/${passkey.id}`);
    expect((await json(removal)).error.code).toBe('STEP_UP_REQUIRED');
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM tokens WHERE owner_user_id = ? AND type = 'PASSKEY'`).bind(user.id).first('n')).toBe(1);

    // Renaming changes no factor: no step-up.
    expect(await json(profile(session, 'PATCH', `/passkeys/${passkey.id}`, { name: 'Work laptop' }))).toMatchObject({ id: passkey.id, name: 'Work laptop' });

    const stepUp = await json(profile(session, 'POST', '/step-up/passkey/options', {}));
    expect((await profile(session, 'POST', '/step-up', { passkey: await authenticator.authenticate(stepUp.options) })).status).toBe(204);
    expect((await profile(session, 'DELETE', `/passkeys/${passkey.id}`)).status).toBe(204);
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM passkey_credentials WHERE token_id = ?`).bind(passkey.id).first('n')).toBe(0);
    const activities = await env.DB.prepare(`SELECT type FROM user_activities WHERE user_id = ? AND type LIKE 'Passkey%' ORDER BY at`).bind(user.id).all();
    expect(activities.results.map((row) => row.type)).toEqual(['PasskeyRegistered', 'PasskeyRemoved']);
  });

  it('a step-up assertion made for another session does not prove this one', async () => {
    // Attack: the attacker holds a stolen session and relays a step-up assertion the victim made in their own session.
    const { user, authenticator } = await userWithPasskey();
    const sessions: Session[] = [];
    for (let i = 0; i < 2; i++) {
      const step = await passwordStep(user);
      const { options } = await json(auth('/login/passkey/options', { challenge: step.challenge }));
      sessions.push(await sessionOf(await auth('/login/passkey', { challenge: step.challenge, credential: await authenticator.authenticate(options) })));
    }
    const [victim, stolen] = sessions as [Session, Session];
    const { options } = await json(profile(victim, 'POST', '/step-up/passkey/options', {}));
    const relayed = await profile(stolen, 'POST', '/step-up', { passkey: await authenticator.authenticate(options) });
    expect((await json(relayed)).error.code).toBe('CHALLENGE_EXPIRED');
  });

  it('another user\'s passkey is neither listed, renamed nor removed', async () => {
    // Attack: a signed-in user names another user's passkey id.
    const { passkey } = await userWithPasskey();
    const other = await insertUser();
    const session = await signIn(other.login, other.password);
    expect((await json(profile(session, 'GET', ''))).passkeys).toEqual([]);
    expect((await profile(session, 'PATCH', `/passkeys/${passkey.id}`, { name: 'mine' })).status).toBe(404);
    expect((await profile(session, 'DELETE', `/passkeys/${passkey.id}`)).status).toBe(404);
    expect(await env.DB.prepare('SELECT description FROM tokens WHERE id = ?').bind(passkey.id).first('description')).toBe('Laptop');
  });
});
