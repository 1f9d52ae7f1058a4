/**
 * Test helpers for the messaging tests (imported by *.test.ts only; never by the Worker): a per-test scenario on
 * the provider-impersonating server (test/setup/provider-server.ts), users, settings.
 */
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import { saveMessagingSettings, type MessagingSettingsInput } from '../../worker/messaging/settings';
import { DEFAULT_TEMPLATES } from '../../worker/messaging/settings';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export function providerScenario() {
  const server = inject('providerServerUrl');
  const id = crypto.randomUUID();
  return {
    baseUrl: `${server}/${id}`,
    /** Makes the next `times` requests (all when absent) answer with this status/body, after `delayMs`. */
    async override(override: { status?: number; body?: string; contentType?: string; delayMs?: number; times?: number; headers?: Record<string, string> }) {
      const response = await fetch(`${server}/__scenario/${id}`, { method: 'POST', body: JSON.stringify(override) });
      if (response.status !== 204) throw new Error(`scenario override failed: ${response.status}`);
    },
    async requests(): Promise<RecordedRequest[]> {
      const response = await fetch(`${server}/__scenario/${id}/requests`);
      return (await response.json()) as RecordedRequest[];
    },
  };
}

export async function insertTestUser(overrides: { language?: 'de' | 'en'; firstName?: string } = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.prepare('INSERT INTO users (id, login, first_name, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(id, `user-${id.slice(0, 8)}`, overrides.firstName ?? 'Erika', overrides.language ?? 'en', now, now)
    .run();
  return id;
}

type SmsInput = MessagingSettingsInput['sms']['primary'];
type EmailInput = MessagingSettingsInput['email']['provider'];

export async function configureMessaging(options: { primary?: SmsInput; fallback?: SmsInput | null; email?: EmailInput; fromName?: string } = {}) {
  return saveMessagingSettings(
    env,
    {
      sms: { primary: options.primary ?? { type: 'outbox' }, fallback: options.fallback ?? null },
      email: { provider: options.email ?? { type: 'outbox' }, fromAddress: 'security@id.example.com', fromName: options.fromName ?? 'Example ID' },
      templates: DEFAULT_TEMPLATES,
    },
    Date.now(),
  );
}

export const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';

/** A distinct valid German mobile number per call (so per-phone limits of one test do not touch another). */
let phoneCounter = 0;
export function freshPhone(): string {
  phoneCounter += 1;
  const suffix = String((Date.now() % 100000) * 100 + (phoneCounter % 100)).padStart(7, '0').slice(-7);
  return `+49151${suffix}`;
}

/** Admin API body for PUT /messaging/settings: SMS through Twilio at `baseUrl` (a provider scenario), email to the outbox. */
export function twilioAndOutboxSettings(baseUrl: string) {
  return {
    sms: { primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: 'twilio-auth-token-1234', from: '+15005550006', baseUrl }, fallback: null },
    email: { provider: { type: 'outbox' }, fromAddress: 'security@id.example.com', fromName: 'Example ID' },
    templates: DEFAULT_TEMPLATES,
  };
}

/**
 * The texts the scenario's Twilio received for `phone`, oldest first. Waits until there are `count` of them: codes
 * at sign-in and recovery go out after the response.
 */
export async function smsTextsTo(scenario: ReturnType<typeof providerScenario>, phone: string, count = 1): Promise<string[]> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const bodies = (await scenario.requests()).map((request) => new URLSearchParams(request.body)).filter((form) => form.get('To') === phone).map((form) => form.get('Body')!);
    if (bodies.length >= count) return bodies;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`expected ${count} SMS to ${phone}`);
}
