/**
 * Twilio Programmable Messaging: POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded
 * To/From/Body, HTTP Basic auth with the Account SID and auth token. Success is 201 with the message `sid`;
 * errors are JSON `{ code, message, status }`.
 */
import { z } from 'zod';
import { TWILIO_ACCOUNT_SID_PATTERN } from '../../contract/fields';
import { basicAuth, callProvider, httpError, isRecord, joinUrl, type ProviderTarget } from './http';
import { secretInput, smsSender, timeoutMs, url } from './schema-parts';
import { defineProvider, secretFields, type Opened, type ProviderResult, type SmsMessage } from './types';

const defaults = { baseUrl: 'https://api.twilio.com' };

const schema = z.object({
  type: z.literal('twilio'),
  accountSid: z.string().trim().regex(TWILIO_ACCOUNT_SID_PATTERN, 'a Twilio Account SID looks like AC followed by 32 hex digits'),
  authToken: secretInput,
  from: smsSender,
  baseUrl: url.default(defaults.baseUrl),
  timeoutMs,
});

type TwilioSupplier = Opened<typeof schema, 'authToken'>;

export const twilio = defineProvider({
  type: 'twilio',
  channel: 'sms',
  schema,
  defaults,
  urlField: 'baseUrl',
  secrets: secretFields('authToken'),
  // The token also travels inside the Basic credentials, which a provider may echo back.
  secretForms: (supplier: TwilioSupplier) => [basicAuth(supplier.accountSid, supplier.authToken).slice('Basic '.length)],
  send: (supplier: TwilioSupplier, message: SmsMessage, context) => sendTwilioSms(supplier, context.target, message),
});

async function sendTwilioSms(supplier: TwilioSupplier, target: ProviderTarget, message: SmsMessage): Promise<ProviderResult> {
  const url = joinUrl(supplier.baseUrl, `/2010-04-01/Accounts/${encodeURIComponent(supplier.accountSid)}/Messages.json`);
  const response = await callProvider(
    'twilio',
    target,
    url,
    {
      method: 'POST',
      headers: {
        authorization: basicAuth(supplier.accountSid, supplier.authToken),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ To: message.to, From: supplier.from, Body: message.text }).toString(),
    },
    supplier.timeoutMs,
  );
  const body = isRecord(response.json) ? response.json : {};
  if (response.status !== 200 && response.status !== 201) {
    const detail = typeof body.message === 'string' ? `${body.message}${body.code !== undefined ? ` (Twilio error ${String(body.code)})` : ''}` : undefined;
    throw httpError('twilio', response, detail);
  }
  return { providerMessageId: typeof body.sid === 'string' ? body.sid : null };
}
