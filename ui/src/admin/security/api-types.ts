/** What the security page exchanges with /api/admin/security and /api/admin/messaging (types only from the Worker). */
import type { LanguageTemplates, MessageCapName, MessageLimits } from '../../../../worker/messaging/schema';
import type { MessageLogItem, NotSentDetails, OutboxItem } from '../../../../worker/messaging/service';
import type { SettingsProblem } from '../../../../worker/messaging/settings';
import type { EmailProvider, EmailProviderType, SmsSupplier, SmsSupplierType } from '../../../../worker/messaging/providers/registry';
import type { Language } from '../../../../worker/contract/language';

export type { MessagingSettingsResponse, PreviewResponse, SavedSettingsResponse, TestMessageResponse } from '../../../../worker/messaging/routes';
export type { EmailProvider, EmailProviderType, LanguageTemplates, MessageCapName, MessageLimits, MessageLogItem, NotSentDetails, OutboxItem, SmsSupplier, SmsSupplierType, Language };

export type TemplateField = keyof LanguageTemplates;

/** `details.issues` of a VALIDATION_FAILED / TEMPLATE_INVALID answer to a messaging save. */
export type FieldIssue = SettingsProblem;

export type { SecuritySettingsResponse as SecuritySettings } from '../../../../worker/settings/routes';
