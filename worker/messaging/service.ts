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
import { CODE_DIGITS, CODE_TTL_MS } from '../constants';
import type { Env } from '../env';
import { AppError } from '../errors';
import { randomNumericCode } from '../lib/crypto';
import { normalizePhoneNumber } from '../lib/phone';
import { fields } from '../lib/validate';
import { enforceLimits, messageLimitChecks, releaseCooldown } from './limits';
import type { Language } from '../contract/language';
import { originOf } from '../lib/outbound-url';
import { remoteSnippet, type ProviderTarget } from './providers/http';
import { summarizeLoggedFailure, summarizeProviderFailure, type ProviderFailureSummary } from './providers/failure';
import { descriptorFor, fillUrlPlaceholders, providerUrlOf } from './providers/registry';
import { ProviderError, type Channel, type MessageOf, type ProviderResult, type ProviderShape } from './providers/types';
import { insertMessageLog, listMessageLogRows, type MessageLogRow } from './repo';
import type { Page } from '../lib/paging';
import type { LanguageTemplates, MessagingSettings } from './schema';
import { secretTravelForms } from './secrets';
import { loadMessagingSettings, outboundPolicy } from './settings';
import { formatValidity, measureSms, MESSAGE_PLACEHOLDERS, renderTemplate, validateTemplate, type MessagePlaceholder, type SmsLength, type TemplateProblem } from './templates';

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
  /** What happened, with a redacted snippet of the provider's answer: the detail for the admin and the log. */
  error: string;
  summary: ProviderFailureSummary;
}

/** `details` of MESSAGE_NOT_SENT. */
export interface NotSentDetails {
  reason: 'EMPTY_TEXT' | 'INVALID_PHONE' | 'INVALID_EMAIL' | 'PROVIDER_FAILED';
  attempts?: AttemptFailure[];
}

// ---------------------------------------------------------------- SMS

export async function sendSms(env: MessagingEnv, db: D1Database, input: SendSmsInput): Promise<SendResult> {
  const to = normalizeSmsRecipient(input.to);
  if (!input.text.trim()) throw new AppError('MESSAGE_NOT_SENT', 'The message could not be sent: the text is empty.', { reason: 'EMPTY_TEXT' } satisfies NotSentDetails);
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
      const redactions = [...(input.redact ?? []), ...secretTravelForms('sms', supplier)];
      try {
        const result = await deliver(env, db, 'sms', supplier, { to, text: input.text }, input.nowMs);
        const logId = await writeLog(db, { channel: 'sms', provider: supplier.type, recipient: to, input, status: 'sent', error: null, result });
        return { provider: supplier.type, providerMessageId: result.providerMessageId, logId, to, usedFallback: index > 0 };
      } catch (error) {
        const message = describeFailure(error, redactions);
        failures.push({ provider: supplier.type, error: message, summary: summarizeProviderFailure(error) });
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

/** The provider's module sends; its requests may go only where its secrets were unsealed for. */
async function deliver<C extends Channel>(env: MessagingEnv, db: D1Database, channel: C, provider: ProviderShape, message: MessageOf[C], nowMs: number): Promise<ProviderResult> {
  return descriptorFor(channel, provider).send(provider, message, { env, db, target: targetOf(env, channel, provider), nowMs });
}

export function normalizeSmsRecipient(raw: string): string {
  try {
    return normalizePhoneNumber(raw);
  } catch {
    throw new AppError('MESSAGE_NOT_SENT', `The message could not be sent: "${raw.slice(0, 40)}" is not a valid phone number.`, {
      reason: 'INVALID_PHONE',
    } satisfies NotSentDetails);
  }
}

// ---------------------------------------------------------------- email

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
    const redactions = [...(input.redact ?? []), ...secretTravelForms('email', provider)];
    try {
      const message = { to, from: { address: settings.email.fromAddress, name: settings.email.fromName }, subject: input.subject, text: input.text, nowMs: input.nowMs };
      const result = await deliver(env, db, 'email', provider, message, input.nowMs);
      const logId = await writeLog(db, { channel: 'email', provider: provider.type, recipient: to, input, status: 'sent', error: null, result });
      return { provider: provider.type, providerMessageId: result.providerMessageId, logId, to, usedFallback: false };
    } catch (error) {
      const message = describeFailure(error, redactions);
      await writeLog(db, { channel: 'email', provider: provider.type, recipient: to, input, status: 'failed', error: message, result: null });
      console.warn(`email via ${provider.type} failed (${input.purpose}): ${message}`);
      throw notSent([{ provider: provider.type, error: message, summary: summarizeProviderFailure(error) }]);
    }
  } catch (error) {
    await releaseCooldown(db, taken, input.nowMs);
    throw error;
  }
}

export function normalizeEmailRecipient(raw: string): string {
  const parsed = fields.email.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('MESSAGE_NOT_SENT', `The message could not be sent: "${raw.slice(0, 60)}" is not a valid email address.`, {
      reason: 'INVALID_EMAIL',
    } satisfies NotSentDetails);
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

// ---------------------------------------------------------------- template preview (admin center)

/** Placeholders a template must contain: a code SMS without the code is useless; an email needs the code or the link. */
const REQUIRED_PLACEHOLDERS: Record<keyof LanguageTemplates, string[]> = { sms: ['code'], emailSubject: [], emailBody: ['code', 'link'] };

export interface PreviewField {
  template: string;
  rendered: string | null;
  problems: TemplateProblem[];
  length?: SmsLength;
}

/** The templates being edited (fields left out: the saved ones) rendered with sample values; problems listed, never thrown. */
export async function previewTemplates(
  env: MessagingEnv,
  input: { language: Language; templates: Partial<LanguageTemplates>; values: Partial<Record<'code' | 'name' | 'link', string>>; linkOrigin: string },
): Promise<{ ok: boolean; language: Language; values: Record<MessagePlaceholder, string> } & Record<keyof LanguageTemplates, PreviewField>> {
  const saved = (await loadMessagingSettings(env)).templates[input.language];
  const templates: LanguageTemplates = { ...saved, ...input.templates };
  const values = templateValues(
    { code: input.values.code ?? '123456'.slice(0, CODE_DIGITS), name: input.values.name ?? 'Erika Mustermann', link: input.values.link ?? `${input.linkOrigin}/recover/…`, validityMs: CODE_TTL_MS },
    input.language,
  );
  const preview = (field: keyof LanguageTemplates): PreviewField => {
    const problems = validateTemplate(templates[field], MESSAGE_PLACEHOLDERS, REQUIRED_PLACEHOLDERS[field]);
    const rendered = problems.every((p) => p.kind === 'missing_placeholder') ? renderTemplate(templates[field], values) : null;
    return { template: templates[field], rendered, problems, ...(field === 'sms' && rendered !== null ? { length: measureSms(rendered) } : {}) };
  };
  const fields = { sms: preview('sms'), emailSubject: preview('emailSubject'), emailBody: preview('emailBody') };
  return { ok: Object.values(fields).every((field) => field.problems.length === 0), language: input.language, values, ...fields };
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
function targetOf(env: MessagingEnv, channel: Channel, provider: ProviderShape): ProviderTarget {
  const url = providerUrlOf(channel, provider);
  return { ...outboundPolicy(env), origin: (url && originOf(fillUrlPlaceholders(url, 'x'))) ?? 'null' };
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
  return new AppError('MESSAGE_NOT_SENT', `The message could not be sent: ${reasons}`, { reason: 'PROVIDER_FAILED', attempts: failures } satisfies NotSentDetails);
}

function writeLog(
  db: D1Database,
  row: {
    channel: Channel;
    provider: string;
    recipient: string;
    input: SendCommon;
    status: 'sent' | 'failed';
    error: string | null;
    result: ProviderResult | null;
  },
): Promise<string> {
  return insertMessageLog(db, {
    channel: row.channel,
    provider: row.provider,
    recipient: row.recipient,
    purpose: row.input.purpose,
    language: row.input.language,
    status: row.status,
    error: row.error,
    providerMessageId: row.result?.providerMessageId ?? null,
    userId: row.input.userId ?? null,
    at: row.input.nowMs,
  });
}

// ---------------------------------------------------------------- admin listings (the route reads them here)

export { clearOutbox, listOutbox } from './repo';

/** A message_log row as the admin center shows it: a failed send carries the summary the test message shows too. */
function messageLogItemOf(row: MessageLogRow) {
  return { ...row, summary: row.error === null ? null : summarizeLoggedFailure(row.error) };
}

export type MessageLogItem = ReturnType<typeof messageLogItemOf>;

export async function listMessageLog(db: D1Database, query: Parameters<typeof listMessageLogRows>[1]): Promise<Page<MessageLogItem>> {
  const page = await listMessageLogRows(db, query);
  return { ...page, items: page.items.map(messageLogItemOf) };
}
