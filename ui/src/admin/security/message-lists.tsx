/**
 * The development outbox (messages stored in D1 instead of delivered, newest first) and the message log (every
 * provider attempt with its outcome). The log never holds message texts, so no code can show up there.
 */
import { EmailAddress } from '../../components/email-address';
import { useState } from 'preact/hooks';
import { Button } from '../../components/form';
import { adminApi, answer } from '../../lib/api-client';
import { formatDateTime, LANGUAGE_NAMES, useLanguage, useTranslator, type Language } from '../../lib/i18n';
import { onLinkClick } from '../../lib/router';
import { useAction, useAnswer } from '../use-data';
import { Empty, Pager, confirmAction } from '../widgets';
import { Select } from './fields';
import { ProviderFailure } from './provider-failure';
import { supplierLabel } from './supplier-form';
import { securityStrings } from './strings';

const PAGE_SIZE = 25;
type ChannelFilter = '' | 'sms' | 'email';

function useChannelOptions() {
  const t = useTranslator(securityStrings);
  return [
    { value: '' as ChannelFilter, label: t('allChannels') },
    { value: 'sms' as ChannelFilter, label: t('channel_sms') },
    { value: 'email' as ChannelFilter, label: t('channel_email') },
  ];
}

export function OutboxSection() {
  const t = useTranslator(securityStrings);
  const [channel, setChannel] = useState<ChannelFilter>('');
  const [page, setPage] = useState(1);
  const list = useAnswer(
    (init) => answer(adminApi.messaging.outbox.$get({ query: { channel: channel || undefined, page: String(page), pageSize: String(PAGE_SIZE) } }, { init })),
    [channel, page],
  );
  const { busy, run } = useAction();
  const channelOptions = useChannelOptions();
  return (
    <section class="panel" aria-labelledby="outbox-heading">
      <div class="row">
        <h2 id="outbox-heading" style="margin:0">
          {t('outbox')}
        </h2>
        <span class="spacer" />
        <Button
          variant="secondary"
          busy={busy}
          disabled={!list.data || list.data.total === 0}
          onClick={async () => {
            if ((await confirmAction(t('confirmClearOutbox'))) && (await run(() => adminApi.messaging.outbox.$delete(), t('outboxCleared')))) list.reload();
          }}
        >
          {t('clearOutbox')}
        </Button>
      </div>
      <p class="hint">{t('outboxIntro')}</p>
      <div class="toolbar">
        <Select
          label={t('channel')}
          value={channel}
          onValue={(value) => {
            setChannel(value);
            setPage(1);
          }}
          options={channelOptions}
        />
        <Button variant="secondary" onClick={list.reload}>
          {t('refresh')}
        </Button>
      </div>
      {list.error ? <div class="alert error">{list.error}</div> : null}
      {list.data?.items.length === 0 ? <Empty>{t('outboxEmpty')}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <>
          <div style="overflow-x:auto">
            <table class="data" data-testid="outbox">
              <thead>
                <tr>
                  <th>{t('time')}</th>
                  <th>{t('channel')}</th>
                  <th>{t('recipient')}</th>
                  <th>{t('message')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((item) => (
                  <tr key={item.id}>
                    <td>{formatDateTime(item.at)}</td>
                    <td>{t(`channel_${item.channel}`)}</td>
                    <td class="mono long"><EmailAddress value={item.recipient} /></td>
                    <td>
                      {item.subject ? <strong>{item.subject}</strong> : null}
                      {/* The message column takes the room the others leave; a link in it may break anywhere. */}
                      <div style="white-space:pre-wrap;overflow-wrap:anywhere">{item.body}</div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={PAGE_SIZE} total={list.data.total} onPage={setPage} />
        </>
      ) : null}
    </section>
  );
}

export function MessageLogSection() {
  const t = useTranslator(securityStrings);
  const language = useLanguage();
  const [channel, setChannel] = useState<ChannelFilter>('');
  const [status, setStatus] = useState<'' | 'sent' | 'failed'>('');
  const [page, setPage] = useState(1);
  const list = useAnswer(
    (init) =>
      answer(adminApi.messaging['message-log'].$get({ query: { channel: channel || undefined, status: status || undefined, page: String(page), pageSize: String(PAGE_SIZE) } }, { init })),
    [channel, status, page],
  );
  const channelOptions = useChannelOptions();
  return (
    <section class="panel" aria-labelledby="log-heading">
      <h2 id="log-heading" style="margin:0">
        {t('messageLog')}
      </h2>
      <p class="hint">{t('messageLogIntro')}</p>
      <div class="toolbar">
        <Select
          label={t('channel')}
          value={channel}
          onValue={(value) => {
            setChannel(value);
            setPage(1);
          }}
          options={channelOptions}
        />
        <Select
          label={t('status')}
          value={status}
          onValue={(value) => {
            setStatus(value);
            setPage(1);
          }}
          options={[
            { value: '', label: t('allStatuses') },
            { value: 'sent', label: t('status_sent') },
            { value: 'failed', label: t('status_failed') },
          ]}
        />
        <Button variant="secondary" onClick={list.reload}>
          {t('refresh')}
        </Button>
      </div>
      {list.error ? <div class="alert error">{list.error}</div> : null}
      {list.data?.items.length === 0 ? <Empty>{t('messageLogEmpty')}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <>
          <div style="overflow-x:auto">
            <table class="data" data-testid="message-log">
              <thead>
                <tr>
                  <th>{t('time')}</th>
                  <th>
                    {t('channel')} / {t('provider')}
                  </th>
                  <th>{t('recipient')}</th>
                  <th>{t('purpose')}</th>
                  <th>{t('status')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((item) => (
                  <tr key={item.id}>
                    <td>{formatDateTime(item.at)}</td>
                    {/* The provider under its channel: a column of its own did not fit at 1024 px. */}
                    <td>
                      {t(`channel_${item.channel}`)}
                      <div class="hint">{supplierLabel(t, item.provider)}</div>
                    </td>
                    <td class="mono long">
                      <EmailAddress value={item.recipient} />
                      {item.userId ? (
                        <div>
                          <a href={`/admin/users/${item.userId}`} onClick={onLinkClick}>
                            {t('user')}
                          </a>
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {t(`purpose_${item.purpose}`) === `purpose_${item.purpose}` ? item.purpose : t(`purpose_${item.purpose}`)} · {LANGUAGE_NAMES[language][item.language as Language] ?? item.language}
                    </td>
                    {/* long: a provider's message id (Twilio's is 34 characters) and error summary. */}
                    <td class="long">
                      <span class={`pill ${item.status === 'sent' ? 'ok' : 'bad'}`}>{t(`status_${item.status}`)}</span>
                      {item.error !== null && item.summary ? (
                        <div class="hint">
                          <ProviderFailure provider={item.provider} summary={item.summary} error={item.error} />
                        </div>
                      ) : null}
                      {item.providerMessageId ? <div class="hint mono">{item.providerMessageId}</div> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={PAGE_SIZE} total={list.data.total} onPage={setPage} />
        </>
      ) : null}
    </section>
  );
}
