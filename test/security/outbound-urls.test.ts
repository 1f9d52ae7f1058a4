/**
 * Threat: whoever can edit the messaging settings (an admin session, a stolen admin API key) turns the Worker's
 * provider calls against us. (1) They point a provider at an internal address (loopback, a private network,
 * link-local, CGNAT, the cloud metadata service), spelled in whatever literal form slips past a naive check,
 * so that our requests reach what only the server can reach. (2) They change the Twilio base URL to their own
 * host and leave the auth token empty, so that the stored token is sent to them. (3) They make the provider's
 * reply (an HTML page, an echo of our request) come back in the error message. Each attack below fails.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sealBytes } from '../../worker/lib/crypto';
import { base64ToBytes, utf8 } from '../../worker/lib/encoding';
import { sendSms } from '../../worker/messaging/service';
import { DEFAULT_TEMPLATES, loadMessagingSettings, saveMessagingSettings } from '../../worker/messaging/settings';
import { freshPhone, providerScenario, TWILIO_SID } from '../helpers/messaging';
import { adminClient, json } from '../helpers/worker';

const TOKEN = 'twilio-auth-token-live-1234';
const productionEnv = { ...env, ALLOW_INSECURE_PROVIDER_URLS: undefined };

function twilioSettings(baseUrl: string, authToken?: string) {
  return {
    sms: { primary: { type: 'twilio', accountSid: TWILIO_SID, from: '+15005550006', baseUrl, ...(authToken === undefined ? {} : { authToken }) }, fallback: null },
    email: { provider: { type: 'outbox' }, fromAddress: 'security@id.example.com', fromName: 'Example ID' },
    templates: DEFAULT_TEMPLATES,
  };
}

const storedSms = async () => (await env.DB.prepare("SELECT value FROM settings WHERE key = 'messaging.sms'").first<{ value: string }>())?.value ?? null;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; details: { issues: Array<{ path: string; code: string; message: string }> } }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the save should have been refused').not.toBeNull();
  return error as never;
}

// Every spelling of each range that a URL parser, a resolver or an OS may take for it.
const LOOPBACK = [
  'https://127.0.0.1',
  'https://127.0.0.1:8787/x',
  'https://127.1',
  'https://127.255.255.254',
  'https://0x7f000001',
  'https://0X7F000001',
  'https://2130706433',
  'https://0177.0.0.1',
  'https://0x7f.0.0.1',
  'https://0x7f.1',
  'https://127.000.000.001',
  'https://%31%32%37.0.0.1',
  'https://１２７.０.０.１',
  'https://[::1]',
  'https://[0:0:0:0:0:0:0:1]',
  'https://[0000:0000:0000:0000:0000:0000:0000:0001]',
  'https://[::ffff:127.0.0.1]',
  'https://[::ffff:7f00:1]',
  'https://[::127.0.0.1]',
  'https://[64:ff9b::127.0.0.1]',
  'https://localhost',
  'https://LOCALHOST.',
  'https://api.localhost',
  'https://a.b.localhost:8443',
];
const PRIVATE_AND_SPECIAL = [
  'https://10.0.0.1',
  'https://0xa000001',
  'https://167772161',
  'https://012.0.0.1',
  'https://10.1',
  'https://172.16.0.1',
  'https://172.31.255.255',
  'https://192.168.1.1',
  'https://0xc0.0xa8.1.1',
  'https://3232235777',
  'https://[fc00::1]',
  'https://[fd12:3456:789a::1]',
  'https://[::ffff:10.0.0.1]',
  'https://[::ffff:c0a8:101]',
  'https://[::10.0.0.1]',
  'https://[64:ff9b::10.0.0.1]',
  'https://[64:ff9b::c0a8:101]',
  'https://[64:ff9b:1::1]',
  'https://[2002:c0a8:101::1]',
  // link-local
  'https://169.254.1.1',
  'https://[fe80::1]',
  'https://[febf::1]',
  // CGNAT 100.64/10
  'https://100.64.0.1',
  'https://100.127.255.254',
  'https://0x64400001',
  // cloud metadata
  'https://169.254.169.254',
  'https://0xa9fea9fe',
  'https://2852039166',
  'https://0251.0376.0251.0376',
  'https://169.254.43518',
  'https://[::ffff:169.254.169.254]',
  'https://[::ffff:a9fe:a9fe]',
  'https://[fd00:ec2::254]',
  'https://100.100.100.200',
  'https://168.63.129.16',
  'https://metadata.google.internal',
  // this network, unspecified, multicast, broadcast, documentation, names without a public zone
  'https://0.0.0.0',
  'https://0',
  'https://[::]',
  'https://224.0.0.1',
  'https://255.255.255.255',
  'https://[ff02::1]',
  'https://192.0.2.1',
  'https://[2001:db8::1]',
  'https://[2001::1]',
  'https://intranet',
  'https://printer.local',
  'https://router.home.arpa',
];

describe('provider URLs to internal addresses', () => {
  it('refuses every literal form of loopback, private, link-local, CGNAT and metadata addresses with a field error, saving nothing', async () => {
    const before = await storedSms();
    for (const url of [...LOOPBACK, ...PRIVATE_AND_SPECIAL]) {
      const error = await refusal(saveMessagingSettings(productionEnv, twilioSettings(url, TOKEN), Date.now()));
      expect(error.code, url).toBe('VALIDATION_FAILED');
      expect(error.details.issues, url).toEqual([expect.objectContaining({ path: 'sms.primary.baseUrl', code: 'PROVIDER_URL_FORBIDDEN' })]);
    }
    expect(await storedSms()).toBe(before);
  });

  it('with the loopback allowance of local development, loopback is accepted and every other range stays refused', async () => {
    for (const url of LOOPBACK) await expect(saveMessagingSettings(env, twilioSettings(url, TOKEN), Date.now()), url).resolves.toBeTruthy();
    const before = await storedSms();
    for (const url of [...PRIVATE_AND_SPECIAL, ...PRIVATE_AND_SPECIAL.map((u) => u.replace('https:', 'http:'))]) {
      const error = await refusal(saveMessagingSettings(env, twilioSettings(url, TOKEN), Date.now()));
      expect(error.details.issues[0], url).toMatchObject({ path: 'sms.primary.baseUrl' });
      expect(['PROVIDER_URL_FORBIDDEN', 'PROVIDER_URL_NOT_HTTPS'], url).toContain(error.details.issues[0]!.code);
    }
    expect(await storedSms()).toBe(before);
  });

  it('accepts public hosts, and answers over the admin API with the typed field error', async () => {
    for (const url of ['https://api.twilio.com', 'https://1.1.1.1', 'https://[2606:4700:4700::1111]', 'https://sms.example.com:8443/v1']) {
      await expect(saveMessagingSettings(productionEnv, twilioSettings(url, TOKEN), Date.now()), url).resolves.toBeTruthy();
    }
    const admin = await adminClient();
    const response = await admin.request('/messaging/settings', {
      method: 'PUT',
      json: { ...twilioSettings('https://api.twilio.com', TOKEN), email: { provider: { type: 'postmark', serverToken: 'pm-token-123456', baseUrl: 'https://169.254.169.254/latest' }, fromAddress: 'a@b.example', fromName: '' } },
    });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'email.provider.baseUrl', code: 'PROVIDER_URL_FORBIDDEN', message: expect.stringContaining('cloud metadata') }] } },
    });
  });

  it('refuses a gateway URL whose host the phone number or the text could choose', async () => {
    const generic = (url: string) => ({ ...twilioSettings('https://api.twilio.com', TOKEN), sms: { primary: { type: 'generic', url, bodyTemplate: '{{text}}' }, fallback: null } });
    for (const url of ['https://{{phone}}.gw.example.com/send', 'https://gw.example.com{{text}}', 'https://gw.example.com:{{phone}}/send']) {
      const error = await refusal(saveMessagingSettings(productionEnv, generic(url), Date.now()));
      expect(error.details.issues[0], url).toMatchObject({ path: 'sms.primary.url' });
    }
    await expect(saveMessagingSettings(productionEnv, generic('https://gw.example.com/send?to={{phone}}&text={{text}}'), Date.now())).resolves.toBeTruthy();
  });

  it('checks again at send time: a stored URL that the rules refuse (written before them, or by hand) is never called', async () => {
    // As the code before these rules stored it: the token sealed under SEED_ENCRYPTION_KEY itself ("v1").
    const legacyKey = await crypto.subtle.importKey('raw', base64ToBytes(env.SEED_ENCRYPTION_KEY), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const sealed = await sealBytes(legacyKey, 'v1', utf8.encode(TOKEN), 'messaging.sms:primary.authToken');
    const scenario = providerScenario();
    for (const baseUrl of ['https://169.254.169.254', 'https://10.0.0.1', `${scenario.baseUrl}`]) {
      const stored = { primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: sealed, from: '+15005550006', baseUrl, timeoutMs: 2000 }, fallback: null };
      await env.DB.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('messaging.sms', ?, 0) ON CONFLICT(key) DO UPDATE SET value = excluded.value").bind(JSON.stringify(stored)).run();
      // The loopback scenario is refused only without the development allowance.
      const error = await sendSms(productionEnv, env.DB, { to: freshPhone(), text: 'code 123456', purpose: 'test', language: 'en', nowMs: Date.now() }).catch((e: unknown) => e as Error);
      expect((error as Error).message, baseUrl).toMatch(/twilio: refused before sending/);
    }
    expect(await scenario.requests()).toEqual([]);
  });
});

describe('a stored secret goes only to the URL it was entered for', () => {
  it('changing the base URL without typing the token again is a field error; the token never reaches the new host', async () => {
    const legitimate = providerScenario();
    const attacker = providerScenario();
    const admin = await adminClient();
    await admin.put('/messaging/settings', twilioSettings(legitimate.baseUrl, TOKEN));
    const before = await storedSms();

    for (const authToken of [undefined, '', '••••1234']) {
      const response = await admin.request('/messaging/settings', { method: 'PUT', json: twilioSettings(attacker.baseUrl, authToken) });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({
        error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'sms.primary.authToken', code: 'PROVIDER_SECRET_URL_CHANGED', message: expect.stringContaining('URL changed') }] } },
      });
    }
    expect(await storedSms()).toBe(before);

    // Messages still go where the token was entered for, with it; the attacker's host saw nothing at all.
    const sent = await admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'sms', to: freshPhone(), language: 'en' } });
    expect(sent.status).toBe(200);
    const [request] = await legitimate.requests();
    expect(Buffer.from(request!.headers.authorization!.slice(6), 'base64').toString()).toBe(`${TWILIO_SID}:${TOKEN}`);
    expect(await attacker.requests()).toEqual([]);
  });

  it('even a URL changed behind the form (a bug, or an edit in D1) cannot carry the sealed token: it no longer opens', async () => {
    const legitimate = providerScenario();
    const attacker = providerScenario();
    const admin = await adminClient();
    await admin.put('/messaging/settings', twilioSettings(legitimate.baseUrl, TOKEN));
    const stored = JSON.parse((await storedSms())!);
    stored.primary.baseUrl = attacker.baseUrl;
    await env.DB.prepare("UPDATE settings SET value = ? WHERE key = 'messaging.sms'").bind(JSON.stringify(stored)).run();

    const sent = await admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'sms', to: freshPhone(), language: 'en' } });
    expect(sent.status).toBe(500);
    expect(JSON.stringify(await json(sent))).not.toContain(TOKEN);
    expect(await attacker.requests()).toEqual([]);
    await env.DB.prepare("DELETE FROM settings WHERE key = 'messaging.sms'").run();
  });

  it('a new URL with the token typed again works, and the new host gets only the new token', async () => {
    const first = providerScenario();
    const second = providerScenario();
    const admin = await adminClient();
    await admin.put('/messaging/settings', twilioSettings(first.baseUrl, TOKEN));
    await admin.put('/messaging/settings', twilioSettings(second.baseUrl, 'twilio-auth-token-new-9876'));
    expect((await admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'sms', to: freshPhone(), language: 'en' } })).status).toBe(200);
    const [request] = await second.requests();
    expect(Buffer.from(request!.headers.authorization!.slice(6), 'base64').toString()).toBe(`${TWILIO_SID}:twilio-auth-token-new-9876`);
    expect(await first.requests()).toEqual([]);
  });

  it('the same holds for secret gateway headers and the Postmark server token', async () => {
    const first = providerScenario();
    const second = providerScenario();
    const gateway = (base: string, value?: string) => ({ type: 'generic', url: `${base}/send`, bodyTemplate: '{{text}}', contentType: 'text/plain', headers: [{ name: 'X-Api-Key', secret: true, ...(value ? { value } : {}) }] });
    const postmark = (base: string, serverToken?: string) => ({ provider: { type: 'postmark', baseUrl: base, ...(serverToken ? { serverToken } : {}) }, fromAddress: 'a@b.example', fromName: '' });
    await saveMessagingSettings(env, { sms: { primary: gateway(first.baseUrl, 'gateway-key-abcdefgh'), fallback: null }, email: postmark(first.baseUrl, 'pm-server-token-42'), templates: DEFAULT_TEMPLATES }, Date.now());
    const error = await refusal(saveMessagingSettings(env, { sms: { primary: gateway(second.baseUrl), fallback: null }, email: postmark(second.baseUrl), templates: DEFAULT_TEMPLATES }, Date.now()));
    expect(error.details.issues.map((issue) => [issue.path, issue.code])).toEqual([
      ['sms.primary.headers.0.value', 'PROVIDER_SECRET_URL_CHANGED'],
      ['email.provider.serverToken', 'PROVIDER_SECRET_URL_CHANGED'],
    ]);
    // Unchanged URLs keep their secrets without retyping them.
    await expect(saveMessagingSettings(env, { sms: { primary: gateway(first.baseUrl), fallback: null }, email: postmark(first.baseUrl), templates: DEFAULT_TEMPLATES }, Date.now())).resolves.toBeTruthy();
    expect((await loadMessagingSettings(env)).email.provider).toMatchObject({ serverToken: 'pm-server-token-42' });
  });
});

describe('a provider that redirects', () => {
  it('is not followed: the credentials never reach the redirect target, and the send fails naming the status', async () => {
    // Attack: a provider URL that passed the checks (public, https) answers 307 with a Location on another host or
    // an internal address; fetch follows redirects by default, re-sending the Authorization header (307 keeps the
    // method and body too) to wherever the Location says.
    const provider = providerScenario();
    const target = providerScenario();
    const admin = await adminClient();
    await admin.put('/messaging/settings', twilioSettings(provider.baseUrl, TOKEN));
    await provider.override({ status: 307, body: '', headers: { location: `${target.baseUrl}/2010-04-01/Accounts/${TWILIO_SID}/Messages.json` } });
    const response = await admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'sms', to: freshPhone(), language: 'en' } });
    expect(response.status).toBe(502);
    expect((await json(response)).error.message).toContain('twilio: HTTP 307');
    expect(await provider.requests()).toHaveLength(1);
    expect(await target.requests()).toEqual([]);
  });
});

describe('what a provider answers does not come back in our errors', () => {
  it('names the provider and the status, with a short sanitized snippet: no markup, no control characters, no echoed secrets', async () => {
    const scenario = providerScenario();
    const admin = await adminClient();
    await admin.put('/messaging/settings', twilioSettings(scenario.baseUrl, TOKEN));
    const basic = Buffer.from(`${TWILIO_SID}:${TOKEN}`).toString('base64');
    // A hostile endpoint answers with a page that echoes our request (credentials, the message with its code).
    const page = `<html><head><script>alert(document.cookie)</script></head><body><h1>Bad\u0007 Gateway\u202e</h1>\r\n<p>echo: Basic ${basic} ${TOKEN} ${encodeURIComponent(TOKEN)}</p>${'x'.repeat(5000)} END-OF-BODY</body></html>`;
    await scenario.override({ status: 502, body: page, contentType: 'text/html' });
    const response = await admin.request('/messaging/test-message', { method: 'POST', json: { channel: 'sms', to: freshPhone(), language: 'en' } });
    expect(response.status).toBe(502);
    const { error } = await json(response);
    const texts = [error.message, ...error.details.attempts.map((a: { error: string }) => a.error)];
    const [logged] = (await env.DB.prepare("SELECT error FROM message_log WHERE provider = 'twilio' AND status = 'failed' ORDER BY at DESC LIMIT 1").all<{ error: string }>()).results;
    texts.push(logged!.error);
    for (const text of texts) {
      expect(text).toContain('twilio: HTTP 502');
      // eslint-disable-next-line no-control-regex -- no control character of the provider's page may reach the log
      expect(text).not.toMatch(/[<>\u0000-\u001f\u007f\u202e]/);
      expect(text).not.toContain('script');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(basic);
      expect(text).not.toContain('END-OF-BODY');
    }
    expect(logged!.error.length).toBeLessThan(160);
  });
});
