/**
 * Workspaces (offices) and groups share one shape: a list, and Team Details with members. A workspace also has a
 * "Security" tab where two-factor authentication can be disabled for its members.
 */
import { ORGANISATION_NAME_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { Button, Checkbox, Form, TextField } from '../components/form';
import { Dialog, Tabs } from '../components/layout';
import { adminApi, answer } from '../lib/api-client';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { navigate, onLinkClick } from '../lib/router';
import { adminStrings } from './strings';
import { useAction, useAnswer, usePagedAnswer } from './use-data';
import { UserPicker } from './users-page';
import { Empty, PageHeader, confirmAction } from './widgets';
import { ChevronLeftIcon } from '../components/icons';
import { ListPage } from '../components/list-page';
import type { OrganisationAnswer } from '../../../worker/organisation/answers';

type Kind = 'office' | 'group';

const basePath = (kind: Kind) => (kind === 'office' ? 'offices' : 'groups');
/** Offices and groups answer the same routes (worker/organisation/routes.ts), under their own base path. */
const organisationApi = (kind: Kind) => (kind === 'office' ? adminApi.offices : adminApi.groups);

export function OrganisationsPage({ kind }: { kind: Kind }) {
  const t = useTranslator(adminStrings);
  const list = usePagedAnswer((query, init) => answer(organisationApi(kind).$get({ query }, { init })), [kind]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const { busy, run, form } = useAction();
  return (
    <ListPage
      title={kind === 'office' ? t('offices') : t('groups')}
      actions={<Button onClick={() => setCreating(true)}>{kind === 'office' ? t('newOffice') : t('newGroup')}</Button>}
      list={list}
      href={(item) => `/admin/${basePath(kind)}/${item.id}`}
      testId={`${basePath(kind)}-table`}
      columns={[
        { header: t('name'), text: (item) => item.name, cell: (item) => item.name },
        { header: t('members'), cell: (item) => item.memberCount, width: '8rem' },
        { header: t('created'), cell: (item) => formatDateTime(item.createdAt), width: '12rem' },
      ]}
    >
      <Dialog title={kind === 'office' ? t('newOffice') : t('newGroup')} open={creating} onClose={() => setCreating(false)}>
        <Form
          {...form}
          class="stack"
          onSubmit={async (event) => {
            event.preventDefault();
            let created: OrganisationAnswer | null = null;
            if (await run(async () => void (created = await answer(organisationApi(kind).$post({ json: { name } }))), t('saved'))) {
              setCreating(false);
              setName('');
              navigate(`/admin/${basePath(kind)}/${created!.id}`);
            }
          }}
        >
          <TextField label={t('name')} name="name" value={name} onValue={setName} rules={{ maxLength: ORGANISATION_NAME_MAX_LENGTH }} required autoFocus />
          <div class="row end">
            <Button variant="secondary" onClick={() => setCreating(false)}>
              {t('cancel')}
            </Button>
            <Button type="submit" busy={busy}>
              {t('create')}
            </Button>
          </div>
        </Form>
      </Dialog>
    </ListPage>
  );
}

export function OrganisationDetailPage({ kind, id }: { kind: Kind; id: string }) {
  const t = useTranslator(adminStrings);
  const organisation = organisationApi(kind)[':id'];
  const { data: item, error, reload } = useAnswer((init) => answer(organisation.$get({ param: { id } }, { init })), [kind, id]);
  const [tab, setTab] = useState<'general' | 'security'>('general');
  const { busy, run } = useAction();
  if (error) return <p class="alert error">{error}</p>;
  if (!item) return <div class="loading" aria-busy="true" />;
  return (
    <>
      <a href={`/admin/${basePath(kind)}`} onClick={onLinkClick}>
        <ChevronLeftIcon /> {kind === 'office' ? t('offices') : t('groups')}
      </a>
      <PageHeader title={item.name}>
        <Button
          variant="danger"
          busy={busy}
          onClick={async () => {
            if ((await confirmAction(t('confirmDelete', { name: item.name }), t('delete'))) && (await run(() => organisation.$delete({ param: { id } }), t('deleted')))) navigate(`/admin/${basePath(kind)}`, { force: true });
          }}
        >
          {t('delete')}
        </Button>
      </PageHeader>
      <p class="muted">{t('teamDetails')}</p>
      <Tabs
        tabs={kind === 'office' ? [{ id: 'general', label: t('general') }, { id: 'security', label: t('security') }] : [{ id: 'general', label: t('general') }]}
        active={tab}
        onSelect={setTab}
      />
      {tab === 'general' ? <GeneralTab kind={kind} item={item} onChange={reload} /> : null}
      {tab === 'security' ? (
        <section class="panel stack">
          <Checkbox
            label={t('twoFactorDisabled')}
            name="twoFactorDisabled"
            checked={Boolean(item.twoFactorDisabled)}
            disabled={busy}
            onChecked={(checked) => run(() => organisation.$patch({ param: { id }, json: { twoFactorDisabled: checked } }), t('saved')).then(reload)}
          />
          <small class="hint">{t('twoFactorDisabledHint')}</small>
        </section>
      ) : null}
    </>
  );
}

function GeneralTab({ kind, item, onChange }: { kind: Kind; item: OrganisationAnswer; onChange: () => void }) {
  const t = useTranslator(adminStrings);
  const organisation = organisationApi(kind)[':id'];
  const param = { id: item.id };
  const [name, setName] = useState(item.name);
  const members = useAnswer((init) => answer(organisation.members.$get({ param }, { init })), [kind, item.id]);
  const { busy, run, form } = useAction();
  return (
    <>
      <section class="panel">
        <Form
          {...form}
          class="row"
          onSubmit={async (event) => {
            event.preventDefault();
            if (await run(() => organisation.$patch({ param, json: { name } }), t('saved'))) onChange();
          }}
        >
          <TextField label={t('name')} name="name" value={name} onValue={setName} rules={{ maxLength: ORGANISATION_NAME_MAX_LENGTH }} required />
          <Button type="submit" busy={busy}>
            {t('save')}
          </Button>
        </Form>
      </section>
      <section class="panel">
        <h2>{t('members')}</h2>
        {members.data?.items.length === 0 ? <Empty>{t('noItems')}</Empty> : null}
        {members.data && members.data.items.length > 0 ? (
          <table class="data">
            <tbody>
              {members.data.items.map((member) => (
                <tr key={member.userId}>
                  <td class="long">
                    <a href={`/admin/users/${member.userId}`} onClick={onLinkClick}>
                      {member.login}
                    </a>
                  </td>
                  <td class="long">{`${member.firstName} ${member.lastName}`.trim()}</td>
                  <td class="actions">
                    <Button variant="secondary" busy={busy} onClick={() => run(() => organisation.members[':userId'].$delete({ param: { ...param, userId: member.userId } }), t('saved')).then(members.reload)}>
                      {t('remove')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <h3>{t('addMember')}</h3>
        <UserPicker label={t('search')} onPick={(user) => run(() => organisation.members[':userId'].$put({ param: { ...param, userId: user.id } }), t('saved')).then(() => { members.reload(); onChange(); })} />
      </section>
    </>
  );
}
