/** What a fresh installation starts with: everything to the outbox, the templates below, the limits of constants.ts. */
import { CODE_RESEND_COOLDOWN_MS, DAY_MS, EMAIL_PER_IP_PER_HOUR, EMAIL_PER_RECIPIENT_PER_HOUR, HOUR_MS, SMS_PER_IP_PER_HOUR, SMS_PER_PHONE_PER_DAY, SMS_PER_USER_PER_DAY } from '../constants';
import type { Language } from '../contract/language';
import type { LanguageTemplates, MessageLimits, MessagingSettings } from './schema';

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
