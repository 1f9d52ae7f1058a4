/**
 * Postmark: POST {baseUrl}/email with the server token in `X-Postmark-Server-Token` and a JSON body
 * `{ From, To, Subject, TextBody, MessageStream }`. Success is 200 with `ErrorCode: 0` and a `MessageID`;
 * errors (422, 401...) carry `{ ErrorCode, Message }`.
 */
import { z } from 'zod';
import { formatMailbox } from '../mime';
import { callProvider, httpError, isRecord, joinUrl, type ProviderTarget } from './http';
import { secretInput, timeoutMs, url } from './schema-parts';
import { defineProvider, ProviderError, secretFields, type EmailMessageInput, type Opened, type ProviderResult } from './types';

const defaults = { baseUrl: 'https://api.postmarkapp.com', messageStream: 'outbound' };

const schema = z.object({
  type: z.literal('postmark'),
  serverToken: secretInput,
  baseUrl: url.default(defaults.baseUrl),
  messageStream: z.string().trim().min(1).max(100).default(defaults.messageStream),
  timeoutMs,
});

type PostmarkProvider = Opened<typeof schema, 'serverToken'>;

export const postmark = defineProvider({
  type: 'postmark',
  channel: 'email',
  schema,
  defaults,
  urlField: 'baseUrl',
  secrets: secretFields('serverToken'),
  send: (provider: PostmarkProvider, message: EmailMessageInput, context) => sendPostmarkEmail(provider, context.target, message),
});

async function sendPostmarkEmail(provider: PostmarkProvider, target: ProviderTarget, message: EmailMessageInput): Promise<ProviderResult> {
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
