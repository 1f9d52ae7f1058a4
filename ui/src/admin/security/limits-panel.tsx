/**
 * The "Limits" panel of the Email method: resend cooldown and the caps per phone number, user, email address and
 * IP, each with its unit, its allowed range and what it protects against. Saved on its own (PUT with `limits`
 * only, so unsaved edits in the message settings above are neither sent nor lost); the server checks the bounds
 * and its field errors land under the fields they concern.
 */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { Button } from '../../components/form';
import { showToast } from '../../components/toast';
import { adminApi, answer } from '../../lib/api-client';
import { describeError, useTranslator } from '../../lib/i18n';
import type { MessagingSettings, MessagingSettingsSave } from './email-method';
import { Field, SaveRefusal, issuesOf, type ErrorBag, type FieldIssue } from './fields';
import { securityStrings } from './strings';
import { useUnsavedChangesGuard } from '../unsaved-changes';

type MessageLimits = MessagingSettings['limits'];
type MessageCapName = Exclude<keyof MessageLimits, 'resendCooldownSeconds'>;

const CAPS: MessageCapName[] = ['smsPerPhone', 'smsPerUser', 'smsPerIp', 'emailPerRecipient', 'emailPerIp'];
const IP_CAPS: ReadonlySet<MessageCapName> = new Set(['smsPerIp', 'emailPerIp']);

/** The form keeps what was typed; numbers are made only when sending, so the server can say what is wrong. */
interface Draft {
  resendCooldownSeconds: string;
  caps: Record<MessageCapName, { max: string; windowMinutes: string }>;
}

function draftFrom(limits: MessageLimits): Draft {
  const caps = {} as Draft['caps'];
  for (const name of CAPS) caps[name] = { max: String(limits[name].max), windowMinutes: String(limits[name].windowMinutes) };
  return { resendCooldownSeconds: String(limits.resendCooldownSeconds), caps };
}

/**
 * "12" -> 12; "" -> null; anything else as typed (the server answers "must be a whole number"). Typed as the number
 * the route takes: what is not one is sent only for the server to refuse it at its field.
 */
function numberOrText(text: string): number {
  const trimmed = text.trim();
  const typed = trimmed === '' ? null : /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
  return typed as number;
}

function limitsInput(draft: Draft): NonNullable<MessagingSettingsSave['limits']> {
  const input: NonNullable<MessagingSettingsSave['limits']> = { resendCooldownSeconds: numberOrText(draft.resendCooldownSeconds) };
  for (const name of CAPS) input[name] = { max: numberOrText(draft.caps[name].max), windowMinutes: numberOrText(draft.caps[name].windowMinutes) };
  return input;
}

/** 1440 -> "1 day", 90 -> "90 minutes", 120 -> "2 hours". */
export function formatWindow(t: (key: string, values?: Record<string, string | number>) => string, minutes: number): string {
  if (minutes > 0 && minutes % 1440 === 0) return t(minutes === 1440 ? 'durationDay' : 'durationDays', { n: minutes / 1440 });
  if (minutes > 0 && minutes % 60 === 0) return t(minutes === 60 ? 'durationHour' : 'durationHours', { n: minutes / 60 });
  return t(minutes === 1 ? 'durationMinute' : 'durationMinutes', { n: minutes });
}

export function LimitsPanel(props: { saved: MessagingSettings; onSaved: (limits: MessageLimits) => void }) {
  const t = useTranslator(securityStrings);
  const bounds = props.saved.meta.limitBounds;
  const [draft, setDraft] = useState<Draft>(() => draftFrom(props.saved.limits));
  const [baseline, setBaseline] = useState(() => JSON.stringify(draftFrom(props.saved.limits)));
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [saveError, setSaveError] = useState('');
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(draft) !== baseline;
  useUnsavedChangesGuard(dirty);

  const clear = useCallback((path: string) => setIssues((current) => current.filter((issue) => issue.path !== path)), []);
  const errors: ErrorBag = useMemo(() => {
    const byPath = new Map<string, string>();
    for (const issue of issues) byPath.set(issue.path, byPath.has(issue.path) ? `${byPath.get(issue.path)}; ${issue.message}` : issue.message);
    return { get: (path) => byPath.get(path), clear };
  }, [issues, clear]);

  const setCap = (name: MessageCapName, field: 'max' | 'windowMinutes', value: string) => {
    clear(`limits.${name}.${field}`);
    setDraft((d) => ({ ...d, caps: { ...d.caps, [name]: { ...d.caps[name], [field]: value } } }));
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setSaveError('');
    setIssues([]);
    try {
      const view = await answer(adminApi.messaging.settings.$put({ json: { limits: limitsInput(draft) } }));
      setDraft(draftFrom(view.limits));
      setBaseline(JSON.stringify(draftFrom(view.limits)));
      props.onSaved(view.limits);
      showToast(t('limitsSaved'));
    } catch (failure) {
      // Issues outside `limits` cannot come from this form; the summary still shows them.
      setIssues(issuesOf(failure));
      setSaveError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const savedLimits = props.saved.limits;
  return (
    <form class="panel stack" onSubmit={save} noValidate aria-labelledby="limits-heading">
      <h2 id="limits-heading" style="margin:0">
        {t('limits')}
      </h2>
      <p class="hint" style="margin:0">
        {t('limitsIntro')}
      </p>

      <Field
        label={t('resendCooldown')}
        name="limits.resendCooldownSeconds"
        inputMode="numeric"
        value={draft.resendCooldownSeconds}
        onValue={(value) => {
          clear('limits.resendCooldownSeconds');
          setDraft((d) => ({ ...d, resendCooldownSeconds: value }));
        }}
        error={errors.get('limits.resendCooldownSeconds')}
        hint={
          <>
            {t('resendCooldownHint')} {t('rangeSeconds', bounds.resendCooldownSeconds)}
          </>
        }
      />

      {/* min(…, 100%): on a phone the columns shrink to the panel instead of overflowing it. */}
      <div class="grid-2" style="grid-template-columns:repeat(auto-fit,minmax(min(16rem,100%),1fr))">
        {CAPS.map((name) => {
          const ceiling = IP_CAPS.has(name) ? bounds.ipCap : bounds.recipientCap;
          return (
            <fieldset key={name} class="plain stack" data-limit={name}>
              <legend>{t(`limit_${name}`)}</legend>
              <small class="hint">{t(`limitHint_${name}`)}</small>
              <div class="row" style="align-items:flex-start">
                <div style="flex:1 1 7rem">
                  <Field
                    label={t('limitMax')}
                    name={`limits.${name}.max`}
                    inputMode="numeric"
                    value={draft.caps[name].max}
                    onValue={(value) => setCap(name, 'max', value)}
                    error={errors.get(`limits.${name}.max`)}
                    hint={t('rangeCount', ceiling)}
                  />
                </div>
                <div style="flex:1 1 7rem">
                  <Field
                    label={t('limitWindow')}
                    name={`limits.${name}.windowMinutes`}
                    inputMode="numeric"
                    value={draft.caps[name].windowMinutes}
                    onValue={(value) => setCap(name, 'windowMinutes', value)}
                    error={errors.get(`limits.${name}.windowMinutes`)}
                    hint={t('rangeMinutes', bounds.windowMinutes)}
                  />
                </div>
              </div>
              <small class="hint" data-testid={`limit-summary-${name}`}>
                {t('limitInForce', { max: savedLimits[name].max, window: formatWindow(t, savedLimits[name].windowMinutes) })}
              </small>
            </fieldset>
          );
        })}
      </div>

      <SaveRefusal error={saveError} issues={issues} testId="limits-save-error" />
      <div class="row">
        <Button type="submit" busy={busy}>
          {t('saveLimits')}
        </Button>
        {dirty ? <span class="hint">{t('unsavedChanges')}</span> : null}
        <span class="spacer" />
        <Button
          variant="secondary"
          disabled={busy}
          onClick={() => {
            setDraft(draftFrom(props.saved.meta.defaultLimits));
            setIssues([]);
            setSaveError('');
          }}
        >
          {t('limitsDefaults')}
        </Button>
      </div>
    </form>
  );
}
