/**
 * The development outbox: messages are stored in D1 (table `outbox`) and shown in the admin center instead of
 * being delivered, so the whole product can be tried without any provider account. The outbox holds the text as
 * a user would receive it (codes included): it IS the recipient's inbox in a demo, not a log.
 */
import type { ProviderResult } from './types';

export async function storeInOutbox(
  db: D1Database,
  message: { channel: 'sms' | 'email'; recipient: string; subject: string | null; body: string; nowMs: number },
): Promise<ProviderResult> {
  const id = crypto.randomUUID();
  await db
    .prepare('INSERT INTO outbox (id, channel, recipient, subject, body, at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(id, message.channel, message.recipient, message.subject, message.body, message.nowMs)
    .run();
  return { providerMessageId: id };
}
