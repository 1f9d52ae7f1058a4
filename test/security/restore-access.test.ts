/**
 * Threats on "restore access" (/api/portal/<alias>/recovery*), which anyone may use for any login:
 * - filing many requests for a victim, each carrying the attacker's new password and email, hoping an
 *   administrator approves one (40 requests used to leave 40 approvable issues);
 * - guessing the victim's token OTP through it, or locking the victim's token by guessing wrong on purpose;
 * - guessing the password through it past the account's password lock;
 * - filing a request with no proof at all, or with a guessed one in the submission, hoping an administrator
 *   approves it anyway;
 * - guessing a code through the proof step that lets a mistyped code be typed again;
 * - learning which logins exist from the answers.
 * What bounds them: each proof claims an attempt on its flow (RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW) and per IP and
 * per login as typed (RESTORE_ACCESS_SUBMITS_*) before it is examined; a password also claims a login attempt
 * (LOGIN_MAX_FAILS); a request needs a proof; one open request per user, the newest replacing the older.
 *
 * The clock is pinned (Date only) and moved past the windows; nothing waits.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CODE_RESEND_COOLDOWN_MS,
  LOGIN_MAX_FAILS,
  RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW,
  RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR,
  RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR,
} from '../../worker/constants';
import { assignedUser, portalClient, portalWith, type AdminClient } from '../helpers/portal';
import { statementRecorder } from '../helpers/statement-recorder';
import { call, randomSeedBase32, totpAt, unique } from '../helpers/worker';
import { settled } from '../helpers/verify-state';
import { loadPortal } from '../../worker/selfservice/portal';
import { proveRecovery, startRecovery, submitRecovery } from '../../worker/selfservice/recovery-service';

const T0 = Date.UTC(2026, 6, 1, 9, 0, 10);
const PASSWORD = 'portal password 1';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

let ipCounter = 0;
const freshIp = () => `198.18.0.${++ipCounter % 250}`;

/**
 * A start and a submission, from one address: what an anonymous attacker sends. A wrong proof in the submission is
 * refused and files nothing; the request then goes without it, as the form sends it once no tries are left, and is
 * filed with that proof marked failed.
 */
async function fileRequest(alias: string, login: string, lost: string[], evidence: Record<string, string>, ip = freshIp()) {
  const client = portalClient(alias, { ip });
  const start = await client.send('POST', '/recovery', { login, lost });
  if (start.status !== 200) return start;
  const submitted = await client.send('POST', '/recovery/submit', { flow: start.body.flow, ...evidence });
  if (submitted.body?.error?.code !== 'RECOVERY_PROOF_INVALID') return submitted;
  const { newPassword, newEmail } = evidence;
  return client.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword, newEmail });
}

const openIssuesOf = async (userId: string) =>
  (await env.DB.prepare(`SELECT id, pending_email, authenticators FROM user_issues WHERE user_id = ? AND state = 'open'`).bind(userId).all<{ id: string; pending_email: string; authenticators: string }>())
    .results;

async function userWithTotp(admin: AdminClient, resourceId: string) {
  const user = await assignedUser(admin, resourceId);
  const seed = randomSeedBase32();
  const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId: user.id });
  await admin.put(`/resources/${resourceId}/assignments`, { userId: user.id, tokenId: token.id });
  return { user, seed, token };
}

const otherCode = (code: string, by = 1) => String((Number(code) + by) % 1_000_000).padStart(6, '0');
const tokenRow = async (id: string) => (await settled(id), await env.DB.prepare('SELECT fail_count, locked_until FROM tokens WHERE id = ?').bind(id).first());

describe('a flood of requests for one user', () => {
  it('40 anonymous requests at once leave one open request, and only the first few are taken at all', async () => {
    // Attack: 40 requests for the victim from 40 addresses, each "lost password and email" with a guessed OTP and the
    // attacker's new password and email, so that an administrator working through the list approves one of them.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const victim = await assignedUser(admin, resource.id);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fileRequest(alias, victim.login, ['password', 'email'], { otp: '000000', newPassword: `attacker password ${i}`, newEmail: `attacker${i}@evil.example` }),
      ),
    );
    const filed = answers.filter((a) => a.status === 200);
    expect(filed).toHaveLength(RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR);
    for (const answer of filed) expect(answer.body).toEqual({ submitted: true });
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', details: { limit: 'login' } } } });
    }
    expect(await openIssuesOf(victim.id)).toHaveLength(1);
  }, 30_000);

  it('a new request replaces the open one; approving the replaced one is refused and changes nothing', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    await fileRequest(alias, user.login, ['password', 'email'], { otp: '000000', newPassword: 'first new password', newEmail: 'first@example.com' });
    const [first] = await openIssuesOf(user.id);
    await fileRequest(alias, user.login, ['password', 'email'], { otp: '000000', newPassword: 'second new password', newEmail: 'second@example.com' });
    const open = await openIssuesOf(user.id);
    expect(open.map((issue) => issue.pending_email)).toEqual(['second@example.com']);
    const stale = await admin.request(`/user-issues/${first!.id}/approve`, { method: 'POST' });
    expect(stale.status).toBe(404);
    expect((await portalClient(alias).signIn(user.login, PASSWORD)).body.state).toBe('signed_in');
  });
});

describe('token OTP guesses through restore access', () => {
  it('do not lock the victim’s token and are bounded per login; past the bound even the right OTP is not examined', async () => {
    // Attack: wrong OTPs filed through restore access used to count toward the victim's token lock, so anyone could
    // lock the victim out; and each filed request was another guess at the OTP.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user, seed, token } = await userWithTotp(admin, resource.id);
    const guesses = [];
    for (let i = 0; i < RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR + 2; i++) {
      const right = await totpAt(seed, Date.now());
      guesses.push(await fileRequest(alias, user.login, ['password', 'email'], { otp: otherCode(right, 7), newPassword: 'attacker password 1', newEmail: 'a@evil.example' }));
      // The code sent to an SMS/email token has a resend cooldown per login: wait it out between flows.
      vi.setSystemTime(Date.now() + CODE_RESEND_COOLDOWN_MS + 1000);
    }
    expect(guesses.map((g) => g.status)).toEqual([...Array(RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR).fill(200), 429, 429]);
    expect(await tokenRow(token.id)).toEqual({ fail_count: 0, locked_until: null });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators).token).toBe('failed');

    // Past the bound, the right OTP is refused before it is looked at: no request says "token verified".
    const late = await fileRequest(alias, user.login, ['password', 'email'], { otp: await totpAt(seed, Date.now()), newPassword: 'attacker password 1', newEmail: 'a@evil.example' });
    expect(late).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators).token).toBe('failed');

    // The victim still signs in with password and OTP: the token is not locked.
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/signin', { login: user.login });
    expect((await client.send('POST', '/signin/password', { flow: start.body.flow, password: PASSWORD })).body).toMatchObject({ step: 'otp' });
    expect((await client.send('POST', '/signin/otp', { flow: start.body.flow, otp: await totpAt(seed, Date.now()) })).body.state).toBe('signed_in');
  });

  it('the right OTP within the bound is verified', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user, seed } = await userWithTotp(admin, resource.id);
    const otp = await totpAt(seed, Date.now());
    expect((await fileRequest(alias, user.login, ['password'], { otp, newPassword: 'a brand new password' })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators).token).toBe('verified');
  });

  it('are bounded per IP across logins', async () => {
    // Attack: one address sweeping many logins with guesses.
    // Unknown logins are limited exactly like real ones (a test of its own below), so they stand in for many users.
    const { alias } = await portalWith(['changeName']);
    const ip = freshIp();
    const answers = [];
    for (let i = 0; i < RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR + 1; i++) {
      answers.push((await fileRequest(alias, unique('someone'), ['password', 'email'], { otp: '000000', newPassword: 'attacker password 1', newEmail: 'a@evil.example' }, ip)).status);
    }
    expect(answers).toEqual([...Array(RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR).fill(200), 429]);
  }, 30_000);
});

describe('a password given to restore access', () => {
  it('claims an attempt on the login’s password lock first: a locked login’s right password is not examined', async () => {
    // Attack: the password lock (LOGIN_MAX_FAILS) stops guessing at /login; restore access must not be a way round it.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user } = await userWithTotp(admin, resource.id);
    for (let i = 0; i < LOGIN_MAX_FAILS; i++) {
      await call('/api/auth/login', { method: 'POST', headers: { 'cf-connecting-ip': freshIp() }, json: { login: user.login, password: `wrong password ${i}` } });
    }
    await fileRequest(alias, user.login, ['token'], { password: PASSWORD });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators).password).toBe('failed');
  });

  it('is verified when right and the login is not locked', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user } = await userWithTotp(admin, resource.id);
    await fileRequest(alias, user.login, ['token'], { password: PASSWORD });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators).password).toBe('verified');
  });
});

describe('the answers do not tell which logins exist', () => {
  it('a real login and an unknown one get the same answers, the per-login bound included', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const real = await assignedUser(admin, resource.id);
    const observe = async (login: string) => {
      const answers = [];
      for (let i = 0; i < RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR + 1; i++) {
        answers.push(await fileRequest(alias, login, ['password', 'email'], { otp: '000000', newPassword: 'attacker password 1', newEmail: 'a@evil.example' }));
      }
      return answers;
    };
    const answersForReal = await observe(real.login);
    expect(answersForReal.at(-1)).toMatchObject({ status: 429 });
    expect(await observe(unique('ghost'))).toEqual(answersForReal);
  });

  it('a real login and an unknown one run the same statements before the answer, at the start and at the submission', async () => {
    // Attack: time the answers. A real login with an email and a token used to make the start answer wait behind
    // the code send and the token lookup it had begun, and the submission ran its user and token reads and stored
    // the request before answering (about 80 ms against 53 ms for an unknown login over HTTP on a local start):
    // a stopwatch told which logins exist and are assigned to this portal.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const real = await userWithTotp(admin, resource.id);
    await env.DB.prepare('UPDATE users SET email = ? WHERE id = ?').bind(`${real.user.login}@example.test`, real.user.id).run();
    const portal = await loadPortal(env.DB, alias);
    const observe = async (login: string) => {
      const recorder = statementRecorder();
      const spied = recorder.env;
      const meta = { ip: freshIp(), nowMs: Date.now() };
      // What runs after the answer (the code sends, the admin notification) is not recorded.
      const answer = recorder.step;
      const start = await answer(() => startRecovery(spied, portal, { login, lost: ['password'] }, meta, recorder.defer));
      const wrongOtp = otherCode(await totpAt(real.seed, T0));
      const refused = await answer(() => submitRecovery(spied, portal, start.result!.flow, { emailCode: '000000', otp: wrongOtp, newPassword: 'attacker password 1' }, meta, () => {}));
      const filed = await answer(() => submitRecovery(spied, portal, start.result!.flow, { newPassword: 'attacker password 1' }, meta, () => {}));
      return { atStart: start.statements, refused: { error: refused.error, statements: refused.statements }, atSubmit: filed.statements };
    };
    const forReal = await observe(real.user.login);
    expect(forReal.refused.error).toBe('RECOVERY_PROOF_INVALID');
    expect(await observe(unique('ghost'))).toEqual(forReal);
    expect((await openIssuesOf(real.user.id)).length).toBe(1);
  });
});

describe('proofs before the request is filed', () => {
  it('a crafted request with no proof at all is refused and stores nothing; "lost everything" cannot start one', async () => {
    // Attack: skip the form and post the submission with only the attacker's new password, no proof of anything, so
    // that an administrator finds one more request to approve.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const victim = await assignedUser(admin, resource.id);
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/recovery', { login: victim.login, lost: ['password'] });
    const crafted = await client.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword: 'attacker password 1' });
    expect(crafted).toMatchObject({ status: 400, body: { error: { code: 'RECOVERY_PROOF_REQUIRED' } } });
    // Declaring everything lost leaves nothing to prove with: refused before a flow exists, for every login alike.
    for (const login of [victim.login, unique('ghost')]) {
      const everything = await client.send('POST', '/recovery', { login, lost: ['password', 'email', 'token'] });
      expect(everything).toMatchObject({ status: 400, body: { error: { code: 'RECOVERY_NOTHING_LEFT' } } });
    }
    expect(await openIssuesOf(victim.id)).toEqual([]);
  });

  it('a submission carrying a wrong proof is refused at its field and files nothing; the right one typed again files it as verified', async () => {
    // Attack: skip the proof step and post the submission with a guessed OTP and the attacker's new password. It
    // used to be filed with the token marked failed, one more request for an administrator to approve by mistake.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user, seed } = await userWithTotp(admin, resource.id);
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    const right = await totpAt(seed, Date.now());
    const guessed = await client.send('POST', '/recovery/submit', { flow: start.body.flow, otp: otherCode(right, 3), newPassword: 'attacker password 1' });
    expect(guessed).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'token', attemptsLeft: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW - 1 } } } });
    expect(await openIssuesOf(user.id)).toEqual([]);
    // The user's typo is retyped in the same flow: the request is filed once, with the token verified.
    expect((await client.send('POST', '/recovery/submit', { flow: start.body.flow, otp: right, newPassword: 'a brand new password' })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators)).toEqual({ password: 'lost', email: 'none', token: 'verified' });
  });

  it('a submission refused for what it lacks leaves the flow open: sent again complete, it is filed once', async () => {
    // Failure first: a user who proved the token but forgot the new password, or sent nothing to prove with, used to
    // lose the flow to that refusal (it was used up before the checks) and had to start over.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user, seed } = await userWithTotp(admin, resource.id);
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    const bare = await client.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword: 'a brand new password' });
    expect(bare).toMatchObject({ status: 400, body: { error: { code: 'RECOVERY_PROOF_REQUIRED' } } });
    const withoutPassword = await client.send('POST', '/recovery/submit', { flow: start.body.flow, otp: await totpAt(seed, Date.now()) });
    expect(withoutPassword).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'newPassword', code: 'REQUIRED' }] } } } });
    expect(await openIssuesOf(user.id)).toEqual([]);
    // The token was proven by the refused submission (its verdict stays): the complete one files with it verified.
    expect((await client.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword: 'a brand new password' })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators)).toEqual({ password: 'lost', email: 'none', token: 'verified' });
    const again = await client.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword: 'a brand new password' });
    expect(again.body.error.code).toBe('CODE_EXPIRED');
  });

  it(`concurrent submissions with wrong codes on one flow: ${RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW} examined, none filed, then even the right code is refused unexamined`, async () => {
    // Attack: a burst of submissions, each carrying another OTP guess, all in flight before any answer, to get more
    // checks out of one flow than it takes or to have one of them filed.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user, seed, token } = await userWithTotp(admin, resource.id);
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    const right = await totpAt(seed, Date.now());
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => client.send('POST', '/recovery/submit', { flow: start.body.flow, otp: otherCode(right, i + 5), newPassword: 'attacker password 1' })),
    );
    const codes = answers.map((a) => a.body.error.code).sort();
    expect(codes).toEqual([...Array(RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW).fill('RECOVERY_PROOF_INVALID'), ...Array(12 - RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW).fill('RECOVERY_ATTEMPTS_USED')].sort());
    const late = await client.send('POST', '/recovery/submit', { flow: start.body.flow, otp: right, newPassword: 'attacker password 1' });
    expect(late).toMatchObject({ status: 429, body: { error: { code: 'RECOVERY_ATTEMPTS_USED' } } });
    expect(await openIssuesOf(user.id)).toEqual([]);
    expect(await tokenRow(token.id)).toEqual({ fail_count: 0, locked_until: null });
  });

  it('a mistyped password can be typed again within the flow’s attempts; the request then carries it as verified', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user } = await userWithTotp(admin, resource.id);
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/recovery', { login: user.login, lost: ['token'] });
    expect(start.body).toMatchObject({ verify: ['password', 'email'] });
    const wrong = await client.send('POST', '/recovery/proof', { flow: start.body.flow, password: 'portal password 2' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'password', attemptsLeft: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW - 1 } } } });
    expect(await openIssuesOf(user.id)).toEqual([]);
    const right = await client.send('POST', '/recovery/proof', { flow: start.body.flow, password: PASSWORD });
    // The account has no email address: once proven, the form asks for nothing more.
    expect(right).toEqual({ status: 200, body: { verified: ['password'], verify: [], attemptsLeft: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW - 2 } });
    expect((await client.send('POST', '/recovery/submit', { flow: start.body.flow })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators)).toEqual({ password: 'verified', email: 'none', token: 'lost' });
  });

  it(`concurrent wrong codes on one flow: ${RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW} examined, then even the right one is refused unexamined`, async () => {
    // Attack: a burst of OTP guesses at the proof step, all in flight before any answer, to get past the flow's limit.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const { user, seed, token } = await userWithTotp(admin, resource.id);
    const client = portalClient(alias, { ip: freshIp() });
    const start = await client.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    const right = await totpAt(seed, Date.now());
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => client.send('POST', '/recovery/proof', { flow: start.body.flow, otp: otherCode(right, i + 5) })));
    const codes = answers.map((a) => a.body.error.code).sort();
    expect(codes).toEqual([...Array(RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW).fill('RECOVERY_PROOF_INVALID'), ...Array(12 - RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW).fill('RECOVERY_ATTEMPTS_USED')].sort());
    expect((await client.send('POST', '/recovery/proof', { flow: start.body.flow, otp: right })).body.error.code).toBe('RECOVERY_ATTEMPTS_USED');
    expect(await tokenRow(token.id)).toEqual({ fail_count: 0, locked_until: null });
    // What was tried is filed as failed: the administrator sees it.
    expect((await client.send('POST', '/recovery/submit', { flow: start.body.flow, newPassword: 'a brand new password' })).body).toEqual({ submitted: true });
    expect(JSON.parse((await openIssuesOf(user.id))[0]!.authenticators).token).toBe('failed');
  });

  it('after one proof succeeded, only the authenticators the account has are asked for', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const proveWithPassword = async (login: string, lost: string[]) => {
      const client = portalClient(alias, { ip: freshIp() });
      const start = await client.send('POST', '/recovery', { login, lost });
      return (await client.send('POST', '/recovery/proof', { flow: start.body.flow, password: PASSWORD })).body;
    };
    const withEmail = await assignedUser(admin, resource.id, { email: `${unique('owned')}@example.test` });
    expect(await proveWithPassword(withEmail.login, ['token'])).toMatchObject({ verified: ['password'], verify: ['email'] });
    const { user: withToken } = await userWithTotp(admin, resource.id);
    expect(await proveWithPassword(withToken.login, ['email'])).toMatchObject({ verified: ['password'], verify: ['token'] });
    const passwordOnly = await assignedUser(admin, resource.id);
    expect(await proveWithPassword(passwordOnly.login, ['token'])).toMatchObject({ verified: ['password'], verify: [] });
  });

  it('before a proof succeeded, a real login, one without a password and an unknown one get the same answers and run the same statements', async () => {
    // Attack: tell which logins exist (and which have a password) from the start's answer or a wrong proof's
    // refusal: its status, its body, or its timing (what it runs before answering).
    const { admin, resource, alias } = await portalWith(['changeName']);
    const real = await userWithTotp(admin, resource.id);
    await env.DB.prepare('UPDATE users SET email = ? WHERE id = ?').bind(`${real.user.login}@example.test`, real.user.id).run();
    const passwordless = await assignedUser(admin, resource.id, { password: null, email: `${unique('np')}@example.test` });
    const portal = await loadPortal(env.DB, alias);
    const observe = async (login: string) => {
      const recorder = statementRecorder();
      const meta = { ip: freshIp(), nowMs: Date.now() };
      const start = await recorder.step(() => startRecovery(recorder.env, portal, { login, lost: ['token'] }, meta, recorder.defer));
      const proof = await recorder.step(() => proveRecovery(recorder.env, portal, start.result!.flow, { password: 'a wrong password' }, meta));
      const http = portalClient(alias, { ip: freshIp() });
      const started = await http.send('POST', '/recovery', { login, lost: ['token'] });
      const refused = await http.send('POST', '/recovery/proof', { flow: started.body.flow, emailCode: '000000' });
      return {
        startAnswer: { status: started.status, body: { ...started.body, flow: started.body.flow.length } },
        proofAnswer: refused,
        atStart: start.statements,
        atProof: { error: proof.error, statements: proof.statements },
      };
    };
    const forReal = await observe(real.user.login);
    expect(forReal.proofAnswer).toMatchObject({ status: 401, body: { error: { code: 'RECOVERY_PROOF_INVALID', details: { field: 'email', attemptsLeft: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW - 1 } } } });
    expect(forReal.atProof.error).toBe('RECOVERY_PROOF_INVALID');
    expect(await observe(passwordless.login)).toEqual(forReal);
    expect(await observe(unique('ghost'))).toEqual(forReal);
  });
});
