/** What the security page exchanges with /api/admin/security and /api/admin/messaging (types only from the Worker). */
import type { MessageLogItem, OutboxItem, SendResult } from '../../../../worker/messaging/service';
import type { EmailProvider, LanguageTemplates, MESSAGE_LIMIT_BOUNDS, MessageCapName, MessageLimits, MessagingSettingsView, SettingsIssueCode, SmsSupplier } from '../../../../worker/messaging/settings';
import type { SmsLength, TemplateProblem } from '../../../../worker/messaging/templates';

export type { EmailProvider, LanguageTemplates, MessageCapName, MessageLimits, MessageLogItem, OutboxItem, SmsSupplier, TemplateProblem };

/** meta.limitBounds: the ranges the server enforces for the send limits. */
export type MessageLimitBounds = typeof MESSAGE_LIMIT_BOUNDS;

export type TemplateLanguage = 'de' | 'en';
export type SmsSupplierType = SmsSupplier['type'];
export type EmailProviderType = EmailProvider['type'];
export type TemplateField = keyof LanguageTemplates;

export interface SecuritySettings {
  twoFactorEnabled: boolean;
}

/** GET /api/admin/messaging/settings: secrets arrive masked ("••••" + at most 4 characters), never in clear. */
export type MessagingSettingsResponse = MessagingSettingsView & {
  meta: {
    smsSupplierTypes: SmsSupplierType[];
    emailProviderTypes: EmailProviderType[];
    languages: TemplateLanguage[];
    placeholders: string[];
    gatewayPlaceholders: string[];
    cloudflareEmailBinding: boolean;
    defaultTemplates: Record<TemplateLanguage, LanguageTemplates>;
    defaultLimits: MessageLimits;
    limitBounds: MessageLimitBounds;
  };
};

export interface PreviewField {
  template: string;
  rendered: string | null;
  problems: TemplateProblem[];
  length?: SmsLength;
}

/** POST /api/admin/messaging/templates/preview */
export type PreviewResponse = { ok: boolean; language: TemplateLanguage; values: Record<string, string> } & Record<TemplateField, PreviewField>;

/** POST /api/admin/messaging/test-message */
export type TestMessageResponse = SendResult & { subject: string | null; text: string };

/** `details` of a VALIDATION_FAILED / TEMPLATE_INVALID answer. */
export interface FieldIssue {
  path: string;
  message: string;
  /** Provider settings: a stable code the page says in the admin's language (strings.ts `issue_<code>`). */
  code?: SettingsIssueCode;
}

/** `details` of MESSAGE_NOT_SENT. */
export interface NotSentDetails {
  reason?: string;
  attempts?: Array<{ provider: string; error: string }>;
}
