/** API keys for integrations (the verify API and the admin API): create (shown once), see use, revoke. */
import { useState } from 'preact/hooks';
import { Alert, Button, TextField } from '../components/form';
import { api } from '../lib/api';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { adminStrings } from './strings';
import { useAction, useData } from './use-data';
import { Empty, PageHeader, confirmAction } from './widgets';

interface ApiKey {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export function ApiKeysPage() {
  const t = useTranslator(adminStrings);
  const { data, reload } = useData<{ items: ApiKey[] }>('/api/admin/api-keys');
  const [name, setName] = useState('');
  const [newKey, setNewKey] = useState('');
  const { busy, run } = useAction();
  return (
    <>
      <PageHeader title={t('keys')} />
      <section class="panel">
        <form
          class="row"
          onSubmit={async (event) => {
            event.preventDefault();
            if (await run(async () => setNewKey((await api.post<{ key: string }>('/api/admin/api-keys', { name })).key))) {
              setName('');
              reload();
            }
          }}
        >
          <TextField label={t('newKey')} name="key-name" value={name} onValue={setName} placeholder={t('name')} required />
          <Button type="submit" busy={busy}>
            {t('create')}
          </Button>
        </form>
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
              <th>{t('prefix')}</th>
              <th>{t('created')}</th>
              <th>{t('lastUsed')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td class="mono">{key.keyPrefix}…</td>
                <td>{formatDateTime(key.createdAt)}</td>
                <td>{formatDateTime(key.lastUsedAt) || '—'}</td>
                <td class="actions">
                  {key.revokedAt ? (
                    <span class="pill off">{t('disabled')}</span>
                  ) : (
                    <Button variant="danger" busy={busy} onClick={() => confirmAction(t('confirmDelete', { name: key.name })) && run(() => api.delete(`/api/admin/api-keys/${key.id}`), t('saved')).then(reload)}>
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
