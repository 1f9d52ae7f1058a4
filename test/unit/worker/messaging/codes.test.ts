/**
 * One-time codes by SMS and email: the attacks they must withstand (brute force, reuse, concurrent use, SMS
 * pumping through the resend button) and the happy path in both languages, through the impersonated providers.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CODE_MAX_ATTEMPTS, CODE_RESEND_COOLDOWN_MS, CODE_TTL_MS, SMS_PER_IP_PER_HOUR, SMS_PER_PHONE_PER_DAY, SMS_PER_USER_PER_DAY, EMAIL_PER_RECIPIENT_PER_HOUR } from '../../../../worker/constants';
import { AppError } from '../../../../worker/errors';
import { sha256Hex } from '../../../../worker/lib/crypto';
import { issueCode, verifyCode } from '../../../../worker/messaging/codes';
import { configureMessaging, freshPhone, insertTestUser, providerScenario, TWILIO_SID } from '../../../helpers/messaging';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);

async function latestOutboxCode(recipient: string): Promise<string> {
  const row = await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY at DESC, rowid DESC LIMIT 1').bind(recipient).first<{ body: string }>();
  const code = /\b(\d{6})\b/.exec(row?.body ?? '')?.[1];
  if (!code) throw new Error(`no code in the outbox for ${recipient}`);
  return code;
}

function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const smsRequest = (overrides: Partial<Parameters<typeof issueCode>[1]> = {}) => ({
  purpose: 'login-sms',
  userId: null,
  channel: 'sms' as const,
  target: freshPhone(),
  language: 'en' as const,
  name: 'Erika',
  ip: null,
  nowMs: T0,
  ...overrides,
});

describe('issue and verify', () => {
  it('sends the code in the user language through the SMS supplier; the code verifies once', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    const german = await insertTestUser({ language: 'de' });
    const english = await insertTestUser({ language: 'en' });
    const de = await issueCode(env, smsRequest({ userId: german, language: 'de', target: '0151 7654 3210' }));
    const en = await issueCode(env, smsRequest({ userId: english, language: 'en' }));
    expect(de.target).toBe('+4915176543210');
    expect(de.expiresAtMs).toBe(T0 + CODE_TTL_MS);

    const [deRequest, enRequest] = await scenario.requests();
    const deBody = new URLSearchParams(deRequest!.body).get('Body')!;
    const enBody = new URLSearchParams(enRequest!.body).get('Body')!;
    expect(new URLSearchParams(deRequest!.body).get('To')).toBe('+4915176543210');
    expect(deBody).toMatch(/^\d{6} ist Ihr Bestätigungscode\. Er ist 10 Minuten gültig\./);
    expect(enBody).toMatch(/^\d{6} is your verification code\. It is valid for 10 minutes\./);

    const deCode = deBody.slice(0, 6);
    expect(await verifyCode(env, { challengeId: de.challengeId, code: deCode, nowMs: T0 + 1000 })).toEqual({
      ok: true,
      userId: german,
      target: '+4915176543210',
      purpose: 'login-sms',
      data: {},
    });
    // Reuse of a consumed code.
    expect(await verifyCode(env, { challengeId: de.challengeId, code: deCode, nowMs: T0 + 2000 })).toMatchObject({ ok: false, reason: 'CODE_INVALID' });
    // A code is bound to its own challenge.
    expect(await verifyCode(env, { challengeId: en.challengeId, code: deCode, nowMs: T0 + 2000 })).toMatchObject({ ok: false, reason: 'CODE_INVALID' });
    expect(await verifyCode(env, { challengeId: en.challengeId, code: enBody.slice(0, 3) + ' ' + enBody.slice(3, 6), nowMs: T0 + 2000 })).toMatchObject({ ok: true, userId: english });
  });

  it('stores neither the code nor the challenge id; the message log has no text', async () => {
    await configureMessaging();
    const issued = await issueCode(env, smsRequest());
    const code = await latestOutboxCode(issued.target);
    const row = await env.DB.prepare('SELECT * FROM challenges WHERE id = ?').bind(await sha256Hex(issued.challengeId)).first<Record<string, unknown>>();
    expect(row).not.toBeNull();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(issued.challengeId);
    expect(row!.code_hash).toBe(await sha256Hex(`${issued.challengeId}:${code}`));
    const logs = await env.DB.prepare('SELECT * FROM message_log WHERE recipient = ?').bind(issued.target).all();
    expect(JSON.stringify(logs.results)).not.toContain(code);
  });

  it('sends email codes with the name; the link line appears only with a link', async () => {
    const scenario = providerScenario();
    await configureMessaging({ email: { type: 'postmark', serverToken: 'postmark-server-token-42', baseUrl: scenario.baseUrl } });
    const user = await insertTestUser({ language: 'de' });
    const plain = await issueCode(env, { purpose: 'recovery', userId: user, channel: 'email', target: 'Erika@Example.org', language: 'de', name: 'Erika', ip: null, nowMs: T0 });
    await issueCode(env, { purpose: 'recovery-link', userId: user, channel: 'email', target: 'erika.link@example.org', language: 'en', name: 'Erika', ip: null, nowMs: T0, link: 'https://id.example.test/recover/abc' });
    const [first, second] = (await scenario.requests()).map((r) => JSON.parse(r.body) as { To: string; Subject: string; TextBody: string });
    expect(plain.target).toBe('erika@example.org');
    expect(first).toMatchObject({ To: 'erika@example.org', Subject: 'Ihr Bestätigungscode' });
    expect(first!.TextBody).toMatch(/^Hallo Erika,\n\nIhr Bestätigungscode lautet: \d{6}\n\nDer Code ist 10 Minuten gültig/);
    expect(first!.TextBody).not.toContain('Link');
    expect(second!.Subject).toBe('Your verification code');
    expect(second!.TextBody).toContain('Or open this link: https://id.example.test/recover/abc');
    const code = /\d{6}/.exec(first!.TextBody)![0];
    expect(await verifyCode(env, { challengeId: plain.challengeId, code, nowMs: T0 + 5000, purpose: 'recovery' })).toMatchObject({ ok: true, target: 'erika@example.org' });
  });

  it('keeps flow data with the challenge and insists on the purpose when asked', async () => {
    await configureMessaging();
    const issued = await issueCode(env, smsRequest({ purpose: 'profile-phone', data: { step: 2 } }));
    const code = await latestOutboxCode(issued.target);
    expect(await verifyCode(env, { challengeId: issued.challengeId, code, nowMs: T0 + 1, purpose: 'login-sms' })).toMatchObject({ ok: false, reason: 'CODE_INVALID' });
    expect(await verifyCode(env, { challengeId: issued.challengeId, code, nowMs: T0 + 1, purpose: 'profile-phone' })).toMatchObject({ ok: true, data: { step: 2 } });
  });

  it('leaves no challenge behind and no cooldown when the provider fails', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    await scenario.override({ status: 500, body: '{}', times: 1 });
    const target = freshPhone();
    const before = (await env.DB.prepare('SELECT count(*) AS n FROM challenges').first<{ n: number }>())!.n;
    const error = await rejection(issueCode(env, smsRequest({ target })));
    expect(error.code).toBe('MESSAGE_NOT_SENT');
    expect((await env.DB.prepare('SELECT count(*) AS n FROM challenges').first<{ n: number }>())!.n).toBe(before);
    await expect(issueCode(env, smsRequest({ target, nowMs: T0 + 1000 }))).resolves.toMatchObject({ target });
  });
});

describe('attacks on the code', () => {
  it('brute force: the code is void after CODE_MAX_ATTEMPTS wrong guesses, even for the right code', async () => {
    await configureMessaging();
    const issued = await issueCode(env, smsRequest());
    const code = await latestOutboxCode(issued.target);
    for (let i = 1; i <= CODE_MAX_ATTEMPTS; i++) {
      expect(await verifyCode(env, { challengeId: issued.challengeId, code: wrongCode(code), nowMs: T0 + i })).toEqual({ ok: false, reason: 'CODE_INVALID', attemptsLeft: CODE_MAX_ATTEMPTS - i });
    }
    expect(await verifyCode(env, { challengeId: issued.challengeId, code, nowMs: T0 + 100 })).toEqual({ ok: false, reason: 'RATE_LIMITED' });
  });

  it('brute force in parallel: a burst of guesses still gets only CODE_MAX_ATTEMPTS comparisons', async () => {
    await configureMessaging();
    const issued = await issueCode(env, smsRequest());
    const code = await latestOutboxCode(issued.target);
    const guesses = Array.from({ length: 30 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    const results = await Promise.all(guesses.map((guess) => verifyCode(env, { challengeId: issued.challengeId, code: guess, nowMs: T0 + 10 })));
    expect(results.filter((r) => !r.ok && r.reason === 'CODE_INVALID')).toHaveLength(CODE_MAX_ATTEMPTS);
    expect(results.filter((r) => !r.ok && r.reason === 'RATE_LIMITED')).toHaveLength(30 - CODE_MAX_ATTEMPTS);
    expect(await verifyCode(env, { challengeId: issued.challengeId, code, nowMs: T0 + 20 })).toMatchObject({ ok: false, reason: 'RATE_LIMITED' });
  });

  it('concurrent use of the right code succeeds exactly once', async () => {
    await configureMessaging();
    const issued = await issueCode(env, smsRequest());
    const code = await latestOutboxCode(issued.target);
    const results = await Promise.all(Array.from({ length: 4 }, () => verifyCode(env, { challengeId: issued.challengeId, code, nowMs: T0 + 10 })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('an expired code is refused as expired', async () => {
    await configureMessaging();
    const issued = await issueCode(env, smsRequest());
    const code = await latestOutboxCode(issued.target);
    expect(await verifyCode(env, { challengeId: issued.challengeId, code, nowMs: T0 + CODE_TTL_MS })).toEqual({ ok: false, reason: 'CODE_EXPIRED' });
  });

  it('an unknown or malformed challenge id is simply invalid', async () => {
    expect(await verifyCode(env, { challengeId: 'nope', code: '123456', nowMs: T0 })).toMatchObject({ ok: false, reason: 'CODE_INVALID' });
    expect(await verifyCode(env, { challengeId: 'x'.repeat(43), code: '123456', nowMs: T0 })).toMatchObject({ ok: false, reason: 'CODE_INVALID' });
  });
});

describe('SMS pumping and resend limits', () => {
  it('resend cooldown: a second code to the same number within the cooldown is refused; later the old code is void', async () => {
    await configureMessaging();
    const target = freshPhone();
    const first = await issueCode(env, smsRequest({ target }));
    const firstCode = await latestOutboxCode(target);
    const error = await rejection(issueCode(env, smsRequest({ target, nowMs: T0 + CODE_RESEND_COOLDOWN_MS - 1 })));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details).toEqual({ limit: 'cooldown', retryAfterMs: 1 });
    const second = await issueCode(env, smsRequest({ target, nowMs: T0 + CODE_RESEND_COOLDOWN_MS }));
    const secondCode = await latestOutboxCode(target);
    expect(await verifyCode(env, { challengeId: first.challengeId, code: firstCode, nowMs: T0 + CODE_RESEND_COOLDOWN_MS + 1 })).toMatchObject({ ok: false, reason: 'CODE_INVALID' });
    expect(await verifyCode(env, { challengeId: second.challengeId, code: secondCode, nowMs: T0 + CODE_RESEND_COOLDOWN_MS + 1 })).toMatchObject({ ok: true });
  });

  it('caps SMS per phone number per day', async () => {
    await configureMessaging();
    const target = freshPhone();
    for (let i = 0; i < SMS_PER_PHONE_PER_DAY; i++) await issueCode(env, smsRequest({ target, nowMs: T0 + i * CODE_RESEND_COOLDOWN_MS }));
    const error = await rejection(issueCode(env, smsRequest({ target, nowMs: T0 + SMS_PER_PHONE_PER_DAY * CODE_RESEND_COOLDOWN_MS })));
    expect(error.details).toMatchObject({ limit: 'phone' });
    const sent = await env.DB.prepare('SELECT count(*) AS n FROM outbox WHERE recipient = ?').bind(target).first<{ n: number }>();
    expect(sent!.n).toBe(SMS_PER_PHONE_PER_DAY);
  });

  it('caps SMS per user per day, whatever numbers they use', async () => {
    await configureMessaging();
    const userId = await insertTestUser();
    for (let i = 0; i < SMS_PER_USER_PER_DAY; i++) await issueCode(env, smsRequest({ userId, nowMs: T0 + i }));
    const error = await rejection(issueCode(env, smsRequest({ userId, nowMs: T0 + 100 })));
    expect(error.details).toMatchObject({ limit: 'user' });
  });

  it('caps SMS per IP per hour; a refused request does not spend the number’s budget', async () => {
    await configureMessaging();
    const ip = '203.0.113.77';
    for (let i = 0; i < SMS_PER_IP_PER_HOUR; i++) await issueCode(env, smsRequest({ ip, nowMs: T0 + i }));
    const victim = freshPhone();
    const error = await rejection(issueCode(env, smsRequest({ ip, target: victim, nowMs: T0 + 100 })));
    expect(error.details).toMatchObject({ limit: 'ip' });
    // The victim's number is untouched: no cooldown, no count.
    expect(await env.DB.prepare('SELECT count(*) AS n FROM rate_limits WHERE key LIKE ?').bind(`%${victim}`).first<{ n: number }>()).toEqual({ n: 0 });
    // An hour later the IP may send again.
    await expect(issueCode(env, smsRequest({ ip, target: victim, nowMs: T0 + 60 * 60 * 1000 }))).resolves.toMatchObject({ target: victim });
  });

  it('treats one IPv6 /64 as one client', async () => {
    await configureMessaging();
    for (let i = 0; i < SMS_PER_IP_PER_HOUR; i++) await issueCode(env, smsRequest({ ip: `2001:db8:1:2::${(i + 1).toString(16)}`, nowMs: T0 + i }));
    const error = await rejection(issueCode(env, smsRequest({ ip: '2001:0db8:0001:0002:ffff:1:2:3', nowMs: T0 + 100 })));
    expect(error.details).toMatchObject({ limit: 'ip' });
  });

  it('caps emails per recipient per hour (case-insensitive address)', async () => {
    await configureMessaging();
    for (let i = 0; i < EMAIL_PER_RECIPIENT_PER_HOUR; i++) {
      await issueCode(env, { purpose: 'recovery', userId: null, channel: 'email', target: i % 2 ? 'Flood@Example.org' : 'flood@example.org', language: 'en', name: '', ip: null, nowMs: T0 + i * CODE_RESEND_COOLDOWN_MS });
    }
    const error = await rejection(
      issueCode(env, { purpose: 'recovery', userId: null, channel: 'email', target: 'FLOOD@example.org', language: 'en', name: '', ip: null, nowMs: T0 + EMAIL_PER_RECIPIENT_PER_HOUR * CODE_RESEND_COOLDOWN_MS }),
    );
    expect(error.details).toMatchObject({ limit: 'recipient' });
  });
});
