/**
 * API keys for integrations: create with a scope and an optional expiry (the key is shown once), see owner, scope,
 * use and status, revoke.
 */
import { API_KEY_NAME_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { DateField, parseTypedDate } from '../components/date-field';
import { Alert, Button, Form, SelectField, TextField } from '../components/form';
import { adminApi, answer } from '../lib/api-client';
import { formatDate, formatDateTime, useTranslator, type Dictionaries } from '../lib/i18n';
import { adminStrings } from './strings';
import { useAction, useAnswer } from './use-data';
import { Empty, PageHeader, confirmAction } from './widgets';
import type { ApiKeyScope, ApiKeyStatus } from '../../../worker/auth/api-keys';

const pageStrings: Dictionaries = {
  en: {
    scope: 'Scope',
    owner: 'Owner',
    activeUntil: 'until {date}',
    createdOn: 'created {date}',
    expiredSince: 'since {date}',
    expiresOptional: 'Expires on (optional)',
    scope_verify: 'verify: only the verify API (VPN, RADIUS, apps)',
    scope_read: 'read: reads the admin API, changes nothing',
    scope_admin: 'admin: everything an administrator can do',
    status_active: 'active',
    status_revoked: 'revoked',
    status_expired: 'expired',
    status_owner_inactive: 'owner inactive',
    status_owner_inactive_why: 'The owner is disabled or no longer an administrator, so the key works no more.',
    ownerDeleted: 'deleted',
    keyRules: 'A key works only while its owner is an enabled administrator, and until it expires or is revoked.',
  },
  de: {
    scope: 'Bereich',
    owner: 'Inhaber',
    activeUntil: 'bis {date}',
    createdOn: 'angelegt am {date}',
    expiredSince: 'seit {date}',
    expiresOptional: 'Läuft ab am (optional)',
    scope_verify: 'verify: nur die Verify-API (VPN, RADIUS, Apps)',
    scope_read: 'read: liest die Admin-API, ändert nichts',
    scope_admin: 'admin: alles, was ein Administrator darf',
    status_active: 'aktiv',
    status_revoked: 'widerrufen',
    status_expired: 'abgelaufen',
    status_owner_inactive: 'Inhaber inaktiv',
    status_owner_inactive_why: 'Der Inhaber ist deaktiviert oder kein Administrator mehr, daher gilt der Schlüssel nicht mehr.',
    ownerDeleted: 'gelöscht',
    keyRules: 'Ein Schlüssel gilt nur, solange sein Inhaber ein aktiver Administrator ist, und bis er abläuft oder widerrufen wird.',
  },
};
const strings: Dictionaries = { en: { ...adminStrings.en, ...pageStrings.en }, de: { ...adminStrings.de, ...pageStrings.de } };

const SCOPES: readonly ApiKeyScope[] = ['verify', 'read', 'admin'];
const STATUS_PILL: Record<ApiKeyStatus, string> = { active: 'pill ok', revoked: 'pill off', expired: 'pill off', owner_inactive: 'pill off' };

/** The key works through the whole day typed: it expires at that day's last millisecond. */
function endOfDay(typed: string): number | null {
  const date = parseTypedDate(typed, false);
  return date && date !== 'invalid' ? date.end - 1 : null;
}

export function ApiKeysPage() {
  const t = useTranslator(strings);
  const { data, reload } = useAnswer((init) => answer(adminApi['api-keys'].$get({}, { init })), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiKeyScope>('verify');
  const [expiresOn, setExpiresOn] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [newKey, setNewKey] = useState('');
  const { busy, run, form } = useAction();
  return (
    <>
      <PageHeader title={t('keys')} />
      <section class="panel">
        <Form
          {...form}
          class="row"
          onSubmit={async (event) => {
            event.preventDefault();
            // A date that is not one is said at its field; sent, it would make a key that never expires.
            setSubmitted(true);
            if (parseTypedDate(expiresOn, false) === 'invalid') return;
            const body = { name, scope, expiresAt: endOfDay(expiresOn) };
            if (await run(async () => setNewKey((await answer(adminApi['api-keys'].$post({ json: body }))).key))) {
              setName('');
              setExpiresOn('');
              setSubmitted(false);
              reload();
            }
          }}
        >
          <TextField label={t('newKey')} name="key-name" errorPath="name" value={name} onValue={setName} placeholder={t('name')} rules={{ maxLength: API_KEY_NAME_MAX_LENGTH }} required />
          <SelectField label={t('scope')} name="key-scope" value={scope} onValue={setScope} options={SCOPES.map((value) => ({ value, label: t(`scope_${value}`) }))} />
          <DateField label={t('expiresOptional')} name="key-expires" errorPath="expiresAt" value={expiresOn} onValue={setExpiresOn} revealInvalid={submitted} />
          <Button type="submit" busy={busy}>
            {t('create')}
          </Button>
        </Form>
        <p class="hint">{t('keyRules')}</p>
        {newKey ? (
          <Alert kind="warning">
            {t('keyShownOnce')} <code class="secret" data-testid="new-api-key">{newKey}</code>
          </Alert>
        ) : null}
      </section>
      {data?.items.length === 0 ? <Empty>{t('noItems')}</Empty> : null}
      {data && data.items.length > 0 ? (
        <table class="data">
          <thead>
            <tr>
              <th>{t('name')}</th>
              <th>{t('scope')}</th>
              <th>{t('owner')}</th>
              <th>{t('lastUsed')}</th>
              <th>{t('status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((key) => (
              <tr key={key.id} data-testid={`api-key-${key.id}`}>
                {/* Under the name: its prefix, how a key is recognised in a config file, and when it was made. Columns of
                    their own did not fit at 1024 px. */}
                <td class="long">
                  {key.name}
                  <div class="hint">
                    <span class="mono" title={t('prefix')}>
                      {key.keyPrefix}…
                    </span>{' '}
                    · {t('createdOn', { date: formatDate(key.createdAt) })}
                  </div>
                </td>
                {/* The scope's public name (as the API takes it), with what it allows on hover. */}
                <td class="mono" title={t(`scope_${key.scope}`)}>
                  {key.scope}
                </td>
                <td class="long">{key.ownerLogin ?? t('ownerDeleted')}</td>
                <td>{formatDateTime(key.lastUsedAt) || '—'}</td>
                <td>
                  {/* A pill is a word or two; why an inactive owner stops the key is said on hover. */}
                  <span class={STATUS_PILL[key.status]} title={key.status === 'owner_inactive' ? t('status_owner_inactive_why') : undefined}>
                    {t(`status_${key.status}`)}
                  </span>
                  {/* The expiry belongs to the state ("active until …"); a column of its own did not fit at 1024 px. */}
                  {key.expiresAt && (key.status === 'active' || key.status === 'expired') ? (
                    <div class="hint">{t(key.status === 'active' ? 'activeUntil' : 'expiredSince', { date: formatDate(key.expiresAt) })}</div>
                  ) : null}
                </td>
                <td class="actions">
                  {key.revokedAt ? null : (
                    <Button variant="danger" busy={busy} onClick={async () => (await confirmAction(t('confirmDelete', { name: key.name }), t('delete'))) && run(() => adminApi['api-keys'][':id'].$delete({ param: { id: key.id } }), t('saved')).then(reload)}>
                      {t('revoke')}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
