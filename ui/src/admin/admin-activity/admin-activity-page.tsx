/**
 * Admin Center > Misc > Admin activity: every change an administrator or an API key made, newest first, filtered by
 * admin (or key), object type, object and time, in keyset pages. The CSV export asks the server for every entry of
 * the filter (streamed), not for the page shown.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { DateField, parseTypedDate } from '../../components/date-field';
import { SelectField, TextField } from '../../components/form';
import { ChevronLeftIcon, ChevronRightIcon } from '../../components/icons';
import type { InferResponseType } from 'hono/client';
import { query } from '../../lib/api';
import { adminApi, answer } from '../../lib/api-client';
import { formatDateTime, useLanguage, useTranslator, type Language } from '../../lib/i18n';
import { onLinkClick, useLocation } from '../../lib/router';
import type { AuditObjectType } from '../../../../worker/audit/record';
import { useAnswer } from '../use-data';
import { Empty, PageHeader } from '../widgets';
import { adminActivityStrings, AUDIT_ACTION_LABELS, AUDIT_FIELD_LABELS, AUDIT_VALUE_LABELS } from './strings';

/** A record, so the type checker notices when the server gains an object type this list lacks. */
const OBJECT_TYPE_ORDER: Record<AuditObjectType, number> = {
  user: 0,
  token: 1,
  resource: 2,
  assignment: 3,
  self_service: 4,
  office: 5,
  group: 6,
  security_settings: 7,
  messaging_settings: 8,
  saml_config: 9,
  sign_in_script: 10,
  api_key: 11,
  user_issue: 12,
};
const OBJECT_TYPES = (Object.keys(OBJECT_TYPE_ORDER) as AuditObjectType[]).sort((a, b) => OBJECT_TYPE_ORDER[a] - OBJECT_TYPE_ORDER[b]);

const PAGE_SIZES = ['25', '50', '100', '200'] as const;
type PageSize = (typeof PAGE_SIZES)[number];
const FILTER_DEBOUNCE_MS = 250;

type Translate = (key: string, values?: Record<string, string | number>) => string;

/** A label from the dictionary, or the raw name when the dictionary has none (an action added on the server). */
function labelOf(t: Translate, prefix: string, name: string): string {
  const key = `${prefix}${name}`;
  const label = t(key);
  return label === key ? name : label;
}

/** Text typed in a filter, applied once the admin pauses. */
function useDebounced(value: string): string {
  const [settled, setSettled] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setSettled(value.trim()), FILTER_DEBOUNCE_MS);
    return () => clearTimeout(timer.current);
  }, [value]);
  return settled;
}

type AuditEntry = InferResponseType<typeof adminApi.audit.$get, 200>['items'][number];

/** A typed bound as the query's epoch milliseconds: the start of From, the end of Until (the whole day, or the
 *  minute typed); nothing typed, or no date yet, is no bound. */
function boundOf(typed: string, side: 'start' | 'end'): string | undefined {
  const date = parseTypedDate(typed, true);
  return date && date !== 'invalid' ? String(date[side]) : undefined;
}

export default function AdminActivityPage() {
  const t = useTranslator(adminActivityStrings);
  const [adminInput, setAdminInput] = useState('');
  // The user page links here with ?object=<user id>.
  const { search } = useLocation();
  const [objectInput, setObjectInput] = useState(search.get('object') ?? '');
  const [objectType, setObjectType] = useState<AuditObjectType | ''>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [pageSize, setPageSize] = useState<PageSize>('25');
  const admin = useDebounced(adminInput);
  const object = useDebounced(objectInput);
  // An empty filter is left out of the query, not sent empty (an empty object type is no type).
  const filter = { admin: admin || undefined, object: object || undefined, objectType: objectType || undefined, from: boundOf(from, 'start'), to: boundOf(to, 'end') };
  // Bounds the wrong way round match nothing: said at Until, instead of an empty list that looks like no activity.
  const reversed = filter.from !== undefined && filter.to !== undefined && Number(filter.to) <= Number(filter.from);
  const filterKey = JSON.stringify({ ...filter, pageSize });
  // Keyset paging: the cursor of each page reached so far; Back is the previous cursor.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  useEffect(() => setCursors([undefined]), [filterKey]);
  const cursor = cursors[cursors.length - 1];
  const { data, error } = useAnswer((init) => answer(adminApi.audit.$get({ query: { ...filter, pageSize, cursor } }, { init })), [filterKey, cursor]);
  // Set on the Security page: the hint says what is in force.
  const retention = useAnswer((init) => answer(adminApi.security['audit-retention'].$get({}, { init })), []);
  // A download link, not a call: the browser fetches and saves the streamed file itself.
  const csvHref = `/api/admin/audit/export${query(filter)}`;
  const filtered = Boolean(admin || object || objectType || from || to);
  const firstShown = (cursors.length - 1) * Number(pageSize) + 1;

  return (
    <>
      <PageHeader title={t('title')}>
        <a class="button secondary" href={csvHref} download="admin-activity.csv" title={t('exportHint')} data-testid="admin-activity-export">
          {t('exportCsv')}
        </a>
      </PageHeader>
      {retention.data ? <p class="hint">{t('retention', { days: retention.data.days })}</p> : null}
      {/* Who and what on the first row, when and how many on the second. */}
      <div class="filter-grid">
        <TextField label={t('adminFilter')} type="search" name="admin" value={adminInput} onValue={setAdminInput} hint={t('adminFilterHint')} />
        <SelectField<AuditObjectType | ''>
          label={t('objectTypeFilter')}
          name="objectType"
          value={objectType}
          onValue={setObjectType}
          options={[{ value: '', label: t('allObjectTypes') }, ...OBJECT_TYPES.map((type) => ({ value: type, label: labelOf(t, 'type_', type) }))]}
        />
        <TextField label={t('objectFilter')} type="search" name="object" value={objectInput} onValue={setObjectInput} hint={t('objectFilterHint')} />
        <DateField label={t('fromFilter')} name="from" value={from} onValue={setFrom} withTime />
        <DateField label={t('toFilter')} name="to" value={to} onValue={setTo} withTime error={reversed ? t('untilBeforeFrom') : undefined} />
        <SelectField<PageSize> label={t('pageSize')} name="pageSize" value={pageSize} onValue={setPageSize} options={PAGE_SIZES.map((size) => ({ value: size, label: size }))} />
      </div>
      {error ? <p class="alert error">{error}</p> : null}
      {!data && !error ? <div class="loading" aria-busy="true" /> : null}
      {data && data.items.length === 0 ? <Empty>{filtered ? t('noMatches') : t('none')}</Empty> : null}
      {data && data.items.length > 0 ? (
        <>
          <div style="overflow-x:auto">
            <table class="data" data-testid="admin-activity">
              <thead>
                <tr>
                  <th>{t('when')}</th>
                  <th>{t('admin')}</th>
                  <th>{t('action')}</th>
                  <th>{t('object')}</th>
                  <th>{t('change')}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((entry) => (
                  <AuditRow key={entry.id} entry={entry} t={t} />
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <span>{t('shown', { from: firstShown, to: firstShown + data.items.length - 1, total: data.total })}</span>
            <button type="button" class="icon-button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))} aria-label={t('newer')}>
              <ChevronLeftIcon />
            </button>
            <button type="button" class="icon-button" disabled={!data.nextCursor} onClick={() => setCursors([...cursors, data.nextCursor!])} aria-label={t('older')}>
              <ChevronRightIcon />
            </button>
          </div>
        </>
      ) : null}
    </>
  );
}

const ONE_OF_A_KIND = new Set<AuditObjectType>(['saml_config', 'sign_in_script']);

/** Where an audited object is shown in the admin center, when it has a page of its own. */
function objectHref(entry: AuditEntry): string | null {
  if (!entry.objectId || entry.action === 'delete') return null;
  if (entry.objectType === 'user') return `/admin/users/${entry.objectId}`;
  if (entry.objectType === 'token') return `/admin/tokens/${entry.objectId}`;
  if (entry.objectType === 'resource' || entry.objectType === 'self_service' || entry.objectType === 'assignment') return `/admin/resources/${entry.objectId}`;
  if (entry.objectType === 'office') return `/admin/offices/${entry.objectId}`;
  if (entry.objectType === 'group') return `/admin/groups/${entry.objectId}`;
  return null;
}

function AuditRow({ entry, t }: { entry: AuditEntry; t: Translate }) {
  const language = useLanguage();
  const href = objectHref(entry);
  // The SAML configuration and the sign-in script are one of a kind: their type label names them in the page's
  // language, and the server's English name is left out.
  const name = ONE_OF_A_KIND.has(entry.objectType) ? '' : (entry.objectName ?? entry.objectId ?? '');
  return (
    <tr data-audit-id={entry.id}>
      <td>
        <time dateTime={new Date(entry.at).toISOString()}>{formatDateTime(entry.at)}</time>
      </td>
      {/* Who, through which key, and from where (the client on hover): a column of its own for the address left the
          changes too little room at 1024 px. */}
      <td class="long">
        {entry.actor.login ?? <span class="muted">{t('unknownAdmin')}</span>}
        {entry.apiKey ? <small class="muted audit-key"> {t('viaKey', { name: entry.apiKey.name ?? entry.apiKey.id })}</small> : null}
        {entry.ip ? (
          <small class="muted audit-key mono" title={entry.client ? `${t('ip')} ${entry.ip} · ${entry.client}` : `${t('ip')} ${entry.ip}`}>
            {entry.ip}
          </small>
        ) : null}
      </td>
      <td>{(AUDIT_ACTION_LABELS[language] as Record<string, string>)[entry.action] ?? entry.action}</td>
      <td class="long">
        <span class="muted">{labelOf(t, 'type_', entry.objectType)}</span>{' '}
        {href ? (
          <a href={href} onClick={onLinkClick}>
            {name}
          </a>
        ) : (
          name
        )}
      </td>
      <td class="audit-changes-cell">
        <ChangeList before={entry.before} after={entry.after} t={t} language={language} />
      </td>
    </tr>
  );
}

/**
 * A recorded value in words: yes/no, a system name's label, a person or object by its login or name (an owner is
 * recorded as {id, login}), anything else as compact JSON.
 */
function valueText(field: string, value: unknown, t: Translate, language: Language): string {
  if (value === undefined || value === null || value === '') return t('empty');
  if (typeof value === 'boolean') return t(value ? 'yes' : 'no');
  if (typeof value === 'string') return AUDIT_VALUE_LABELS[language][field]?.[value] ?? value;
  if (Array.isArray(value)) return value.map((item) => valueText(field, item, t, language)).join(', ');
  if (typeof value === 'object') {
    const named = value as { login?: unknown; name?: unknown; id?: unknown };
    for (const key of ['login', 'name', 'id'] as const) if (typeof named[key] === 'string') return named[key] as string;
  }
  return JSON.stringify(value);
}

/** A recorded object that stands for one thing (a user, a token): shown by its login, name or id, not opened up. */
const isNamedObject = (value: Record<string, unknown>) => ['login', 'name', 'id'].some((key) => typeof value[key] === 'string');
const isNested = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isNamedObject(value as Record<string, unknown>);

/** A recorded state as its leaves by path ("sms.primary.type"): a nested settings change lists what changed, not JSON. */
function leavesOf(value: unknown, prefix = ''): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const [key, item] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isNested(item) && Object.keys(item).length > 0) for (const [inner, leaf] of leavesOf(item, path)) leaves.set(inner, leaf);
    else leaves.set(path, item);
  }
  return leaves;
}

/** The fields that differ between before and after, each as "field › inner field: before → after". */
function ChangeList({ before, after, t, language }: { before: unknown; after: unknown; t: Translate; language: Language }) {
  const b = leavesOf(before);
  const a = leavesOf(after);
  const paths = [...new Set([...b.keys(), ...a.keys()])].filter((path) => JSON.stringify(b.get(path)) !== JSON.stringify(a.get(path)));
  if (paths.length === 0) return null;
  // A value is read by its own field's name (the last step of its path): `type`, `language`, `actions`.
  const text = (path: string, value: unknown) => valueText(path.split('.').at(-1)!, value, t, language);
  const label = (path: string) => path.split('.').map((step) => AUDIT_FIELD_LABELS[language][step] ?? step).join(' › ');
  return (
    <ul class="audit-changes">
      {paths.map((path) => (
        <li key={path}>
          <span title={path}>{label(path)}</span>:{' '}
          {!after ? <s>{text(path, b.get(path))}</s> : before ? `${text(path, b.get(path))} → ${text(path, a.get(path))}` : text(path, a.get(path))}
        </li>
      ))}
    </ul>
  );
}
