/**
 * Admin Center > Misc > Security. Lists the login methods (Email and SAML) with their state; one tab per method
 * plus the outbox and the message log. The path names the open tab (/admin/security/email, /saml, /outbox,
 * /message-log) so each can be linked to and survives a reload. The SAML section is its own chunk, loaded only
 * when its tab is opened.
 */
import { lazyPage } from '../../components/lazy';
import { Tabs } from '../../components/layout';
import { adminApi, answer, authApi } from '../../lib/api-client';
import { useTranslator } from '../../lib/i18n';
import { navigate, onLinkClick, useLocation } from '../../lib/router';
import { useAnswer } from '../use-data';
import { PageHeader } from '../widgets';
import { MessagingForm, TwoFactorPanel, Warnings, deliveryWarnings } from './email-method';
import { AuditRetentionPanel } from './audit-retention-panel';
import { LimitsPanel } from './limits-panel';
import { MessageLogSection, OutboxSection } from './message-lists';
import { supplierLabel } from './supplier-form';
import { securityStrings } from './strings';
import type { SamlSectionProps } from './saml/saml-section';

const SamlSection = lazyPage<SamlSectionProps>(() => import('./saml/saml-section'));

const SECTIONS = ['email', 'saml', 'outbox', 'message-log'] as const;
type Section = (typeof SECTIONS)[number];

function sectionOf(path: string): Section {
  const segment = path.split('/').filter(Boolean)[2];
  return (SECTIONS as readonly string[]).includes(segment ?? '') ? (segment as Section) : 'email';
}

export default function SecurityPage() {
  const t = useTranslator(securityStrings);
  const { path } = useLocation();
  const section = sectionOf(path);
  const security = useAnswer((init) => answer(adminApi.security.$get({}, { init })), []);
  const messaging = useAnswer((init) => answer(adminApi.messaging.settings.$get({}, { init })), []);
  const saml = useAnswer((init) => answer(authApi['saml-status'].$get({}, { init })), []);

  return (
    <>
      <PageHeader title={t('security')} />
      <section class="panel" aria-labelledby="methods-heading">
        <h2 id="methods-heading" style="margin-top:0">
          {t('loginMethods')}
        </h2>
        <div style="overflow-x:auto">
          <table class="data">
            <thead>
              <tr>
                <th>{t('method')}</th>
                <th>{t('state')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>
                  <strong>{t('methodEmail')}</strong>
                  <div class="hint">{t('methodEmailHint')}</div>
                </td>
                <td style="white-space:nowrap">
                  <span class="pill ok">{t('active')}</span>{' '}
                  {security.data ? (
                    <span class={`pill ${security.data.twoFactorEnabled ? 'ok' : 'off'}`}>{security.data.twoFactorEnabled ? t('twoFactorPillOn') : t('twoFactorPillOff')}</span>
                  ) : null}{' '}
                  {messaging.data ? <span class="pill">{t('smsVia', { provider: supplierLabel(t, messaging.data.sms.primary.type) })}</span> : null}
                </td>
                <td class="actions">
                  <a href="/admin/security/email" onClick={onLinkClick}>
                    {t('configure')}
                  </a>
                </td>
              </tr>
              <tr>
                <td>
                  <strong>{t('methodSaml')}</strong>
                  <div class="hint">{t('methodSamlHint')}</div>
                </td>
                <td style="white-space:nowrap">{saml.data ? <span class={`pill ${saml.data.available ? 'ok' : 'off'}`}>{saml.data.available ? t('active') : t('inactive')}</span> : null}</td>
                <td class="actions">
                  <a href="/admin/security/saml" onClick={onLinkClick}>
                    {t('configure')}
                  </a>
                </td>
              </tr>
            </tbody>
          </table>
        </div>
      </section>

      <Tabs
        tabs={SECTIONS.map((id) => ({ id, label: t(`section_${id}`) }))}
        active={section}
        onSelect={(id) => navigate(`/admin/security/${id}`)}
      />

      {section === 'email' ? (
        <>
          {security.error || messaging.error ? <div class="alert error">{security.error || messaging.error}</div> : null}
          {messaging.data ? <Warnings warnings={deliveryWarnings(t, messaging.data, Boolean(security.data?.twoFactorEnabled))} /> : null}
          <TwoFactorPanel settings={security.data} onSettings={security.setData} />
          {messaging.data ? (
            <>
              <MessagingForm saved={messaging.data} onSaved={messaging.setData} />
              <LimitsPanel saved={messaging.data} onSaved={(limits) => messaging.setData((current) => (current ? { ...current, limits } : current))} />
            </>
          ) : messaging.error ? null : (
            <div class="loading" aria-busy="true" />
          )}
          <AuditRetentionPanel />
        </>
      ) : null}
      {section === 'saml' ? <SamlSection onApplied={saml.reload} /> : null}
      {section === 'outbox' ? <OutboxSection /> : null}
      {section === 'message-log' ? <MessageLogSection /> : null}
    </>
  );
}
