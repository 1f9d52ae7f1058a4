/**
 * Admin Center > Misc > User Activities: tab Detailed (each activity, newest first, paged) and tab Grouped (per
 * user, each activity with its count), both filtered by user and activity type. The 90-day window is the server's:
 * it never returns or counts older rows, so this page only says so. The CSV export asks the server for every row of
 * the filter shown (same tab and filter, all pages), streamed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { SelectField, TextField } from '../../components/form';
import { Tabs } from '../../components/layout';
import type { InferRequestType } from 'hono/client';
import { query } from '../../lib/api';
import { adminApi, answer } from '../../lib/api-client';
import { currentLanguage, formatDateTime, useTranslator } from '../../lib/i18n';
import type { UserActivityType } from '../../../../worker/db/schema';
import { useAnswer } from '../use-data';
import { Empty, PageHeader, Pager } from '../widgets';
import { ACTIVITY_LABELS, ActivityName } from './activity-labels';
import { activityStrings } from './strings';

/** The server's ACTIVITY_RETENTION_DAYS (the UI may import only types from the worker). */
const RETENTION_DAYS = 90;

/** A record, so the type checker notices when the server gains an activity type this list lacks. */
const TYPE_ORDER: Record<UserActivityType, number> = {
  UserLogin: 0,
  UserLoginAttempt: 1,
  UserLogoff: 2,
  UserPasswortChangeRequest: 3,
  UserPasswordChange: 4,
  UserEmailChangeRequest: 5,
  UserEmailChange: 6,
  PasskeyRegistered: 7,
  PasskeyRemoved: 8,
  RecoveryCodesGenerated: 9,
  RecoveryCodeUsed: 10,
  RecoveryCodesVoided: 11,
};
const ACTIVITY_TYPES = (Object.keys(TYPE_ORDER) as UserActivityType[]).sort((a, b) => TYPE_ORDER[a] - TYPE_ORDER[b]);

const PAGE_SIZES = ['25', '50', '100', '200'] as const;
type PageSize = (typeof PAGE_SIZES)[number];
type Tab = 'detailed' | 'grouped';
/** The table's filter and page as both tabs' routes take them. */
type ActivityQuery = InferRequestType<typeof adminApi.activities.$get>['query'];

const FILTER_DEBOUNCE_MS = 250;

export default function ActivitiesPage() {
  const t = useTranslator(activityStrings);
  const [tab, setTab] = useState<Tab>('detailed');
  const [userInput, setUserInput] = useState('');
  const [user, setUser] = useState('');
  const [type, setType] = useState<UserActivityType | ''>('');
  const [pageSize, setPageSize] = useState<PageSize>('25');
  const [page, setPage] = useState(1);

  // Typing in the user filter reloads once the admin pauses, not on every key.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      setUser(userInput.trim());
      setPage(1);
    }, FILTER_DEBOUNCE_MS);
    return () => clearTimeout(timer.current);
  }, [userInput]);

  // An empty filter is left out of the query, not sent empty (an empty type is no type).
  const filter = { user: user || undefined, type: type || undefined };
  const listQuery = { ...filter, page: String(page), pageSize };
  // A download link, not a call: the browser fetches and saves the streamed file itself.
  const csvHref = `${tab === 'detailed' ? '/api/admin/activities' : '/api/admin/activities/grouped'}${query({ ...filter, format: 'csv' })}`;

  function showUser(login: string) {
    setUserInput(login);
    setUser(login);
    setPage(1);
    setTab('detailed');
  }

  return (
    <>
      <PageHeader title={t('title')}>
        <a class="button secondary" href={csvHref} download={tab === 'detailed' ? 'user-activities.csv' : 'user-activities-grouped.csv'} title={t('exportHint')}>
          {t('exportCsv')}
        </a>
      </PageHeader>
      <p class="hint" data-testid="retention-note">
        {t('retention', { days: RETENTION_DAYS })}
      </p>
      <Tabs
        tabs={[
          { id: 'detailed', label: t('detailed') },
          { id: 'grouped', label: t('grouped') },
        ]}
        active={tab}
        onSelect={(next) => {
          setTab(next);
          setPage(1);
        }}
      />
      <div class="filter-grid">
        <TextField label={t('userFilter')} type="search" name="user" value={userInput} onValue={setUserInput} hint={t('userFilterHint')} />
        <SelectField<UserActivityType | ''>
          label={t('typeFilter')}
          name="type"
          value={type}
          onValue={(next) => {
            setType(next);
            setPage(1);
          }}
          options={[{ value: '', label: t('allTypes') }, ...ACTIVITY_TYPES.map((name) => ({ value: name, label: `${ACTIVITY_LABELS[currentLanguage()][name]} · ${name}` }))]}
        />
        <SelectField<PageSize>
          label={t('pageSize')}
          name="pageSize"
          value={pageSize}
          onValue={(next) => {
            setPageSize(next);
            setPage(1);
          }}
          options={PAGE_SIZES.map((size) => ({ value: size, label: size }))}
        />
      </div>
      {tab === 'detailed' ? (
        <DetailedTable query={listQuery} filtered={Boolean(user || type)} onPage={setPage} />
      ) : (
        <GroupedTable query={listQuery} filtered={Boolean(user || type)} onPage={setPage} onUser={showUser} />
      )}
    </>
  );
}

function DetailedTable({ query, filtered, onPage }: { query: ActivityQuery; filtered: boolean; onPage: (page: number) => void }) {
  const t = useTranslator(activityStrings);
  const { data, error } = useAnswer((init) => answer(adminApi.activities.$get({ query }, { init })), [JSON.stringify(query)]);
  if (error) return <p class="alert error">{error}</p>;
  if (!data) return <div class="loading" aria-busy="true" />;
  if (data.items.length === 0) return <Empty>{filtered ? t('noMatches') : t('none', { days: RETENTION_DAYS })}</Empty>;
  return (
    <>
      <div style="overflow-x:auto">
        <table class="data" data-testid="activities-detailed">
          <thead>
            <tr>
              <th>{t('user')}</th>
              <th>{t('activity')}</th>
              <th>{t('timestamp')}</th>
              <th>{t('channel')}</th>
              <th>{t('ip')}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((activity) => (
              <tr key={activity.id} data-activity={activity.type}>
                <td class="long">{activity.login ?? <span class="muted">{t('unknownUser')}</span>}</td>
                <td>
                  <ActivityName type={activity.type} />
                  {/* A refused SAML sign-in shows the user only this reference; here it meets its reason. */}
                  {typeof activity.detail.reference === 'string' ? (
                    <small class="muted" data-testid="activity-reference">
                      {' '}
                      {String(activity.detail.reason)} · {activity.detail.reference}
                    </small>
                  ) : null}
                </td>
                <td>
                  <time dateTime={new Date(activity.at).toISOString()}>{formatDateTime(activity.at)}</time>
                </td>
                <td>{channelLabel(t, activity.channel)}</td>
                <td class="mono long">{activity.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={onPage} />
    </>
  );
}

function GroupedTable(props: { query: ActivityQuery; filtered: boolean; onPage: (page: number) => void; onUser: (login: string) => void }) {
  const t = useTranslator(activityStrings);
  const { data, error } = useAnswer((init) => answer(adminApi.activities.grouped.$get({ query: props.query }, { init })), [JSON.stringify(props.query)]);
  if (error) return <p class="alert error">{error}</p>;
  if (!data) return <div class="loading" aria-busy="true" />;
  if (data.items.length === 0) return <Empty>{props.filtered ? t('noMatches') : t('none', { days: RETENTION_DAYS })}</Empty>;
  return (
    <>
      <div style="overflow-x:auto">
        <table class="data" data-testid="activities-grouped">
          <thead>
            <tr>
              <th>{t('user')}</th>
              <th>{t('activities')}</th>
              <th>{t('total')}</th>
              <th>{t('lastActivity')}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((group) => (
              <tr key={group.userId ?? `login:${group.login}`}>
                <td class="long">
                  {group.login ? (
                    <button type="button" class="button link" title={t('showDetails', { user: group.login })} onClick={() => props.onUser(group.login!)}>
                      {group.login}
                    </button>
                  ) : (
                    <span class="muted">{t('unknownUser')}</span>
                  )}
                </td>
                <td>
                  <ul class="sortable-list" aria-label={t('activities')}>
                    {ACTIVITY_TYPES.filter((name) => group.counts[name]).map((name) => (
                      <li key={name} data-activity={name}>
                        <span>
                          <ActivityName type={name} />
                        </span>
                        <span class="spacer" />
                        <span class="pill">{group.counts[name]}</span>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{group.total}</td>
                <td>{formatDateTime(group.lastAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={props.onPage} />
    </>
  );
}

function channelLabel(t: (key: string) => string, channel: string): string {
  const key = `channel_${channel}`;
  const label = t(key);
  return label === key ? channel : label;
}
