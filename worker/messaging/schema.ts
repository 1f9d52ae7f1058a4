/**
 * What the messaging settings are, as the admin API takes them: the SMS supplier (and an optional fallback) and
 * the email provider, each one of the registry's descriptors (providers/registry.ts), the sender address, the
 * message templates per language, and the send limits (resend cooldown, caps per phone number, user, email
 * address and IP). A save may leave sections out (`limits` alone, say): those keep their stored value.
 */
import { z } from 'zod';
import {
  CODE_RESEND_COOLDOWN_MAX_SECONDS,
  CODE_RESEND_COOLDOWN_MIN_SECONDS,
  MESSAGE_CAP_PER_IP_CEILING,
  MESSAGE_CAP_PER_RECIPIENT_CEILING,
  MESSAGE_LIMIT_WINDOW_MAX_MINUTES,
  MESSAGE_LIMIT_WINDOW_MIN_MINUTES,
} from '../constants';
import type { Language } from '../contract/language';
import { fields } from '../lib/validate';
import { EMAIL_PROVIDERS, schemasOf, SMS_SUPPLIERS, type EmailProvider, type SmsSupplier } from './providers/registry';
import { noLineBreaks } from './providers/schema-parts';

export const smsSupplierInputSchema = z.discriminatedUnion('type', schemasOf(SMS_SUPPLIERS));
export const emailProviderInputSchema = z.discriminatedUnion('type', schemasOf(EMAIL_PROVIDERS));

const displayName = z.string().trim().max(100).refine(noLineBreaks, 'must be one line');

const languageTemplates = z.object({
  sms: z.string().min(1).max(1000),
  emailSubject: z.string().min(1).max(200).refine(noLineBreaks, 'the subject must be one line'),
  emailBody: z.string().min(1).max(10_000),
});
export type LanguageTemplates = z.infer<typeof languageTemplates>;

export const messagingSettingsInputSchema = z.object({
  sms: z.object({
    primary: smsSupplierInputSchema,
    fallback: smsSupplierInputSchema.nullable().default(null),
  }),
  email: z.object({
    provider: emailProviderInputSchema,
    fromAddress: fields.email,
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
const CAP_NAMES = ['smsPerPhone', 'smsPerUser', 'smsPerIp', 'emailPerRecipient', 'emailPerIp'] as const satisfies readonly MessageCapName[];

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

/** What the admin center shows next to the fields (the same numbers the schema enforces). */
export const MESSAGE_LIMIT_BOUNDS = {
  resendCooldownSeconds: { min: CODE_RESEND_COOLDOWN_MIN_SECONDS, max: CODE_RESEND_COOLDOWN_MAX_SECONDS },
  recipientCap: { min: 1, max: MESSAGE_CAP_PER_RECIPIENT_CEILING },
  ipCap: { min: 1, max: MESSAGE_CAP_PER_IP_CEILING },
  windowMinutes: { min: MESSAGE_LIMIT_WINDOW_MIN_MINUTES, max: MESSAGE_LIMIT_WINDOW_MAX_MINUTES },
} as const;

export function mergeMessageLimits(base: MessageLimits, change: z.infer<typeof messageLimitsInputSchema>): MessageLimits {
  const merged: MessageLimits = { ...base, resendCooldownSeconds: change.resendCooldownSeconds ?? base.resendCooldownSeconds };
  for (const name of CAP_NAMES) merged[name] = { ...base[name], ...definedOnly(change[name] ?? {}) };
  return merged;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** PUT /settings: every section optional (left out = keep the stored one), but at least one must be there. */
export const messagingSettingsSaveSchema = messagingSettingsInputSchema
  .partial()
  .extend({ limits: messageLimitsInputSchema.optional() })
  .refine((value) => Object.values(value).some((section) => section !== undefined), { error: 'nothing to save: send sms, email, templates or limits' });

// ---------------------------------------------------------------- resolved (secrets present, in clear)

export interface MessagingSettings {
  sms: { primary: SmsSupplier; fallback: SmsSupplier | null };
  email: { provider: EmailProvider; fromAddress: string; fromName: string };
  templates: Record<Language, LanguageTemplates>;
  limits: MessageLimits;
}
