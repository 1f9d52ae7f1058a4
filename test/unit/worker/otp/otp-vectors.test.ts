/**
 * Every vector of RFC 4226 (HOTP), RFC 6238 (TOTP, one key per hash) and RFC 6287 Appendix C (OCRA, every suite)
 * from test/fixtures/otp/rfc-vectors.json, plus otpauth:// key URI round trips and the QR code.
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../fixtures/otp/rfc-vectors.json';
import type { AppError } from '../../../../worker/errors';
import { hexToBytes } from '../../../../worker/lib/encoding';
import { counterBytes, generateHotp, importHmacKey, truncate } from '../../../../worker/otp/hotp';
import { buildKeyUri, parseKeyUri } from '../../../../worker/otp/key-uri';
import { generateOcra, parseOcraSuite } from '../../../../worker/otp/ocra';
import { renderQrSvg } from '../../../../worker/otp/qr';
import { generateTotp, timeStep } from '../../../../worker/otp/totp';

type KeyRef = keyof typeof vectors.keys;
const keyBytes = (ref: string) => hexToBytes(vectors.keys[ref as KeyRef].hex);

describe('RFC 4226 HOTP (Appendix D)', () => {
  const { key, algorithm, digits } = vectors.rfc4226_hotp;
  for (const vector of vectors.rfc4226_hotp.vectors) {
    it(`counter ${vector.counter} -> ${vector.hotp}`, async () => {
      const hmacKey = await importHmacKey(keyBytes(key), algorithm as 'SHA1');
      expect(await generateHotp(hmacKey, vector.counter, digits)).toBe(vector.hotp);
      // The intermediate values of the RFC's table too: HMAC and dynamic truncation.
      const hmac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, counterBytes(vector.counter)));
      expect([...hmac].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(vector.hmac_sha1_hex);
      expect(truncate(hmac, 10).replace(/^0+/, '')).toBe(String(vector.truncated_dec));
    });
  }
});

describe('RFC 6238 TOTP (Appendix B)', () => {
  const { step_seconds: period, digits } = vectors.rfc6238_totp;
  for (const vector of vectors.rfc6238_totp.vectors) {
    it(`${vector.algorithm} at ${vector.unix_time} -> ${vector.totp}`, async () => {
      const nowMs = vector.unix_time * 1000;
      expect(timeStep(nowMs, period)).toBe(vector.T);
      const hmacKey = await importHmacKey(keyBytes(vector.key_ref), vector.algorithm as 'SHA1');
      expect(await generateTotp(hmacKey, nowMs, period, digits)).toBe(vector.totp);
    });
  }
});

describe('RFC 6287 OCRA (Appendix C, every suite)', () => {
  const { pin } = vectors.rfc6287_ocra;
  for (const group of vectors.rfc6287_ocra.groups) {
    describe(`${group.section}: ${group.suite}`, () => {
      const suite = parseOcraSuite(group.suite);
      for (const vector of group.vectors as Array<{ Q: string; C?: number; T?: number; ocra: string }>) {
        it(`${vector.C !== undefined ? `C=${vector.C} ` : ''}Q=${vector.Q}${vector.T ? ` T=${vector.T}` : ''} -> ${vector.ocra}`, async () => {
          const input = {
            challenge: vector.Q,
            counter: vector.C,
            pin: suite.pin ? pin : undefined,
            // T1M: the vectors' T counts minutes since the epoch.
            nowMs: vector.T !== undefined ? vector.T * (suite.timeStepSeconds ?? 60) * 1000 : undefined,
          };
          expect(await generateOcra(suite, keyBytes(group.key), input)).toBe(vector.ocra);
        });
      }
    });
  }

  it('refuses suites it cannot compute, with a clear error', () => {
    expect(() => parseOcraSuite('OCRA-2:HOTP-SHA1-6:QN08')).toThrow(/not supported/);
    expect(() => parseOcraSuite('OCRA-1:HOTP-MD5-6:QN08')).toThrow(/not supported/);
    expect(() => parseOcraSuite('OCRA-1:HOTP-SHA1-6:QX08')).toThrow(/not supported/);
  });

  it('refuses an input the suite does not take at its field, as a code with parameters (rendered in the page language)', async () => {
    const key = keyBytes(vectors.rfc6287_ocra.groups[0]!.key);
    const refusal = (suite: string, input: Parameters<typeof generateOcra>[2]) => issueOf(() => generateOcra(parseOcraSuite(suite), key, input));
    expect(await refusal('OCRA-1:HOTP-SHA1-6:QN08', { challenge: 'ABCD' })).toMatchObject({ path: 'challenge', code: 'NOT_NUMERIC' });
    expect(await refusal('OCRA-1:HOTP-SHA1-6:QH08', { challenge: 'WXYZ' })).toMatchObject({ path: 'challenge', code: 'NOT_HEX' });
    expect(await refusal('OCRA-1:HOTP-SHA1-6:QN08-PSHA1', { challenge: '1234' })).toMatchObject({ path: 'pin', code: 'REQUIRED' });
    expect(await refusal('OCRA-1:HOTP-SHA1-6:QN08-PSHA1', { challenge: '1234', pinHashHex: 'abcd' })).toMatchObject({
      path: 'pinHashHex',
      code: 'EXACT_LENGTH',
      params: { minimum: 40, maximum: 40, origin: 'string' },
    });
    expect(await refusal('OCRA-1:HOTP-SHA1-6:QN08-S064', { challenge: '1234', session: 'ab'.repeat(65) })).toMatchObject({
      path: 'session',
      code: 'too_big',
      params: { maximum: 128, origin: 'string' },
    });
    expect(await refusal('OCRA-1:HOTP-SHA1-6:QN08-T1M', { challenge: '1234' })).toMatchObject({ path: 'nowMs', code: 'REQUIRED' });
  });
});

/** The one field issue of a VALIDATION_FAILED the call throws. */
async function issueOf(call: () => unknown) {
  try {
    await call();
  } catch (error) {
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const { issues } = (error as AppError).details as { issues: unknown[] };
    expect(issues).toHaveLength(1);
    return issues[0];
  }
  throw new Error('the call was not refused');
}

describe('otpauth:// key URIs (Google Authenticator, Microsoft Authenticator, Protectimus Smart)', () => {
  const secret = hexToBytes(vectors.keys.K20.hex);
  it('round-trips a TOTP key with issuer, label, algorithm, digits and period', () => {
    const uri = buildKeyUri({ type: 'TOTP', secret, issuer: 'Example Corp', account: 'ada@example.test', algorithm: 'SHA256', digits: 8, periodInSeconds: 60 });
    expect(uri).toMatch(/^otpauth:\/\/totp\/Example%20Corp:ada%40example\.test\?/);
    expect(uri).toContain(`secret=${vectors.keys.K20.base32}`);
    expect(uri).toContain('issuer=Example%20Corp');
    expect(parseKeyUri(uri)).toMatchObject({ type: 'TOTP', issuer: 'Example Corp', account: 'ada@example.test', algorithm: 'SHA256', digits: 8, periodInSeconds: 60, secret });
  });

  it('round-trips an HOTP key with its counter', () => {
    const uri = buildKeyUri({ type: 'HOTP', secret, issuer: 'Example', account: 'bob', algorithm: 'SHA1', digits: 6, counter: 42 });
    expect(parseKeyUri(uri)).toMatchObject({ type: 'HOTP', counter: 42, digits: 6 });
  });

  it('refuses what is not an otpauth URI', () => {
    expect(() => parseKeyUri('https://example.test/')).toThrow(/otpauth/);
    return expect(issueOf(() => parseKeyUri('https://example.test/'))).resolves.toMatchObject({ path: 'uri', code: 'OTPAUTH_URI_INVALID' });
  });

  it('renders the URI as an SVG QR code', () => {
    const svg = renderQrSvg(buildKeyUri({ type: 'TOTP', secret, issuer: 'Example', account: 'ada', algorithm: 'SHA1', digits: 6 }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('viewBox');
    expect(svg.length).toBeGreaterThan(1000);
  });
});
