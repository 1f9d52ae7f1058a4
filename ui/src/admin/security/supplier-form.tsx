/**
 * SMS supplier and email provider settings as form drafts. Each supplier type keeps its own draft, so switching
 * Twilio -> Vonage -> Twilio does not carry one provider's base URL or sender into another; only the saved type
 * knows its secret is stored, and only while its URL is the saved one (the server keeps a stored secret only for
 * the type and URL it was entered for: after a change the field shows "not set" and must be filled).
 */
import { Button, Checkbox } from '../../components/form';
import { describeRules } from '../../lib/error-texts';
import { useLanguage, useTranslator } from '../../lib/i18n';
import type { MessagingSettings, MessagingSettingsSave } from './email-method';
import { Field, FieldError, Select, SecretField, type ErrorBag } from './fields';
import { securityStrings } from './strings';

/** A saved SMS supplier and email provider, as the settings answer them (secrets masked). */
type SmsSupplier = MessagingSettings['sms']['primary'];
type SmsSupplierType = SmsSupplier['type'];
type EmailProvider = MessagingSettings['email']['provider'];
type EmailProviderType = EmailProvider['type'];
type GenericSupplier = Extract<SmsSupplier, { type: 'generic' }>;
type GenericMethod = GenericSupplier['method'];
type GenericContentType = GenericSupplier['contentType'];
/** One supplier and the email section, as a save takes them. */
type SmsSupplierInput = NonNullable<MessagingSettingsSave['sms']>['primary'];
type EmailInput = NonNullable<MessagingSettingsSave['email']>;

export interface HeaderDraft {
  name: string;
  /** Plain headers: the value. Secret headers: a new value, or '' to keep the stored one. */
  value: string;
  secret: boolean;
  /** A secret value is stored for this header name. */
  valueSet: boolean;
}

export interface SupplierDraft {
  baseUrl: string;
  timeoutMs: string;
  accountSid: string;
  from: string;
  apiKey: string;
  originator: string;
  /** The new auth token / API secret / access key; '' keeps the stored one. */
  secret: string;
  secretSet: boolean;
  /** The URL the stored secrets were entered for (base URL, or the gateway URL). */
  savedUrl: string;
  method: GenericMethod;
  url: string;
  contentType: GenericContentType;
  bodyTemplate: string;
  successStatus: string;
  successBodyContains: string;
  headers: HeaderDraft[];
}

export interface SupplierSlot {
  type: SmsSupplierType;
  drafts: Record<SmsSupplierType, SupplierDraft>;
}

/** The server's provider registry: which types there are and the URL each calls when its field is left empty. */
export type ProviderCatalogue = Pick<MessagingSettings['meta'], 'smsSupplierTypes' | 'emailProviderTypes' | 'defaultBaseUrls'>;

function emptySupplierDraft(): SupplierDraft {
  return {
    baseUrl: '',
    timeoutMs: '',
    accountSid: '',
    from: '',
    apiKey: '',
    originator: '',
    secret: '',
    secretSet: false,
    savedUrl: '',
    method: 'POST',
    url: '',
    contentType: 'application/json',
    bodyTemplate: '',
    successStatus: '',
    successBodyContains: '',
    headers: [],
  };
}

export function supplierSlotFrom(saved: SmsSupplier | null, catalogue: ProviderCatalogue): SupplierSlot {
  const drafts = Object.fromEntries(catalogue.smsSupplierTypes.map((type) => [type, emptySupplierDraft()])) as Record<SmsSupplierType, SupplierDraft>;
  if (!saved) return { type: 'outbox', drafts };
  const draft = drafts[saved.type];
  switch (saved.type) {
    case 'twilio':
      Object.assign(draft, { accountSid: saved.accountSid, from: saved.from, baseUrl: saved.baseUrl, savedUrl: saved.baseUrl, timeoutMs: String(saved.timeoutMs), secretSet: Boolean(saved.authToken) });
      break;
    case 'vonage':
      Object.assign(draft, { apiKey: saved.apiKey, from: saved.from, baseUrl: saved.baseUrl, savedUrl: saved.baseUrl, timeoutMs: String(saved.timeoutMs), secretSet: Boolean(saved.apiSecret) });
      break;
    case 'messagebird':
      Object.assign(draft, { originator: saved.originator, baseUrl: saved.baseUrl, savedUrl: saved.baseUrl, timeoutMs: String(saved.timeoutMs), secretSet: Boolean(saved.accessKey) });
      break;
    case 'generic':
      Object.assign(draft, {
        method: saved.method,
        url: saved.url,
        savedUrl: saved.url,
        contentType: saved.contentType,
        bodyTemplate: saved.bodyTemplate,
        successStatus: saved.successStatus.join(', '),
        successBodyContains: saved.successBodyContains ?? '',
        timeoutMs: String(saved.timeoutMs),
        // Secret header values arrive masked: never put them into an input.
        headers: saved.headers.map((h) => ({ name: h.name, value: h.secret ? '' : h.value, secret: h.secret, valueSet: h.secret && Boolean(h.value) })),
      });
      break;
  }
  return { type: saved.type, drafts };
}

const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
/** '' keeps the server's default; anything else goes as a number (a non-number becomes null and the server says so). */
const optionalNumber = (value: string) => (value.trim() === '' ? undefined : Number(value.trim()));

/** The PUT body for one supplier: secrets only when typed (left out = keep the stored one). */
export function supplierInput(slot: SupplierSlot): SmsSupplierInput {
  const d = slot.drafts[slot.type];
  const secret = d.secret === '' ? undefined : d.secret;
  switch (slot.type) {
    case 'outbox':
      return { type: 'outbox' };
    case 'twilio':
      return { type: 'twilio', accountSid: d.accountSid, authToken: secret, from: d.from, baseUrl: optional(d.baseUrl), timeoutMs: optionalNumber(d.timeoutMs) };
    case 'vonage':
      return { type: 'vonage', apiKey: d.apiKey, apiSecret: secret, from: d.from, baseUrl: optional(d.baseUrl), timeoutMs: optionalNumber(d.timeoutMs) };
    case 'messagebird':
      return { type: 'messagebird', accessKey: secret, originator: d.originator, baseUrl: optional(d.baseUrl), timeoutMs: optionalNumber(d.timeoutMs) };
    case 'generic':
      return {
        type: 'generic',
        method: d.method,
        url: d.url,
        headers: d.headers.map((h) => ({ name: h.name, value: h.secret && h.value === '' ? undefined : h.value, secret: h.secret })),
        bodyTemplate: d.bodyTemplate,
        contentType: d.contentType,
        successStatus: d.successStatus
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((s) => Number(s)),
        successBodyContains: optional(d.successBodyContains),
        timeoutMs: optionalNumber(d.timeoutMs),
      };
  }
}

export function supplierLabel(t: (key: string) => string, type: string): string {
  return t(`supplier_${type}`);
}

/** The fields of one SMS supplier slot (`sms.primary` or `sms.fallback`). */
export function SupplierEditor(props: { prefix: string; slot: SupplierSlot; onSlot: (slot: SupplierSlot) => void; errors: ErrorBag; label: string; catalogue: ProviderCatalogue }) {
  const t = useTranslator(securityStrings);
  const language = useLanguage();
  const { prefix, slot, errors } = props;
  const d = slot.drafts[slot.type];
  const update = (changes: Partial<SupplierDraft>, path?: string) => {
    if (path) errors.clear(`${prefix}.${path}`);
    props.onSlot({ ...slot, drafts: { ...slot.drafts, [slot.type]: { ...d, ...changes } } });
  };
  const err = (path: string) => errors.get(`${prefix}.${path}`);
  const field = (key: keyof SupplierDraft & string, label: string, extra: { hint?: string; placeholder?: string; inputMode?: string; monospace?: boolean } = {}) => (
    <Field label={label} name={`${prefix}.${key}`} value={String(d[key])} onValue={(value) => update({ [key]: value } as Partial<SupplierDraft>, key)} error={err(key)} {...extra} />
  );
  const defaultBaseUrl = props.catalogue.defaultBaseUrls[slot.type];
  const baseUrl = () => field('baseUrl', t('baseUrl'), { placeholder: defaultBaseUrl, hint: t('baseUrlHint') });
  const timeout = () => field('timeoutMs', t('timeoutMs'), { placeholder: '10000', inputMode: 'numeric', hint: t('timeoutHint') });
  const urlKept = (slot.type === 'generic' ? d.url.trim() : (optional(d.baseUrl) ?? defaultBaseUrl)) === d.savedUrl;
  const secret = (key: 'authToken' | 'apiSecret' | 'accessKey', label: string) => (
    <SecretField label={label} name={`${prefix}.${key}`} value={d.secret} isSet={d.secretSet && urlKept} onValue={(value) => update({ secret: value }, key)} error={err(key)} />
  );

  return (
    <div class="stack">
      <Select
        label={props.label}
        name={`${prefix}.type`}
        value={slot.type}
        onValue={(type) => {
          errors.clear(prefix);
          props.onSlot({ ...slot, type });
        }}
        options={props.catalogue.smsSupplierTypes.map((type) => ({ value: type, label: supplierLabel(t, type) }))}
        error={errors.get(`${prefix}.type`)}
      />
      {slot.type === 'outbox' ? <p class="hint">{t('outboxSupplierHint')}</p> : null}
      {slot.type === 'twilio' ? (
        <div class="grid-2">
          {field('accountSid', t('accountSid'), { placeholder: 'AC…', monospace: true, hint: describeRules({ pattern: 'twilioAccountSid' }, language) })}
          {secret('authToken', t('authToken'))}
          {field('from', t('smsSender'), { hint: t('smsSenderHint') })}
          {baseUrl()}
          {timeout()}
        </div>
      ) : null}
      {slot.type === 'vonage' ? (
        <div class="grid-2">
          {field('apiKey', t('apiKey'), { monospace: true })}
          {secret('apiSecret', t('apiSecret'))}
          {field('from', t('smsSender'), { hint: t('smsSenderHint') })}
          {baseUrl()}
          {timeout()}
        </div>
      ) : null}
      {slot.type === 'messagebird' ? (
        <div class="grid-2">
          {secret('accessKey', t('accessKey'))}
          {field('originator', t('smsSender'), { hint: t('smsSenderHint') })}
          {baseUrl()}
          {timeout()}
        </div>
      ) : null}
      {slot.type === 'generic' ? <GenericGatewayFields prefix={prefix} draft={d} update={update} errors={errors} urlKept={urlKept} /> : null}
    </div>
  );
}

function GenericGatewayFields(props: { prefix: string; draft: SupplierDraft; update: (changes: Partial<SupplierDraft>, path?: string) => void; errors: ErrorBag; urlKept: boolean }) {
  const t = useTranslator(securityStrings);
  const { prefix, draft: d, update, errors } = props;
  const err = (path: string) => errors.get(`${prefix}.${path}`);
  const setHeader = (index: number, changes: Partial<HeaderDraft>) => {
    errors.clear(`${prefix}.headers.${index}`);
    update({ headers: d.headers.map((h, i) => (i === index ? { ...h, ...changes } : h)) });
  };
  return (
    <div class="stack">
      <div class="grid-2">
        <Select
          label={t('httpMethod')}
          name={`${prefix}.method`}
          value={d.method}
          onValue={(method) => update({ method }, 'method')}
          options={(['POST', 'PUT', 'GET'] as const).map((m) => ({ value: m, label: m }))}
          error={err('method')}
        />
        <Select
          label={t('contentType')}
          name={`${prefix}.contentType`}
          value={d.contentType}
          onValue={(contentType) => update({ contentType }, 'contentType')}
          options={(['application/json', 'application/x-www-form-urlencoded', 'text/plain'] as const).map((c) => ({ value: c, label: c }))}
          error={err('contentType')}
        />
      </div>
      <Field label={t('gatewayUrl')} name={`${prefix}.url`} value={d.url} onValue={(url) => update({ url }, 'url')} error={err('url')} placeholder="https://sms.example.com/send?to={{phone}}" hint={t('gatewayPlaceholdersHint')} monospace />
      <div class="stack">
        <strong>{t('headers')}</strong>
        {d.headers.length === 0 ? <p class="hint">{t('noHeaders')}</p> : null}
        {d.headers.map((header, index) => (
          <div class="row" key={index} style="align-items:flex-start">
            <Field label={t('headerName')} name={`${prefix}.headers.${index}.name`} value={header.name} onValue={(name) => setHeader(index, { name })} error={err(`headers.${index}.name`)} monospace />
            {header.secret ? (
              <SecretField label={t('headerValue')} name={`${prefix}.headers.${index}.value`} value={header.value} isSet={header.valueSet && props.urlKept} onValue={(value) => setHeader(index, { value })} error={err(`headers.${index}.value`)} />
            ) : (
              <Field label={t('headerValue')} name={`${prefix}.headers.${index}.value`} value={header.value} onValue={(value) => setHeader(index, { value })} error={err(`headers.${index}.value`)} monospace />
            )}
            <div class="stack" style="padding-top:1.6rem">
              <Checkbox label={t('headerSecret')} checked={header.secret} onChecked={(secret) => setHeader(index, { secret, value: '', valueSet: false })} />
              <Button variant="link" onClick={() => update({ headers: d.headers.filter((_, i) => i !== index) }, 'headers')}>
                {t('removeHeader')}
              </Button>
            </div>
          </div>
        ))}
        <Button variant="secondary" onClick={() => update({ headers: [...d.headers, { name: '', value: '', secret: false, valueSet: false }] })} class="small-link">
          {t('addHeader')}
        </Button>
        <FieldError error={err('headers')} />
      </div>
      <Field
        label={t('bodyTemplate')}
        name={`${prefix}.bodyTemplate`}
        value={d.bodyTemplate}
        onValue={(bodyTemplate) => update({ bodyTemplate }, 'bodyTemplate')}
        error={err('bodyTemplate')}
        multiline
        rows={4}
        monospace
        placeholder={'{"to": "{{phone}}", "message": "{{text}}"}'}
        hint={t('bodyTemplateHint')}
      />
      <div class="grid-2">
        <Field label={t('successStatus')} name={`${prefix}.successStatus`} value={d.successStatus} onValue={(successStatus) => update({ successStatus }, 'successStatus')} error={err('successStatus')} placeholder="200, 201" hint={t('successStatusHint')} />
        <Field label={t('successBodyContains')} name={`${prefix}.successBodyContains`} value={d.successBodyContains} onValue={(successBodyContains) => update({ successBodyContains }, 'successBodyContains')} error={err('successBodyContains')} hint={t('successBodyContainsHint')} />
        <Field label={t('timeoutMs')} name={`${prefix}.timeoutMs`} value={d.timeoutMs} onValue={(timeoutMs) => update({ timeoutMs }, 'timeoutMs')} error={err('timeoutMs')} placeholder="10000" inputMode="numeric" hint={t('timeoutHint')} />
      </div>
    </div>
  );
}

// ---------------------------------------------------------------- email provider

export interface EmailDraft {
  type: EmailProviderType;
  serverToken: string;
  serverTokenSet: boolean;
  /** The URL the stored server token was entered for. */
  savedBaseUrl: string;
  baseUrl: string;
  messageStream: string;
  timeoutMs: string;
  fromAddress: string;
  fromName: string;
}

export function emailDraftFrom(saved: { provider: EmailProvider; fromAddress: string; fromName: string }): EmailDraft {
  const p = saved.provider;
  return {
    type: p.type,
    serverToken: '',
    serverTokenSet: p.type === 'postmark' && Boolean(p.serverToken),
    savedBaseUrl: p.type === 'postmark' ? p.baseUrl : '',
    baseUrl: p.type === 'postmark' ? p.baseUrl : '',
    messageStream: p.type === 'postmark' ? p.messageStream : '',
    timeoutMs: p.type === 'postmark' ? String(p.timeoutMs) : '',
    fromAddress: saved.fromAddress,
    fromName: saved.fromName,
  };
}

export function emailInput(d: EmailDraft): EmailInput {
  const provider: EmailInput['provider'] =
    d.type === 'postmark'
      ? {
          type: 'postmark',
          serverToken: d.serverToken === '' ? undefined : d.serverToken,
          baseUrl: optional(d.baseUrl),
          messageStream: optional(d.messageStream),
          timeoutMs: optionalNumber(d.timeoutMs),
        }
      : { type: d.type };
  return { provider, fromAddress: d.fromAddress, fromName: d.fromName };
}

export function EmailProviderEditor(props: { draft: EmailDraft; onDraft: (draft: EmailDraft) => void; errors: ErrorBag; bindingPresent: boolean; catalogue: ProviderCatalogue }) {
  const defaultBaseUrl = props.catalogue.defaultBaseUrls[props.draft.type];
  const t = useTranslator(securityStrings);
  const { draft: d, errors } = props;
  const update = (changes: Partial<EmailDraft>, path: string) => {
    errors.clear(path);
    props.onDraft({ ...d, ...changes });
  };
  return (
    <div class="stack">
      <Select
        label={t('emailProvider')}
        name="email.provider.type"
        value={d.type}
        onValue={(type) => update({ type }, 'email.provider')}
        options={props.catalogue.emailProviderTypes.map((type) => ({ value: type, label: t(`email_${type}`) }))}
        error={errors.get('email.provider.type')}
      />
      {d.type === 'outbox' ? <p class="hint">{t('outboxEmailHint')}</p> : null}
      {d.type === 'cloudflare' ? (
        props.bindingPresent ? (
          <p class="hint">{t('cloudflareBindingPresent')}</p>
        ) : (
          <div class="alert warning">{t('cloudflareBindingMissing')}</div>
        )
      ) : null}
      {d.type === 'postmark' ? (
        <div class="grid-2">
          <SecretField label={t('serverToken')} name="email.provider.serverToken" value={d.serverToken} isSet={d.serverTokenSet && (optional(d.baseUrl) ?? defaultBaseUrl) === d.savedBaseUrl} onValue={(serverToken) => update({ serverToken }, 'email.provider.serverToken')} error={errors.get('email.provider.serverToken')} />
          <Field label={t('messageStream')} name="email.provider.messageStream" value={d.messageStream} placeholder="outbound" onValue={(messageStream) => update({ messageStream }, 'email.provider.messageStream')} error={errors.get('email.provider.messageStream')} />
          <Field label={t('baseUrl')} name="email.provider.baseUrl" value={d.baseUrl} placeholder={defaultBaseUrl} hint={t('baseUrlHint')} onValue={(baseUrl) => update({ baseUrl }, 'email.provider.baseUrl')} error={errors.get('email.provider.baseUrl')} />
          <Field label={t('timeoutMs')} name="email.provider.timeoutMs" value={d.timeoutMs} placeholder="10000" inputMode="numeric" hint={t('timeoutHint')} onValue={(timeoutMs) => update({ timeoutMs }, 'email.provider.timeoutMs')} error={errors.get('email.provider.timeoutMs')} />
        </div>
      ) : null}
      <div class="grid-2">
        <Field label={t('fromAddress')} name="email.fromAddress" type="email" value={d.fromAddress} onValue={(fromAddress) => update({ fromAddress }, 'email.fromAddress')} error={errors.get('email.fromAddress')} />
        <Field label={t('fromName')} name="email.fromName" value={d.fromName} onValue={(fromName) => update({ fromName }, 'email.fromName')} error={errors.get('email.fromName')} />
      </div>
    </div>
  );
}

