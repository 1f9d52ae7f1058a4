/**
 * MessageBird (Bird) SMS API: POST {baseUrl}/messages with `Authorization: AccessKey <key>` and a JSON body
 * `{ recipients, originator, body, datacoding }`; recipients are MSISDNs (international number without "+").
 * Success is 201 with the message `id`; errors are `{ errors: [{ code, description, parameter }] }`.
 */
import { z } from 'zod';
import { callProvider, httpError, isRecord, joinUrl, type ProviderTarget } from './http';
import { secretInput, smsSender, timeoutMs, url } from './schema-parts';
import { defineProvider, secretFields, type Opened, type ProviderResult, type SmsMessage } from './types';

const defaults = { baseUrl: 'https://rest.messagebird.com' };

const schema = z.object({
  type: z.literal('messagebird'),
  accessKey: secretInput,
  originator: smsSender,
  baseUrl: url.default(defaults.baseUrl),
  timeoutMs,
});

type MessageBirdSupplier = Opened<typeof schema, 'accessKey'>;

export const messagebird = defineProvider({
  type: 'messagebird',
  channel: 'sms',
  schema,
  defaults,
  urlField: 'baseUrl',
  secrets: secretFields('accessKey'),
  send: (supplier: MessageBirdSupplier, message: SmsMessage, context) => sendMessageBirdSms(supplier, context.target, message),
});

async function sendMessageBirdSms(supplier: MessageBirdSupplier, target: ProviderTarget, message: SmsMessage): Promise<ProviderResult> {
  const response = await callProvider(
    'messagebird',
    target,
    joinUrl(supplier.baseUrl, '/messages'),
    {
      method: 'POST',
      headers: {
        authorization: `AccessKey ${supplier.accessKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        recipients: [message.to.replace(/^\+/, '')],
        originator: supplier.originator,
        body: message.text,
        // "auto" lets MessageBird pick GSM-7 or Unicode by content, so umlauts and other scripts arrive intact.
        datacoding: 'auto',
      }),
    },
    supplier.timeoutMs,
  );
  const body = isRecord(response.json) ? response.json : {};
  if (response.status !== 200 && response.status !== 201) {
    const errors = Array.isArray(body.errors) ? body.errors.filter(isRecord) : [];
    const detail = errors.length > 0 ? errors.map((e) => `${String(e.description ?? 'error')} (code ${String(e.code)})`).join('; ') : undefined;
    throw httpError('messagebird', response, detail);
  }
  return { providerMessageId: typeof body.id === 'string' ? body.id : null };
}
