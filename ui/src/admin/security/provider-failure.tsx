/**
 * One provider failure said for people ("Twilio refused the credentials (HTTP 401): check the account, key or
 * token"), in the page's language, from the summary the server attaches (worker/messaging/providers/failure.ts);
 * what the provider itself answered stays folded beneath it. The test message and the message log both show it.
 */
import type { ProviderFailureSummary } from '../../../../worker/messaging/providers/failure';
import { useTranslator } from '../../lib/i18n';
import { supplierLabel } from './supplier-form';
import { securityStrings } from './strings';

export function ProviderFailure(props: { provider: string; summary: ProviderFailureSummary; error: string }) {
  const t = useTranslator(securityStrings);
  return (
    <>
      <span data-testid="provider-failure">{t(`providerFailure_${props.summary.kind}`, { provider: supplierLabel(t, props.provider), status: props.summary.status ?? '' })}</span>
      <details>
        <summary>{t('providerDetail')}</summary>
        <code class="provider-detail">{props.error}</code>
      </details>
    </>
  );
}
