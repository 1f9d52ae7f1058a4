/**
 * Manage User Environment (experimental, as the product labels it): the environments this user signs in from,
 * each with a name the user may give it, or forgotten so that it counts as unfamiliar again.
 */
import { ENVIRONMENT_NAME_MAX_LENGTH } from '../../../worker/contract/fields';
import { useEffect, useState } from 'preact/hooks';
import { confirmDialog } from '../components/dialog';
import { Alert, Button } from '../components/form';
import { answer } from '../lib/api-client';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { useSubmit, type ActionProps } from './action-kit';
import { portalError, type PortalEnvironment } from './portal-api';
import { portalStrings } from './strings';

export function ManageEnvironments(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [items, setItems] = useState<PortalEnvironment[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState('');
  const { busy, form, submit } = useSubmit(props);

  const load = () =>
    submit(async () => {
      const { items } = await answer(props.client.environments.$get());
      setItems(items);
      setNames(Object.fromEntries(items.map((item) => [item.id, item.name ?? ''])));
    });
  useEffect(() => void load(), []);

  function describe(item: PortalEnvironment): string {
    const a = item.attributes;
    const device = [a.browser, a.os].filter(Boolean).join(' / ');
    const place = [a.region, a.country].filter(Boolean).join(', ');
    return [device, place, a.timezone, a.ipPrefix].filter(Boolean).join(' · ') || t('unknown');
  }

  return (
    <div class="stack">
      <p class="muted">{t('environmentIntro')}</p>
      <Alert kind="success">{notice}</Alert>
      {/* Its name inputs are not field components, and several forms share one screen: every failure is said here, once. */}
      <Alert>{form.failure ? portalError(form.failure) : null}</Alert>
      {items && items.length === 0 ? <p>{t('noEnvironments')}</p> : null}
      <ul class="environment-list">
        {(items ?? []).map((item) => (
          <li key={item.id}>
            <form
              class="stack"
              onSubmit={(event) => {
                event.preventDefault();
                setNotice('');
                return submit(async () => {
                  const name = names[item.id]?.trim() || null;
                  await answer(props.client.environments[':id'].$put({ param: { id: item.id }, json: { name } }));
                  setItems((current) => (current ?? []).map((other) => (other.id === item.id ? { ...other, name } : other)));
                  setNotice(t('environmentSaved'));
                });
              }}
            >
              <strong>{item.name || t('unnamed')}</strong>
              <span class="muted">{describe(item)}</span>
              <span class="muted">{t('signIns', { count: item.signInCount, date: formatDateTime(item.lastSeenAt) })}</span>
              <div class="row">
                <input
                  aria-label={t('environmentName')}
                  value={names[item.id] ?? ''}
                  maxLength={ENVIRONMENT_NAME_MAX_LENGTH}
                  onInput={(event) => setNames((current) => ({ ...current, [item.id]: (event.currentTarget as HTMLInputElement).value }))}
                />
                <Button type="submit" variant="secondary" disabled={busy}>
                  {t('save')}
                </Button>
                <Button
                  variant="danger"
                  disabled={busy}
                  onClick={async () => {
                    if (!(await confirmDialog({ title: t('forgetConfirm'), danger: true }))) return;
                    setNotice('');
                    return submit(async () => {
                      await answer(props.client.environments[':id'].$delete({ param: { id: item.id } }));
                      setItems((current) => (current ?? []).filter((other) => other.id !== item.id));
                      setNotice(t('environmentForgotten'));
                    });
                  }}
                >
                  {t('forget')}
                </Button>
              </div>
            </form>
          </li>
        ))}
      </ul>
      <div class="row end">
        <Button variant="secondary" onClick={props.onCancel}>
          {t('close')}
        </Button>
      </div>
    </div>
  );
}
