/**
 * "Send test message": the saved template with a sample code, through the saved provider, to a phone number or
 * address the admin enters. The answer says plainly whether it went out, through which provider (and whether the
 * fallback had to step in), or why not: each provider's failure said for people ("Twilio refused the credentials
 * (HTTP 401)"), with what the provider answered folded away beneath it.
 */
import { useState } from 'preact/hooks';
import { Alert, Button } from '../../components/form';
import type { InferResponseType } from 'hono/client';
import { ApiError } from '../../lib/api';
import { adminApi, answer } from '../../lib/api-client';
import { currentLanguage, describeError, LANGUAGE_ENDONYMS, useTranslator, type Language } from '../../lib/i18n';
import type { NotSentDetails } from '../../../../worker/messaging/service';
import { Field, Select } from './fields';
import { ProviderFailure } from './provider-failure';
import { supplierLabel } from './supplier-form';
import { securityStrings } from './strings';

type Outcome = { kind: 'sent'; result: InferResponseType<(typeof adminApi.messaging)['test-message']['$post'], 200> } | { kind: 'failed'; to: string; failure: unknown };

/** Why the test message did not go out, in the page's language: what the admin can act on first, the provider's words as the detail. */
function NotSent(props: { to: string; failure: unknown }) {
  const t = useTranslator(securityStrings);
  const details = props.failure instanceof ApiError && props.failure.code === 'MESSAGE_NOT_SENT' ? (props.failure.details as NotSentDetails | undefined) : undefined;
  const recipientRefused = { INVALID_PHONE: 'testNotSentPhone', INVALID_EMAIL: 'testNotSentEmail', EMPTY_TEXT: 'testNotSentEmpty' } as const;
  const reason = details?.reason;
  const headline = reason && reason !== 'PROVIDER_FAILED' ? t(recipientRefused[reason], { to: props.to.slice(0, 60) }) : describeError(props.failure);
  return (
    <div class="alert error" role="alert" data-testid="test-result">
      <strong>{headline}</strong>
      {details?.attempts && details.attempts.length > 0 ? (
        <ul>
          {details.attempts.map((attempt, i) => (
            <li key={i}>
              <ProviderFailure provider={attempt.provider} summary={attempt.summary} error={attempt.error} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function TestMessagePanel(props: { unsaved: boolean }) {
  const t = useTranslator(securityStrings);
  const [channel, setChannel] = useState<'sms' | 'email'>('sms');
  const [to, setTo] = useState('');
  const [language, setLanguage] = useState<Language>(currentLanguage());
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const send = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const result = await answer(adminApi.messaging['test-message'].$post({ json: { channel, to, language } }));
      setOutcome({ kind: 'sent', result });
    } catch (failure) {
      setOutcome({ kind: 'failed', to, failure });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" onSubmit={send} aria-label={t('testMessage')}>
      <p class="hint">{t('testMessageIntro')}</p>
      {props.unsaved ? <Alert kind="warning">{t('testUsesSaved')}</Alert> : null}
      <div class="grid-2">
        <Select
          label={t('channel')}
          name="test.channel"
          value={channel}
          onValue={(value) => {
            setChannel(value);
            setOutcome(null);
          }}
          options={[
            { value: 'sms', label: t('channel_sms') },
            { value: 'email', label: t('channel_email') },
          ]}
        />
        <Field
          label={channel === 'sms' ? t('testPhone') : t('testEmail')}
          name="test.to"
          type={channel === 'sms' ? 'tel' : 'email'}
          autocomplete="off"
          value={to}
          onValue={setTo}
          placeholder={channel === 'sms' ? '+49 151 23456789' : 'name@example.com'}
          hint={channel === 'sms' ? t('testPhoneHint') : undefined}
        />
        <Select
          label={t('messageLanguage')}
          name="test.language"
          value={language}
          onValue={setLanguage}
          options={[
            { value: 'de', label: LANGUAGE_ENDONYMS.de },
            { value: 'en', label: LANGUAGE_ENDONYMS.en },
          ]}
        />
      </div>
      <div class="row">
        <Button type="submit" busy={busy} disabled={to.trim() === ''}>
          {t('sendTestMessage')}
        </Button>
      </div>
      {outcome?.kind === 'sent' ? (
        <div class="alert success" role="status" data-testid="test-result">
          <strong>{t('testSent', { provider: supplierLabel(t, outcome.result.provider), to: outcome.result.to })}</strong>
          {outcome.result.usedFallback ? <div>{t('testUsedFallback')}</div> : null}
          {outcome.result.provider === 'outbox' ? <div>{t('testInOutbox')}</div> : null}
          {outcome.result.subject ? (
            <div style="margin-top:.4rem">
              <strong>{outcome.result.subject}</strong>
            </div>
          ) : null}
          <div style="white-space:pre-wrap;margin-top:.4rem">{outcome.result.text}</div>
        </div>
      ) : null}
      {outcome?.kind === 'failed' ? <NotSent to={outcome.to} failure={outcome.failure} /> : null}
    </form>
  );
}
