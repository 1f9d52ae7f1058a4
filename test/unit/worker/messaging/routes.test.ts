/**
 * The messaging admin API (mounted by the admin router behind its guard; here on a bare app with the same error
 * mapping) and the settings storage: masked secrets, secrets sealed at rest, validation with clear errors.
 */
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppBindings } from '../../../../worker/env';
import { AppError, errorBody } from '../../../../worker/errors';
import { messagingAdminRoutes } from '../../../../worker/messaging/routes';
import { DEFAULT_TEMPLATES, loadMessagingSettings } from '../../../../worker/messaging/settings';
import { freshPhone, providerScenario, TWILIO_SID } from '../../../helpers/messaging';

const app = new Hono<AppBindings>();
app.use('*', async (c, next) => {
  c.set('now', Date.now());
  await next();
});
app.route('/m', messagingAdminRoutes);
app.onError((error, c) => {
  if (error instanceof AppError) return c.json(errorBody(error.code, error.message, error.details), error.status);
  throw error;
});

function request(path: string, init: { method?: string; json?: unknown } = {}, bindings: object = env) {
  return app.request(
    `/m${path}`,
    { method: init.method ?? 'GET', headers: { 'content-type': 'application/json' }, body: init.json === undefined ? undefined : JSON.stringify(init.json) },
    bindings,
  );
}

function settingsBody(overrides: Record<string, unknown> = {}) {
  return {
    sms: { primary: { type: 'outbox' }, fallback: null },
    email: { provider: { type: 'outbox' }, fromAddress: 'security@id.example.com', fromName: 'Example ID' },
    templates: DEFAULT_TEMPLATES,
    ...overrides,
  };
}

describe('settings API', () => {
  it('starts with the outbox for both channels and default templates in de and en', async () => {
    const response = await request('/settings');
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.sms.primary).toEqual({ type: 'outbox' });
    expect(body.email.provider).toEqual({ type: 'outbox' });
    expect(body.templates.de.sms).toContain('{{code}}');
    expect(body.templates.en.emailBody).toContain('{{link}}');
    expect(body.warnings).toHaveLength(2);
    expect(body.meta.smsSupplierTypes).toEqual(['outbox', 'twilio', 'vonage', 'messagebird', 'generic']);
  });

  it('masks secrets in answers, seals them at rest, and keeps them when the masked view is saved back', async () => {
    const scenario = providerScenario();
    const token = 'twilio-auth-token-0123456789';
    const put = await request('/settings', {
      method: 'PUT',
      json: settingsBody({
        sms: {
          primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: token, from: '+15005550006', baseUrl: scenario.baseUrl },
          fallback: { type: 'generic', url: `${scenario.baseUrl}/gw`, bodyTemplate: '{{text}}', contentType: 'text/plain', headers: [{ name: 'X-Api-Key', value: 'gateway-key-abcdefgh', secret: true }] },
        },
        email: { provider: { type: 'postmark', serverToken: 'postmark-server-token-42', baseUrl: scenario.baseUrl }, fromAddress: 'security@id.example.com' },
      }),
    });
    expect(put.status).toBe(200);
    const view = (await (await request('/settings')).json()) as any;
    const viewText = JSON.stringify(view);
    for (const secret of [token, 'gateway-key-abcdefgh', 'postmark-server-token-42']) expect(viewText).not.toContain(secret);
    expect(view.sms.primary.authToken).toBe('••••6789');
    expect(view.sms.fallback.headers[0]).toEqual({ name: 'X-Api-Key', value: '••••efgh', secret: true });
    expect(view.email.provider.serverToken).toBe('••••n-42');

    const stored = await env.DB.prepare("SELECT value FROM settings WHERE key LIKE 'messaging.%'").all<{ value: string }>();
    const storedText = JSON.stringify(stored.results);
    for (const secret of [token, 'gateway-key-abcdefgh', 'postmark-server-token-42']) expect(storedText).not.toContain(secret);
    expect(storedText).toContain('v2.');

    // Save the masked view back (what the admin center does after editing, say, the sender number).
    const { warnings: _w, meta: _m, ...edited } = view;
    edited.sms.primary.from = '+15005550007';
    expect((await request('/settings', { method: 'PUT', json: edited })).status).toBe(200);
    const settings = await loadMessagingSettings(env);
    expect(settings.sms.primary).toMatchObject({ type: 'twilio', authToken: token, from: '+15005550007' });
    expect(settings.sms.fallback).toMatchObject({ headers: [{ name: 'X-Api-Key', value: 'gateway-key-abcdefgh', secret: true }] });
    expect(settings.email.provider).toMatchObject({ serverToken: 'postmark-server-token-42' });

    // The kept secret really authenticates: a test message reaches the impersonated Twilio with it.
    const sent = await request('/test-message', { method: 'POST', json: { channel: 'sms', to: freshPhone(), language: 'de' } });
    expect(sent.status).toBe(200);
    const [twilio] = await scenario.requests();
    expect(Buffer.from(twilio!.headers.authorization!.slice(6), 'base64').toString()).toBe(`${TWILIO_SID}:${token}`);
    expect(new URLSearchParams(twilio!.body).get('Body')).toMatch(/^\d{6} ist Ihr Bestätigungscode/);
  });

  it('a sealed secret moved to another field does not decrypt', async () => {
    await request('/settings', {
      method: 'PUT',
      json: settingsBody({ sms: { primary: { type: 'messagebird', accessKey: 'live_messagebird_key_9', originator: 'X' }, fallback: { type: 'messagebird', accessKey: 'other_key_123456', originator: 'Y' } } }),
    });
    const row = await env.DB.prepare("SELECT value FROM settings WHERE key = 'messaging.sms'").first<{ value: string }>();
    const value = JSON.parse(row!.value);
    value.fallback.accessKey = value.primary.accessKey;
    await env.DB.prepare("UPDATE settings SET value = ? WHERE key = 'messaging.sms'").bind(JSON.stringify(value)).run();
    const response = await request('/settings');
    expect(response.status).toBe(500);
    expect(((await response.json()) as any).error.code).toBe('INTERNAL');
    await env.DB.prepare("DELETE FROM settings WHERE key LIKE 'messaging.%'").run();
  });

  it('a new supplier type needs its secret; the old type’s secret is not carried over', async () => {
    await request('/settings', { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'vonage', apiKey: 'k', apiSecret: 'vonage-secret-5678', from: 'X' } } }) });
    const response = await request('/settings', { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'messagebird', accessKey: '••••5678', originator: 'X' } } }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: 'sms.primary.accessKey: required' } });
  });

  it('refuses unknown supplier types and bad fields with the field path', async () => {
    let response = await request('/settings', { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'carrier-pigeon' } } }) });
    expect(response.status).toBe(400);
    let body = (await response.json()) as any;
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.issues[0].path).toBe('sms.primary.type');

    response = await request('/settings', { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'twilio', accountSid: 'nope', authToken: 'x', from: '+1' } } }) });
    body = (await response.json()) as any;
    expect(body.error.details.issues[0]).toMatchObject({ path: 'sms.primary.accountSid' });
  });

  it('refuses templates with unknown placeholders, saying where', async () => {
    const templates = { ...DEFAULT_TEMPLATES, de: { ...DEFAULT_TEMPLATES.de, emailBody: 'Hallo {{name}},\nIhr Code: {{cod}}\n{{link}}' } };
    const response = await request('/settings', { method: 'PUT', json: settingsBody({ templates }) });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.code).toBe('TEMPLATE_INVALID');
    expect(body.error.message).toContain('templates.de.emailBody');
    expect(body.error.details.issues[0].problems[0]).toMatchObject({ kind: 'unknown_placeholder', placeholder: 'cod', line: 2, column: 11 });
  });

  it('refuses an SMS template without the code and a gateway request without the text', async () => {
    const templates = { ...DEFAULT_TEMPLATES, en: { ...DEFAULT_TEMPLATES.en, sms: 'Hello {{name}}' } };
    let response = await request('/settings', { method: 'PUT', json: settingsBody({ templates }) });
    expect(((await response.json()) as any).error).toMatchObject({ code: 'TEMPLATE_INVALID' });
    response = await request('/settings', { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'generic', url: 'https://gw.example.com/send?to={{phone}}' } } }) });
    expect(((await response.json()) as any).error.message).toContain('{{text}}');
    response = await request('/settings', { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'generic', url: 'https://gw.example.com/send', bodyTemplate: '{{text}} {{secret}}' } } }) });
    expect(((await response.json()) as any).error).toMatchObject({ code: 'TEMPLATE_INVALID' });
  });

  it('refuses plain-http provider URLs unless the deployment allows them', async () => {
    const productionEnv = { ...env, ALLOW_INSECURE_PROVIDER_URLS: undefined };
    const response = await request(
      '/settings',
      { method: 'PUT', json: settingsBody({ sms: { primary: { type: 'vonage', apiKey: 'k', apiSecret: 'vonage-secret-5678', from: 'X', baseUrl: 'http://rest.nexmo.com' } } }) },
      productionEnv,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'sms.primary.baseUrl', message: 'the URL must start with https://' }] } } });
    const withCredentials = await request('/settings', {
      method: 'PUT',
      json: settingsBody({ email: { provider: { type: 'postmark', serverToken: 't-1234567890', baseUrl: 'https://user:pw@api.postmarkapp.com' }, fromAddress: 'a@b.example' } }),
    });
    expect(((await withCredentials.json()) as any).error.details.issues[0].path).toBe('email.provider.baseUrl');
  });
});

describe('preview, test message, outbox and log', () => {
  it('previews edited templates with sample values and reports problems without failing', async () => {
    await request('/settings', { method: 'PUT', json: settingsBody() });
    let response = await request('/templates/preview', { method: 'POST', json: { language: 'de', values: { code: '424242', name: 'Jörg' } } });
    let body = (await response.json()) as any;
    expect(body.ok).toBe(true);
    expect(body.sms.rendered).toBe('424242 ist Ihr Bestätigungscode. Er ist 10 Minuten gültig. Geben Sie ihn niemandem weiter.');
    expect(body.sms.length).toEqual({ encoding: 'GSM-7', units: body.sms.rendered.length, segments: 1 });
    expect(body.emailBody.rendered).toContain('Hallo Jörg,');

    response = await request('/templates/preview', { method: 'POST', json: { language: 'en', templates: { sms: 'Code {{code}} for {{user}}' } } });
    body = (await response.json()) as any;
    expect(body.ok).toBe(false);
    expect(body.sms.rendered).toBeNull();
    expect(body.sms.problems[0]).toMatchObject({ placeholder: 'user', line: 1, column: 19 });
    expect(body.emailSubject.rendered).toBe('Your verification code');
  });

  it('sends a test email to the outbox and lists it, newest first, paged', async () => {
    await request('/settings', { method: 'PUT', json: settingsBody() });
    for (const to of ['one@example.org', 'two@example.org', 'three@example.org']) {
      const response = await request('/test-message', { method: 'POST', json: { channel: 'email', to, language: 'en' } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ provider: 'outbox', to, subject: 'Your verification code' });
    }
    const page = (await (await request('/outbox?pageSize=2&page=1&channel=email')).json()) as any;
    expect(page.total).toBeGreaterThanOrEqual(3);
    expect(page.items).toHaveLength(2);
    expect(page.items[0].at).toBeGreaterThanOrEqual(page.items[1].at);
    expect(page.items[0]).toMatchObject({ channel: 'email', subject: 'Your verification code' });
    const log = (await (await request('/message-log?channel=email&status=sent&pageSize=200')).json()) as any;
    expect(log.items.map((i: any) => i.recipient)).toEqual(expect.arrayContaining(['one@example.org', 'two@example.org', 'three@example.org']));
    expect(log.items[0]).toMatchObject({ channel: 'email', provider: 'outbox', purpose: 'test', status: 'sent' });
    expect(JSON.stringify(log.items)).not.toMatch(/Your verification code is: \d{6}/);
  });

  it('answers MESSAGE_NOT_SENT for a test message to an invalid number, and 400 for bad queries', async () => {
    await request('/settings', { method: 'PUT', json: settingsBody() });
    const response = await request('/test-message', { method: 'POST', json: { channel: 'sms', to: '+49 12', language: 'en' } });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: 'MESSAGE_NOT_SENT', details: { reason: 'INVALID_PHONE' } } });
    expect((await request('/message-log?status=lost')).status).toBe(400);
    expect((await request('/outbox', { method: 'DELETE' })).status).toBe(200);
    expect(((await (await request('/outbox')).json()) as any).total).toBe(0);
  });
});
