/**
 * Postmark: POST {baseUrl}/email with the server token in `X-Postmark-Server-Token` and a JSON body
 * `{ From, To, Subject, TextBody, MessageStream }`. Success is 200 with `ErrorCode: 0` and a `MessageID`;
 * errors (422, 401...) carry `{ ErrorCode, Message }`.
 */
import type { EmailProvider } from '../settings';
import { formatMailbox } from '../mime';
import { callProvider, httpError, isRecord, joinUrl, type ProviderTarget } from './http';
import { ProviderError, type EmailMessageInput, type ProviderResult } from './types';

type PostmarkProvider = Extract<EmailProvider, { type: 'postmark' }>;

export async function sendPostmarkEmail(provider: PostmarkProvider, target: ProviderTarget, message: EmailMessageInput): Promise<ProviderResult> {
  const response = await callProvider(
    'postmark',
    target,
    joinUrl(provider.baseUrl, '/email'),
    {
      method: 'POST',
      headers: {
        'x-postmark-server-token': provider.serverToken,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        From: formatMailbox(message.from.address, message.from.name),
        To: message.to,
        Subject: message.subject,
        TextBody: message.text,
        MessageStream: provider.messageStream,
      }),
    },
    provider.timeoutMs,
  );
  const body = isRecord(response.json) ? response.json : {};
  if (response.status !== 200) {
    const detail = typeof body.Message === 'string' ? `${body.Message} (Postmark error ${String(body.ErrorCode)})` : undefined;
    throw httpError('postmark', response, detail);
  }
  if (body.ErrorCode !== 0) throw new ProviderError('postmark', 'rejected', `Postmark error ${String(body.ErrorCode)}`, String(body.Message ?? ''));
  return { providerMessageId: typeof body.MessageID === 'string' ? body.MessageID : null };
}
