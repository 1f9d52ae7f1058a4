/**
 * The message templates in German and English with a live preview. The preview is the server's own rendering
 * (POST /api/admin/messaging/templates/preview): same placeholder rules, same line dropping, same SMS length
 * count as a real send, so what the admin sees is what users get. Problems (unknown or unclosed placeholders, a
 * missing {{code}}) appear under the field while typing; the save refuses them too.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Tabs } from '../../components/layout';
import type { InferResponseType } from 'hono/client';
import { adminApi, answer } from '../../lib/api-client';
import { describeError, LANGUAGE_ENDONYMS, useTranslator, type Language } from '../../lib/i18n';
import type { MessagingSettings } from './email-method';
import { Field, templateProblemText, type ErrorBag } from './fields';
import { securityStrings } from './strings';

/** One language's message templates, as the settings answer them and a save takes them. */
export type LanguageTemplates = MessagingSettings['templates'][Language];
export type TemplateField = keyof LanguageTemplates;
type Preview = InferResponseType<typeof adminApi.messaging.templates.preview.$post, 200>;

const PREVIEW_DELAY_MS = 250;

export function TemplateEditor(props: {
  templates: Record<Language, LanguageTemplates>;
  onTemplate: (language: Language, field: TemplateField, value: string) => void;
  placeholders: readonly string[];
  errors: ErrorBag;
}) {
  const t = useTranslator(securityStrings);
  const [language, setLanguage] = useState<Language>('de');
  const current = props.templates[language];
  const preview = usePreview(language, current);
  const problemsOf = (field: TemplateField) => preview.data?.[field]?.problems.map((problem) => templateProblemText(problem, t)) ?? [];
  const errorOf = (field: TemplateField) => {
    const saved = props.errors.get(`templates.${language}.${field}`);
    return saved ? [saved] : problemsOf(field);
  };
  const edit = (field: TemplateField) => (value: string) => {
    props.errors.clear(`templates.${language}.${field}`);
    props.onTemplate(language, field, value);
  };
  const languageHasSaveError = (lang: Language) => (['sms', 'emailSubject', 'emailBody'] as const).some((f) => props.errors.get(`templates.${lang}.${f}`));

  return (
    <div class="stack">
      <p class="hint">
        {t('placeholdersIntro')}{' '}
        {props.placeholders.map((name, i) => (
          <span key={name}>
            {i > 0 ? ', ' : ''}
            <code>{`{{${name}}}`}</code> {t(`placeholder_${name}`)}
          </span>
        ))}
      </p>
      <Tabs
        tabs={(['de', 'en'] as const).map((lang) => ({
          id: lang,
          label: (
            <>
              {LANGUAGE_ENDONYMS[lang]}
              {languageHasSaveError(lang) ? <span class="badge" style="margin-left:.3rem">!</span> : null}
            </>
          ),
        }))}
        active={language}
        onSelect={setLanguage}
      />
      <div class="grid-2" style="align-items:start">
        <div class="stack">
          <Field label={t('smsTemplate')} name={`templates.${language}.sms`} value={current.sms} onValue={edit('sms')} error={errorOf('sms')} multiline rows={3} />
          <Field label={t('emailSubjectTemplate')} name={`templates.${language}.emailSubject`} value={current.emailSubject} onValue={edit('emailSubject')} error={errorOf('emailSubject')} />
          <Field label={t('emailBodyTemplate')} name={`templates.${language}.emailBody`} value={current.emailBody} onValue={edit('emailBody')} error={errorOf('emailBody')} multiline rows={9} />
        </div>
        <section class="stack" aria-label={t('preview')} data-testid="template-preview">
          <h3 style="margin:0">
            {t('preview')} ({LANGUAGE_ENDONYMS[language]})
          </h3>
          {preview.error ? <div class="alert error">{preview.error}</div> : null}
          {preview.data ? (
            <>
              <div class="panel" style="margin:0">
                <div class="hint">{t('smsPreview')}</div>
                <div data-testid="sms-preview" style="white-space:pre-wrap">
                  {preview.data.sms.rendered ?? <span class="muted">{t('previewUnavailable')}</span>}
                </div>
                {preview.data.sms.length ? (
                  <div class="hint">
                    {t('smsLength', { encoding: preview.data.sms.length.encoding, units: preview.data.sms.length.units, segments: preview.data.sms.length.segments })}
                  </div>
                ) : null}
              </div>
              <div class="panel" style="margin:0">
                <div class="hint">{t('emailPreview')}</div>
                <strong data-testid="email-subject-preview">{preview.data.emailSubject.rendered ?? <span class="muted">{t('previewUnavailable')}</span>}</strong>
                <div data-testid="email-body-preview" style="white-space:pre-wrap;margin-top:.5rem">
                  {preview.data.emailBody.rendered ?? <span class="muted">{t('previewUnavailable')}</span>}
                </div>
              </div>
              <p class="hint">{t('previewSampleValues', { name: preview.data.values.name ?? '', code: preview.data.values.code ?? '' })}</p>
            </>
          ) : preview.error ? null : (
            <div class="loading" aria-busy="true" style="min-height:4rem" />
          )}
        </section>
      </div>
    </div>
  );
}

/** Asks the server to render the templates being edited, a moment after the last keystroke; stale answers are dropped. */
function usePreview(language: Language, templates: LanguageTemplates) {
  const [data, setData] = useState<Preview | null>(null);
  const [error, setError] = useState('');
  const sequence = useRef(0);
  useEffect(() => {
    const mine = ++sequence.current;
    const timer = setTimeout(() => {
      answer(adminApi.messaging.templates.preview.$post({ json: { language, templates } }))
        .then((preview) => {
          if (mine !== sequence.current) return;
          setData(preview);
          setError('');
        })
        .catch((failure) => {
          if (mine === sequence.current) setError(describeError(failure));
        });
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [language, templates.sms, templates.emailSubject, templates.emailBody]);
  return { data, error };
}
