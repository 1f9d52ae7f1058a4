/**
 * Sending SMS and email through the configured providers: limits first, then the primary SMS supplier and, when
 * it fails, the fallback; every provider attempt is written to `message_log` with its outcome. Message texts are
 * never logged. An error names the provider and what happened (HTTP status, timeout...); of what the provider
 * answered, only a short snippet is kept, redacted of codes and provider secrets (in the forms they travel in)
 * before it is cut, and stripped of markup and control characters, before it is stored or returned.
 *
 * A send that a limit refuses throws AppError('RATE_LIMITED') with details { limit, retryAfterMs } (limit is one of
 * cooldown, ip, user, phone, recipient; the numbers are the administrator's, see limits.ts) and calls no provider.
 *
 * A send that cannot be completed throws AppError('MESSAGE_NOT_SENT') with the reason (details.reason is one of
 * INVALID_PHONE, INVALID_EMAIL, PROVIDER_FAILED; details.attempts lists each provider's error).
 */
import { z } from 'zod';
import { CODE_DIGITS, CODE_TTL_MS } from '../constants';
import type { Env } from '../env';
import { AppError } from '../errors';
import { randomNumericCode } from '../lib/crypto';
import { normalizePhoneNumber } from '../lib/phone';
import { enforceLimits, messageLimitChecks, releaseCooldown } from './limits';
import { sendCloudflareEmail } from './providers/cloudflare-email';
import { sendGenericSms } from './providers/generic';
import { basicAuth, remoteSnippet, type ProviderTarget } from './providers/http';
import { sendMessageBirdSms } from './providers/messagebird';
import { storeInOutbox } from './providers/outbox';
import { sendPostmarkEmail } from './providers/postmark';
import { sendTwilioSms } from './providers/twilio';
import { ProviderError, type ProviderResult } from './providers/types';
import { sendVonageSms } from './providers/vonage';
import { originOf } from '../lib/outbound-url';
import { fillUrlPlaceholders, loadMessagingSettings, outboundPolicy, providerUrlOf, type EmailProvider, type Language, type MessagingSettings, type SmsSupplier } from './settings';
import { formatValidity, renderTemplate, type MessagePlaceholder } from './templates';

export type MessagingEnv = Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY' | 'EMAIL' | 'ALLOW_INSECURE_PROVIDER_URLS'>;

interface SendCommon {
  /** What the message is for (login, phone-verification, recovery, test...): shown in the message log. */
  purpose: string;
  language: Language;
  userId?: string | null;
  ip?: string | null;
  nowMs: number;
  /** Values that must never be stored or logged (the code in the text). */
  redact?: string[];
  /** Enforce the resend cooldown for this recipient (one-time codes). */
  cooldown?: boolean;
  /** Settings already loaded by the caller (saves a read). */
  settings?: MessagingSettings;
}

export interface SendSmsInput extends SendCommon {
  /** Any common phone format; normalised to E.164 (numbers without +country are read as German). */
  to: string;
  text: string;
}

export interface SendEmailInput extends SendCommon {
  to: string;
  subject: string;
  text: string;
}

export interface SendResult {
  /** The provider that took the message (outbox, twilio, vonage, messagebird, generic, postmark, cloudflare). */
  provider: string;
  providerMessageId: string | null;
  /** The message_log row of the successful attempt. */
  logId: string;
  /** The normalised recipient (E.164 number or email address). */
  to: string;
  /** True when the primary supplier failed and the fallback delivered. */
  usedFallback: boolean;
}

interface AttemptFailure {
  provider: string;
  error: string;
}

// ---------------------------------------------------------------- SMS

export async function sendSms(env: MessagingEnv, db: D1Database, input: SendSmsInput): Promise<SendResult> {
  const to = normalizeSmsRecipient(input.to);
  if (!input.text.trim()) throw new AppError('MESSAGE_NOT_SENT', 'The message could not be sent: the text is empty.', { reason: 'EMPTY_TEXT' });
  // The settings carry the limits: read once (callers that render a template pass them in), before any counter.
  const settings = input.settings ?? (await loadMessagingSettings(env));
  const taken = await enforceLimits(
    db,
    messageLimitChecks({ channel: 'sms', recipient: to, userId: input.userId, ip: input.ip, cooldown: input.cooldown, purpose: input.purpose }, settings.limits),
    input.nowMs,
  );
  try {
    const suppliers = [settings.sms.primary, ...(settings.sms.fallback ? [settings.sms.fallback] : [])];
    const failures: AttemptFailure[] = [];
    for (const [index, supplier] of suppliers.entries()) {
      const redactions = [...(input.redact ?? []), ...providerSecrets(supplier)];
      try {
        const result = await deliverSms(env, db, supplier, { to, text: input.text }, input.nowMs);
        const logId = await writeLog(db, { channel: 'sms', provider: supplier.type, recipient: to, input, status: 'sent', error: null, result });
        return { provider: supplier.type, providerMessageId: result.providerMessageId, logId, to, usedFallback: index > 0 };
      } catch (error) {
        const message = describeFailure(error, redactions);
        failures.push({ provider: supplier.type, error: message });
        await writeLog(db, { channel: 'sms', provider: supplier.type, recipient: to, input, status: 'failed', error: message, result: null });
        console.warn(`sms via ${supplier.type} failed (${input.purpose}): ${message}`);
      }
    }
    throw notSent(failures);
  } catch (error) {
    await releaseCooldown(db, taken, input.nowMs);
    throw error;
  }
}

async function deliverSms(env: MessagingEnv, db: D1Database, supplier: SmsSupplier, message: { to: string; text: string }, nowMs: number): Promise<ProviderResult> {
  switch (supplier.type) {
    case 'outbox':
      return storeInOutbox(db, { channel: 'sms', recipient: message.to, subject: null, body: message.text, nowMs });
    case 'twilio':
      return sendTwilioSms(supplier, targetOf(env, supplier), message);
    case 'vonage':
      return sendVonageSms(supplier, targetOf(env, supplier), message);
    case 'messagebird':
      return sendMessageBirdSms(supplier, targetOf(env, supplier), message);
    case 'generic':
      return sendGenericSms(supplier, targetOf(env, supplier), message);
    default:
      throw new ProviderError(String((supplier as { type: unknown }).type), 'config', 'unknown SMS supplier type');
  }
}

export function normalizeSmsRecipient(raw: string): string {
  try {
    return normalizePhoneNumber(raw);
  } catch {
    throw new AppError('MESSAGE_NOT_SENT', `The message could not be sent: "${raw.slice(0, 40)}" is not a valid phone number.`, {
      reason: 'INVALID_PHONE',
    });
  }
}

// ---------------------------------------------------------------- email

const emailAddress = z.string().trim().max(254).email();

export async function sendEmail(env: MessagingEnv, db: D1Database, input: SendEmailInput): Promise<SendResult> {
  const to = normalizeEmailRecipient(input.to);
  const settings = input.settings ?? (await loadMessagingSettings(env));
  const taken = await enforceLimits(
    db,
    messageLimitChecks({ channel: 'email', recipient: to, userId: input.userId, ip: input.ip, cooldown: input.cooldown, purpose: input.purpose }, settings.limits),
    input.nowMs,
  );
  try {
    const provider = settings.email.provider;
    const redactions = [...(input.redact ?? []), ...providerSecrets(provider)];
    try {
      const result = await deliverEmail(env, db, provider, {
        to,
        from: { address: settings.email.fromAddress, name: settings.email.fromName },
        subject: input.subject,
        text: input.text,
        nowMs: input.nowMs,
      });
      const logId = await writeLog(db, { channel: 'email', provider: provider.type, recipient: to, input, status: 'sent', error: null, result });
      return { provider: provider.type, providerMessageId: result.providerMessageId, logId, to, usedFallback: false };
    } catch (error) {
      const message = describeFailure(error, redactions);
      await writeLog(db, { channel: 'email', provider: provider.type, recipient: to, input, status: 'failed', error: message, result: null });
      console.warn(`email via ${provider.type} failed (${input.purpose}): ${message}`);
      throw notSent([{ provider: provider.type, error: message }]);
    }
  } catch (error) {
    await releaseCooldown(db, taken, input.nowMs);
    throw error;
  }
}

async function deliverEmail(
  env: MessagingEnv,
  db: D1Database,
  provider: EmailProvider,
  message: Parameters<typeof sendPostmarkEmail>[2],
): Promise<ProviderResult> {
  switch (provider.type) {
    case 'outbox':
      return storeInOutbox(db, { channel: 'email', recipient: message.to, subject: message.subject, body: message.text, nowMs: message.nowMs });
    case 'postmark':
      return sendPostmarkEmail(provider, targetOf(env, provider), message);
    case 'cloudflare':
      return sendCloudflareEmail(env, message);
    default:
      throw new ProviderError(String((provider as { type: unknown }).type), 'config', 'unknown email provider type');
  }
}

export function normalizeEmailRecipient(raw: string): string {
  const parsed = emailAddress.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('MESSAGE_NOT_SENT', `The message could not be sent: "${raw.slice(0, 60)}" is not a valid email address.`, {
      reason: 'INVALID_EMAIL',
    });
  }
  // Lower-cased so that limits cannot be sidestepped with Victim@Example.com vs victim@example.com.
  return parsed.data.toLowerCase();
}

// ---------------------------------------------------------------- templates for codes

export interface CodeMessageValues {
  code: string;
  name?: string;
  link?: string;
  validityMs?: number;
}

export function templateValues(values: CodeMessageValues, language: Language): Record<MessagePlaceholder, string> {
  return {
    code: values.code,
    name: values.name ?? '',
    link: values.link ?? '',
    validity: formatValidity(values.validityMs ?? CODE_TTL_MS, language),
  };
}

export function renderSmsText(settings: MessagingSettings, language: Language, values: CodeMessageValues): string {
  return renderTemplate(settings.templates[language].sms, templateValues(values, language));
}

export function renderEmailMessage(settings: MessagingSettings, language: Language, values: CodeMessageValues): { subject: string; text: string } {
  const filled = templateValues(values, language);
  return {
    subject: renderTemplate(settings.templates[language].emailSubject, filled),
    text: renderTemplate(settings.templates[language].emailBody, filled),
  };
}

// ---------------------------------------------------------------- test message (admin center)

export interface TestMessageInput {
  channel: 'sms' | 'email';
  to: string;
  language: Language;
  userId?: string | null;
  ip?: string | null;
  nowMs: number;
  link?: string;
}

/** Sends the real template with a sample code through the configured provider, so admins see what users get. */
export async function sendTestMessage(env: MessagingEnv, input: TestMessageInput): Promise<SendResult & { subject: string | null; text: string }> {
  const settings = await loadMessagingSettings(env);
  const values: CodeMessageValues = { code: randomNumericCode(CODE_DIGITS), name: 'Test', link: input.link, validityMs: CODE_TTL_MS };
  if (input.channel === 'sms') {
    const text = renderSmsText(settings, input.language, values);
    const result = await sendSms(env, env.DB, { to: input.to, text, purpose: 'test', language: input.language, userId: input.userId, ip: input.ip, nowMs: input.nowMs, settings });
    return { ...result, subject: null, text };
  }
  const { subject, text } = renderEmailMessage(settings, input.language, values);
  const result = await sendEmail(env, env.DB, { to: input.to, subject, text, purpose: 'test', language: input.language, userId: input.userId, ip: input.ip, nowMs: input.nowMs, settings });
  return { ...result, subject, text };
}

// ---------------------------------------------------------------- helpers

/** The provider's requests go to the origin of the URL its secrets were unsealed for, and only to a public host. */
function targetOf(env: MessagingEnv, provider: SmsSupplier | EmailProvider): ProviderTarget {
  const url = providerUrlOf(provider);
  return { ...outboundPolicy(env), origin: (url && originOf(fillUrlPlaceholders(url, 'x'))) ?? 'null' };
}

/** Every form in which a provider's secrets travel (as typed, URL/form-encoded, JSON-escaped, in Basic auth). */
function providerSecrets(provider: SmsSupplier | EmailProvider): string[] {
  const secrets: string[] = [];
  switch (provider.type) {
    case 'twilio':
      secrets.push(provider.authToken, basicAuth(provider.accountSid, provider.authToken).slice('Basic '.length));
      break;
    case 'vonage':
      secrets.push(provider.apiSecret);
      break;
    case 'messagebird':
      secrets.push(provider.accessKey);
      break;
    case 'postmark':
      secrets.push(provider.serverToken);
      break;
    case 'generic':
      secrets.push(...provider.headers.filter((h) => h.secret).map((h) => h.value));
      break;
  }
  return secrets.flatMap((secret) => [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]);
}

/** "<provider>: <what happened>[: <snippet of what it answered>]", with codes and secrets redacted. */
function describeFailure(error: unknown, redactions: readonly string[]): string {
  if (error instanceof ProviderError) {
    const remote = error.remote === undefined ? '' : remoteSnippet(redact(error.remote, redactions));
    return redact(`${error.provider}: ${error.message}${remote ? `: ${remote}` : ''}`, redactions);
  }
  return `internal error: ${remoteSnippet(redact((error as Error)?.message ?? String(error), redactions))}`;
}

/** Replaces every occurrence of the given values (codes, secrets) so they cannot reach logs or responses. */
export function redact(text: string, values: readonly string[]): string {
  let result = text;
  // Longest first: a secret's encoded form may contain the plain one, and must go as a whole.
  for (const value of [...values].sort((x, y) => y.length - x.length)) if (value && value.length >= 4) result = result.split(value).join('[redacted]');
  return result;
}

function notSent(failures: AttemptFailure[]): AppError {
  const reasons = failures.map((f) => f.error).join('; ');
  return new AppError('MESSAGE_NOT_SENT', `The message could not be sent: ${reasons}`, { reason: 'PROVIDER_FAILED', attempts: failures });
}

async function writeLog(
  db: D1Database,
  row: {
    channel: 'sms' | 'email';
    provider: string;
    recipient: string;
    input: SendCommon;
    status: 'sent' | 'failed';
    error: string | null;
    result: ProviderResult | null;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db
    .prepare(
      `INSERT INTO message_log (id, channel, provider, recipient, purpose, language, status, error, provider_message_id, user_id, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      id,
      row.channel,
      row.provider,
      row.recipient,
      row.input.purpose,
      row.input.language,
      row.status,
      row.error,
      row.result?.providerMessageId ?? null,
      row.input.userId ?? null,
      row.input.nowMs,
    )
    .run();
  return id;
}

// ---------------------------------------------------------------- admin listings

export interface OutboxItem {
  id: string;
  channel: 'sms' | 'email';
  recipient: string;
  subject: string | null;
  body: string;
  at: number;
}

export interface MessageLogItem {
  id: string;
  channel: 'sms' | 'email';
  provider: string;
  recipient: string;
  purpose: string;
  language: string;
  status: 'sent' | 'failed';
  error: string | null;
  providerMessageId: string | null;
  userId: string | null;
  at: number;
}

export async function listOutbox(
  db: D1Database,
  query: { page: number; pageSize: number; channel?: 'sms' | 'email'; recipient?: string },
): Promise<{ items: OutboxItem[]; total: number; page: number; pageSize: number }> {
  const where: string[] = [];
  const binds: unknown[] = [];
  if (query.channel) {
    where.push('channel = ?');
    binds.push(query.channel);
  }
  if (query.recipient) {
    where.push('recipient = ?');
    binds.push(query.recipient);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const [rows, count] = await db.batch([
    db.prepare(`SELECT id, channel, recipient, subject, body, at FROM outbox ${clause} ORDER BY at DESC, id LIMIT ? OFFSET ?`).bind(...binds, query.pageSize, (query.page - 1) * query.pageSize),
    db.prepare(`SELECT count(*) AS total FROM outbox ${clause}`).bind(...binds),
  ]);
  return {
    items: (rows!.results as OutboxItem[]) ?? [],
    total: Number((count!.results[0] as { total: number } | undefined)?.total ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}

export async function clearOutbox(db: D1Database): Promise<number> {
  const result = await db.prepare('DELETE FROM outbox').run();
  return result.meta.changes ?? 0;
}

export async function listMessageLog(
  db: D1Database,
  query: { page: number; pageSize: number; channel?: 'sms' | 'email'; status?: 'sent' | 'failed'; userId?: string },
): Promise<{ items: MessageLogItem[]; total: number; page: number; pageSize: number }> {
  const where: string[] = [];
  const binds: unknown[] = [];
  if (query.channel) {
    where.push('channel = ?');
    binds.push(query.channel);
  }
  if (query.status) {
    where.push('status = ?');
    binds.push(query.status);
  }
  if (query.userId) {
    where.push('user_id = ?');
    binds.push(query.userId);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const [rows, count] = await db.batch([
    db
      .prepare(
        `SELECT id, channel, provider, recipient, purpose, language, status, error, provider_message_id AS providerMessageId,
                user_id AS userId, at
         FROM message_log ${clause} ORDER BY at DESC, id LIMIT ? OFFSET ?`,
      )
      .bind(...binds, query.pageSize, (query.page - 1) * query.pageSize),
    db.prepare(`SELECT count(*) AS total FROM message_log ${clause}`).bind(...binds),
  ]);
  return {
    items: (rows!.results as MessageLogItem[]) ?? [],
    total: Number((count!.results[0] as { total: number } | undefined)?.total ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}
