/**
 * OTP attempt limits against an attacker who sends everything at once: concurrent requests over real HTTP to the
 * Worker as `npm start` runs it (wrangler dev, local D1), not calls serialised inside one isolate. Every test
 * opens with the attack it shows failing. Valid codes come from the project's own HOTP/OCRA functions.
 */
import { describe, expect, it } from 'vitest';
import { RESYNC_ATTEMPTS_PER_TOKEN, TOKEN_MAX_FAILS, VERIFY_ATTEMPTS_PER_USER } from '../../../worker/constants';
import { hexToBytes } from '../../../worker/lib/encoding';
import { generateHotp, importHmacKey } from '../../../worker/otp/hotp';
import { generateOcra, parseOcraSuite } from '../../../worker/otp/ocra';
import { unique } from '../../helpers/unique';
import { appWithResource } from './support';

const SEED_HEX = '3132333435363738393031323334353637383930';
const fixture = appWithResource();

async function request(path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: any }> {
  const response = await fetch(`${fixture.app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${fixture.app.admin.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const hotp = async (counter: number) => generateHotp(await importHmacKey(hexToBytes(SEED_HEX), 'SHA1'), counter, 6);

/** Distinct six-digit codes that none of the counters 0..50 produces: certainly wrong for a fresh token. */
async function wrongCodes(count: number): Promise<string[]> {
  const valid = new Set(await Promise.all(Array.from({ length: 51 }, (_, counter) => hotp(counter))));
  const codes: string[] = [];
  for (let n = 100_000; codes.length < count; n += 7919) if (!valid.has(String(n))) codes.push(String(n));
  return codes;
}

/** A user with a HOTP token (or the given OCRA suite) assigned on the shared fixture.resource. */
async function userWithToken(ocraSuite?: string) {
  const user = await fixture.app.adminApi('POST', '/users', { login: unique('u') });
  const token = await fixture.app.adminApi('POST', '/tokens/hardware', {
    type: ocraSuite ? 'OCRA' : 'HOTP',
    serial: unique('HW'),
    seed: SEED_HEX,
    seedEncoding: 'hex',
    ownerUserId: user.id,
    ...(ocraSuite ? { ocraSuite } : {}),
  });
  await fixture.app.adminApi('PUT', `/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const verify = async (otp: string, extra: Record<string, string> = {}) =>
    (await request('/api/v1/verify', { login: user.login, resource: fixture.resource.name, otp, ...extra })).body;
  const state = async () => fixture.app.adminApi('GET', `/tokens/${token.id}`);
  return { user, token, verify, state };
}

const tally = (reasons: string[]) => reasons.reduce<Record<string, number>>((counts, reason) => ({ ...counts, [reason]: (counts[reason] ?? 0) + 1 }), {});

describe('concurrent OTP guesses over HTTP', () => {
  it('verify API: 40 wrong OTPs at once; at most the limit is answered as wrong, the right code then answers locked', async () => {
    // Attack: 40 guesses in one burst, all sent before any failure is written, hoping to get more than
    // TOKEN_MAX_FAILS looks at the code, and then the right code through.
    const { verify, token, state } = await userWithToken();
    const results = await Promise.all((await wrongCodes(40)).map((otp) => verify(otp)));
    const counts = tally(results.map((r) => r.reason));
    expect(results.every((r) => r.accepted === false)).toBe(true);
    expect(Object.keys(counts).every((reason) => ['OTP_INVALID', 'TOKEN_LOCKED', 'RATE_LIMITED'].includes(reason))).toBe(true);
    expect(counts.OTP_INVALID ?? 0).toBeLessThanOrEqual(TOKEN_MAX_FAILS - 1);
    expect(counts.TOKEN_LOCKED ?? 0).toBeGreaterThanOrEqual(1);
    // The per-user cap refused the rest before any code was looked at.
    expect(counts.RATE_LIMITED ?? 0).toBe(40 - VERIFY_ATTEMPTS_PER_USER);
    expect((await state()).lockedUntil).toBeGreaterThan(Date.now());
    // The right code after the burst: locked (asked through admin Check OTP, past the verify API's rate limit).
    expect((await request(`/api/admin/tokens/${token.id}/check`, { otp: await hotp(0) })).body).toMatchObject({ valid: false, reason: 'TOKEN_LOCKED' });
  });

  it('verify API: the login in another case and the resource by id share the one rate-limit budget', async () => {
    // Attack: spread a burst over spellings of the same user and resource to get a fresh budget per spelling.
    const { user } = await userWithToken();
    const spellings = [
      { login: user.login, resource: fixture.resource.name },
      { login: user.login.toUpperCase(), resource: fixture.resource.id },
      { login: user.login, resource: fixture.resource.name.toUpperCase() },
      { login: user.login.toUpperCase(), resource: fixture.resource.name.toLowerCase() },
    ];
    const codes = await wrongCodes(40);
    const results = await Promise.all(codes.map((otp, i) => request('/api/v1/verify', { ...spellings[i % spellings.length], otp })));
    expect(results.filter((r) => r.body.reason !== 'RATE_LIMITED')).toHaveLength(VERIFY_ATTEMPTS_PER_USER);
  });

  it('admin Check OTP: 40 wrong OTPs at once are bounded the same way', async () => {
    // Attack: the admin API's Check OTP as a second guessing oracle (no per-user rate limit in front of it).
    const { token, state } = await userWithToken();
    const results = await Promise.all((await wrongCodes(40)).map((otp) => request(`/api/admin/tokens/${token.id}/check`, { otp })));
    const counts = tally(results.map((r) => r.body.reason));
    expect(results.every((r) => r.status === 200 && r.body.valid === false)).toBe(true);
    expect(Object.keys(counts).every((reason) => ['OTP_INVALID', 'TOKEN_LOCKED'].includes(reason))).toBe(true);
    expect(counts.OTP_INVALID ?? 0).toBeLessThanOrEqual(TOKEN_MAX_FAILS - 1);
    expect(counts.TOKEN_LOCKED).toBeGreaterThanOrEqual(40 - (TOKEN_MAX_FAILS - 1));
    expect((await request(`/api/admin/tokens/${token.id}/check`, { otp: await hotp(0) })).body).toMatchObject({ valid: false, reason: 'TOKEN_LOCKED' });
    expect((await state()).counter).toBe(0);
  });

  it('resync: concurrent guesses are capped, counted, and never unlock a locked token', async () => {
    // Attack: a burst of resync guesses (each searches a thousand counters), and the right pair sent into a
    // locked token to unlock it.
    const open = await userWithToken();
    const codes = await wrongCodes(80);
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => request(`/api/admin/tokens/${open.token.id}/resync`, { otp1: codes[2 * i], otp2: codes[2 * i + 1] })),
    );
    const searched = guesses.filter((r) => ['OTP_INVALID', 'TOKEN_LOCKED'].includes(r.body.error?.code));
    expect(searched.length).toBeLessThanOrEqual(RESYNC_ATTEMPTS_PER_TOKEN);
    expect(guesses.filter((r) => r.body.error?.code === 'RATE_LIMITED')).toHaveLength(40 - searched.length);
    expect((await open.state()).failCount).toBe(searched.length);

    const locked = await userWithToken();
    await Promise.all((await wrongCodes(TOKEN_MAX_FAILS)).map((otp) => request(`/api/admin/tokens/${locked.token.id}/check`, { otp })));
    const lockedUntil = (await locked.state()).lockedUntil;
    expect(lockedUntil).toBeGreaterThan(Date.now());
    const [first, second] = [await hotp(500), await hotp(501)];
    const attempts = await Promise.all(Array.from({ length: 10 }, () => request(`/api/admin/tokens/${locked.token.id}/resync`, { otp1: first, otp2: second })));
    expect(attempts.every((r) => ['TOKEN_LOCKED', 'RATE_LIMITED'].includes(r.body.error?.code))).toBe(true);
    expect(await locked.state()).toMatchObject({ counter: 0, lockedUntil });
  });

  it('20 concurrent copies of one valid code: one accepted, the others OTP_REPLAYED, nothing counted', async () => {
    // Attack (or a RADIUS retransmission burst): copies of a code race for it; a lost race must neither be
    // accepted nor count as a failure (that would let retransmissions lock the user).
    const { verify, state } = await userWithToken();
    const code = await hotp(0);
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(code)));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    expect(results.filter((r) => !r.accepted).map((r) => r.reason)).toEqual(Array(19).fill('OTP_REPLAYED'));
    expect(await state()).toMatchObject({ failCount: 0, counter: 1, lockedUntil: null });
  });

  it('OCRA: 20 concurrent uses of one challenge/response pair: exactly one accepted, then it stays used', async () => {
    // Attack: a captured pure challenge-response pair (no counter, no clock) replayed in a burst and later.
    const suite = 'OCRA-1:HOTP-SHA1-6:QN08';
    const { verify, state } = await userWithToken(suite);
    const challenge = '20261201';
    const response = await generateOcra(parseOcraSuite(suite), hexToBytes(SEED_HEX), { challenge });
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(response, { challenge })));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    expect(results.filter((r) => !r.accepted).map((r) => r.reason)).toEqual(Array(19).fill('OTP_REPLAYED'));
    expect(await verify(response, { challenge: `0${challenge}` })).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    expect((await state()).failCount).toBe(0);
  });
});
