/**
 * Messaging settings: which SMS supplier (and an optional fallback), which email provider, the sender address,
 * the message templates in German and English, and the send limits (resend cooldown, caps per phone number, user,
 * email address and IP). Stored as JSON in the `settings` table under four keys, read together in one query.
 *
 * A save may leave sections out (`limits` alone, say): those keep their stored value. Clients written before the
 * limits existed send sms/email/templates only and keep working; the limits stay what they were.
 *
 * Secrets (auth tokens, API secrets, secret gateway headers) are sealed with AES-GCM (`encryptSecret`) before
 * they reach D1, bound to the settings key and field so a sealed value copied elsewhere does not decrypt. They
 * never go back to the client: views carry a mask ("••••" + last 4 characters), and a save that sends the mask
 * back (or leaves the field out) keeps the stored secret, the way admin consoles such as Keycloak's do.
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
import { decryptSecret, encryptSecret } from '../lib/crypto';
import { utf8 } from '../lib/encoding';
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

export async function loadMessagingSettings(env: SecretEnv): Promise<MessagingSettings> {
  // One query for all four keys: every send reads its limits with its provider settings, at no extra round trip.
  const rows = await env.DB.prepare('SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?)')
    .bind(SETTINGS_KEYS.sms, SETTINGS_KEYS.email, SETTINGS_KEYS.templates, SETTINGS_KEYS.limits)
    .all<{ key: string; value: string }>();
  const stored = new Map(rows.results.map((row) => [row.key, row.value]));
  const smsJson = readJson(stored.get(SETTINGS_KEYS.sms));
  const emailJson = readJson(stored.get(SETTINGS_KEYS.email));
  const templatesJson = readJson(stored.get(SETTINGS_KEYS.templates));
  const limitsJson = readJson(stored.get(SETTINGS_KEYS.limits));

  const storedSchema = messagingSettingsInputSchema;
  const parsed = storedSchema.safeParse({
    sms: smsJson ?? DEFAULT_SETTINGS.sms,
    email: emailJson ?? DEFAULT_SETTINGS.email,
    templates: templatesJson ?? DEFAULT_SETTINGS.templates,
  });
  // A stored value that no longer parses is an operator problem; falling back to the outbox silently would stop
  // real users from receiving codes without anyone noticing.
  // Stored limits are merged over the defaults, so a limit added in a later version starts at its default.
  const limits = messageLimitsInputSchema.safeParse(limitsJson ?? {});
  if (!parsed.success || !limits.success) throw new AppError('INTERNAL', 'The stored messaging settings are not valid; save them again in the admin center.');
  const value = parsed.data;
  try {
    return {
      sms: {
        primary: await unsealSupplier(env, value.sms.primary, 'primary'),
        fallback: value.sms.fallback ? await unsealSupplier(env, value.sms.fallback, 'fallback') : null,
      },
      email: { ...value.email, provider: await unsealEmailProvider(env, value.email.provider) },
      templates: value.templates,
      limits: mergeMessageLimits(DEFAULT_MESSAGE_LIMITS, limits.data),
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('INTERNAL', 'The stored messaging secrets could not be decrypted (was SEED_ENCRYPTION_KEY changed?).');
  }
}

/**
 * Validates and stores new settings. Sections left out keep their stored value; limits may be sent in part.
 * Secret fields left out or sent back masked keep the stored value of the same slot, as long as the supplier type
 * did not change. Everything is checked before anything is written, and what is written goes in one batch.
 * Returns the resolved settings.
 */
export async function saveMessagingSettings(
  env: SecretEnv & Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>,
  input: unknown,
  nowMs: number,
): Promise<MessagingSettings> {
  const value = parse(messagingSettingsSaveSchema, input);
  const current = await loadMessagingSettings(env);

  const resolved: MessagingSettings = {
    sms: value.sms
      ? {
          primary: resolveSupplierSecrets(value.sms.primary, current.sms.primary, 'sms.primary'),
          fallback: value.sms.fallback ? resolveSupplierSecrets(value.sms.fallback, current.sms.fallback, 'sms.fallback') : null,
        }
      : current.sms,
    email: value.email ? { ...value.email, provider: resolveEmailSecrets(value.email.provider, current.email.provider) } : current.email,
    templates: value.templates ?? current.templates,
    limits: value.limits ? mergeMessageLimits(current.limits, value.limits) : current.limits,
  };
  if (value.sms || value.email || value.templates) checkSettings(env, resolved);

  const upsert = 'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';
  const writes: D1PreparedStatement[] = [];
  if (value.sms) {
    const sealed = {
      primary: await sealSupplier(env, resolved.sms.primary, 'primary'),
      fallback: resolved.sms.fallback ? await sealSupplier(env, resolved.sms.fallback, 'fallback') : null,
    };
    writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.sms, JSON.stringify(sealed), nowMs));
  }
  if (value.email) {
    const sealed = { ...resolved.email, provider: await sealEmailProvider(env, resolved.email.provider) };
    writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.email, JSON.stringify(sealed), nowMs));
  }
  if (value.templates) writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.templates, JSON.stringify(resolved.templates), nowMs));
  if (value.limits) writes.push(env.DB.prepare(upsert).bind(SETTINGS_KEYS.limits, JSON.stringify(resolved.limits), nowMs));
  await env.DB.batch(writes);
  return resolved;
}

// ---------------------------------------------------------------- validation beyond the schema

export interface SettingsProblem {
  path: string;
  message: string;
  problems?: TemplateProblem[];
}

/** Throws VALIDATION_FAILED (URLs) or TEMPLATE_INVALID (placeholders) with every problem found. */
export function checkSettings(env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>, settings: MessagingSettings): void {
  const urlProblems: SettingsProblem[] = [];
  const suppliers: Array<[string, SmsSupplier]> = [['sms.primary', settings.sms.primary]];
  if (settings.sms.fallback) suppliers.push(['sms.fallback', settings.sms.fallback]);
  for (const [path, supplier] of suppliers) {
    if (supplier.type === 'generic') {
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
      const problem = providerUrlProblem(env, supplier.url.replace(/\{\{\s*(phone|text)\s*\}\}/g, 'x'));
      if (problem) urlProblems.push({ path: `${path}.url`, message: problem });
    } else if (supplier.type !== 'outbox') {
      const problem = providerUrlProblem(env, supplier.baseUrl);
      if (problem) urlProblems.push({ path: `${path}.baseUrl`, message: problem });
    }
  }
  if (settings.email.provider.type === 'postmark') {
    const problem = providerUrlProblem(env, settings.email.provider.baseUrl);
    if (problem) urlProblems.push({ path: 'email.provider.baseUrl', message: problem });
  }
  if (urlProblems.length > 0) {
    throw new AppError('VALIDATION_FAILED', `${urlProblems[0]!.path}: ${urlProblems[0]!.message}`, {
      issues: urlProblems.map(({ path, message }) => ({ path, message })),
    });
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

/**
 * Provider URLs must be https: credentials and codes cross them. Plain http only when the deployment says so
 * (ALLOW_INSECURE_PROVIDER_URLS, set by the tests for their local provider server; never in production).
 */
export function providerUrlProblem(env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>, raw: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return `"${raw}" is not a URL`;
  }
  if (parsed.username || parsed.password) return 'credentials do not belong in the URL; use the credential fields';
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && env.ALLOW_INSECURE_PROVIDER_URLS === 'true') return null;
  return 'the URL must start with https://';
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

// ---------------------------------------------------------------- secrets: keep, seal, unseal

type SupplierInput = z.infer<typeof smsSupplierInputSchema>;

function keepSecret(given: string | undefined, stored: string | undefined, path: string): string {
  if (!isMaskedSecret(given)) return given!;
  if (stored) return stored;
  throw new AppError('VALIDATION_FAILED', `${path}: required`, { issues: [{ path, message: 'required' }] });
}

function resolveSupplierSecrets(input: SupplierInput, current: SmsSupplier | null, path: string): SmsSupplier {
  switch (input.type) {
    case 'outbox':
      return input;
    case 'twilio':
      return { ...input, authToken: keepSecret(input.authToken, current?.type === 'twilio' ? current.authToken : undefined, `${path}.authToken`) };
    case 'vonage':
      return { ...input, apiSecret: keepSecret(input.apiSecret, current?.type === 'vonage' ? current.apiSecret : undefined, `${path}.apiSecret`) };
    case 'messagebird':
      return { ...input, accessKey: keepSecret(input.accessKey, current?.type === 'messagebird' ? current.accessKey : undefined, `${path}.accessKey`) };
    case 'generic': {
      const storedHeaders = current?.type === 'generic' ? current.headers : [];
      const headers = input.headers.map((header, i) => {
        if (!header.secret) return { name: header.name, value: header.value ?? '', secret: false };
        const stored = storedHeaders.find((h) => h.secret && h.name.toLowerCase() === header.name.toLowerCase());
        return { name: header.name, value: keepSecret(header.value, stored?.value, `${path}.headers.${i}.value`), secret: true };
      });
      return { ...input, headers };
    }
  }
}

function resolveEmailSecrets(input: z.infer<typeof emailProviderInputSchema>, current: EmailProvider): EmailProvider {
  if (input.type !== 'postmark') return input;
  return {
    ...input,
    serverToken: keepSecret(input.serverToken, current.type === 'postmark' ? current.serverToken : undefined, 'email.provider.serverToken'),
  };
}

function context(key: string, field: string): string {
  return `${key}:${field}`;
}

async function seal(env: SecretEnv, plaintext: string, key: string, field: string): Promise<string> {
  return encryptSecret(env.SEED_ENCRYPTION_KEY, utf8.encode(plaintext), context(key, field));
}

async function unseal(env: SecretEnv, sealed: string | undefined, key: string, field: string): Promise<string> {
  if (!sealed) throw new AppError('INTERNAL', `The stored messaging setting ${field} has no secret.`);
  return new TextDecoder().decode(await decryptSecret(env.SEED_ENCRYPTION_KEY, sealed, context(key, field)));
}

async function sealSupplier(env: SecretEnv, supplier: SmsSupplier, slot: string): Promise<unknown> {
  const key = SETTINGS_KEYS.sms;
  switch (supplier.type) {
    case 'twilio':
      return { ...supplier, authToken: await seal(env, supplier.authToken, key, `${slot}.authToken`) };
    case 'vonage':
      return { ...supplier, apiSecret: await seal(env, supplier.apiSecret, key, `${slot}.apiSecret`) };
    case 'messagebird':
      return { ...supplier, accessKey: await seal(env, supplier.accessKey, key, `${slot}.accessKey`) };
    case 'generic':
      return {
        ...supplier,
        headers: await Promise.all(
          supplier.headers.map(async (h) =>
            h.secret ? { ...h, value: await seal(env, h.value, key, `${slot}.headers.${h.name.toLowerCase()}`) } : h,
          ),
        ),
      };
    default:
      return supplier;
  }
}

async function unsealSupplier(env: SecretEnv, stored: SupplierInput, slot: string): Promise<SmsSupplier> {
  const key = SETTINGS_KEYS.sms;
  switch (stored.type) {
    case 'outbox':
      return stored;
    case 'twilio':
      return { ...stored, authToken: await unseal(env, stored.authToken, key, `${slot}.authToken`) };
    case 'vonage':
      return { ...stored, apiSecret: await unseal(env, stored.apiSecret, key, `${slot}.apiSecret`) };
    case 'messagebird':
      return { ...stored, accessKey: await unseal(env, stored.accessKey, key, `${slot}.accessKey`) };
    case 'generic':
      return {
        ...stored,
        headers: await Promise.all(
          stored.headers.map(async (h) => ({
            name: h.name,
            secret: h.secret,
            value: h.secret ? await unseal(env, h.value, key, `${slot}.headers.${h.name.toLowerCase()}`) : (h.value ?? ''),
          })),
        ),
      };
  }
}

async function sealEmailProvider(env: SecretEnv, provider: EmailProvider): Promise<unknown> {
  if (provider.type !== 'postmark') return provider;
  return { ...provider, serverToken: await seal(env, provider.serverToken, SETTINGS_KEYS.email, 'provider.serverToken') };
}

async function unsealEmailProvider(env: SecretEnv, stored: z.infer<typeof emailProviderInputSchema>): Promise<EmailProvider> {
  if (stored.type !== 'postmark') return stored;
  return { ...stored, serverToken: await unseal(env, stored.serverToken, SETTINGS_KEYS.email, 'provider.serverToken') };
}

function readJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('INTERNAL', 'The stored messaging settings are not valid JSON.');
  }
}
