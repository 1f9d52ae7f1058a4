/**
 * The send limits as administrator settings (Admin Center > Security > Email > Limits, stored with the messaging
 * settings): SMS cost money per message, so resend cooldown and caps per phone number, user, email address and IP
 * are what stands between a bot and the SMS bill (toll fraud / SMS pumping). Each test drives the real admin API
 * and real sends inside workerd against D1, with SMS going to the local Twilio impersonation server, so "no
 * provider call" is what that server saw.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CODE_RESEND_COOLDOWN_MS,
  EMAIL_PER_IP_PER_HOUR,
  EMAIL_PER_RECIPIENT_PER_HOUR,
  SMS_PER_IP_PER_HOUR,
  SMS_PER_PHONE_PER_DAY,
  SMS_PER_USER_PER_DAY,
} from '../../worker/constants';
import { issueCode } from '../../worker/messaging/codes';
import { DEFAULT_TEMPLATES } from '../../worker/messaging/settings';
import { freshPhone, providerScenario, TWILIO_SID } from '../helpers/messaging';
import { adminClient, call, insertUser, json, signIn, unique } from '../helpers/worker';

type Admin = Awaited<ReturnType<typeof adminClient>>;
let admin: Admin;
let twilio: ReturnType<typeof providerScenario>;

/** The constants, as the settings API spells them: what an installation starts with. */
const DEFAULTS = {
  resendCooldownSeconds: CODE_RESEND_COOLDOWN_MS / 1000,
  smsPerPhone: { max: SMS_PER_PHONE_PER_DAY, windowMinutes: 24 * 60 },
  smsPerUser: { max: SMS_PER_USER_PER_DAY, windowMinutes: 24 * 60 },
  smsPerIp: { max: SMS_PER_IP_PER_HOUR, windowMinutes: 60 },
  emailPerRecipient: { max: EMAIL_PER_RECIPIENT_PER_HOUR, windowMinutes: 60 },
  emailPerIp: { max: EMAIL_PER_IP_PER_HOUR, windowMinutes: 60 },
};

async function putSettings(body: unknown) {
  const response = await admin.request('/messaging/settings', { method: 'PUT', json: body });
  return { status: response.status, body: await json(response) };
}

const getSettings = () => admin.get('/messaging/settings');

/** A test SMS from the admin center: the real send path (limits, provider, message log) with the caller's IP. */
async function testSms(to: string, ip: string) {
  const response = await admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'sms', to, language: 'en' }, headers: { 'cf-connecting-ip': ip } });
  return { status: response.status, body: await json(response) };
}

let ipCounter = 0;
/** A distinct client address per scenario, so the per-IP caps of one test do not touch another. */
const freshIp = () => `198.51.100.${++ipCounter}`;

const smsSentTo = async (phone: string) => (await twilio.requests()).filter((r) => new URLSearchParams(r.body).get('To') === phone).length;

beforeAll(async () => {
  admin = await adminClient();
  twilio = providerScenario();
  const saved = await putSettings({
    sms: { primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-limits-0001', from: '+15005550006', baseUrl: twilio.baseUrl }, fallback: null },
    email: { provider: { type: 'outbox' }, fromAddress: 'security@id.example.com', fromName: 'Example ID' },
    templates: DEFAULT_TEMPLATES,
  });
  expect(saved.status).toBe(200);
});

describe('message limits as settings', () => {
  beforeEach(async () => {
    expect((await putSettings({ limits: DEFAULTS })).status).toBe(200);
  });

  it('start at the constants, with their bounds, and a save without limits leaves them alone', async () => {
    const settings = await getSettings();
    expect(settings.limits).toEqual(DEFAULTS);
    expect(settings.meta.defaultLimits).toEqual(DEFAULTS);
    expect(settings.meta.limitBounds).toMatchObject({ resendCooldownSeconds: { min: 10, max: 3600 }, recipientCap: { min: 1 }, windowMinutes: { min: 10 } });

    // A client that knows nothing of limits (sms/email/templates only) keeps working and does not reset them.
    expect((await putSettings({ limits: { smsPerUser: { max: 7 } } })).body.limits.smsPerUser).toEqual({ max: 7, windowMinutes: 24 * 60 });
    const { limits: _limits, warnings: _warnings, meta: _meta, ...older } = await getSettings();
    older.templates.en.sms = 'Code {{code}} (limits test)';
    expect((await putSettings(older)).status).toBe(200);
    const after = await getSettings();
    expect(after.templates.en.sms).toBe('Code {{code}} (limits test)');
    expect(after.limits.smsPerUser).toEqual({ max: 7, windowMinutes: 24 * 60 });
    expect((await putSettings({ templates: DEFAULT_TEMPLATES })).status).toBe(200);
  });

  it('the default per-phone cap applies to sends', async () => {
    const phone = freshPhone();
    const ip = freshIp();
    for (let i = 0; i < SMS_PER_PHONE_PER_DAY; i++) expect((await testSms(phone, ip)).status).toBe(200);
    const refused = await testSms(phone, freshIp());
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'phone' } });
    expect(await smsSentTo(phone)).toBe(SMS_PER_PHONE_PER_DAY);
  });

  it('a lowered per-phone cap refuses the next send with RATE_LIMITED and calls no provider', async () => {
    const saved = await putSettings({ limits: { smsPerPhone: { max: 2 } } });
    expect(saved.status).toBe(200);
    expect(saved.body.limits.smsPerPhone).toEqual({ max: 2, windowMinutes: 24 * 60 });
    const settings = await getSettings();
    expect(settings.limits).toEqual({ ...DEFAULTS, smsPerPhone: { max: 2, windowMinutes: 24 * 60 } });
    // Saving only the limits kept the supplier and its secret.
    expect(settings.sms.primary).toMatchObject({ type: 'twilio', baseUrl: twilio.baseUrl, authToken: '••••0001' });

    const phone = freshPhone();
    const ip = freshIp();
    expect((await testSms(phone, ip)).status).toBe(200);
    expect((await testSms(phone, ip)).status).toBe(200);
    const refused = await testSms(phone, ip);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(refused.body.error.details).toEqual({ limit: 'phone', retryAfterMs: expect.any(Number) });
    expect(refused.body.error.details.retryAfterMs).toBeGreaterThan(23 * 60 * 60 * 1000);
    expect(await smsSentTo(phone)).toBe(2);
    const logged = await env.DB.prepare('SELECT count(*) AS n FROM message_log WHERE recipient = ?').bind(phone).first<{ n: number }>();
    expect(logged!.n).toBe(2);
  });

  it('a lowered cooldown lets the next code out sooner; a raised one holds it back longer', async () => {
    expect((await putSettings({ limits: { resendCooldownSeconds: 10 } })).status).toBe(200);
    const phone = freshPhone();
    const T0 = Date.now();
    const request = (nowMs: number) => issueCode(env, { purpose: 'login-sms', userId: null, channel: 'sms', target: phone, language: 'en', name: 'Erika', ip: null, nowMs });
    await request(T0);
    await expect(request(T0 + 9_999)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'cooldown', retryAfterMs: 1 } });
    // The default (60 s) would still refuse this one.
    await expect(request(T0 + 10_000)).resolves.toMatchObject({ target: phone });
    expect(await smsSentTo(phone)).toBe(2);

    // Raised to an hour, through the real profile flow: the second request a minute later is still refused.
    expect((await putSettings({ limits: { resendCooldownSeconds: 3600 } })).status).toBe(200);
    await admin.request('/security', { method: 'PUT', json: { twoFactorEnabled: true } });
    const user = await insertUser({ password: 'user password 1' });
    const session = await signIn(user.login, 'user password 1');
    const askForCode = () =>
      call('/api/profile/two-factor/phone', {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'cf-connecting-ip': freshIp() },
        json: { phone: '+49 151 23456799' },
      });
    expect((await askForCode()).status).toBe(200);
    const again = await askForCode();
    expect(again.status).toBe(429);
    const body = await json(again);
    expect(body.error.details.limit).toBe('cooldown');
    expect(body.error.details.retryAfterMs).toBeGreaterThan(CODE_RESEND_COOLDOWN_MS);
    expect(body.error.message).toMatch(/^Please wait (3[56]\d\d) seconds/);
  });

  it('refuses out-of-bounds and malformed values with field errors, and saves nothing', async () => {
    const before = await getSettings();
    const refused = await putSettings({
      templates: { ...DEFAULT_TEMPLATES, en: { ...DEFAULT_TEMPLATES.en, sms: 'Changed {{code}}' } },
      limits: {
        resendCooldownSeconds: 5,
        smsPerPhone: { max: 0 },
        smsPerUser: { max: 2.5 },
        smsPerIp: { max: 20_000 },
        emailPerRecipient: { windowMinutes: 1 },
        emailPerIp: { windowMinutes: 60 * 24 * 30 },
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    // Each refusal names its rule as a code and parameters (the UI says it in the page's language) beside the English.
    expect(refused.body.error.details.issues).toEqual([
      { path: 'limits.resendCooldownSeconds', code: 'too_small', params: { minimum: 10, origin: 'number' }, message: 'must be at least 10 seconds' },
      { path: 'limits.smsPerPhone.max', code: 'too_small', params: { minimum: 1, origin: 'number' }, message: 'must be at least 1' },
      { path: 'limits.smsPerUser.max', code: 'invalid_type', params: { expected: 'int' }, message: 'must be a whole number' },
      { path: 'limits.smsPerIp.max', code: 'too_big', params: { maximum: 10000, origin: 'number' }, message: 'must be at most 10000' },
      { path: 'limits.emailPerRecipient.windowMinutes', code: 'too_small', params: { minimum: 10, origin: 'number' }, message: 'must be at least 10 minutes' },
      { path: 'limits.emailPerIp.windowMinutes', code: 'too_big', params: { maximum: 10080, origin: 'number' }, message: 'must be at most 10080 minutes (7 days)' },
    ]);
    expect(refused.body.error.message).toBe('limits.resendCooldownSeconds: must be at least 10 seconds');

    expect((await putSettings({ limits: { resendCooldownSeconds: 3601 } })).body.error.details.issues).toEqual([
      { path: 'limits.resendCooldownSeconds', code: 'too_big', params: { maximum: 3600, origin: 'number' }, message: 'must be at most 3600 seconds (1 hour)' },
    ]);
    expect((await putSettings({ limits: { smsPerPhone: { max: '5' } } })).body.error.details.issues).toEqual([{ path: 'limits.smsPerPhone.max', code: 'invalid_type', params: { expected: 'number' }, message: 'must be a whole number' }]);
    expect((await putSettings({ limits: { smsPerPhone: { max: null } } })).body.error.details.issues[0].path).toBe('limits.smsPerPhone.max');
    // A misspelt name is refused rather than ignored (the admin would think the cap was set).
    const typo = await putSettings({ limits: { smsPerPhon: { max: 1 } } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.details.issues[0].path).toBe('limits');
    expect(typo.body.error.message).toContain('smsPerPhon');
    expect((await putSettings({})).body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'body: nothing to save: send sms, email, templates or limits' });

    const after = await getSettings();
    expect(after.limits).toEqual(before.limits);
    expect(after.templates).toEqual(before.templates);
    const row = await env.DB.prepare("SELECT value FROM settings WHERE key = 'messaging.limits'").first<{ value: string }>();
    expect(JSON.parse(row!.value)).toEqual(DEFAULTS);
  });

  it('a per-IP cap stops one client across many numbers, before it touches their counters', async () => {
    expect((await putSettings({ limits: { smsPerIp: { max: 3, windowMinutes: 30 } } })).status).toBe(200);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await testSms(freshPhone(), ip)).status).toBe(200);
    const victim = freshPhone();
    const refused = await testSms(victim, ip);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'ip' } });
    expect(refused.body.error.details.retryAfterMs).toBeLessThanOrEqual(30 * 60 * 1000);
    expect(refused.body.error.details.retryAfterMs).toBeGreaterThan(29 * 60 * 1000);
    expect(await smsSentTo(victim)).toBe(0);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM rate_limits WHERE key LIKE ?').bind(`%${victim}`).first<{ n: number }>()).toEqual({ n: 0 });
    // Another client reaches the same number.
    expect((await testSms(victim, freshIp())).status).toBe(200);
    expect(await smsSentTo(victim)).toBe(1);
  });

  it('email caps are settings too: a lowered per-address cap refuses the next email', async () => {
    expect((await putSettings({ limits: { emailPerRecipient: { max: 1 } } })).status).toBe(200);
    const to = `${unique('limits-')}@example.org`;
    const send = () => admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'email', to, language: 'en' }, headers: { 'cf-connecting-ip': freshIp() } });
    expect((await send()).status).toBe(200);
    const refused = await send();
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.details.limit).toBe('recipient');
    const stored = await env.DB.prepare('SELECT count(*) AS n FROM outbox WHERE recipient = ?').bind(to).first<{ n: number }>();
    expect(stored!.n).toBe(1);
  });
});
