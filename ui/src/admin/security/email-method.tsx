/**
 * The "Email" login method: the platform-wide two-factor switch (saved at once), then one form for everything
 * messages need (SMS supplier with optional fallback, email provider, templates) saved with one PUT: the server
 * validates the whole and stores all of it or nothing, and its field errors land under the fields they concern.
 */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { Alert, Button, Checkbox } from '../../components/form';
import { showToast } from '../../components/toast';
import type { InferRequestType, InferResponseType } from 'hono/client';
import { adminApi, answer } from '../../lib/api-client';
import { describeError, useTranslator, type Language } from '../../lib/i18n';
import { SaveRefusal, issuesOf, type ErrorBag, type FieldIssue } from './fields';
import { securityStrings } from './strings';
import {
  EmailProviderEditor,
  SupplierEditor,
  emailDraftFrom,
  emailInput,
  supplierInput,
  supplierSlotFrom,
  type EmailDraft,
  type SupplierSlot,
} from './supplier-form';
import { TemplateEditor, type LanguageTemplates, type TemplateField } from './template-editor';
import { TestMessagePanel } from './test-message';
import { useUnsavedChangesGuard } from '../unsaved-changes';

/** The platform's two-factor switch, as /api/admin/security answers it. */
export type SecuritySettings = InferResponseType<typeof adminApi.security.$get, 200>;
/** The masked messaging settings with what the editor needs (`meta`), as GET /api/admin/messaging/settings answers them. */
export type MessagingSettings = InferResponseType<typeof adminApi.messaging.settings.$get, 200>;
/** A save of the messaging settings: any of its sections. */
export type MessagingSettingsSave = InferRequestType<typeof adminApi.messaging.settings.$put>['json'];

export function TwoFactorPanel(props: { settings: SecuritySettings | null; onSettings: (settings: SecuritySettings) => void }) {
  const t = useTranslator(securityStrings);
  const [busy, setBusy] = useState(false);
  // Shown at once while the switch is being saved; back to the stored value if the save fails.
  const [pending, setPending] = useState<boolean | null>(null);
  const enabled = pending ?? Boolean(props.settings?.twoFactorEnabled);
  return (
    <section class="panel stack" aria-labelledby="two-factor-heading">
      <h2 id="two-factor-heading" style="margin:0">
        {t('twoFactor')}
      </h2>
      <Checkbox
        label={t('twoFactorSwitch')}
        name="twoFactorEnabled"
        checked={enabled}
        disabled={busy || !props.settings}
        onChecked={async (checked) => {
          setBusy(true);
          setPending(checked);
          try {
            props.onSettings(await answer(adminApi.security.$put({ json: { twoFactorEnabled: checked } })));
            showToast(checked ? t('twoFactorOn') : t('twoFactorOff'));
          } catch (failure) {
            showToast(describeError(failure), 'error');
          } finally {
            setPending(null);
            setBusy(false);
          }
        }}
      />
      <small class="hint">{t('twoFactorHint')}</small>
    </section>
  );
}

interface Draft {
  primary: SupplierSlot;
  fallbackOn: boolean;
  fallback: SupplierSlot;
  email: EmailDraft;
  templates: Record<Language, LanguageTemplates>;
}

function draftFrom(saved: MessagingSettings): Draft {
  return {
    primary: supplierSlotFrom(saved.sms.primary, saved.meta),
    fallbackOn: saved.sms.fallback !== null,
    fallback: supplierSlotFrom(saved.sms.fallback, saved.meta),
    email: emailDraftFrom(saved.email),
    templates: { de: { ...saved.templates.de }, en: { ...saved.templates.en } },
  };
}

function settingsInput(draft: Draft): MessagingSettingsSave {
  return {
    sms: { primary: supplierInput(draft.primary), fallback: draft.fallbackOn ? supplierInput(draft.fallback) : null },
    email: emailInput(draft.email),
    templates: draft.templates,
  };
}

export function MessagingForm(props: { saved: MessagingSettings; onSaved: (saved: MessagingSettings) => void }) {
  const t = useTranslator(securityStrings);
  const [draft, setDraft] = useState<Draft>(() => draftFrom(props.saved));
  const [baseline, setBaseline] = useState(() => JSON.stringify(settingsInput(draftFrom(props.saved))));
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [saveError, setSaveError] = useState('');
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(settingsInput(draft)) !== baseline;
  useUnsavedChangesGuard(dirty);

  const clear = useCallback((path: string) => {
    setIssues((current) => {
      const kept = current.filter((issue) => issue.path !== path && !issue.path.startsWith(`${path}.`));
      return kept.length === current.length ? current : kept;
    });
  }, []);
  const errors: ErrorBag = useMemo(() => {
    const byPath = new Map<string, string>();
    for (const issue of issues) byPath.set(issue.path, byPath.has(issue.path) ? `${byPath.get(issue.path)}; ${issue.message}` : issue.message);
    return { get: (path) => byPath.get(path), clear };
  }, [issues, clear]);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setSaveError('');
    setIssues([]);
    try {
      const view = await answer(adminApi.messaging.settings.$put({ json: settingsInput(draft) }));
      const saved = { ...view, meta: props.saved.meta };
      // Secrets typed into the form are now stored: clear the inputs, show "set".
      setDraft(draftFrom(saved));
      setBaseline(JSON.stringify(settingsInput(draftFrom(saved))));
      props.onSaved(saved);
      showToast(t('messagingSaved'));
    } catch (failure) {
      setIssues(issuesOf(failure));
      setSaveError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const setTemplate = (language: Language, field: TemplateField, value: string) =>
    setDraft((d) => ({ ...d, templates: { ...d.templates, [language]: { ...d.templates[language], [field]: value } } }));

  return (
    <>
      <form class="stack" onSubmit={save} noValidate aria-label={t('messagingSettings')}>
        <section class="panel stack" aria-labelledby="sms-heading">
          <h2 id="sms-heading" style="margin:0">
            {t('smsSupplier')}
          </h2>
          <SupplierEditor prefix="sms.primary" label={t('primarySupplier')} slot={draft.primary} onSlot={(primary) => setDraft((d) => ({ ...d, primary }))} errors={errors} catalogue={props.saved.meta} />
          <Checkbox
            label={t('useFallback')}
            name="sms.fallbackOn"
            checked={draft.fallbackOn}
            onChecked={(fallbackOn) => {
              clear('sms.fallback');
              setDraft((d) => ({ ...d, fallbackOn }));
            }}
          />
          {draft.fallbackOn ? (
            <div class="stack" style="border-left:3px solid var(--border);padding-left:1rem">
              <SupplierEditor prefix="sms.fallback" label={t('fallbackSupplier')} slot={draft.fallback} onSlot={(fallback) => setDraft((d) => ({ ...d, fallback }))} errors={errors} catalogue={props.saved.meta} />
            </div>
          ) : null}
        </section>

        <section class="panel stack" aria-labelledby="email-heading">
          <h2 id="email-heading" style="margin:0">
            {t('emailSection')}
          </h2>
          <EmailProviderEditor draft={draft.email} onDraft={(email) => setDraft((d) => ({ ...d, email }))} errors={errors} bindingPresent={props.saved.meta.cloudflareEmailBinding} catalogue={props.saved.meta} />
        </section>

        <section class="panel stack" aria-labelledby="templates-heading">
          <h2 id="templates-heading" style="margin:0">
            {t('templates')}
          </h2>
          <TemplateEditor templates={draft.templates} onTemplate={setTemplate} placeholders={props.saved.meta.placeholders} errors={errors} />
        </section>

        {/* Stays in view only while there is something to save; otherwise it would cover the page for nothing. */}
        <div class={`panel stack save-bar${dirty ? ' pending' : ''}`} data-testid="messaging-save-bar">
          <SaveRefusal error={saveError} issues={issues} testId="save-error" />
          <div class="row">
            <Button type="submit" busy={busy}>
              {t('saveMessaging')}
            </Button>
            {dirty ? <span class="hint">{t('unsavedChanges')}</span> : null}
            <span class="spacer" />
            <Button
              variant="secondary"
              disabled={!dirty || busy}
              onClick={() => {
                setDraft(draftFrom(props.saved));
                setIssues([]);
                setSaveError('');
              }}
            >
              {t('discardChanges')}
            </Button>
          </div>
        </div>
      </form>

      <section class="panel stack" aria-labelledby="test-heading">
        <h2 id="test-heading" style="margin:0">
          {t('testMessage')}
        </h2>
        <TestMessagePanel unsaved={dirty} />
      </section>
    </>
  );
}

/** Warnings about the saved state (in the admin's language; the server sends the same facts in English). */
export function deliveryWarnings(t: (key: string) => string, saved: MessagingSettings, twoFactorEnabled: boolean): string[] {
  const warnings: string[] = [];
  if (saved.sms.primary.type === 'outbox') warnings.push(twoFactorEnabled ? t('warnSmsOutboxTwoFactor') : t('warnSmsOutbox'));
  if (saved.email.provider.type === 'outbox') warnings.push(t('warnEmailOutbox'));
  if (saved.email.provider.type === 'cloudflare' && !saved.meta.cloudflareEmailBinding) warnings.push(t('cloudflareBindingMissing'));
  return warnings;
}

export function Warnings({ warnings }: { warnings: string[] }) {
  if (warnings.length === 0) return null;
  return (
    <div style="margin-bottom:1rem">
      <Alert kind="warning">
      {warnings.length === 1 ? (
        warnings[0]
      ) : (
        <ul>
          {warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      </Alert>
    </div>
  );
}
