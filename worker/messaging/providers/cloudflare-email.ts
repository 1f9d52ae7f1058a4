/**
 * Cloudflare Email Workers: the `EMAIL` send binding (`[[send_email]] name = "EMAIL"` in wrangler.toml) takes an
 * `EmailMessage` with a raw RFC 5322 message, which we build ourselves (mime.ts). Cloudflare only delivers from
 * a domain on the account to verified destinations (or those allowed by the binding's configuration).
 */
import { EmailMessage } from 'cloudflare:email';
import { z } from 'zod';
import type { Env } from '../../env';
import { buildMimeMessage } from '../mime';
import { defineProvider, NO_SECRETS, ProviderError, type EmailMessageInput, type ProviderResult } from './types';

/** No secret and no URL here: the binding is the credential. */
const schema = z.object({ type: z.literal('cloudflare') });

export const cloudflareEmail = defineProvider({
  type: 'cloudflare',
  channel: 'email',
  schema,
  defaults: {},
  urlField: null,
  secrets: NO_SECRETS,
  send: (_provider: z.infer<typeof schema>, message: EmailMessageInput, context) => sendCloudflareEmail(context.env, message),
});

async function sendCloudflareEmail(env: Pick<Env, 'EMAIL'>, message: EmailMessageInput): Promise<ProviderResult> {
  if (!env.EMAIL) throw new ProviderError('cloudflare', 'config', 'the EMAIL send binding is not configured in wrangler.toml');
  const mime = buildMimeMessage({ from: message.from, to: message.to, subject: message.subject, text: message.text, nowMs: message.nowMs });
  try {
    const result = await env.EMAIL.send(new EmailMessage(message.from.address, message.to, mime.raw));
    return { providerMessageId: (result as { messageId?: string } | undefined)?.messageId ?? mime.messageId };
  } catch (error) {
    throw new ProviderError('cloudflare', 'rejected', 'the send binding refused the message', (error as Error)?.message ?? String(error));
  }
}
