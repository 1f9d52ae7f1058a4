/**
 * Password reset and restore access attacked the way attackers do: many concurrent requests over real HTTP to the
 * Worker as `npm start` runs it (wrangler dev, loopback, PUBLIC_ORIGIN empty), emails read from the impersonated
 * Postmark API.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_MAX_ATTEMPTS, PASSWORD_RESET_REQUESTS_PER_LOGIN_PER_HOUR, RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW, RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR } from '../../../worker/constants';
import { base32ToBytes } from '../../../worker/lib/encoding';
import { importHmacKey } from '../../../worker/otp/hotp';
import { generateTotp } from '../../../worker/otp/totp';
import type { E2eApp } from '../../e2e/harness';
import { jsonPoster, startAttackedApp } from './support';

const SCENARIO = 'reset-and-restore';
const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
let app: E2eApp;

beforeAll(async () => {
  app = await startAttackedApp(SCENARIO);
});
afterAll(() => app?.stop());

const post = jsonPoster(() => app, '198.51.100.');

const mailsTo = async (to: string) => (await app.providers!.requests(SCENARIO)).map((r) => JSON.parse(r.body)).filter((mail) => mail.To === to);

describe('password reset', () => {
  it('a spoofed Host gets no link: without PUBLIC_ORIGIN only a loopback origin is trusted', async () => {
    // Attack: "Host: attacker.example" on the victim's reset request, so the emailed link leads to the attacker.
    await app.adminApi('POST', '/users', { login: 'hostvictim', email: 'hostvictim@example.test' });
    const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const url = new URL(`${app.url}/api/auth/password-reset`);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ login: 'hostvictim' }));
    });
    expect(answer).toMatchObject({ status: 503, body: { error: { code: 'PUBLIC_ORIGIN_REQUIRED' } } });
    expect(await mailsTo('hostvictim@example.test')).toEqual([]);
  });

  it('the answer for a real login is complete while its email is still being sent (no timing signal)', async () => {
    // Attack: time the answer. A real login's lookup and email used to run before it (24.6 ms against 8.5 ms for an
    // unknown login); after moving them behind the response, a gzip-accepting client (fetch, every browser) still
    // saw the local runtime end the compressed answer only once that work was done.
    const user = await app.adminApi('POST', '/users', { login: 'timingvictim', email: 'timingvictim@example.test' });
    // The email provider holds its answer for 8 s: the send is in flight for that long.
    await fetch(`${app.providers!.url}/__scenario/${SCENARIO}`, { method: 'POST', body: JSON.stringify({ delayMs: 8000, times: 1 }) });
    const answer = await fetch(`${app.url}/api/auth/password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
      body: JSON.stringify({ login: 'timingvictim' }),
    });
    // Unencoded, with its length: a compressed answer would end only once the local runtime has run the work after it.
    expect({ encoding: answer.headers.get('content-encoding'), length: answer.headers.get('content-length') }).toEqual({ encoding: 'identity', length: '18' });
    expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 202, body: { requested: true } });
    // The answer has ended; the send it started has reached the provider and is not finished (nothing logged yet).
    await expect.poll(async () => (await mailsTo('timingvictim@example.test')).length, { timeout: 5_000 }).toBe(1);
    expect((await app.adminApi('GET', `/messaging/message-log?userId=${user.id}`)).items).toEqual([]);
  });

  it('40 concurrent requests for one login: a few are taken, one email with one working link goes out', async () => {
    // Attack: a burst of resets for the victim, to void the link they are about to use and fill their mailbox.
    await app.adminApi('POST', '/users', { login: 'resetvictim', email: 'resetvictim@example.test' });
    const answers = await Promise.all(Array.from({ length: 40 }, () => post('/api/auth/password-reset', { login: 'resetvictim' })));
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(PASSWORD_RESET_REQUESTS_PER_LOGIN_PER_HOUR);
    for (const refused of answers.filter((a) => a.status !== 202)) expect(refused.body.error.code).toBe('RATE_LIMITED');

    await expect.poll(async () => (await mailsTo('resetvictim@example.test')).length, { timeout: 10_000 }).toBe(1);
    // The sends run after the answers: give any late one time to (wrongly) arrive.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const mails = await mailsTo('resetvictim@example.test');
    expect(mails).toHaveLength(1);
    const link = /(http\S+\/login\/reset\?token=\S+)/.exec(mails[0].TextBody)![1]!;
    expect(link.startsWith(`${app.url}/login/reset?token=`)).toBe(true);
    const token = new URL(link).searchParams.get('token')!;

    const completions = await Promise.all(Array.from({ length: 10 }, (_, i) => post('/api/auth/password-reset/complete', { token, password: `racing password ${i}0` })));
    expect(completions.filter((c) => c.status === 204)).toHaveLength(1);
  });
});

describe('restore access', () => {
  it(`concurrent OTP guesses for one user: at most ${RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR} evaluated, none filed, the token not locked; sent without them, one open request`, async () => {
    // Attack: many restore-access requests at once, each a guess at the victim's token OTP, through several portals
    // so that no per-portal limit applies; wrong guesses used to count toward (and lock) the victim's token, and
    // each was filed (marked failed) for an administrator to approve by mistake.
    const user = await app.adminApi('POST', '/users', { login: 'restorevictim', password: 'restore password 1' });
    const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'HW-RESTORE-1', seed: SEED, seedEncoding: 'base32', ownerUserId: user.id });
    const aliases: string[] = [];
    for (let i = 0; i < RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR + 5; i++) {
      const resource = await app.adminApi('POST', '/resources', { name: `Restore ${i}` });
      await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: `restore-${i}`, actions: ['changeName'], tokenTypes: [] });
      await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
      aliases.push(`restore-${i}`);
    }
    const flows = await Promise.all(aliases.map(async (alias) => ({ alias, start: await post(`/api/portal/${alias}/recovery`, { login: 'restorevictim', lost: ['password', 'email'] }) })));
    for (const { start } of flows) expect(start.status).toBe(200);

    const wrong = String((Number(await currentTotp()) + 1) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(
      flows.map(({ alias, start }) => post(`/api/portal/${alias}/recovery/submit`, { flow: start.body.flow, otp: wrong, newPassword: 'attacker password 1', newEmail: 'a@evil.example' })),
    );
    const tally: Record<string, number> = {};
    for (const answer of answers) tally[answer.body.error.code] = (tally[answer.body.error.code] ?? 0) + 1;
    expect(tally).toEqual({ RECOVERY_PROOF_INVALID: RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR, RATE_LIMITED: 5 });
    expect(await app.adminApi('GET', `/tokens/${token.id}`)).toMatchObject({ failCount: 0 });
    const issuesOfUser = async () => (await app.adminApi('GET', '/user-issues')).items.filter((issue: { user: { id: string } }) => issue.user.id === user.id);
    expect(await issuesOfUser()).toEqual([]);

    // Then each flow sent as it is, at once: those whose guess was examined are filed with the token failed (the
    // rest carry no proof and are refused), and the newest replaces the others: one request to review.
    const filed = await Promise.all(flows.map(({ alias, start }) => post(`/api/portal/${alias}/recovery/submit`, { flow: start.body.flow, newPassword: 'attacker password 1', newEmail: 'a@evil.example' })));
    expect(filed.filter((a) => a.status === 200)).toHaveLength(RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR);
    for (const refused of filed.filter((a) => a.status !== 200)) expect(refused.body.error.code).toBe('RECOVERY_PROOF_REQUIRED');
    const issues = await issuesOfUser();
    expect(issues).toHaveLength(1);
    expect(issues[0].authenticators.token).toBe('failed');
  });
});

describe('restore access within the email cooldown', () => {
  it('20 concurrent restarts share the one email code: one email, and across all their flows at most a code\'s attempts are examined', async () => {
    // Attack: a restart within the resend cooldown takes over the code of the open flow, so the user can still type
    // it. Restart many times at once, from many addresses, and guess the victim's emailed code once in each new flow,
    // hoping each flow brings fresh guesses at the same code.
    const user = await app.adminApi('POST', '/users', { login: 'cooldownvictim', password: 'cooldown password 1', email: 'cooldownvictim@example.test' });
    const resource = await app.adminApi('POST', '/resources', { name: 'Cooldown burst' });
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: 'cooldown-burst', actions: ['changeName'], tokenTypes: [] });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    const first = await post('/api/portal/cooldown-burst/recovery', { login: 'cooldownvictim', lost: ['password', 'token'] });
    expect(first.body.verify).toEqual(['email']);
    await expect.poll(async () => (await mailsTo('cooldownvictim@example.test')).length, { timeout: 10_000 }).toBe(1);
    const code = /\b(\d{6})\b/.exec((await mailsTo('cooldownvictim@example.test'))[0].TextBody)![1]!;

    const restarts = await Promise.all(Array.from({ length: 20 }, () => post('/api/portal/cooldown-burst/recovery', { login: 'cooldownvictim', lost: ['password', 'token'] })));
    for (const restart of restarts) expect(restart).toMatchObject({ status: 200, body: { verify: ['email'], emailCooldownMs: expect.any(Number) } });
    const wrong = code === '000000' ? '111111' : '000000';
    const guesses = await Promise.all(restarts.map((restart) => post('/api/portal/cooldown-burst/recovery/proof', { flow: restart.body.flow, emailCode: wrong })));
    const tally: Record<string, number> = {};
    for (const guess of guesses) tally[guess.body.error.code] = (tally[guess.body.error.code] ?? 0) + 1;
    expect(tally.RECOVERY_PROOF_INVALID).toBeLessThanOrEqual(Math.min(CODE_MAX_ATTEMPTS, RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR));
    expect((tally.RECOVERY_PROOF_INVALID ?? 0) + (tally.RATE_LIMITED ?? 0)).toBe(20);
    // The right code, now: its guesses are spent, and no restart earned more.
    const late = await post('/api/portal/cooldown-burst/recovery/proof', { flow: first.body.flow, emailCode: code });
    expect(late.status).not.toBe(200);
    // One email only: the restarts sent none.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await mailsTo('cooldownvictim@example.test')).toHaveLength(1);
    expect((await app.adminApi('GET', '/user-issues')).items.filter((issue: { user: { id: string } }) => issue.user.id === user.id)).toEqual([]);
  });
});

describe('restore access: proofs before the request is filed', () => {
  it(`30 concurrent wrong codes on one flow: ${RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW} examined, the rest and then the right code refused unexamined`, async () => {
    // Attack: the proof step lets a mistyped code be typed again; a burst of guesses in flight at once, each from
    // its own address, tries to get more checks out of one flow than it takes.
    const user = await app.adminApi('POST', '/users', { login: 'proofvictim', password: 'proof password 1' });
    const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'HW-PROOF-1', seed: SEED, seedEncoding: 'base32', ownerUserId: user.id });
    const resource = await app.adminApi('POST', '/resources', { name: 'Proof burst' });
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: 'proof-burst', actions: ['changeName'], tokenTypes: [] });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const start = await post('/api/portal/proof-burst/recovery', { login: 'proofvictim', lost: ['password', 'email'] });
    expect(start.body.verify).toEqual(['token']);

    const right = await currentTotp();
    const wrong = (by: number) => String((Number(right) + by) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post('/api/portal/proof-burst/recovery/proof', { flow: start.body.flow, otp: wrong(i + 7) })));
    const tally: Record<string, number> = {};
    for (const answer of answers) tally[answer.body.error.code] = (tally[answer.body.error.code] ?? 0) + 1;
    expect(tally).toEqual({ RECOVERY_PROOF_INVALID: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW, RECOVERY_ATTEMPTS_USED: 30 - RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW });
    const late = await post('/api/portal/proof-burst/recovery/proof', { flow: start.body.flow, otp: right });
    expect(late).toMatchObject({ status: 429, body: { error: { code: 'RECOVERY_ATTEMPTS_USED' } } });
    expect(await app.adminApi('GET', `/tokens/${token.id}`)).toMatchObject({ failCount: 0 });
  });

  it(`30 concurrent submissions carrying wrong codes on one flow: ${RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW} examined, none filed, then the right code refused unexamined`, async () => {
    // Attack: skip the proof step and post the submission itself with a guess, 30 at once from 30 addresses, hoping
    // for more checks than the flow takes, or that one of them is filed for an administrator to approve.
    const user = await app.adminApi('POST', '/users', { login: 'submitvictim', password: 'submit password 1' });
    const token = await app.adminApi('POST', '/tokens/hardware', { type: 'TOTP', serial: 'HW-SUBMIT-1', seed: SEED, seedEncoding: 'base32', ownerUserId: user.id });
    const resource = await app.adminApi('POST', '/resources', { name: 'Submit burst' });
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: 'submit-burst', actions: ['changeName'], tokenTypes: [] });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const start = await post('/api/portal/submit-burst/recovery', { login: 'submitvictim', lost: ['password', 'email'] });
    const newData = { newPassword: 'attacker password 1', newEmail: 'a@evil.example' };

    const right = await currentTotp();
    const wrong = (by: number) => String((Number(right) + by) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post('/api/portal/submit-burst/recovery/submit', { flow: start.body.flow, otp: wrong(i + 7), ...newData })));
    const tally: Record<string, number> = {};
    for (const answer of answers) tally[answer.body.error.code] = (tally[answer.body.error.code] ?? 0) + 1;
    expect(tally).toEqual({ RECOVERY_PROOF_INVALID: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW, RECOVERY_ATTEMPTS_USED: 30 - RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW });
    const late = await post('/api/portal/submit-burst/recovery/submit', { flow: start.body.flow, otp: right, ...newData });
    expect(late).toMatchObject({ status: 429, body: { error: { code: 'RECOVERY_ATTEMPTS_USED' } } });
    expect((await app.adminApi('GET', '/user-issues')).items.filter((issue: { user: { id: string } }) => issue.user.id === user.id)).toEqual([]);
    expect(await app.adminApi('GET', `/tokens/${token.id}`)).toMatchObject({ failCount: 0 });
  });

  it('a crafted submission without any proof is refused and files nothing', async () => {
    // Attack: post the submission directly, with only the attacker's new password and email.
    const user = await app.adminApi('POST', '/users', { login: 'noproofvictim', password: 'no proof password 1' });
    const resource = await app.adminApi('POST', '/resources', { name: 'No proof' });
    await app.adminApi('PUT', `/resources/${resource.id}/self-service`, { enabled: true, alias: 'no-proof', actions: ['changeName'], tokenTypes: [] });
    await app.adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id });
    const start = await post('/api/portal/no-proof/recovery', { login: 'noproofvictim', lost: ['password', 'email'] });
    const crafted = await post('/api/portal/no-proof/recovery/submit', { flow: start.body.flow, newPassword: 'attacker password 1', newEmail: 'a@evil.example' });
    expect(crafted).toMatchObject({ status: 400, body: { error: { code: 'RECOVERY_PROOF_REQUIRED' } } });
    expect((await app.adminApi('GET', '/user-issues')).items.filter((issue: { user: { id: string } }) => issue.user.id === user.id)).toEqual([]);
  });
});

async function currentTotp(): Promise<string> {
  return generateTotp(await importHmacKey(base32ToBytes(SEED), 'SHA1'), Date.now(), 30, 6);
}
