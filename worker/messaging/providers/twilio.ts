/**
 * Twilio Programmable Messaging: POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded
 * To/From/Body, HTTP Basic auth with the Account SID and auth token. Success is 201 with the message `sid`;
 * errors are JSON `{ code, message, status }`.
 */
import type { SmsSupplier } from '../settings';
import { basicAuth, callProvider, httpError, isRecord, joinUrl, type ProviderTarget } from './http';
import type { ProviderResult, SmsMessage } from './types';

type TwilioSupplier = Extract<SmsSupplier, { type: 'twilio' }>;

export async function sendTwilioSms(supplier: TwilioSupplier, target: ProviderTarget, message: SmsMessage): Promise<ProviderResult> {
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
