/**
 * Every provider adapter against a local server that impersonates the provider's API (test/setup/
 * provider-server.ts): what went over the wire (auth, number, text), how errors come back, and failover.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../worker/errors';
import { listMessageLog, sendEmail, sendSms } from '../../../../worker/messaging/service';
import type { MessagingSettingsInput } from '../../../../worker/messaging/settings';
import { configureMessaging, freshPhone, insertTestUser, providerScenario, TWILIO_SID } from '../../../helpers/messaging';

type SmsSupplierInput = MessagingSettingsInput['sms']['primary'];

const now = () => Date.now();

async function expectNotSent(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('MESSAGE_NOT_SENT');
  return error as AppError;
}

async function logRows(recipient: string) {
  const { results } = await env.DB.prepare('SELECT * FROM message_log WHERE recipient = ? ORDER BY rowid').bind(recipient).all<Record<string, unknown>>();
  return results;
}

describe('Twilio', () => {
  it('posts To/From/Body form-encoded with Basic auth of account SID and auth token', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    const text = 'Ihr Bestätigungscode: 042917. Gültig für 10 Minuten.';
    const result = await sendSms(env, env.DB, { to: '0151 2345 6701', text, purpose: 'login-sms', language: 'de', nowMs: now() });

    const [request, ...more] = await scenario.requests();
    expect(more).toEqual([]);
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Buffer.from(request!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe(`${TWILIO_SID}:twilio-auth-token-1234`);
    const form = new URLSearchParams(request!.body);
    expect(form.get('To')).toBe('+4915123456701');
    expect(form.get('From')).toBe('+15005550006');
    expect(form.get('Body')).toBe(text);

    expect(result).toMatchObject({ provider: 'twilio', to: '+4915123456701', usedFallback: false });
    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    const [log] = await logRows('+4915123456701');
    expect(log).toMatchObject({ channel: 'sms', provider: 'twilio', status: 'sent', purpose: 'login-sms', language: 'de', provider_message_id: result.providerMessageId, error: null });
  });

  it('reports Twilio errors with their code', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    await scenario.override({ status: 400, body: JSON.stringify({ code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }) });
    const error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain("twilio: HTTP 400: The 'To' number is not a valid phone number. (Twilio error 21211)");
    expect(error.details).toMatchObject({ reason: 'PROVIDER_FAILED', attempts: [{ provider: 'twilio', summary: { kind: 'bad_request', status: 400 } }] });
  });

  it('says what the admin can act on: a 401 is the credentials, whatever the body says', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'wrong-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    await scenario.override({ status: 401, body: JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }) });
    const error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    const [attempt] = (error.details as { attempts: Array<{ error: string; summary: unknown }> }).attempts;
    expect(attempt!.summary).toEqual({ kind: 'credentials', status: 401 });
    // The provider's own words stay as the detail.
    expect(attempt!.error).toContain('twilio: HTTP 401: Authenticate');
  });
});

describe('Vonage', () => {
  it('posts api_key, api_secret, from, to (without +) and text; unicode only when needed', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'vonage', apiKey: 'vonage-key', apiSecret: 'vonage-secret-5678', from: 'ExampleID', baseUrl: scenario.baseUrl } });
    const phone = freshPhone();
    const result = await sendSms(env, env.DB, { to: phone, text: 'Your code is 042917', purpose: 'test', language: 'en', nowMs: now() });
    await sendSms(env, env.DB, { to: phone, text: 'Ваш код 042917', purpose: 'test', language: 'en', nowMs: now() });

    const [latin, cyrillic] = await scenario.requests();
    expect(latin!.path).toBe('/sms/json');
    const form = new URLSearchParams(latin!.body);
    expect(Object.fromEntries(form)).toEqual({ api_key: 'vonage-key', api_secret: 'vonage-secret-5678', from: 'ExampleID', to: phone.slice(1), text: 'Your code is 042917' });
    expect(new URLSearchParams(cyrillic!.body).get('type')).toBe('unicode');
    expect(new URLSearchParams(cyrillic!.body).get('text')).toBe('Ваш код 042917');
    expect(result.provider).toBe('vonage');
    expect(result.providerMessageId).toBeTruthy();
  });

  it('treats a non-zero message status in a 200 answer as a failure', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'vonage', apiKey: 'vonage-key', apiSecret: 'vonage-secret-5678', from: 'ExampleID', baseUrl: scenario.baseUrl } });
    await scenario.override({ status: 200, body: JSON.stringify({ 'message-count': '1', messages: [{ status: '4', 'error-text': 'Bad Credentials' }] }) });
    const error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('vonage: status 4: Bad Credentials');
  });
});

describe('MessageBird', () => {
  it('posts JSON recipients/originator/body with the AccessKey header', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'messagebird', accessKey: 'live_messagebird_key_9', originator: 'ExampleID', baseUrl: scenario.baseUrl } });
    const phone = freshPhone();
    const result = await sendSms(env, env.DB, { to: phone, text: 'Your code is 042917', purpose: 'test', language: 'en', nowMs: now() });
    const [request] = await scenario.requests();
    expect(request!.path).toBe('/messages');
    expect(request!.headers.authorization).toBe('AccessKey live_messagebird_key_9');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ recipients: [phone.slice(1)], originator: 'ExampleID', body: 'Your code is 042917', datacoding: 'auto' });
    expect(result).toMatchObject({ provider: 'messagebird' });
  });

  it('passes on MessageBird error descriptions', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'messagebird', accessKey: 'live_messagebird_key_9', originator: 'ExampleID', baseUrl: scenario.baseUrl } });
    await scenario.override({ status: 422, body: JSON.stringify({ errors: [{ code: 9, description: 'no (correct) recipients found', parameter: 'recipients' }] }) });
    const error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('messagebird: HTTP 422: no (correct) recipients found (code 9)');
  });
});

describe('generic HTTP gateway', () => {
  it('fills the JSON body template with JSON-escaped values and sends the secret header', async () => {
    const scenario = providerScenario();
    await configureMessaging({
      primary: {
        type: 'generic',
        method: 'POST',
        url: `${scenario.baseUrl}/api/send`,
        headers: [
          { name: 'Authorization', value: 'Bearer gw-secret-token-77', secret: true },
          { name: 'X-Client', value: 'edge-identity', secret: false },
        ],
        bodyTemplate: '{"to": "{{phone}}", "message": "{{text}}"}',
        contentType: 'application/json',
        successBodyContains: 'OK',
      },
    });
    const phone = freshPhone();
    const text = 'Code "042917"\nnicht weitergeben \\ danke';
    await sendSms(env, env.DB, { to: phone, text, purpose: 'test', language: 'de', nowMs: now() });
    const [request] = await scenario.requests();
    expect(request).toMatchObject({ method: 'POST', path: '/api/send' });
    expect(request!.headers.authorization).toBe('Bearer gw-secret-token-77');
    expect(request!.headers['x-client']).toBe('edge-identity');
    expect(request!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(request!.body)).toEqual({ to: phone, message: text });
  });

  it('fills a GET URL template with URL-encoded values', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'generic', method: 'GET', url: `${scenario.baseUrl}/send?to={{phone}}&text={{text}}` } });
    const phone = freshPhone();
    await sendSms(env, env.DB, { to: phone, text: 'a&b=c ü', purpose: 'test', language: 'en', nowMs: now() });
    const [request] = await scenario.requests();
    expect(request!.method).toBe('GET');
    expect(request!.query).toEqual({ to: phone, text: 'a&b=c ü' });
  });

  it('fails when the success text is missing or the status is not accepted', async () => {
    const scenario = providerScenario();
    await configureMessaging({
      primary: { type: 'generic', url: `${scenario.baseUrl}/send`, bodyTemplate: 'to={{phone}}&text={{text}}', contentType: 'application/x-www-form-urlencoded', successStatus: [202], successBodyContains: 'queued' },
    });
    await scenario.override({ status: 202, body: 'ERR insufficient credit', contentType: 'text/plain', times: 1 });
    let error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('the answer does not contain "queued": ERR insufficient credit');
    await scenario.override({ status: 200, body: 'queued', contentType: 'text/plain', times: 1 });
    error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('generic: HTTP 200');
    await scenario.override({ status: 202, body: 'queued', contentType: 'text/plain', times: 1 });
    await expect(sendSms(env, env.DB, { to: freshPhone(), text: 'x y', purpose: 'test', language: 'en', nowMs: now() })).resolves.toMatchObject({ provider: 'generic' });
    const requests = await scenario.requests();
    expect(new URLSearchParams(requests.at(-1)!.body).get('text')).toBe('x y');
  });
});

describe('failover to the second supplier', () => {
  it('uses the fallback when the first answers 500, and logs both attempts', async () => {
    const first = providerScenario();
    const second = providerScenario();
    await configureMessaging({
      primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: first.baseUrl },
      fallback: { type: 'messagebird', accessKey: 'live_messagebird_key_9', originator: 'ExampleID', baseUrl: second.baseUrl },
    });
    await first.override({ status: 500, body: '{"code":20500,"message":"Internal Server Error","status":500}' });
    const phone = freshPhone();
    const result = await sendSms(env, env.DB, { to: phone, text: 'Your code is 042917', purpose: 'login-sms', language: 'en', nowMs: now() });
    expect(result).toMatchObject({ provider: 'messagebird', usedFallback: true });
    expect(await first.requests()).toHaveLength(1);
    expect(JSON.parse((await second.requests())[0]!.body).recipients).toEqual([phone.slice(1)]);
    const logs = await logRows(phone);
    expect(logs.map((l) => [l.provider, l.status])).toEqual([
      ['twilio', 'failed'],
      ['messagebird', 'sent'],
    ]);
    expect(logs[0]!.error).toContain('HTTP 500');
  });

  it('uses the fallback when the first does not answer in time', async () => {
    const first = providerScenario();
    const second = providerScenario();
    await configureMessaging({
      primary: { type: 'vonage', apiKey: 'k', apiSecret: 'vonage-secret-5678', from: 'ExampleID', baseUrl: first.baseUrl, timeoutMs: 500 },
      fallback: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: second.baseUrl },
    });
    await first.override({ delayMs: 3000, status: 200, body: '{}' });
    const started = Date.now();
    const phone = freshPhone();
    const result = await sendSms(env, env.DB, { to: phone, text: 'x', purpose: 'test', language: 'en', nowMs: now() });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(result).toMatchObject({ provider: 'twilio', usedFallback: true });
    const logs = await logRows(phone);
    expect(logs[0]).toMatchObject({ provider: 'vonage', status: 'failed', error: 'vonage: no answer within 500 ms' });
  });

  it('tells the caller when both fail, and never stores the code or a secret in the log', async () => {
    const first = providerScenario();
    const second = providerScenario();
    await configureMessaging({
      primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: first.baseUrl },
      fallback: { type: 'generic', url: `${second.baseUrl}/send`, bodyTemplate: '{"t":"{{text}}"}', headers: [{ name: 'X-Key', value: 'gw-secret-token-77', secret: true }] },
    });
    // Providers that echo what they got must not make the code (or our credentials) land in message_log.
    await first.override({ status: 400, body: JSON.stringify({ code: 21617, message: 'Body too long: "Your code is 042917" (token twilio-auth-token-1234)' }) });
    await second.override({ status: 503, body: 'gateway down; got {"t":"Your code is 042917"} with key gw-secret-token-77', contentType: 'text/plain' });
    const phone = freshPhone();
    const error = await expectNotSent(sendSms(env, env.DB, { to: phone, text: 'Your code is 042917', purpose: 'login-sms', language: 'en', nowMs: now(), redact: ['042917'] }));
    expect(error.details).toMatchObject({ reason: 'PROVIDER_FAILED' });
    expect((error.details as { attempts: unknown[] }).attempts).toHaveLength(2);
    const logs = await logRows(phone);
    expect(logs.map((l) => l.status)).toEqual(['failed', 'failed']);
    const everything = JSON.stringify(logs) + error.message + JSON.stringify(error.details);
    expect(everything).toContain('[redacted]');
    for (const secret of ['042917', 'twilio-auth-token-1234', 'gw-secret-token-77']) expect(everything).not.toContain(secret);
  });
});

describe('bad input', () => {
  it('refuses invalid phone numbers before calling anyone', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    for (const to of ['12', '+49 123', 'call me', '+999 1234567']) {
      const error = await expectNotSent(sendSms(env, env.DB, { to, text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
      expect(error.details).toEqual({ reason: 'INVALID_PHONE' });
    }
    expect(await scenario.requests()).toEqual([]);
  });

  it('refuses a provider URL that is not https at send time when insecure URLs are not allowed', async () => {
    const scenario = providerScenario();
    await configureMessaging({ primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl: scenario.baseUrl } });
    const productionEnv = { ...env, ALLOW_INSECURE_PROVIDER_URLS: undefined };
    const error = await expectNotSent(sendSms(productionEnv, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('must use https');
    expect(await scenario.requests()).toEqual([]);
  });

  it('reports a supplier that cannot be reached', async () => {
    await configureMessaging({ primary: { type: 'messagebird', accessKey: 'k-123456789012', originator: 'X', baseUrl: 'http://127.0.0.1:9' } });
    const error = await expectNotSent(sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toMatch(/messagebird: could not connect/);
  });
});

describe('email', () => {
  it('Postmark: server token header, From with name, To, Subject, TextBody and stream', async () => {
    const scenario = providerScenario();
    await configureMessaging({ email: { type: 'postmark', serverToken: 'postmark-server-token-42', baseUrl: scenario.baseUrl }, fromName: 'Example ID' });
    const result = await sendEmail(env, env.DB, { to: 'Erika@Example.org', subject: 'Ihr Bestätigungscode', text: 'Hallo Erika,\nIhr Code: 042917', purpose: 'recovery', language: 'de', nowMs: now() });
    const [request] = await scenario.requests();
    expect(request!.path).toBe('/email');
    expect(request!.headers['x-postmark-server-token']).toBe('postmark-server-token-42');
    expect(request!.headers.accept).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      From: '"Example ID" <security@id.example.com>',
      To: 'erika@example.org',
      Subject: 'Ihr Bestätigungscode',
      TextBody: 'Hallo Erika,\nIhr Code: 042917',
      MessageStream: 'outbound',
    });
    expect(result).toMatchObject({ provider: 'postmark', to: 'erika@example.org' });
    expect(result.providerMessageId).toBeTruthy();
  });

  it('Postmark: errors come back with their Postmark code', async () => {
    const scenario = providerScenario();
    await configureMessaging({ email: { type: 'postmark', serverToken: 'postmark-server-token-42', baseUrl: scenario.baseUrl } });
    await scenario.override({ status: 422, body: JSON.stringify({ ErrorCode: 406, Message: 'You tried to send to recipient(s) that have been marked as inactive.' }) });
    const error = await expectNotSent(sendEmail(env, env.DB, { to: 'inactive@example.org', subject: 's', text: 't', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('postmark: HTTP 422: You tried to send to recipient(s) that have been marked as inactive. (Postmark error 406)');
  });

  it('Cloudflare Email Workers: hands an EmailMessage to the EMAIL binding', async () => {
    await configureMessaging({ email: { type: 'cloudflare' } });
    const sent: Array<{ from: string; to: string }> = [];
    const withBinding = { ...env, EMAIL: { send: async (message: { from: string; to: string }) => { sent.push({ from: message.from, to: message.to }); return { messageId: '<m1@id.example.com>' }; } } as unknown as SendEmail };
    const result = await sendEmail(withBinding, env.DB, { to: 'erika@example.org', subject: 'Code', text: 'x', purpose: 'test', language: 'en', nowMs: now() });
    expect(sent).toEqual([{ from: 'security@id.example.com', to: 'erika@example.org' }]);
    expect(result).toMatchObject({ provider: 'cloudflare', providerMessageId: '<m1@id.example.com>' });

    const withoutBinding = { ...env, EMAIL: undefined };
    const error = await expectNotSent(sendEmail(withoutBinding, env.DB, { to: 'erika2@example.org', subject: 'Code', text: 'x', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.message).toContain('the EMAIL send binding is not configured');
  });

  it('refuses invalid addresses', async () => {
    await configureMessaging();
    const error = await expectNotSent(sendEmail(env, env.DB, { to: 'not an address', subject: 's', text: 't', purpose: 'test', language: 'en', nowMs: now() }));
    expect(error.details).toEqual({ reason: 'INVALID_EMAIL' });
  });

  it('outbox: stores the message for the admin center instead of delivering it', async () => {
    await configureMessaging();
    const result = await sendEmail(env, env.DB, { to: 'demo@example.org', subject: 'Your code', text: 'Code 042917', purpose: 'test', language: 'en', nowMs: now() });
    const row = await env.DB.prepare('SELECT * FROM outbox WHERE id = ?').bind(result.providerMessageId).first();
    expect(row).toMatchObject({ channel: 'email', recipient: 'demo@example.org', subject: 'Your code', body: 'Code 042917' });
  });
});

describe('the message log says each failure for people', () => {
  // The log stores the failure's text only; the admin center must still say "Twilio refused the credentials"
  // beside each failed row, as the test message does, for rows written before the summary existed too.
  it('reads back from each logged failure the summary the attempt had, through the real adapters', async () => {
    type Failure = { configure: () => Promise<unknown>; send: (to: string, userId: string) => Promise<unknown>; recipient: () => string };
    const twilio = (baseUrl: string) => ({ type: 'twilio' as const, accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl, timeoutMs: 500 });
    const sms = (setup: (scenario: ReturnType<typeof providerScenario>) => Promise<unknown>, sendEnv: typeof env = env, supplier: (baseUrl: string) => SmsSupplierInput = twilio): Failure => {
      const scenario = providerScenario();
      return {
        configure: async () => {
          await configureMessaging({ primary: supplier(scenario.baseUrl) });
          await setup(scenario);
        },
        send: (to, userId) => sendSms(sendEnv, env.DB, { to, text: 'x', purpose: 'test', language: 'en', userId, nowMs: now() }),
        recipient: freshPhone,
      };
    };
    const failures: Failure[] = [
      // The provider's own words imitate our wording: only our message, which leads, may decide the kind.
      ...[401, 403, 404, 400, 429, 503, 302].map((status) => sms((scenario) => scenario.override({ status, body: JSON.stringify({ code: 1, message: 'HTTP 401: refused before sending' }) }))),
      sms((scenario) => scenario.override({ delayMs: 3000, status: 200, body: '{}' })),
      sms(async () => undefined, { ...env, ALLOW_INSECURE_PROVIDER_URLS: undefined }),
      sms(async () => undefined, env, () => twilio('http://127.0.0.1:9')),
      sms(
        (scenario) => scenario.override({ status: 200, body: JSON.stringify({ 'message-count': '1', messages: [{ status: '4', 'error-text': 'could not connect' }] }) }),
        env,
        (baseUrl) => ({ type: 'vonage', apiKey: 'vonage-key', apiSecret: 'vonage-secret-5678', from: 'ExampleID', baseUrl }),
      ),
      {
        configure: () => configureMessaging({ email: { type: 'cloudflare' } }),
        send: (to, userId) => sendEmail({ ...env, EMAIL: undefined }, env.DB, { to, subject: 's', text: 't', purpose: 'test', language: 'en', userId, nowMs: now() }),
        recipient: () => `log-${crypto.randomUUID().slice(0, 8)}@example.org`,
      },
    ];

    const kinds = new Set<string>();
    for (const failure of failures) {
      await failure.configure();
      const userId = await insertTestUser();
      const error = await expectNotSent(failure.send(failure.recipient(), userId));
      const [attempt] = (error.details as { attempts: Array<{ summary: { kind: string } }> }).attempts;
      kinds.add(attempt!.summary.kind);
      const log = await listMessageLog(env.DB, { page: 1, pageSize: 10, userId });
      expect(log.items.map((item) => item.summary)).toEqual([attempt!.summary]);
    }
    // Every kind the adapters produce was among them, so a kind whose wording the log cannot read fails above.
    expect(kinds).toEqual(new Set(['credentials', 'forbidden', 'not_found', 'bad_request', 'rate_limited', 'provider_down', 'http', 'timeout', 'config', 'network', 'rejected']));

    await configureMessaging();
    const userId = await insertTestUser();
    await sendSms(env, env.DB, { to: freshPhone(), text: 'x', purpose: 'test', language: 'en', userId, nowMs: now() });
    expect((await listMessageLog(env.DB, { page: 1, pageSize: 10, userId })).items.map((item) => [item.status, item.summary])).toEqual([['sent', null]]);
  });
});
