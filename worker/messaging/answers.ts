/**
 * What /api/admin/messaging answers, field by field (see lib/answers.ts). The providers' settings are the same
 * descriptors' schemas a save is checked by (providers/registry.ts): one declaration per provider.
 */
import { z } from 'zod';
import { LANGUAGES } from '../contract/language';
import { answerFits, answerOf, epochMs, pageOf } from '../lib/answers';
import type { MessagingSettingsResponse, PreviewResponse, SavedSettingsResponse, TestMessageResponse } from './routes';
import { EMAIL_PROVIDERS, SMS_SUPPLIERS, typesOf, type EmailProviderType, type SmsSupplierType } from './providers/registry';
import { emailProviderInputSchema, messageLimitsSchema, smsSupplierInputSchema } from './schema';
import type { listMessageLog, listOutbox } from './service';
import { GATEWAY_PLACEHOLDERS, MESSAGE_PLACEHOLDERS } from './templates';

const secretsMasked = 'Secrets are answered masked (whether one is set), never in clear';
const languageTemplates = z.object({ sms: z.string(), emailSubject: z.string(), emailBody: z.string() });
const templates = z.object({ de: languageTemplates, en: languageTemplates });

const savedShape = {
  sms: z.object({ primary: smsSupplierInputSchema, fallback: smsSupplierInputSchema.nullable() }).describe(secretsMasked),
  email: z.object({ provider: emailProviderInputSchema, fromAddress: z.string(), fromName: z.string() }).describe(secretsMasked),
  templates,
  limits: messageLimitsSchema,
  warnings: z.array(z.string()).describe('Settings that keep messages from users (an outbox instead of a provider)'),
};

export const savedMessagingSettingsAnswer = answerFits<SavedSettingsResponse>()(z.object(savedShape).openapi('MessagingSettings'));

const bounds = (min: z.ZodType<number>) => z.object({ min, max: z.number() });

export const messagingSettingsAnswer = answerFits<MessagingSettingsResponse>()(
  z.object({
    ...savedShape,
    meta: z
      .object({
        // The registries are never empty: z.enum takes them as the non-empty tuples they are, each type its own name.
        smsSupplierTypes: z.array(z.enum(typesOf(SMS_SUPPLIERS) as [SmsSupplierType, ...SmsSupplierType[]])),
        emailProviderTypes: z.array(z.enum(typesOf(EMAIL_PROVIDERS) as [EmailProviderType, ...EmailProviderType[]])),
        defaultBaseUrls: z.record(z.string(), z.string()).describe("The URL a provider calls when its URL field is left empty, by type"),
        languages: z.array(z.enum(LANGUAGES)),
        placeholders: z.array(z.enum(MESSAGE_PLACEHOLDERS)).readonly(),
        gatewayPlaceholders: z.array(z.enum(GATEWAY_PLACEHOLDERS)).readonly(),
        cloudflareEmailBinding: z.boolean().describe('Whether the Worker has the Cloudflare email binding'),
        defaultTemplates: templates,
        defaultLimits: messageLimitsSchema,
        limitBounds: z.object({
          resendCooldownSeconds: bounds(z.number()),
          recipientCap: bounds(z.number()),
          ipCap: bounds(z.number()),
          windowMinutes: bounds(z.number()),
        }),
      })
      .describe('What the editor needs'),
  }),
);

const previewField = z.object({
  template: z.string(),
  rendered: z.string().nullable().describe('null when the template has problems'),
  problems: z.array(
    z.object({
      kind: z.enum(['unknown_placeholder', 'unclosed_placeholder', 'missing_placeholder']),
      placeholder: z.string(),
      index: z.number().int().describe('0-based offset; -1 when missing'),
      line: z.number().int(),
      column: z.number().int(),
      message: z.string(),
    }),
  ),
  length: z.object({ encoding: z.enum(['GSM-7', 'UCS-2']), units: z.number().int(), segments: z.number().int() }).optional().describe('SMS: what it costs'),
});

export const templatePreviewAnswer = answerOf<PreviewResponse>()(
  z.object({
    ok: z.boolean(),
    language: z.enum(LANGUAGES),
    values: z.object({ code: z.string(), name: z.string(), link: z.string(), validity: z.string() }).describe('The sample values used'),
    sms: previewField,
    emailSubject: previewField,
    emailBody: previewField,
  }),
);

export const testMessageAnswer = answerOf<TestMessageResponse>()(
  z.object({
    provider: z.string(),
    providerMessageId: z.string().nullable(),
    logId: z.string().describe('Its row in the message log'),
    to: z.string(),
    usedFallback: z.boolean(),
    subject: z.string().nullable(),
    text: z.string().describe('The message as sent'),
  }),
);

export const outboxPageAnswer = answerOf<Awaited<ReturnType<typeof listOutbox>>>()(
  pageOf(z.object({ id: z.string(), at: epochMs(), channel: z.enum(['sms', 'email']), recipient: z.string(), subject: z.string().nullable(), body: z.string() })),
);

export const messageLogPageAnswer = answerOf<Awaited<ReturnType<typeof listMessageLog>>>()(
  pageOf(
    z.object({
      id: z.string(),
      at: epochMs(),
      channel: z.enum(['sms', 'email']),
      recipient: z.string().describe('Masked'),
      provider: z.string(),
      providerMessageId: z.string().nullable(),
      purpose: z.string(),
      language: z.string(),
      status: z.enum(['sent', 'failed']),
      userId: z.string().nullable(),
      error: z.string().nullable().describe("The provider's answer, secrets removed"),
      summary: z
        .object({
          kind: z.enum(['credentials', 'forbidden', 'not_found', 'bad_request', 'rate_limited', 'provider_down', 'http', 'rejected', 'timeout', 'network', 'config', 'internal']),
          status: z.number().int().optional().describe("The provider's HTTP status"),
        })
        .nullable()
        .describe('What went wrong, for people; null when sent'),
    }),
  ),
);
