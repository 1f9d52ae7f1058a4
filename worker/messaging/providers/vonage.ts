/**
 * Vonage SMS API: POST {baseUrl}/sms/json, form-encoded api_key, api_secret, from, to, text (and type=unicode
 * when the text does not fit GSM-7). `to` is the international number without "+". HTTP 200 even for errors:
 * success is `messages[0].status === "0"`, otherwise `error-text` says why.
 */
import { z } from 'zod';
import { measureSms } from '../templates';
import { callProvider, httpError, isRecord, joinUrl, type ProviderTarget } from './http';
import { secretInput, smsSender, timeoutMs, url } from './schema-parts';
import { defineProvider, ProviderError, secretFields, type Opened, type ProviderResult, type SmsMessage } from './types';

const defaults = { baseUrl: 'https://rest.nexmo.com' };

const schema = z.object({
  type: z.literal('vonage'),
  apiKey: z.string().trim().min(1).max(100),
  apiSecret: secretInput,
  from: smsSender,
  baseUrl: url.default(defaults.baseUrl),
  timeoutMs,
});

type VonageSupplier = Opened<typeof schema, 'apiSecret'>;

export const vonage = defineProvider({
  type: 'vonage',
  channel: 'sms',
  schema,
  defaults,
  urlField: 'baseUrl',
  secrets: secretFields('apiSecret'),
  send: (supplier: VonageSupplier, message: SmsMessage, context) => sendVonageSms(supplier, context.target, message),
});

async function sendVonageSms(supplier: VonageSupplier, target: ProviderTarget, message: SmsMessage): Promise<ProviderResult> {
  const form = new URLSearchParams({
    api_key: supplier.apiKey,
    api_secret: supplier.apiSecret,
    from: supplier.from.replace(/^\+/, ''),
    to: message.to.replace(/^\+/, ''),
    text: message.text,
  });
  if (measureSms(message.text).encoding === 'UCS-2') form.set('type', 'unicode');
  const response = await callProvider(
    'vonage',
    target,
    joinUrl(supplier.baseUrl, '/sms/json'),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    },
    supplier.timeoutMs,
  );
  if (response.status !== 200) throw httpError('vonage', response);
  const messages = isRecord(response.json) && Array.isArray(response.json.messages) ? response.json.messages : [];
  if (messages.length === 0) throw new ProviderError('vonage', 'rejected', 'the answer holds no message status');
  // A long text is split into several parts; each has its own status and all must be accepted.
  for (const part of messages) {
    const status = isRecord(part) ? String(part.status) : 'missing';
    if (status !== '0') {
      const text = isRecord(part) && typeof part['error-text'] === 'string' ? part['error-text'] : 'no error text';
      throw new ProviderError('vonage', 'rejected', `status ${status}`, text);
    }
  }
  const first = messages[0];
  return { providerMessageId: isRecord(first) && typeof first['message-id'] === 'string' ? first['message-id'] : null };
}
