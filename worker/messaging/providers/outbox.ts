/**
 * The development outbox: messages are stored in D1 (table `outbox`) and shown in the admin center instead of
 * being delivered, so the whole product can be tried without any provider account. The outbox holds the text as
 * a user would receive it (codes included): it IS the recipient's inbox in a demo, not a log.
 */
import { z } from 'zod';
import { insertOutboxMessage } from '../repo';
import { defineProvider, NO_SECRETS, type EmailMessageInput, type SmsMessage } from './types';

const schema = z.object({ type: z.literal('outbox') });

export const outboxSms = defineProvider({
  type: 'outbox',
  channel: 'sms',
  schema,
  defaults: {},
  urlField: null,
  secrets: NO_SECRETS,
  send: async (_supplier: z.infer<typeof schema>, message: SmsMessage, context) => ({
    providerMessageId: await insertOutboxMessage(context.db, { channel: 'sms', recipient: message.to, subject: null, body: message.text, at: context.nowMs }),
  }),
});

export const outboxEmail = defineProvider({
  type: 'outbox',
  channel: 'email',
  schema,
  defaults: {},
  urlField: null,
  secrets: NO_SECRETS,
  send: async (_provider: z.infer<typeof schema>, message: EmailMessageInput, context) => ({
    providerMessageId: await insertOutboxMessage(context.db, { channel: 'email', recipient: message.to, subject: message.subject, body: message.text, at: context.nowMs }),
  }),
});
