/**
 * Admin "Check OTP" right after a code was accepted (the wizard's first OTP activated the token) answers
 * OTP_REPLAYED, "already used, wait for the next one", without counting a failure. That answer must not become an
 * oracle: only the very code the token accepted last gets it; a wrong code, and an older used one, are OTP_INVALID
 * and counted; and each check still claims its attempt (the conditional fail-count UPDATE decides replay or failure
 * in one statement, so concurrent checks cannot slip wrong codes through as "replays"). Issuer: the QR code of an
 * admin-created token names the configured issuer (default the product), never the host.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_MAX_FAILS } from '../../worker/constants';
import { DEFAULT_TOKEN_ISSUER } from '../../worker/otp/key-uri';
import { adminClient, json, totpAt } from '../helpers/worker';
import { settled } from '../helpers/verify-state';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 5); // 5 s into a 30 s step: the checks below stay in one step
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

const failCount = async (id: string) => (await settled(id), await env.DB.prepare('SELECT fail_count FROM tokens WHERE id = ?').bind(id).first<{ fail_count: number }>())!.fail_count;

async function activatedSoftwareToken() {
  const admin = await adminClient();
  const created = await admin.post('/tokens/software', { type: 'TOTP', algorithm: 'SHA1', digits: 6, periodSeconds: 30 });
  const secret = created.enrolment.secretBase32 as string;
  const check = (otp: string) => json(admin.request(`/tokens/${created.token.id}/check`, { method: 'POST', json: { otp } }));
  const firstCode = await totpAt(secret, Date.now());
  expect(await check(firstCode)).toEqual({ valid: true });
  return { admin, created, secret, check, firstCode, id: created.token.id as string };
}

describe('Check OTP with a code already used', () => {
  it('attack: guessing codes right after activation is answered OTP_INVALID and counted, never "already used"', async () => {
    const { check, firstCode, id } = await activatedSoftwareToken();
    const wrong = firstCode === '000000' ? '000001' : '000000';
    expect(await check(wrong)).toMatchObject({ valid: false, reason: 'OTP_INVALID' });
    expect(await failCount(id)).toBe(1);
    // The used code itself: told it was used, nothing counted.
    expect(await check(firstCode)).toEqual({ valid: false, reason: 'OTP_REPLAYED', lockedUntil: null });
    expect(await failCount(id)).toBe(1);
  });

  it('attack: an older used code (not the last accepted) is a plain failure, so "already used" tells nothing about past codes', async () => {
    const { check, secret, firstCode, id } = await activatedSoftwareToken();
    vi.setSystemTime(T0 + 30_000);
    const secondCode = await totpAt(secret, Date.now());
    expect(await check(secondCode)).toEqual({ valid: true });
    if (secondCode !== firstCode) {
      expect(await check(firstCode)).toMatchObject({ valid: false, reason: 'OTP_INVALID' });
      expect(await failCount(id)).toBe(1);
    }
    expect(await check(secondCode)).toMatchObject({ reason: 'OTP_REPLAYED' });
    expect(await failCount(id)).toBe(1);
  });

  it(`attack: ${TOKEN_MAX_FAILS * 3} concurrent checks mixing the used code with wrong ones: every wrong one counts (the token locks), the used code never does`, async () => {
    const { check, firstCode, id } = await activatedSoftwareToken();
    const wrongCodes = Array.from({ length: TOKEN_MAX_FAILS * 2 }, (_, i) => String(100000 + i)).filter((code) => code !== firstCode);
    const answers = await Promise.all([...wrongCodes.map((code) => check(code)), ...Array.from({ length: TOKEN_MAX_FAILS }, () => check(firstCode))]);
    const reasons = answers.map((answer) => answer.reason);
    expect(reasons.slice(0, wrongCodes.length).every((reason) => reason === 'OTP_INVALID' || reason === 'TOKEN_LOCKED')).toBe(true);
    expect(reasons.slice(wrongCodes.length).every((reason) => reason === 'OTP_REPLAYED' || reason === 'TOKEN_LOCKED')).toBe(true);
    expect(await failCount(id)).toBeGreaterThanOrEqual(TOKEN_MAX_FAILS);
    expect(answers.some((answer) => answer.valid)).toBe(false);
  });
});

describe('the issuer of an admin-created token', () => {
  it('is the product name (TOKEN_ISSUER unset) in the key URI, not the host', async () => {
    const admin = await adminClient();
    const created = await admin.post('/tokens/software', { type: 'TOTP', algorithm: 'SHA1', digits: 6, periodSeconds: 30 });
    const uri = new URL(created.enrolment.keyUri);
    expect(uri.searchParams.get('issuer')).toBe(DEFAULT_TOKEN_ISSUER);
    expect(decodeURIComponent(uri.pathname)).toContain(`${DEFAULT_TOKEN_ISSUER}:`);
    expect(created.enrolment.keyUri).not.toContain('id.example.test');
  });
});
