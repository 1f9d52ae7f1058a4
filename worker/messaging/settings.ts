/**
 * Messaging settings: which SMS supplier (and an optional fallback), which email provider, the sender address,
 * the message templates in German and English, and the send limits (resend cooldown, caps per phone number, user,
 * email address and IP). Stored as JSON in the `settings` table under four keys, read together in one query.
 *
 * A save may leave sections out (`limits` alone, say): those keep their stored value. Clients written before the
 * limits existed send sms/email/templates only and keep working; the limits stay what they were.
 *
 * Secrets (auth tokens, API secrets, secret gateway headers) are sealed with AES-GCM under the provider-secrets
 * key (lib/keys.ts) before they reach D1, bound to the settings key, the field, the provider type and the URL
 * they were entered for, so a sealed value copied elsewhere, or left under an edited URL, does not decrypt. They
 * never go back to the client: views carry a mask ("••••" + last 4 characters), and a save that sends the mask
 * back (or leaves the field out) keeps the stored secret while type and URL stay the same, the way admin consoles
 * such as Keycloak's do; a new URL or type needs the secret typed again.
 */
import { z } from 'zod';
import {
  CODE_RESEND_COOLDOWN_MAX_SECONDS,
  CODE_RESEND_COOLDOWN_MIN_SECONDS,
  CODE_RESEND_COOLDOWN_MS,
  DAY_MS,
  EMAIL_PER_IP_PER_HOUR,
  EMAIL_PER_RECIPIENT_PER_HOUR,
  HOUR_MS,
  MESSAGE_CAP_PER_IP_CEILING,
  MESSAGE_CAP_PER_RECIPIENT_CEILING,
  MESSAGE_LIMIT_WINDOW_MAX_MINUTES,
  MESSAGE_LIMIT_WINDOW_MIN_MINUTES,
  PROVIDER_TIMEOUT_MAX_MS,
  PROVIDER_TIMEOUT_MIN_MS,
  PROVIDER_TIMEOUT_MS,
  SMS_PER_IP_PER_HOUR,
  SMS_PER_PHONE_PER_DAY,
  SMS_PER_USER_PER_DAY,
} from '../constants';
import type { Env } from '../env';
import { AppError } from '../errors';
import { utf8 } from '../lib/encoding';
import { isLegacySealed, openFor, sealFor } from '../lib/keys';
import { originOf, outboundUrlProblem, type OutboundPolicy, type OutboundUrlProblemCode } from '../lib/outbound-url';
import { parse } from '../lib/validate';
import { GATEWAY_PLACEHOLDERS, MESSAGE_PLACEHOLDERS, validateTemplate, type TemplateProblem } from './templates';

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const SETTINGS_KEYS = {
  sms: 'messaging.sms',
  email: 'messaging.email',
  templates: 'messaging.templates',
  limits: 'messaging.limits',
} as const;

export const SECRET_MASK_PREFIX = '••••';

// ---------------------------------------------------------------- schemas (what crosses the admin API)

const secretInput = z.string().max(2000).optional();
const timeoutMs = z.number().int().min(PROVIDER_TIMEOUT_MIN_MS).max(PROVIDER_TIMEOUT_MAX_MS).default(PROVIDER_TIMEOUT_MS);
const url = z.string().trim().min(1).max(2000);
const noLineBreaks = (value: string) => !/[\r\n]/.test(value);
/** Sender ids: E.164 numbers or alphanumeric names (11 characters is the GSM limit for those). */
const smsSender = z.string().trim().min(1).max(20).refine(noLineBreaks, 'must be one line');

const outboxSupplier = z.object({ type: z.literal('outbox') });
const twilioSupplier = z.object({
  type: z.literal('twilio'),
  accountSid: z.string().trim().regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio Account SID looks like AC followed by 32 hex digits'),
  authToken: secretInput,
  from: smsSender,
  baseUrl: url.default('https://api.twilio.com'),
  timeoutMs,
});
const vonageSupplier = z.object({
  type: z.literal('vonage'),
  apiKey: z.string().trim().min(1).max(100),
  apiSecret: secretInput,
  from: smsSender,
  baseUrl: url.default('https://rest.nexmo.com'),
  timeoutMs,
});
const messagebirdSupplier = z.object({
  type: z.literal('messagebird'),
  accessKey: secretInput,
  originator: smsSender,
  baseUrl: url.default('https://rest.messagebird.com'),
  timeoutMs,
});
const headerName = z.string().trim().min(1).max(100).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name');
const genericSupplier = z.object({
  type: z.literal('generic'),
  method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  /** May contain {{phone}} and {{text}} (URL-encoded when inserted). */
  url,
  headers: z
    .array(
      z.object({
        name: headerName,
        /** Secret header values (Authorization, API keys) are sealed at rest and masked in views. */
        value: z.string().max(2000).refine(noLineBreaks, 'must be one line').optional(),
        secret: z.boolean().default(false),
      }),
    )
    .max(20)
    .default([]),
  /** May contain {{phone}} and {{text}}, encoded for the content type (JSON string escaping, form encoding). */
  bodyTemplate: z.string().max(10_000).default(''),
  contentType: z.enum(['application/json', 'application/x-www-form-urlencoded', 'text/plain']).default('application/json'),
  /** Accepted HTTP statuses; empty means any 2xx. */
  successStatus: z.array(z.number().int().min(100).max(599)).max(20).default([]),
  /** When set, the response body must also contain this text (for gateways that answer 200 with an error). */
  successBodyContains: z.string().max(200).optional(),
  timeoutMs,
});

export const smsSupplierInputSchema = z.discriminatedUnion('type', [
  outboxSupplier,
  twilioSupplier,
  vonageSupplier,
  messagebirdSupplier,
  genericSupplier,
]);
export type SmsSupplierType = z.infer<typeof smsSupplierInputSchema>['type'];

const outboxEmail = z.object({ type: z.literal('outbox') });
const postmarkEmail = z.object({
  type: z.literal('postmark'),
  serverToken: secretInput,
  baseUrl: url.default('https://api.postmarkapp.com'),
  messageStream: z.string().trim().min(1).max(100).default('outbound'),
  timeoutMs,
});
/** Cloudflare Email Workers: the `EMAIL` send binding (type SendEmail) in wrangler.toml; no secret here. */
const cloudflareEmail = z.object({ type: z.literal('cloudflare') });

export const emailProviderInputSchema = z.discriminatedUnion('type', [outboxEmail, postmarkEmail, cloudflareEmail]);

const displayName = z.string().trim().max(100).refine(noLineBreaks, 'must be one line');

const languageTemplates = z.object({
  sms: z.string().min(1).max(1000),
  emailSubject: z.string().min(1).max(200).refine(noLineBreaks, 'the subject must be one line'),
  emailBody: z.string().min(1).max(10_000),
});

export const messagingSettingsInputSchema = z.object({
  sms: z.object({
    primary: smsSupplierInputSchema,
    fallback: smsSupplierInputSchema.nullable().default(null),
  }),
  email: z.object({
    provider: emailProviderInputSchema,
    fromAddress: z.string().trim().max(254).email(),
    fromName: displayName.default(''),
  }),
  templates: z.object({ de: languageTemplates, en: languageTemplates }),
});
export type MessagingSettingsInput = z.input<typeof messagingSettingsInputSchema>;

// ---------------------------------------------------------------- limits (what a message may cost)

const wholeNumber = { error: 'must be a whole number' };
const windowMinutes = z
  .number(wholeNumber)
  .int(wholeNumber)
  .min(MESSAGE_LIMIT_WINDOW_MIN_MINUTES, `must be at least ${MESSAGE_LIMIT_WINDOW_MIN_MINUTES} minutes`)
  .max(MESSAGE_LIMIT_WINDOW_MAX_MINUTES, `must be at most ${MESSAGE_LIMIT_WINDOW_MAX_MINUTES} minutes (7 days)`);
function capSchema(ceiling: number) {
  return z.strictObject({
    // A cap of 0 would switch the channel off; an unbounded one would switch the protection off.
    max: z.number(wholeNumber).int(wholeNumber).min(1, 'must be at least 1').max(ceiling, `must be at most ${ceiling}`),
    windowMinutes,
  });
}
const recipientCap = capSchema(MESSAGE_CAP_PER_RECIPIENT_CEILING);
const ipCap = capSchema(MESSAGE_CAP_PER_IP_CEILING);

export const messageLimitsSchema = z.strictObject({
  /** No second code for the same flow to the same phone number or address sooner than this. */
  resendCooldownSeconds: z
    .number(wholeNumber)
    .int(wholeNumber)
    .min(CODE_RESEND_COOLDOWN_MIN_SECONDS, `must be at least ${CODE_RESEND_COOLDOWN_MIN_SECONDS} seconds`)
    .max(CODE_RESEND_COOLDOWN_MAX_SECONDS, `must be at most ${CODE_RESEND_COOLDOWN_MAX_SECONDS} seconds (1 hour)`),
  smsPerPhone: recipientCap,
  smsPerUser: recipientCap,
  smsPerIp: ipCap,
  emailPerRecipient: recipientCap,
  emailPerIp: ipCap,
});
export type MessageLimits = z.infer<typeof messageLimitsSchema>;
export type MessageCapName = Exclude<keyof MessageLimits, 'resendCooldownSeconds'>;

/** A save may change one value: what is left out keeps its stored value. Unknown names are refused (typos). */
export const messageLimitsInputSchema = z.strictObject({
  resendCooldownSeconds: messageLimitsSchema.shape.resendCooldownSeconds.optional(),
  smsPerPhone: recipientCap.partial().optional(),
  smsPerUser: recipientCap.partial().optional(),
  smsPerIp: ipCap.partial().optional(),
  emailPerRecipient: recipientCap.partial().optional(),
  emailPerIp: ipCap.partial().optional(),
});
export type MessageLimitsInput = z.input<typeof messageLimitsInputSchema>;

const minutes = (ms: number) => Math.round(ms / 60_000);

/** The defaults are the constants (worker/constants.ts), so a fresh installation behaves as before. */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = {
  resendCooldownSeconds: Math.round(CODE_RESEND_COOLDOWN_MS / 1000),
  smsPerPhone: { max: SMS_PER_PHONE_PER_DAY, windowMinutes: minutes(DAY_MS) },
  smsPerUser: { max: SMS_PER_USER_PER_DAY, windowMinutes: minutes(DAY_MS) },
  smsPerIp: { max: SMS_PER_IP_PER_HOUR, windowMinutes: minutes(HOUR_MS) },
  emailPerRecipient: { max: EMAIL_PER_RECIPIENT_PER_HOUR, windowMinutes: minutes(HOUR_MS) },
  emailPerIp: { max: EMAIL_PER_IP_PER_HOUR, windowMinutes: minutes(HOUR_MS) },
};

/** What the admin center shows next to the fields (the same numbers the schema enforces). */
export const MESSAGE_LIMIT_BOUNDS = {
  resendCooldownSeconds: { min: CODE_RESEND_COOLDOWN_MIN_SECONDS, max: CODE_RESEND_COOLDOWN_MAX_SECONDS },
  recipientCap: { min: 1, max: MESSAGE_CAP_PER_RECIPIENT_CEILING },
  ipCap: { min: 1, max: MESSAGE_CAP_PER_IP_CEILING },
  windowMinutes: { min: MESSAGE_LIMIT_WINDOW_MIN_MINUTES, max: MESSAGE_LIMIT_WINDOW_MAX_MINUTES },
} as const;

export function mergeMessageLimits(base: MessageLimits, change: z.infer<typeof messageLimitsInputSchema>): MessageLimits {
  const merged: MessageLimits = { ...base, resendCooldownSeconds: change.resendCooldownSeconds ?? base.resendCooldownSeconds };
  for (const name of ['smsPerPhone', 'smsPerUser', 'smsPerIp', 'emailPerRecipient', 'emailPerIp'] as const) {
    merged[name] = { ...base[name], ...stripUndefined(change[name] ?? {}) };
  }
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** PUT /settings: every section optional (left out = keep the stored one), but at least one must be there. */
export const messagingSettingsSaveSchema = messagingSettingsInputSchema
  .partial()
  .extend({ limits: messageLimitsInputSchema.optional() })
  .refine((value) => Object.values(value).some((section) => section !== undefined), { error: 'nothing to save: send sms, email, templates or limits' });

// ---------------------------------------------------------------- resolved types (secrets present, in clear)

type Resolved<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: string };
type GenericInput = z.infer<typeof genericSupplier>;
export type GenericHeader = { name: string; value: string; secret: boolean };

export type SmsSupplier =
  | z.infer<typeof outboxSupplier>
  | Resolved<z.infer<typeof twilioSupplier>, 'authToken'>
  | Resolved<z.infer<typeof vonageSupplier>, 'apiSecret'>
  | Resolved<z.infer<typeof messagebirdSupplier>, 'accessKey'>
  | (Omit<GenericInput, 'headers'> & { headers: GenericHeader[] });

export type EmailProvider =
  | z.infer<typeof outboxEmail>
  | Resolved<z.infer<typeof postmarkEmail>, 'serverToken'>
  | z.infer<typeof cloudflareEmail>;

export type LanguageTemplates = z.infer<typeof languageTemplates>;

export interface MessagingSettings {
  sms: { primary: SmsSupplier; fallback: SmsSupplier | null };
  email: { provider: EmailProvider; fromAddress: string; fromName: string };
  templates: Record<Language, LanguageTemplates>;
  limits: MessageLimits;
}

// ---------------------------------------------------------------- defaults

export const DEFAULT_TEMPLATES: Record<Language, LanguageTemplates> = {
  de: {
    sms: '{{code}} ist Ihr Bestätigungscode. Er ist {{validity}} gültig. Geben Sie ihn niemandem weiter.',
    emailSubject: 'Ihr Bestätigungscode',
    emailBody: [
      'Hallo {{name}},',
      '',
      'Ihr Bestätigungscode lautet: {{code}}',
      'Alternativ können Sie diesen Link öffnen: {{link}}',
      '',
      'Der Code ist {{validity}} gültig. Geben Sie ihn niemandem weiter, auch nicht unserem Support.',
      '',
      'Wenn Sie das nicht angefordert haben, können Sie diese E-Mail ignorieren.',
    ].join('\n'),
  },
  en: {
    sms: '{{code}} is your verification code. It is valid for {{validity}}. Do not share it with anyone.',
    emailSubject: 'Your verification code',
    emailBody: [
      'Hello {{name}},',
      '',
      'Your verification code is: {{code}}',
      'Or open this link: {{link}}',
      '',
      'The code is valid for {{validity}}. Do not share it with anyone, not even our support.',
      '',
      'If you did not ask for this, you can ignore this email.',
    ].join('\n'),
  },
};

/** Out of the box everything goes to the outbox, so a local demo works without any provider account. */
export const DEFAULT_SETTINGS: MessagingSettings = {
  sms: { primary: { type: 'outbox' }, fallback: null },
  email: { provider: { type: 'outbox' }, fromAddress: 'no-reply@example.com', fromName: '' },
  templates: DEFAULT_TEMPLATES,
  limits: DEFAULT_MESSAGE_LIMITS,
};

// ---------------------------------------------------------------- load / save

type SecretEnv = Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY'>;
type StoredSupplier = z.infer<typeof smsSupplierInputSchema>;
type StoredEmailProvider = z.infer<typeof emailProviderInputSchema>;

/** The settings as D1 holds them: provider secrets sealed; `raw` is each row's text (for conditional updates). */
interface StoredSettings {
  sms: { primary: StoredSupplier; fallback: StoredSupplier | null };
  email: { provider: StoredEmailProvider; fromAddress: string; fromName: string };
  templates: Record<Language, LanguageTemplates>;
  limits: MessageLimits;
  raw: Map<string, string>;
}

async function readStoredSettings(env: SecretEnv): Promise<StoredSettings> {
  // One query for all four keys: every send reads its limits with its provider settings, at no extra round trip.
  const rows = await env.DB.prepare('SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?)')
    .bind(SETTINGS_KEYS.sms, SETTINGS_KEYS.email, SETTINGS_KEYS.templates, SETTINGS_KEYS.limits)
    .all<{ key: string; value: string }>();
  const raw = new Map(rows.results.map((row) => [row.key, row.value]));
  const parsed = messagingSettingsInputSchema.safeParse({
    sms: readJson(raw.get(SETTINGS_KEYS.sms)) ?? DEFAULT_SETTINGS.sms,
    email: readJson(raw.get(SETTINGS_KEYS.email)) ?? DEFAULT_SETTINGS.email,
    templates: readJson(raw.get(SETTINGS_KEYS.templates)) ?? DEFAULT_SETTINGS.templates,
  });
  // A stored value that no longer parses is an operator problem; falling back to the outbox silently would stop
  // real users from receiving codes without anyone noticing.
  // Stored limits are merged over the defaults, so a limit added in a later version starts at its default.
  const limits = messageLimitsInputSchema.safeParse(readJson(raw.get(SETTINGS_KEYS.limits)) ?? {});
  if (!parsed.success || !limits.success) throw new AppError('INTERNAL', 'The stored messaging settings are not valid; save them again in the admin center.');
  return { ...parsed.data, limits: mergeMessageLimits(DEFAULT_MESSAGE_LIMITS, limits.data), raw };
}

async function openStoredSettings(env: SecretEnv, stored: StoredSettings): Promise<MessagingSettings> {
  const sms = SETTINGS_KEYS.sms;
  try {
    return {
      sms: {
        primary: (await openProvider(env, stored.sms.primary, sms, 'primary')) as SmsSupplier,
        fallback: stored.sms.fallback ? ((await openProvider(env, stored.sms.fallback, sms, 'fallback')) as SmsSupplier) : null,
      },
      email: { ...stored.email, provider: (await openProvider(env, stored.email.provider, SETTINGS_KEYS.email, 'provider')) as EmailProvider },
      templates: stored.templates,
      limits: stored.limits,
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('INTERNAL', 'The stored messaging secrets could not be decrypted (was SEED_ENCRYPTION_KEY changed, or a provider URL edited in the database?).');
  }
}

export async function loadMessagingSettings(env: SecretEnv): Promise<MessagingSettings> {
  return openStoredSettings(env, await readStoredSettings(env));
}

/**
 * Validates and stores new settings. Sections left out keep their stored value; limits may be sent in part.
 * A secret field left out or sent back masked keeps the stored secret only while the provider type and its URL
 * stay the same: the stored ciphertext is copied as it is, and it opens only for the URL it was sealed with.
 * Everything is checked before anything is written, and what is written goes in one batch. Returns the resolved
 * settings.
 */
export async function saveMessagingSettings(
  env: SecretEnv & Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>,
  input: unknown,
  nowMs: number,
): Promise<MessagingSettings> {
  const value = parse(messagingSettingsSaveSchema, input);
  const stored = await readStoredSettings(env);
  const current = await openStoredSettings(env, stored);
  const sections = value.sms || value.email || value.templates;
  if (sections) checkProviderUrls(env, { sms: value.sms ?? current.sms, email: value.email ?? current.email });

  const issues: SettingsIssue[] = [];
  const keyed = (key: string, slot: string, path: string) => ({ key, slot, path, issues });
  const primary = value.sms
    ? await resolveSecrets(env, value.sms.primary, { open: current.sms.primary, sealed: stored.sms.primary }, keyed(SETTINGS_KEYS.sms, 'primary', 'sms.primary'))
    : null;
  const fallbackCurrent = current.sms.fallback && stored.sms.fallback ? { open: current.sms.fallback, sealed: stored.sms.fallback } : null;
  const fallback = value.sms?.fallback ? await resolveSecrets(env, value.sms.fallback, fallbackCurrent, keyed(SETTINGS_KEYS.sms, 'fallback', 'sms.fallback')) : null;
  const provider = value.email
    ? await resolveSecrets(env, value.email.provider, { open: current.email.provider, sealed: stored.email.provider }, keyed(SETTINGS_KEYS.email, 'provider', 'email.provider'))
    : null;
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', `${issues[0]!.path}: ${issues[0]!.message}`, { issues });

  const resolved: MessagingSettings = {
    sms: primary ? { primary: primary.open as SmsSupplier, fallback: (fallback?.open as SmsSupplier | undefined) ?? null } : current.sms,
    email: value.email && provider ? { ...value.email, provider: provider.open as EmailProvider } : current.email,
    templates: value.templates ?? current.templates,
    limits: value.limits ? mergeMessageLimits(current.limits, value.limits) : current.limits,
  };
  if (sections) checkSettings(resolved);

  const upsert = 'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';
  const writes: D1PreparedStatement[] = [];
  if (primary) writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.sms, JSON.stringify({ primary: primary.sealed, fallback: fallback?.sealed ?? null }), nowMs));
  if (value.email && provider) writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.email, JSON.stringify({ ...value.email, provider: provider.sealed }), nowMs));
  if (value.templates) writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.templates, JSON.stringify(resolved.templates), nowMs));
  if (value.limits) writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.limits, JSON.stringify(resolved.limits), nowMs));
  await env.DB.batch(writes);
  return resolved;
}

/**
 * The cron's one-time upgrade: provider secrets sealed before key separation ("v1", under SEED_ENCRYPTION_KEY
 * itself, bound to no URL) are re-sealed under the provider-secrets key, bound to the URL stored beside them.
 * Each row is written only if nobody saved it meanwhile. Returns how many secrets it re-sealed.
 */
export async function upgradeLegacyProviderSecrets(env: SecretEnv): Promise<number> {
  const stored = await readStoredSettings(env);
  let upgraded = 0;
  const reseal = (provider: StoredSupplier | StoredEmailProvider, key: string, slot: string) =>
    mapSecrets(provider, async (field, sealed) => {
      if (!sealed || !isLegacySealed(sealed)) return sealed ?? '';
      const { context, legacyContext } = secretContexts(provider, key, `${slot}.${field}`);
      const plaintext = await openFor(env, 'provider-secrets', sealed, context, legacyContext);
      upgraded += 1;
      return sealFor(env, 'provider-secrets', plaintext, context);
    });
  const writes: D1PreparedStatement[] = [];
  const update = 'UPDATE settings SET value = ? WHERE key = ? AND value = ?';
  const smsRaw = stored.raw.get(SETTINGS_KEYS.sms);
  if (smsRaw) {
    const before = upgraded;
    const sms = { primary: await reseal(stored.sms.primary, SETTINGS_KEYS.sms, 'primary'), fallback: stored.sms.fallback ? await reseal(stored.sms.fallback, SETTINGS_KEYS.sms, 'fallback') : null };
    if (upgraded > before) writes.push(env.DB.prepare(update).bind(JSON.stringify(sms), SETTINGS_KEYS.sms, smsRaw));
  }
  const emailRaw = stored.raw.get(SETTINGS_KEYS.email);
  if (emailRaw) {
    const before = upgraded;
    const email = { ...stored.email, provider: await reseal(stored.email.provider, SETTINGS_KEYS.email, 'provider') };
    if (upgraded > before) writes.push(env.DB.prepare(update).bind(JSON.stringify(email), SETTINGS_KEYS.email, emailRaw));
  }
  if (writes.length > 0) await env.DB.batch(writes);
  return upgraded;
}

// ---------------------------------------------------------------- validation beyond the schema

export interface SettingsProblem {
  path: string;
  message: string;
  problems?: TemplateProblem[];
}

/** A field the admin must fix; `code` lets the admin center say it in German or English. */
export interface SettingsIssue {
  path: string;
  code: SettingsIssueCode;
  message: string;
}
export type SettingsIssueCode = OutboundUrlProblemCode | 'PROVIDER_URL_HOST_TEMPLATED' | 'PROVIDER_SECRET_REQUIRED' | 'PROVIDER_SECRET_URL_CHANGED';

const allowsLoopback = (env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>) => env.ALLOW_INSECURE_PROVIDER_URLS === 'true';

/** What a provider request may reach from this deployment (worker/lib/outbound-url.ts). */
export function outboundPolicy(env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>): OutboundPolicy {
  return { allowLoopback: allowsLoopback(env) };
}

type UrlBearing = { type: string; baseUrl?: string; url?: string };

/**
 * Throws VALIDATION_FAILED with every provider URL that may not be called: not https, credentials in it, a host
 * that is not public (lib/outbound-url.ts), or a gateway URL whose host its placeholders could change.
 */
export function checkProviderUrls(
  env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>,
  settings: { sms: { primary: UrlBearing; fallback: UrlBearing | null }; email: { provider: UrlBearing } },
): void {
  const policy = outboundPolicy(env);
  const issues: SettingsIssue[] = [];
  const targets: Array<[string, UrlBearing]> = [['sms.primary', settings.sms.primary], ['email.provider', settings.email.provider]];
  if (settings.sms.fallback) targets.splice(1, 0, ['sms.fallback', settings.sms.fallback]);
  for (const [path, provider] of targets) {
    const url = providerUrlOf(provider);
    if (url === null) continue;
    const field = `${path}.${provider.type === 'generic' ? 'url' : 'baseUrl'}`;
    const problem = outboundUrlProblem(fillUrlPlaceholders(url, 'a'), policy);
    if (problem) issues.push({ path: field, ...problem });
    else if (originOf(fillUrlPlaceholders(url, 'a')) !== originOf(fillUrlPlaceholders(url, 'b'))) {
      // The phone number or the text would pick the host, and the secret headers would follow.
      issues.push({ path: field, code: 'PROVIDER_URL_HOST_TEMPLATED', message: 'placeholders may appear in the path and query only, not in the host' });
    }
  }
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', `${issues[0]!.path}: ${issues[0]!.message}`, { issues });
}

/** Throws TEMPLATE_INVALID (gateway request templates, message templates) with every problem found. */
export function checkSettings(settings: MessagingSettings): void {
  const suppliers: Array<[string, SmsSupplier]> = [['sms.primary', settings.sms.primary]];
  if (settings.sms.fallback) suppliers.push(['sms.fallback', settings.sms.fallback]);
  for (const [path, supplier] of suppliers) {
    if (supplier.type !== 'generic') continue;
    const problems = [
      ...validateTemplate(supplier.url, GATEWAY_PLACEHOLDERS).map((p) => ({ path: `${path}.url`, message: p.message })),
      ...validateTemplate(supplier.bodyTemplate, GATEWAY_PLACEHOLDERS).map((p) => ({ path: `${path}.bodyTemplate`, message: p.message })),
      ...supplier.headers.flatMap((header, i) =>
        validateTemplate(header.value, GATEWAY_PLACEHOLDERS).map((p) => ({ path: `${path}.headers.${i}.value`, message: p.message })),
      ),
    ];
    if (problems.length > 0) throw new AppError('TEMPLATE_INVALID', `${problems[0]!.path}: ${problems[0]!.message}`, { issues: problems });
    if (!/\{\{\s*text\s*\}\}/.test(supplier.url + supplier.bodyTemplate)) {
      throw new AppError('TEMPLATE_INVALID', `${path}: the gateway request must carry the message: put {{text}} into the URL or the body`);
    }
  }

  const templateProblems = templateSettingsProblems(settings.templates);
  if (templateProblems.length > 0) {
    const first = templateProblems[0]!;
    throw new AppError('TEMPLATE_INVALID', `${first.path}: ${first.message}`, { issues: templateProblems });
  }
}

export function templateSettingsProblems(templates: Record<Language, LanguageTemplates>): SettingsProblem[] {
  const found: SettingsProblem[] = [];
  for (const language of LANGUAGES) {
    const set = templates[language];
    const checks: Array<[keyof LanguageTemplates, string[]]> = [
      // A verification SMS without the code is useless; an email needs the code or the link.
      ['sms', ['code']],
      ['emailSubject', []],
      ['emailBody', ['code', 'link']],
    ];
    for (const [field, required] of checks) {
      const problems = validateTemplate(set[field], MESSAGE_PLACEHOLDERS, required);
      if (problems.length > 0) found.push({ path: `templates.${language}.${field}`, message: problems.map((p) => p.message).join('; '), problems });
    }
  }
  return found;
}

/** The URL a provider's secrets are for and its requests go to; null for those without one (outbox, binding). */
export function providerUrlOf(provider: UrlBearing): string | null {
  if (provider.type === 'generic') return provider.url ?? null;
  return SECRET_FIELD[provider.type] ? (provider.baseUrl ?? null) : null;
}

/** A gateway URL template with every {{phone}} / {{text}} filled with `value` (to check it as a URL). */
export function fillUrlPlaceholders(url: string, value: string): string {
  return url.replace(/\{\{\s*(phone|text)\s*\}\}/g, value);
}

// ---------------------------------------------------------------- masking (views for the admin center)

export type MessagingSettingsView = MessagingSettings & { warnings: string[] };

export function maskSecret(secret: string): string {
  // Short secrets show nothing of themselves; long ones show the last 4 so admins can tell which key is set.
  return secret.length >= 12 ? `${SECRET_MASK_PREFIX}${secret.slice(-4)}` : SECRET_MASK_PREFIX;
}

export function isMaskedSecret(value: string | undefined): boolean {
  return value === undefined || value === '' || value.startsWith(SECRET_MASK_PREFIX);
}

export function maskMessagingSettings(settings: MessagingSettings): MessagingSettingsView {
  const warnings: string[] = [];
  if (settings.sms.primary.type === 'outbox') warnings.push('SMS are stored in the outbox, not delivered: users do not receive them.');
  if (settings.email.provider.type === 'outbox') warnings.push('Emails are stored in the outbox, not delivered: users do not receive them.');
  return {
    sms: { primary: maskSupplier(settings.sms.primary), fallback: settings.sms.fallback ? maskSupplier(settings.sms.fallback) : null },
    email: { ...settings.email, provider: maskEmailProvider(settings.email.provider) },
    templates: settings.templates,
    limits: settings.limits,
    warnings,
  };
}

function maskSupplier(supplier: SmsSupplier): SmsSupplier {
  switch (supplier.type) {
    case 'twilio':
      return { ...supplier, authToken: maskSecret(supplier.authToken) };
    case 'vonage':
      return { ...supplier, apiSecret: maskSecret(supplier.apiSecret) };
    case 'messagebird':
      return { ...supplier, accessKey: maskSecret(supplier.accessKey) };
    case 'generic':
      return { ...supplier, headers: supplier.headers.map((h) => (h.secret ? { ...h, value: maskSecret(h.value) } : h)) };
    default:
      return supplier;
  }
}

function maskEmailProvider(provider: EmailProvider): EmailProvider {
  return provider.type === 'postmark' ? { ...provider, serverToken: maskSecret(provider.serverToken) } : provider;
}

// ---------------------------------------------------------------- secrets: keep, seal, open

/** The credential field of each provider type that has one; generic gateways keep theirs in secret headers. */
const SECRET_FIELD: Partial<Record<string, 'authToken' | 'apiSecret' | 'accessKey' | 'serverToken'>> = {
  twilio: 'authToken',
  vonage: 'apiSecret',
  messagebird: 'accessKey',
  postmark: 'serverToken',
};

type AnyProvider = StoredSupplier | StoredEmailProvider | SmsSupplier | EmailProvider;

/**
 * The one walk over a provider's secrets (its credential field, or each secret header): `fn` gets the sealing
 * field name (`authToken`, `headers.x-api-key`), the value and the field's path in the request body
 * (`authToken`, `headers.2.value`), and returns the replacement. Returns the copy.
 */
async function mapSecrets<T extends AnyProvider>(
  provider: T,
  fn: (field: string, value: string | undefined, path: string) => Promise<string> | string,
): Promise<T> {
  if (provider.type === 'generic') {
    const headers = await Promise.all(
      provider.headers.map(async (h, i) => ({ name: h.name, secret: h.secret, value: h.secret ? await fn(`headers.${h.name.toLowerCase()}`, h.value, `headers.${i}.value`) : (h.value ?? '') })),
    );
    return { ...provider, headers };
  }
  const field = SECRET_FIELD[provider.type];
  if (!field) return provider;
  return { ...provider, [field]: await fn(field, (provider as Record<string, unknown>)[field] as string | undefined, field) };
}

/**
 * The additional data a provider secret is sealed with: where it is stored, the provider type and the URL it was
 * entered for. A ciphertext opens only there: moved to another field or type, or left behind when someone edits
 * the URL in the database, it no longer decrypts, so the secret cannot be sent anywhere else.
 */
function secretContexts(provider: UrlBearing, key: string, field: string): { context: string; legacyContext: string } {
  return { context: `${key}:${field}:${provider.type}:${providerUrlOf(provider) ?? ''}`, legacyContext: `${key}:${field}` };
}

async function openProvider<T extends StoredSupplier | StoredEmailProvider>(env: SecretEnv, stored: T, key: string, slot: string): Promise<T> {
  return mapSecrets(stored, async (field, sealed) => {
    if (!sealed) throw new AppError('INTERNAL', `The stored messaging setting ${slot}.${field} has no secret.`);
    const { context, legacyContext } = secretContexts(stored, key, `${slot}.${field}`);
    return new TextDecoder().decode(await openFor(env, 'provider-secrets', sealed, context, legacyContext));
  });
}

/**
 * A provider from the save request with its secrets resolved: `open` in clear (returned, used to send), `sealed`
 * to store. A secret that is typed is sealed for this provider's URL. One left out (or sent back masked) keeps
 * the stored ciphertext, as it is, only if the type and the URL are unchanged; otherwise the field must be
 * filled again (an issue), so a stored secret is never sent to a host it was not entered for.
 */
async function resolveSecrets<T extends StoredSupplier | StoredEmailProvider>(
  env: SecretEnv,
  input: T,
  current: { open: AnyProvider; sealed: AnyProvider } | null,
  where: { key: string; slot: string; path: string; issues: SettingsIssue[] },
): Promise<{ open: T; sealed: T }> {
  const stored = new Map<string, { open?: string; sealed?: string }>();
  if (current) {
    await mapSecrets(current.open, (field, value) => (stored.set(field, { open: value }), ''));
    await mapSecrets(current.sealed, (field, value) => (stored.set(field, { ...stored.get(field), sealed: value }), ''));
  }
  const sameType = current !== null && current.open.type === input.type;
  const sameTarget = sameType && providerUrlOf(current.open) === providerUrlOf(input);
  const sealedByField = new Map<string, string>();
  const open = await mapSecrets(input, async (field, given, path) => {
    if (!isMaskedSecret(given)) {
      const { context } = secretContexts(input, where.key, `${where.slot}.${field}`);
      sealedByField.set(field, await sealFor(env, 'provider-secrets', utf8.encode(given!), context));
      return given!;
    }
    const kept = stored.get(field);
    if (sameTarget && kept?.open && kept.sealed) {
      sealedByField.set(field, kept.sealed);
      return kept.open;
    }
    const urlChanged = sameType && Boolean(kept?.open);
    where.issues.push(
      urlChanged
        ? { path: `${where.path}.${path}`, code: 'PROVIDER_SECRET_URL_CHANGED', message: 'required: the URL changed, so enter the secret again (a stored secret goes only to the URL it was entered for)' }
        : { path: `${where.path}.${path}`, code: 'PROVIDER_SECRET_REQUIRED', message: 'required' },
    );
    return '';
  });
  const sealed = await mapSecrets(input, (field) => sealedByField.get(field) ?? '');
  return { open, sealed };
}

function readJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('INTERNAL', 'The stored messaging settings are not valid JSON.');
  }
}
