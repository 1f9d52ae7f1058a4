/**
 * Threats: (1) an OCRA challenge/response pair that was seen once (a log, a phishing proxy) is sent again, also
 * under another spelling of the same challenge, or many times at once; pure challenge-response suites have no
 * counter or clock to stop that, so each accepted pair is recorded and accepted once. (2) A token created with a
 * counter the HOTP/OCRA code cannot compute exactly (near 2^53) turns every check into a 500: such counters are
 * refused at creation, by the admin API and by both imports, with a field error.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_COUNTER_MAX, TOKEN_MAX_FAILS } from '../../worker/constants';
import { hexToBytes } from '../../worker/lib/encoding';
import { generateOcra, parseOcraSuite } from '../../worker/otp/ocra';
import { adminClient, call, hotpAt, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';
import { settled } from '../helpers/verify-state';

const SEED_HEX = '3132333435363738393031323334353637383930';
let admin: Awaited<ReturnType<typeof adminClient>>;
let resource: { id: string; name: string };
beforeAll(async () => {
  admin = await adminClient();
  resource = await admin.post('/resources', { name: unique('R') });
});

async function ocraUser(suite: string) {
  const user = await admin.post('/users', { login: unique('u') });
  const token = await admin.post('/tokens/hardware', { type: 'OCRA', serial: unique('OC'), seed: SEED_HEX, seedEncoding: 'hex', ocraSuite: suite, ownerUserId: user.id });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
  const verify = (otp: string, challenge: string) =>
    json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp, challenge } }));
  const failCount = async () => (await settled(token.id), await env.DB.prepare('SELECT fail_count FROM tokens WHERE id = ?').bind(token.id).first<{ fail_count: number }>())!.fail_count;
  const answer = (challenge: string, counter?: number) => generateOcra(parseOcraSuite(suite), hexToBytes(SEED_HEX), { challenge, counter });
  return { token, verify, failCount, answer };
}

describe('OCRA challenge/response pairs are accepted once', () => {
  it('a replayed pair answers OTP_REPLAYED, is not counted, and another spelling of the challenge is no way round', async () => {
    // Attack: replay a captured pair, then the same challenge spelled differently ("01234" and "19744" give the
    // same challenge field as "1234": the RFC left-aligns the hex of a numeric challenge).
    const { verify, failCount, answer } = await ocraUser('OCRA-1:HOTP-SHA1-6:QN08');
    const response = await answer('1234');
    expect(await answer('19744')).toBe(response);
    expect((await verify(response, '1234')).accepted).toBe(true);
    for (const spelling of ['1234', '01234', '19744']) expect(await verify(response, spelling)).toMatchObject({ accepted: false, reason: 'OTP_REPLAYED' });
    expect(await failCount()).toBe(0);
    // A fresh challenge still works, and wrong responses count as ever.
    expect((await verify(await answer('55667788'), '55667788')).accepted).toBe(true);
    expect(await verify('000000', '99887766')).toMatchObject({ reason: 'OTP_INVALID' });
    expect(await failCount()).toBe(1);
  });

  it('20 concurrent uses of one fresh pair: exactly one accepted, the rest OTP_REPLAYED', async () => {
    // Attack: race the legitimate user with copies of the pair they are about to send.
    const { verify, failCount, answer } = await ocraUser('OCRA-1:HOTP-SHA1-6:QN08');
    const response = await answer('31415926');
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(response, '31415926')));
    expect(results.filter((r) => r.accepted)).toHaveLength(1);
    expect(results.filter((r) => !r.accepted).map((r) => r.reason)).toEqual(Array(19).fill('OTP_REPLAYED'));
    expect(await failCount()).toBe(0);
  });

  it('a counter suite recognises its accepted pair as a replay too, after the counter moved on', async () => {
    // Attack: the same replay against a counter-based suite, where the old pair no longer matches any counter.
    const { verify, failCount, answer } = await ocraUser('OCRA-1:HOTP-SHA1-6:C-QN08');
    const response = await answer('12345678', 0);
    expect((await verify(response, '12345678')).accepted).toBe(true);
    expect(await verify(response, '12345678')).toMatchObject({ reason: 'OTP_REPLAYED' });
    expect(await failCount()).toBe(0);
  });

  it('a malformed challenge is refused before the PIN is looked at, and changes nothing', async () => {
    // Attack: learn the token PIN from which error comes back (a bad challenge reached only with the right PIN).
    const user = await admin.post('/users', { login: unique('u') });
    const token = await admin.post('/tokens/hardware', { type: 'OCRA', serial: unique('OC'), seed: SEED_HEX, seedEncoding: 'hex', ocraSuite: 'OCRA-1:HOTP-SHA1-6:QN08', ownerUserId: user.id, pin: '2468' });
    for (const otp of ['1234562468', '1234561111']) {
      const response = await admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp, challenge: 'not-numeric' } });
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('VALIDATION_FAILED');
      // Too short: the same answer with either PIN, naming the field and its limits for the admin center's words.
      const short = await admin.request(`/tokens/${token.id}/check`, { method: 'POST', json: { otp, challenge: '12' } });
      expect((await json(short)).error.details.issues).toEqual([expect.objectContaining({ path: 'challenge', code: 'too_small', params: { minimum: 4, maximum: 16, origin: 'string' } })]);
    }
    await settled(token.id);
    expect((await admin.get(`/tokens/${token.id}`)).failCount).toBe(0);
  });
});

describe('counters the HOTP/OCRA code cannot compute are refused at creation', () => {
  const hardware = (type: 'HOTP' | 'OCRA', counter: number) =>
    admin.request('/tokens/hardware', {
      method: 'POST',
      json: { type, serial: unique('C'), seed: SEED_HEX, seedEncoding: 'hex', counter, ...(type === 'OCRA' ? { ocraSuite: 'OCRA-1:HOTP-SHA1-6:C-QN08' } : {}) },
    });

  it('the admin API answers a field error for a counter near 2^53 (HOTP and OCRA)', async () => {
    // Attack: plant a token whose every check throws (a 500 on every sign-in of its user).
    for (const type of ['HOTP', 'OCRA'] as const) {
      for (const counter of [Number.MAX_SAFE_INTEGER, TOKEN_COUNTER_MAX + 1, 2 ** 60]) {
        const response = await hardware(type, counter);
        expect(response.status).toBe(400);
        const body = await json(response);
        expect(body.error.code).toBe('VALIDATION_FAILED');
        expect(body.error.details.issues[0].path).toBe('counter');
      }
    }
  });

  it('a digit count or period the codes cannot have is a field issue with a code the admin center words, not an English sentence', async () => {
    // An admin's typo (7 digits, a 45 s period) comes back at its field, so the admin center says it in the page's language.
    const digits = await admin.request('/tokens/hardware', { method: 'POST', json: { type: 'HOTP', serial: unique('D'), seed: SEED_HEX, seedEncoding: 'hex', digits: 7 } });
    expect(digits.status).toBe(400);
    expect((await json(digits)).error.details.issues).toEqual([expect.objectContaining({ path: 'digits', code: 'invalid_value', params: { values: ['6', '8'] } })]);
    const period = await admin.request('/tokens/hardware', { method: 'POST', json: { type: 'TOTP', serial: unique('P'), seed: SEED_HEX, seedEncoding: 'hex', periodSeconds: 45 } });
    expect(period.status).toBe(400);
    expect((await json(period)).error.details.issues).toEqual([expect.objectContaining({ path: 'periodSeconds', code: 'invalid_value', params: { values: ['30', '60'] } })]);
  });

  it('the largest counter allowed verifies and resyncs without an error', async () => {
    const seed = randomSeedBase32();
    const token = await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('C'), seed, seedEncoding: 'base32', counter: TOKEN_COUNTER_MAX });
    expect(await admin.post(`/tokens/${token.id}/check`, { otp: await hotpAt(seed, TOKEN_COUNTER_MAX + 3) })).toEqual({ valid: true });
    expect((await admin.post(`/tokens/${token.id}/check`, { otp: '000000' })).valid).toBe(false);
    const resynced = await admin.request(`/tokens/${token.id}/resync`, { method: 'POST', json: { otp1: await hotpAt(seed, TOKEN_COUNTER_MAX + 900), otp2: await hotpAt(seed, TOKEN_COUNTER_MAX + 901) } });
    expect(resynced.status).toBe(200);
    expect((await json(resynced)).counter).toBe(TOKEN_COUNTER_MAX + 902);
  });

  it('CSV and PSKC imports refuse such a counter with its line and field, importing nothing', async () => {
    const serial = unique('IMP');
    const csv = await admin.request('/tokens/import/csv', { method: 'POST', json: { csv: `serial,seed,type,counter\n${serial},${SEED_HEX},hotp,${Number.MAX_SAFE_INTEGER}\n` } });
    expect(csv.status).toBe(400);
    expect((await json(csv)).error).toMatchObject({ code: 'INVALID_IMPORT', details: { problems: [expect.objectContaining({ line: 2, field: 'counter' })] } });
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><SerialNo>${serial}</SerialNo></DeviceInfo>
    <Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
        <Counter><PlainValue>${TOKEN_COUNTER_MAX + 1}</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>`;
    const pskc = await admin.request('/tokens/import/pskc', { method: 'POST', json: { xml } });
    expect(pskc.status).toBe(400);
    const problem = (await json(pskc)).error.details.problems[0];
    expect(problem.message).toMatch(/Counter/);
    expect((await admin.get(`/tokens?search=${serial}`)).items).toHaveLength(0);
  });
});

describe('a challenge an OCRA token refuses is no way round the lock of the tokens checked before it', () => {
  it('wrong codes for an app token, each sent with a malformed challenge, still count until it locks', async () => {
    // Attack: Bob owns a TOTP token and, newer, an OCRA token; with a plain assignment the verify API checks both,
    // oldest first, and counts a failure on each only after all were checked. A guess for the TOTP token sent with
    // a challenge the OCRA suite refuses ("1": too short) was checked against the TOTP token, then the OCRA token
    // threw VALIDATION_FAILED and the deferred failure was never counted: an OTP oracle (200 accepted for the right
    // code, 400 for the rest) that the token's lock never stopped, bounded only by the verify rate limit.
    const user = await admin.post('/users', { login: unique('u') });
    const seed = randomSeedBase32();
    const totp = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('TO'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    await admin.post('/tokens/hardware', { type: 'OCRA', serial: unique('OC'), seed: SEED_HEX, seedEncoding: 'hex', ocraSuite: 'OCRA-1:HOTP-SHA1-6:QN08', ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id });
    const verify = async (otp: string, challenge: string) => {
      const response = await call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: user.login, resource: resource.name, otp, challenge } });
      return { status: response.status, body: await json(response) };
    };
    const right = await totpAt(seed, Date.now());
    const wrong = (i: number) => String((Number(right) + 1000 + i) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < TOKEN_MAX_FAILS; i++) expect((await verify(wrong(i), '1')).body.error.code).toBe('VALIDATION_FAILED');

    await settled(totp.id);
    const row = await env.DB.prepare('SELECT fail_count, locked_until FROM tokens WHERE id = ?').bind(totp.id).first<{ fail_count: number; locked_until: number | null }>();
    expect(row!.locked_until).toBeGreaterThan(Date.now());
    // The right code now gets through neither way.
    expect((await verify(await totpAt(seed, Date.now()), '1')).status).toBe(400);
    expect((await verify(await totpAt(seed, Date.now()), '12345678')).body).toMatchObject({ accepted: false });
  });
});
