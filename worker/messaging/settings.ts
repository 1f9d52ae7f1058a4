/**
 * Loading and saving the messaging settings (schema.ts says what they are, defaults.ts what a fresh installation
 * has). They are stored as JSON in the `settings` table under four keys, read together in one query (repo.ts);
 * provider secrets are sealed there and opened on load (secrets.ts).
 *
 * A save may leave sections out (`limits` alone, say): those keep their stored value. Clients written before the
 * limits existed send sms/email/templates only and keep working; the limits stay what they were.
 */
import type { Audit } from '../audit/record';
import type { Language } from '../contract/language';
import { LANGUAGES } from '../contract/language';
import type { Env } from '../env';
import { AppError } from '../errors';
import { originOf, outboundUrlProblem, type OutboundPolicy, type OutboundUrlProblemCode } from '../lib/outbound-url';
import { parse } from '../lib/validate';
import { DEFAULT_MESSAGE_LIMITS, DEFAULT_SETTINGS, DEFAULT_TEMPLATES } from './defaults';
import { descriptorFor, fillUrlPlaceholders, providerUrlOf, type EmailProvider, type SmsSupplier } from './providers/registry';
import type { Channel, ProviderShape } from './providers/types';
import { readSettingRows, replaceSettingRowsIfUnchanged, writeSettingRows } from './repo';
import {
  mergeMessageLimits,
  messageLimitsInputSchema,
  messagingSettingsInputSchema,
  messagingSettingsSaveSchema,
  type LanguageTemplates,
  type MessageLimits,
  type MessagingSettings,
} from './schema';
import { maskProvider, openProvider, resealLegacySecrets, resolveSecrets, type ProviderPlace, type SecretEnv, type SecretIssue } from './secrets';
import { MESSAGE_PLACEHOLDERS, validateTemplate, type TemplateProblem } from './templates';

export type { Language };
export type { MessagingSettingsInput } from './schema';
export { DEFAULT_TEMPLATES };

export const SETTINGS_KEYS = {
  sms: 'messaging.sms',
  email: 'messaging.email',
  templates: 'messaging.templates',
  limits: 'messaging.limits',
} as const;

/** The three places a provider is configured. */
const PLACES = {
  primary: { channel: 'sms', key: SETTINGS_KEYS.sms, slot: 'primary', path: 'sms.primary' },
  fallback: { channel: 'sms', key: SETTINGS_KEYS.sms, slot: 'fallback', path: 'sms.fallback' },
  email: { channel: 'email', key: SETTINGS_KEYS.email, slot: 'provider', path: 'email.provider' },
} as const satisfies Record<string, ProviderPlace & { path: string }>;

// ---------------------------------------------------------------- load / save

/** The settings as D1 holds them: provider secrets sealed; `raw` is each row's text (for conditional updates). */
interface StoredSettings {
  sms: { primary: SmsSupplier; fallback: SmsSupplier | null };
  email: { provider: EmailProvider; fromAddress: string; fromName: string };
  templates: Record<Language, LanguageTemplates>;
  limits: MessageLimits;
  raw: Map<string, string>;
}

async function readStoredSettings(env: SecretEnv): Promise<StoredSettings> {
  // One query for all four keys: every send reads its limits with its provider settings, at no extra round trip.
  const raw = await readSettingRows(env.DB, Object.values(SETTINGS_KEYS));
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
  // Sealed secrets sit where the clear ones will: the schema holds them as (optional) strings alike.
  const { sms, email, templates } = parsed.data as Omit<StoredSettings, 'limits' | 'raw'>;
  return { sms, email, templates, limits: mergeMessageLimits(DEFAULT_MESSAGE_LIMITS, limits.data), raw };
}

async function openStoredSettings(env: SecretEnv, stored: StoredSettings): Promise<MessagingSettings> {
  try {
    return {
      sms: {
        primary: await openProvider(env, PLACES.primary, stored.sms.primary),
        fallback: stored.sms.fallback ? await openProvider(env, PLACES.fallback, stored.sms.fallback) : null,
      },
      email: { ...stored.email, provider: await openProvider(env, PLACES.email, stored.email.provider) },
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
  /** The admin API's save is audited (provider secrets masked); tests and the seed pass none. */
  audit?: Audit,
): Promise<MessagingSettings> {
  const value = parse(messagingSettingsSaveSchema, input);
  const stored = await readStoredSettings(env);
  const current = await openStoredSettings(env, stored);
  const sections = value.sms || value.email || value.templates;
  if (sections) checkProviderUrls(env, { sms: value.sms ?? current.sms, email: value.email ?? current.email });

  const issues: SecretIssue[] = [];
  const primary = value.sms ? await resolveSecrets(env, PLACES.primary, value.sms.primary, { open: current.sms.primary, sealed: stored.sms.primary }, issues) : null;
  const fallbackCurrent = current.sms.fallback && stored.sms.fallback ? { open: current.sms.fallback, sealed: stored.sms.fallback } : null;
  const fallback = value.sms?.fallback ? await resolveSecrets(env, PLACES.fallback, value.sms.fallback, fallbackCurrent, issues) : null;
  const provider = value.email ? await resolveSecrets(env, PLACES.email, value.email.provider, { open: current.email.provider, sealed: stored.email.provider }, issues) : null;
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', `${issues[0]!.path}: ${issues[0]!.message}`, { issues });

  // What the schema parsed, with every secret resolved, is the provider in clear.
  const resolved: MessagingSettings = {
    sms: primary ? { primary: primary.open as SmsSupplier, fallback: (fallback?.open as SmsSupplier | undefined) ?? null } : current.sms,
    email: value.email && provider ? { ...value.email, provider: provider.open as EmailProvider } : current.email,
    templates: value.templates ?? current.templates,
    limits: value.limits ? mergeMessageLimits(current.limits, value.limits) : current.limits,
  };
  if (sections) checkSettings(resolved);

  const rows: Array<{ key: string; value: string }> = [];
  if (primary) rows.push({ key: SETTINGS_KEYS.sms, value: JSON.stringify({ primary: primary.sealed, fallback: fallback?.sealed ?? null }) });
  if (value.email && provider) rows.push({ key: SETTINGS_KEYS.email, value: JSON.stringify({ ...value.email, provider: provider.sealed }) });
  if (value.templates) rows.push({ key: SETTINGS_KEYS.templates, value: JSON.stringify(resolved.templates) });
  if (value.limits) rows.push({ key: SETTINGS_KEYS.limits, value: JSON.stringify(resolved.limits) });
  const sectionsSaved = (['sms', 'email', 'templates', 'limits'] as const).filter((section) => value[section] !== undefined);
  const sectionsOf = (settings: MessagingSettings) => {
    const masked = maskMessagingSettings(settings);
    return Object.fromEntries(sectionsSaved.map((section) => [section, masked[section]]));
  };
  const auditRow = audit?.({ action: 'update', objectType: 'messaging_settings', objectId: null, objectName: sectionsSaved.join(', '), before: sectionsOf(current), after: sectionsOf(resolved) });
  await writeSettingRows(env.DB, rows, nowMs, auditRow ? [auditRow] : []);
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
  const reseal = async <T extends ProviderShape>(place: ProviderPlace, provider: T): Promise<T> => {
    const result = await resealLegacySecrets(env, place, provider);
    upgraded += result.resealed;
    return result.provider;
  };
  const rows: Array<{ key: string; previous: string; value: string }> = [];
  const smsRaw = stored.raw.get(SETTINGS_KEYS.sms);
  if (smsRaw) {
    const before = upgraded;
    const sms = { primary: await reseal(PLACES.primary, stored.sms.primary), fallback: stored.sms.fallback ? await reseal(PLACES.fallback, stored.sms.fallback) : null };
    if (upgraded > before) rows.push({ key: SETTINGS_KEYS.sms, previous: smsRaw, value: JSON.stringify(sms) });
  }
  const emailRaw = stored.raw.get(SETTINGS_KEYS.email);
  if (emailRaw) {
    const before = upgraded;
    const email = { ...stored.email, provider: await reseal(PLACES.email, stored.email.provider) };
    if (upgraded > before) rows.push({ key: SETTINGS_KEYS.email, previous: emailRaw, value: JSON.stringify(email) });
  }
  await replaceSettingRowsIfUnchanged(env.DB, rows);
  return upgraded;
}

// ---------------------------------------------------------------- validation beyond the schema

/** One entry of `details.issues` of a refused save (schema rules, provider URLs and secrets, templates). */
export interface SettingsProblem {
  path: string;
  message: string;
  /** Provider URLs and secrets: a stable code the admin center says in German or English. */
  code?: SettingsIssueCode;
  problems?: TemplateProblem[];
}

export type SettingsIssue = SettingsProblem & { code: SettingsIssueCode };
export type SettingsIssueCode = OutboundUrlProblemCode | 'PROVIDER_URL_HOST_TEMPLATED' | SecretIssue['code'];

const allowsLoopback = (env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>) => env.ALLOW_INSECURE_PROVIDER_URLS === 'true';

/** What a provider request may reach from this deployment (worker/lib/outbound-url.ts). */
export function outboundPolicy(env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>): OutboundPolicy {
  return { allowLoopback: allowsLoopback(env) };
}

/**
 * Throws VALIDATION_FAILED with every provider URL that may not be called: not https, credentials in it, a host
 * that is not public (lib/outbound-url.ts), or a gateway URL whose host its placeholders could change.
 */
export function checkProviderUrls(
  env: Pick<Env, 'ALLOW_INSECURE_PROVIDER_URLS'>,
  settings: { sms: { primary: ProviderShape; fallback: ProviderShape | null }; email: { provider: ProviderShape } },
): void {
  const policy = outboundPolicy(env);
  const issues: SettingsIssue[] = [];
  const targets: Array<[string, Channel, ProviderShape]> = [['sms.primary', 'sms', settings.sms.primary]];
  if (settings.sms.fallback) targets.push(['sms.fallback', 'sms', settings.sms.fallback]);
  targets.push(['email.provider', 'email', settings.email.provider]);
  for (const [path, channel, provider] of targets) {
    const url = providerUrlOf(channel, provider);
    if (url === null) continue;
    const field = `${path}.${descriptorFor(channel, provider).urlField}`;
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
  for (const [path, supplier] of suppliers) descriptorFor('sms', supplier).check?.(supplier, path);

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

// ---------------------------------------------------------------- views for the admin center

export type MessagingSettingsView = MessagingSettings & { warnings: string[] };

export function maskMessagingSettings(settings: MessagingSettings): MessagingSettingsView {
  const warnings: string[] = [];
  if (settings.sms.primary.type === 'outbox') warnings.push('SMS are stored in the outbox, not delivered: users do not receive them.');
  if (settings.email.provider.type === 'outbox') warnings.push('Emails are stored in the outbox, not delivered: users do not receive them.');
  return {
    sms: { primary: maskProvider('sms', settings.sms.primary), fallback: settings.sms.fallback ? maskProvider('sms', settings.sms.fallback) : null },
    email: { ...settings.email, provider: maskProvider('email', settings.email.provider) },
    templates: settings.templates,
    limits: settings.limits,
    warnings,
  };
}

function readJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('INTERNAL', 'The stored messaging settings are not valid JSON.');
  }
}
