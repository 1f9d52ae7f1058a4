/**
 * Recovery codes (tokens/recovery-codes.ts): the way back in when the authenticator is gone, and so a second factor
 * an attacker wants. Each test opens with the attack it shows failing.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CODE_RESEND_COOLDOWN_MS, RECOVERY_CODE_COUNT, STEP_UP_VALID_MS, TOKEN_LOCK_DURATION_MS, TOKEN_MAX_FAILS } from '../../worker/constants';
import { verifyTokenOtp } from '../../worker/tokens/verification';
import { RECOVERY_CODE_ALPHABET, parseRecoveryCode } from '../../worker/tokens/recovery-code-format';
import { generateRecoveryCodes } from '../../worker/tokens/recovery-codes';
import { loadTokenRecord, verifyKeysOf } from '../../worker/tokens/service';
import { assignedUser, lastEmailCode, portalClient, portalWith } from '../helpers/portal';
import { adminClient, call, freezeDateAt, insertUser, json, randomSeedBase32, totpAt, unique, VERIFY_T0 } from '../helpers/worker';

const T0 = freezeDateAt(VERIFY_T0);
const PASSWORD = 'a long enough password';
let admin: Awaited<ReturnType<typeof adminClient>>;

beforeAll(async () => {
  admin = await adminClient();
});

const via = { channel: 'login' as const, ip: '198.51.100.7', client: 'test' };

async function userWithSet(options: { email?: string | null; language?: 'de' | 'en' } = {}) {
  const user = await insertUser({ password: PASSWORD, email: options.email === undefined ? `${unique('rc')}@example.com` : options.email });
  if (options.language) await env.DB.prepare('UPDATE users SET language = ? WHERE id = ?').bind(options.language, user.id).run();
  const set = await generateRecoveryCodes(env, user.id, { ...via, nowMs: Date.now() });
  return { user, set };
}

/** The check every door reaches (verifyTokenOtp), with the set as it is now. */
async function check(tokenId: string, code: string) {
  return verifyTokenOtp(env.DB, verifyKeysOf(env), await loadTokenRecord(env.DB, tokenId), code, Date.now());
}

const tokenRow = (id: string) =>
  env.DB.prepare('SELECT fail_count, locked_until, enabled FROM tokens WHERE id = ?').bind(id).first<{ fail_count: number; locked_until: number | null; enabled: number }>();
const activities = async (userId: string, type: string) =>
  (await env.DB.prepare('SELECT channel, detail FROM user_activities WHERE user_id = ? AND type = ? ORDER BY at, rowid').bind(userId, type).all<{ channel: string; detail: string }>()).results.map(
    (row) => ({ channel: row.channel, ...JSON.parse(row.detail) }),
  );
const mailsTo = async (address: string) =>
  (await env.DB.prepare("SELECT subject, body FROM outbox WHERE channel = 'email' AND recipient = ? ORDER BY at, rowid").bind(address).all<{ subject: string; body: string }>()).results;

describe('recovery codes: generation', () => {
  it('ten codes of 12 characters from the 32-letter alphabet, each with a letter, all different, shown grouped', async () => {
    // Attack: guessing codes that are shorter, biased or shared. Each code has 60 bits and is drawn afresh.
    const { set } = await userWithSet();
    expect(set.codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(set.codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of set.codes) {
      expect(code).toMatch(new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{4}-[${RECOVERY_CODE_ALPHABET}]{4}-[${RECOVERY_CODE_ALPHABET}]{4}$`));
      expect(parseRecoveryCode(code)).not.toBeNull();
    }
  });

  it('the table holds no code in clear: neither grouped nor canonical, in any column of any row', async () => {
    // Attack: a copy of the database (a backup, a read key gone astray) read for the codes. Only keyed hashes are
    // there, and they are bound to the set: without the Worker's secret they cannot even be searched offline.
    const { user, set } = await userWithSet();
    const dump = JSON.stringify([
      (await env.DB.prepare('SELECT * FROM recovery_codes WHERE token_id = ?').bind(set.tokenId).all()).results,
      (await env.DB.prepare('SELECT * FROM tokens WHERE id = ?').bind(set.tokenId).all()).results,
      (await env.DB.prepare('SELECT * FROM user_activities WHERE user_id = ?').bind(user.id).all()).results,
    ]);
    const hashes = (await env.DB.prepare('SELECT code_hash FROM recovery_codes WHERE token_id = ?').bind(set.tokenId).all<{ code_hash: string }>()).results;
    expect(hashes).toHaveLength(RECOVERY_CODE_COUNT);
    for (const { code_hash } of hashes) expect(code_hash).toMatch(/^[0-9a-f]{64}$/);
    for (const code of set.codes) {
      for (const form of [code, code.replaceAll('-', ''), code.toLowerCase(), code.replaceAll('-', '').toLowerCase()]) expect(dump).not.toContain(form);
    }
    // And not an unkeyed hash either: SHA-256 of a code is not what is stored.
    const canonical = set.codes[0]!.replaceAll('-', '');
    const plainHash = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(dump).not.toContain(plainHash);
  });

  it('a new set voids the old: every old code is refused, and the old set is gone in the same batch', async () => {
    // Attack: a code from an old printout (the one the user threw away, or an attacker photographed) after the
    // user made a new set.
    const { user, set: old } = await userWithSet();
    const renewed = await generateRecoveryCodes(env, user.id, { ...via, nowMs: Date.now() });
    expect((await env.DB.prepare('SELECT count(*) AS n FROM tokens WHERE id = ?').bind(old.tokenId).first<number>('n'))).toBe(0);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM recovery_codes WHERE token_id = ?').bind(old.tokenId).first<number>('n'))).toBe(0);
    // Typed at the new set (the only one left), each is a failed guess; fewer than TOKEN_MAX_FAILS keep it unlocked.
    for (const code of old.codes.slice(0, TOKEN_MAX_FAILS - 1)) expect(await check(renewed.tokenId, code)).toMatchObject({ ok: false, reason: 'OTP_INVALID' });
    expect(await check(renewed.tokenId, renewed.codes[3]!)).toMatchObject({ ok: true });
    const sets = await env.DB.prepare("SELECT count(*) AS n FROM tokens WHERE owner_user_id = ? AND type = 'RECOVERY_CODES'").bind(user.id).first<number>('n');
    expect(sets).toBe(1);
    expect((await activities(user.id, 'RecoveryCodesGenerated')).map((a) => a.tokenId)).toEqual([old.tokenId, renewed.tokenId]);
  });
});

describe('recovery codes: verification', () => {
  it('each code works once, in any spelling; a used code is refused and counted as a failed guess', async () => {
    // Attack: a code seen once (over a shoulder, in a browser's form history) used again. It opened one sign-in;
    // sent again it is a wrong guess, counted on the set's lock like any other.
    const { set } = await userWithSet();
    const [first, second] = set.codes as [string, string];
    expect(await check(set.tokenId, first)).toMatchObject({ ok: true, matched: { recoveryCode: true, remaining: RECOVERY_CODE_COUNT - 1 } });
    expect(await check(set.tokenId, ` ${second.toLowerCase().replaceAll('-', ' ')} `)).toMatchObject({ ok: true, matched: { remaining: RECOVERY_CODE_COUNT - 2 } });
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(0);
    expect(await check(set.tokenId, first)).toMatchObject({ ok: false, reason: 'OTP_INVALID' });
    expect(await check(set.tokenId, second.replaceAll('-', ''))).toMatchObject({ ok: false, reason: 'OTP_INVALID' });
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(2);
    // A success clears the counter again.
    expect(await check(set.tokenId, set.codes[2]!)).toMatchObject({ ok: true });
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(0);
  });

  it('50 concurrent submissions of one code: exactly one is accepted, one use is logged and mailed', async () => {
    // Attack: the code is raced, so that a check-then-mark lets several requests through on one code.
    const { user, set } = await userWithSet();
    const address = (await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(user.id).first<string>('email'))!;
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => check(set.tokenId, set.codes[0]!)));
    expect(verdicts.filter((verdict) => verdict.ok)).toHaveLength(1);
    expect(await activities(user.id, 'RecoveryCodeUsed')).toHaveLength(1);
    expect(await mailsTo(address)).toHaveLength(1);
  });

  it(`locks after ${TOKEN_MAX_FAILS} wrong codes: the right code is refused while locked, accepted after the timed unlock`, async () => {
    // Attack: brute force of the set through any door. The guesses count on the set like OTP guesses on a token:
    // after TOKEN_MAX_FAILS the set is locked and not even a right code is looked at.
    const { set } = await userWithSet();
    const wrong = 'ZZZZ-ZZZZ-ZZZ2';
    const verdicts = [];
    for (let i = 0; i < TOKEN_MAX_FAILS; i++) verdicts.push(await check(set.tokenId, wrong));
    expect(verdicts.slice(0, -1).every((verdict) => !verdict.ok && verdict.reason === 'OTP_INVALID')).toBe(true);
    expect(verdicts.at(-1)).toMatchObject({ ok: false, reason: 'TOKEN_LOCKED' });
    expect(await check(set.tokenId, set.codes[0]!)).toMatchObject({ ok: false, reason: 'TOKEN_LOCKED' });
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(TOKEN_MAX_FAILS);
    vi.setSystemTime(T0 + TOKEN_LOCK_DURATION_MS + 1);
    // The right code was refused by the lock, not used up by it.
    expect(await check(set.tokenId, set.codes[0]!)).toMatchObject({ ok: true, matched: { remaining: RECOVERY_CODE_COUNT - 1 } });
    expect(await tokenRow(set.tokenId)).toMatchObject({ fail_count: 0, locked_until: null });
  });

  it('concurrent wrong guesses claim their attempts first: no more than TOKEN_MAX_FAILS are examined', async () => {
    // Attack: a burst of wrong codes and the right one together, so that reads of the counter all see "unlocked".
    // Every attempt is claimed by the statement that decides whether its code is looked at at all.
    const { set } = await userWithSet();
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => check(set.tokenId, `ZZZZ-ZZZZ-${RECOVERY_CODE_ALPHABET.slice(i % 28, (i % 28) + 4)}`)));
    expect(burst.filter((verdict) => !verdict.ok && verdict.reason === 'OTP_INVALID').length).toBeLessThanOrEqual(TOKEN_MAX_FAILS - 1);
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(TOKEN_MAX_FAILS);
    expect(await check(set.tokenId, set.codes[0]!)).toMatchObject({ ok: false, reason: 'TOKEN_LOCKED' });
  });

  it('a use is logged with how many remain and mailed to the owner in their language; the last one spends the set', async () => {
    // Attack: an attacker with the printout signs in quietly. The owner learns of every use at once, with the count.
    const address = `${unique('rc-de')}@example.com`;
    const { user, set } = await userWithSet({ email: address, language: 'de' });
    for (const code of set.codes) expect(await check(set.tokenId, code)).toMatchObject({ ok: true });
    const uses = await activities(user.id, 'RecoveryCodeUsed');
    expect(uses.map((use) => use.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(uses[0]).toMatchObject({ channel: 'login', tokenId: set.tokenId });
    const mails = await mailsTo(address);
    expect(mails).toHaveLength(RECOVERY_CODE_COUNT);
    expect(mails[0]!.subject).toBe('Ein Wiederherstellungscode wurde benutzt');
    expect(mails[0]!.body).toContain('noch 9 unbenutzte Codes');
    expect(mails.at(-1)!.body).toContain('letzter Wiederherstellungscode');
    for (const mail of mails) for (const code of set.codes) expect(mail.body).not.toContain(code);
    // Spent: disabled, so it no longer stands for a factor the user has.
    expect((await tokenRow(set.tokenId))!.enabled).toBe(0);
    const profile = await admin.get(`/tokens/${set.tokenId}`);
    expect(profile).toMatchObject({ type: 'RECOVERY_CODES', enabled: false, recoveryCodes: { remaining: 0, total: RECOVERY_CODE_COUNT, voidedAt: null } });
    expect((await admin.request(`/tokens/${set.tokenId}`, { method: 'PATCH', json: { enabled: true } })).status).toBe(409);
  });

  it('a user without an email address is not mailed, and the sign-in still stands', async () => {
    // Not an attack on the code: a failing notice must not turn a right code into a refusal (or a 500).
    const { set } = await userWithSet({ email: null });
    expect(await check(set.tokenId, set.codes[0]!)).toMatchObject({ ok: true });
  });
});

describe('recovery codes: the administrator', () => {
  it('list and detail show remaining / total; Check OTP and a PIN are refused (they would spend or hide a user code)', async () => {
    // Attack: an administrator (or a leaked admin key) "checking" a user's recovery code uses it up or learns
    // whether it is valid. The admin sees counts only.
    const { user, set } = await userWithSet();
    await check(set.tokenId, set.codes[0]!);
    const listed = await admin.get(`/tokens?ownerUserId=${user.id}&page=1&pageSize=50`);
    expect(listed.items).toEqual([expect.objectContaining({ id: set.tokenId, type: 'RECOVERY_CODES', recoveryCodes: { remaining: 9, total: 10, voidedAt: null } })]);
    const checked = await admin.request(`/tokens/${set.tokenId}/check`, { method: 'POST', json: { otp: set.codes[1]! } });
    expect(checked.status).toBe(400);
    expect((await json(checked)).error.code).toBe('TOKEN_TYPE_MISMATCH');
    expect((await admin.request(`/tokens/${set.tokenId}/pin`, { method: 'PUT', json: { pin: '1234' } })).status).toBe(400);
    expect(await check(set.tokenId, set.codes[1]!)).toMatchObject({ ok: true, matched: { remaining: 8 } });
  });

  it('void: every unused code refused from then on, also if the set were enabled again; logged', async () => {
    // Attack: the user reports the printout stolen; the thief tries the codes after the administrator voided them.
    const { user, set } = await userWithSet();
    await check(set.tokenId, set.codes[0]!);
    const voided = await admin.post(`/tokens/${set.tokenId}/void`, {});
    expect(voided).toMatchObject({ enabled: false, recoveryCodes: { remaining: 0, total: 10, voidedAt: T0 } });
    for (const code of set.codes.slice(1)) expect(await check(set.tokenId, code)).toMatchObject({ ok: false, reason: 'TOKEN_DISABLED' });
    // Even with the token row switched on behind the API's back, the codes themselves are void.
    await env.DB.prepare('UPDATE tokens SET enabled = 1 WHERE id = ?').bind(set.tokenId).run();
    for (const code of set.codes.slice(1, 4)) expect(await check(set.tokenId, code)).toMatchObject({ ok: false, reason: 'OTP_INVALID' });
    expect(await activities(user.id, 'RecoveryCodesVoided')).toEqual([expect.objectContaining({ channel: 'admin', tokenId: set.tokenId })]);
    // Only sets can be voided.
    const totp = await admin.post('/tokens/hardware', { serial: unique('TOTP-'), type: 'TOTP', seed: randomSeedBase32(), seedEncoding: 'base32', algorithm: 'SHA1', digits: 6, periodSeconds: 30, counter: 0 });
    expect((await admin.request(`/tokens/${totp.id}/void`, { method: 'POST', json: {} })).status).toBe(400);
    expect((await admin.request(`/tokens/${crypto.randomUUID()}/void`, { method: 'POST', json: {} })).status).toBe(404);
  });

  it('a set cannot be handed to another user', async () => {
    // Attack: an admin key moves a user's set (whose codes someone else holds) onto another account.
    const { set } = await userWithSet();
    const other = await insertUser();
    expect((await admin.request(`/tokens/${set.tokenId}`, { method: 'PATCH', json: { ownerUserId: other.id } })).status).toBe(400);
  });
});

describe('recovery codes across features', () => {
  const login = (name: string) => call('/api/auth/login', { method: 'POST', json: { login: name, password: PASSWORD } });
  const secondFactor = (challenge: string, otp: string) => call('/api/auth/login/second-factor', { method: 'POST', json: { challenge, otp } });

  async function userWithTotp() {
    const user = await insertUser({ password: PASSWORD, email: `${unique('rc')}@example.com` });
    const seed = randomSeedBase32();
    const totp = await admin.post('/tokens/hardware', { serial: unique('TOTP-'), type: 'TOTP', seed, seedEncoding: 'base32', algorithm: 'SHA1', digits: 6, periodSeconds: 30, counter: 0, ownerUserId: user.id });
    return { user, seed, totpId: totp.id as string };
  }

  async function signInWithTotp(name: string, seed: string) {
    const started = await json(login(name));
    const done = await secondFactor(started.challenge, await totpAt(seed, Date.now()));
    const body = await json(done);
    expect(body.state).toBe('signed_in');
    return { cookie: done.headers.get('set-cookie')!.split(';')[0]!, csrfToken: body.csrfToken as string };
  }

  const profile = (session: { cookie: string; csrfToken: string }, path: string, body?: unknown) =>
    call(`/api/profile${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken }, ...(body !== undefined ? { json: body } : {}) });

  it('/profile makes a set only with the fresh proof, then /login takes one code of it, and never counts an OTP on it', async () => {
    // Attack: a stolen session (without the second factor fresh) makes itself a set of recovery codes, a second
    // factor it could sign in with for good. It gets STEP_UP_REQUIRED; the owner, right after proving, gets the set.
    const { user, seed, totpId } = await userWithTotp();
    const session = await signInWithTotp(user.login, seed);
    vi.setSystemTime(T0 + STEP_UP_VALID_MS + 1000);
    const refused = await profile(session, '/recovery-codes', {});
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe('STEP_UP_REQUIRED');
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tokens WHERE owner_user_id = ? AND type = 'RECOVERY_CODES'").bind(user.id).first<number>('n')).toBe(0);

    const fresh = await signInWithTotp(user.login, seed);
    const made = await profile(fresh, '/recovery-codes', {});
    expect(made.status).toBe(201);
    const { codes, createdAt } = await json(made);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(createdAt).toBe(Date.now());
    expect((await json(profile(fresh, ''))).recoveryCodes).toEqual({ remaining: 10, total: 10, createdAt });
    const setId = (await env.DB.prepare("SELECT id FROM tokens WHERE owner_user_id = ? AND type = 'RECOVERY_CODES'").bind(user.id).first<string>('id'))!;

    // /login: a wrong OTP counts on the app token only, a wrong recovery code on the set only.
    const started = await json(login(user.login));
    expect(started.methods).toEqual(expect.arrayContaining(['otp', 'recovery_code']));
    expect((await json(secondFactor(started.challenge, '000000'))).error).toBeDefined();
    expect([(await tokenRow(totpId))!.fail_count, (await tokenRow(setId))!.fail_count]).toEqual([1, 0]);
    expect((await json(secondFactor(started.challenge, 'ZZZZ-ZZZZ-ZZZ2'))).error).toBeDefined();
    expect([(await tokenRow(totpId))!.fail_count, (await tokenRow(setId))!.fail_count]).toEqual([1, 1]);
    const signedIn = await json(secondFactor(started.challenge, codes[0].toLowerCase()));
    expect(signedIn.state).toBe('signed_in');
    expect((await tokenRow(setId))!.fail_count).toBe(0);
    // The same code at the next sign-in: refused (used), counted on the set.
    const again = await json(login(user.login));
    expect((await json(secondFactor(again.challenge, codes[0]))).error).toBeDefined();
    expect((await tokenRow(setId))!.fail_count).toBe(1);
    expect((await activities(user.id, 'RecoveryCodesGenerated'))[0]).toMatchObject({ channel: 'login', total: 10 });
  });

  it('beside an EMAIL token the set is the way back in, not the factor asked: /login mails the code and takes either', async () => {
    // Attack on the owner: asked for a recovery code in place of the usual mailed code, every sign-in would spend
    // the set meant for the day the mailbox is gone, until the owner is locked out. The mailed code stays the
    // factor asked; a recovery code is taken instead of it, and an OTP-shaped guess never counts on the set.
    const { user, set } = await userWithSet();
    const mailbox = `${unique('rc-mail')}@example.com`;
    await admin.post('/tokens/message', { type: 'EMAIL', destination: mailbox, ownerUserId: user.id });
    const started = await json(login(user.login));
    expect(started.methods).toEqual(['code', 'recovery_code']);
    expect(started.delivery).toMatchObject({ channel: 'email' });
    const mailed = await json(secondFactor(started.challenge, await lastEmailCode(mailbox)));
    expect(mailed.state).toBe('signed_in');
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(0);

    vi.setSystemTime(Date.now() + CODE_RESEND_COOLDOWN_MS + 1000); // the next sign-in mails a code again
    const again = await json(login(user.login));
    const byRecoveryCode = await json(secondFactor(again.challenge, set.codes[1]!));
    expect(byRecoveryCode, JSON.stringify(byRecoveryCode)).toMatchObject({ state: 'signed_in' });
    expect((await activities(user.id, 'RecoveryCodeUsed')).map((use) => use.remaining)).toEqual([RECOVERY_CODE_COUNT - 1]);
  });

  it('/api/v1/verify takes a code once (the integration door), and a second set made meanwhile voids it', async () => {
    // Attack: a code replayed at the verify API after it opened /login, or after the user renewed the set.
    const { user, set } = await userWithSet();
    const resource = await admin.post('/resources', { name: unique('RC-VPN-') });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: null });
    const verify = (otp: string) => json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp } }));
    expect(await verify(set.codes[0]!)).toMatchObject({ accepted: true });
    // The use is logged at the door it came through.
    expect(await activities(user.id, 'RecoveryCodeUsed')).toEqual([expect.objectContaining({ channel: 'api', remaining: RECOVERY_CODE_COUNT - 1 })]);
    expect(await verify(set.codes[0]!)).toMatchObject({ accepted: false });
    await generateRecoveryCodes(env, user.id, { ...via, nowMs: Date.now() });
    expect(await verify(set.codes[1]!)).toMatchObject({ accepted: false });
  });
});

describe('recovery codes in the portal', () => {
  const PORTAL_PASSWORD = 'portal password 1';

  async function portalUserWithTotp(actions: string[]) {
    const { admin: portalAdmin, resource, alias } = await portalWith(actions);
    const user = await assignedUser(portalAdmin, resource.id, { email: `${unique('rcp')}@example.com` });
    const seed = randomSeedBase32();
    const token = await portalAdmin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    await portalAdmin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    return { alias, user, seed };
  }

  async function signedInPortal(alias: string, login: string, seed: string) {
    const client = portalClient(alias);
    const step = await client.signIn(login, PORTAL_PASSWORD);
    const done = await client.send('POST', '/signin/otp', { flow: step.body.flow, otp: await totpAt(seed, Date.now()) });
    expect(done.body.state).toBe('signed_in');
    return client;
  }

  it('Generate Recovery Codes: only where switched on, only with the fresh proof; its codes then open /login', async () => {
    // Attack: a portal session that has not proven the second factor lately (left open on a shared computer) makes
    // itself a set, a factor for good. Refused with STEP_UP_REQUIRED, as on a portal where the action is off.
    const off = await portalUserWithTotp(['changeName']);
    const offClient = await signedInPortal(off.alias, off.user.login, off.seed);
    expect(await offClient.send('POST', '/recovery-codes', {})).toMatchObject({ status: 403, body: { error: { code: 'ACTION_DISABLED' } } });

    const { alias, user, seed } = await portalUserWithTotp(['GenerateRecoveryCodes']);
    const stale = await signedInPortal(alias, user.login, seed);
    vi.setSystemTime(T0 + STEP_UP_VALID_MS + 1000);
    expect(await stale.send('POST', '/recovery-codes', {})).toMatchObject({ status: 403, body: { error: { code: 'STEP_UP_REQUIRED' } } });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tokens WHERE owner_user_id = ? AND type = 'RECOVERY_CODES'").bind(user.id).first<number>('n')).toBe(0);

    const fresh = await signedInPortal(alias, user.login, seed);
    const made = await fresh.send('POST', '/recovery-codes', {});
    expect(made.status).toBe(201);
    expect(made.body.codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect((await activities(user.id, 'RecoveryCodesGenerated'))[0]).toMatchObject({ channel: 'portal' });

    const started = await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: PORTAL_PASSWORD } }));
    const signedIn = await json(call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: started.challenge, otp: made.body.codes[0] } }));
    expect(signedIn.state).toBe('signed_in');
  });

  it('a portal sign-in with a mailed code makes no set for a user whose /login asks an app OTP', async () => {
    // Attack: the attacker has Bob's password and reads his mailbox; Bob's /login asks the OTP of his app. At a
    // portal whose resource takes Bob's EMAIL token they sign in with the mailed code and ask for recovery codes,
    // which /login would then take instead of the app: the mailbox would have replaced the app for good.
    const { admin: portalAdmin, resource, alias } = await portalWith(['GenerateRecoveryCodes'], ['TOTP', 'EMAIL']);
    const bob = await assignedUser(portalAdmin, resource.id);
    await portalAdmin.post('/tokens/hardware', { type: 'TOTP', serial: unique('APP-'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: bob.id });
    const mailbox = `${unique('bob')}@example.com`;
    const emailToken = await portalAdmin.post('/tokens/message', { type: 'EMAIL', destination: mailbox, ownerUserId: bob.id });
    await portalAdmin.put(`/resources/${resource.id}/assignments`, { userId: bob.id, tokenId: emailToken.id });
    const attacker = portalClient(alias);
    const started = await attacker.signIn(bob.login, PORTAL_PASSWORD);
    const signedIn = await attacker.send('POST', '/signin/otp', { flow: started.body.flow, otp: await lastEmailCode(mailbox) });
    expect(signedIn.body.state).toBe('signed_in');
    expect(await attacker.send('POST', '/recovery-codes', {})).toMatchObject({ status: 403, body: { error: { code: 'STEP_UP_REQUIRED' } } });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tokens WHERE owner_user_id = ? AND type = 'RECOVERY_CODES'").bind(bob.id).first<number>('n')).toBe(0);
  });

  it("restore access takes a recovery code as the token's proof, once, and a wrong one does not count on the set", async () => {
    // Attack: an anonymous requester guesses recovery codes through restore access (or tries to lock the victim's
    // set by guessing wrong). Its own per-login and per-IP counters bound the guesses; the set's lock is not
    // touched; a right code is used up like anywhere else, and its owner is told.
    const { admin: portalAdmin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(portalAdmin, resource.id, { email: `${unique('rcr')}@example.com` });
    const token = await portalAdmin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: user.id });
    await portalAdmin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const set = await generateRecoveryCodes(env, user.id, { ...via, nowMs: Date.now() });
    let filed = 0;
    const file = async (otp: string) => {
      // Past the token code's resend cooldown, which every start takes alike.
      vi.setSystemTime(T0 + ++filed * (CODE_RESEND_COOLDOWN_MS + 1000));
      const client = portalClient(alias, { ip: `198.18.7.${Math.floor(Math.random() * 250)}` });
      const start = await client.send('POST', '/recovery', { login: user.login, lost: ['password', 'email'] });
      expect(start.status).toBe(200);
      const newData = { newPassword: 'a new password 123', newEmail: `${unique('n')}@example.com` };
      const submitted = await client.send('POST', '/recovery/submit', { flow: start.body.flow, otp, ...newData });
      // A wrong code is refused and files nothing; the request then goes as it is, with the token marked failed.
      if (submitted.status === 401) expect((await client.send('POST', '/recovery/submit', { flow: start.body.flow, ...newData })).status).toBe(200);
      else expect(submitted.status).toBe(200);
      const issue = await env.DB.prepare("SELECT authenticators FROM user_issues WHERE user_id = ? AND state = 'open'").bind(user.id).first<string>('authenticators');
      return JSON.parse(issue!).token as string;
    };
    expect(await file('ZZZZ-ZZZZ-ZZZ2')).toBe('failed');
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(0);
    expect(await file(set.codes[0]!)).toBe('verified');
    expect(await activities(user.id, 'RecoveryCodeUsed')).toEqual([expect.objectContaining({ channel: 'portal', remaining: 9 })]);
    expect(await file(set.codes[0]!)).toBe('failed');
    expect((await tokenRow(set.tokenId))!.fail_count).toBe(0);
  });
});
