/**
 * Resources (protected applications): list, create, and a detail page with tabs: General, Assignments (users as
 * "user" or "token with user") and Self-Service (the portal settings).
 */
import { RESOURCE_DESCRIPTION_MAX_LENGTH, RESOURCE_NAME_MAX_LENGTH } from '../../../worker/contract/fields';
import { useEffect, useState } from 'preact/hooks';
import { Button, Form, SelectField, TextField } from '../components/form';
import { Dialog, Tabs } from '../components/layout';
import { lazyPage } from '../components/lazy';
import { adminApi, answer } from '../lib/api-client';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { navigate, onLinkClick } from '../lib/router';
import { adminStrings } from './strings';
import { useAction, useAnswer, usePagedAnswer } from './use-data';
import { UserPicker } from './users-page';
import { Empty, PageHeader, Pager, SearchBox, confirmAction } from './widgets';
import { ChevronLeftIcon } from '../components/icons';
import { ListPage } from '../components/list-page';
import type { AssignmentAnswer, ResourceAnswer } from '../../../worker/resources/answers';
import type { UserAnswer } from '../../../worker/users/answers';

const SelfServiceTab = lazyPage<{ resource: ResourceAnswer; onChange: () => void }>(() => import('./self-service/self-service-tab'));

export function ResourcesPage() {
  const t = useTranslator(adminStrings);
  const list = usePagedAnswer((query, init) => answer(adminApi.resources.$get({ query }, { init })), []);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { busy, run, form } = useAction();
  return (
    <ListPage
      title={t('resources')}
      actions={<Button onClick={() => setCreating(true)}>{t('newResource')}</Button>}
      list={list}
      href={(resource) => `/admin/resources/${resource.id}`}
      testId="resources-table"
      columns={[
        {
          header: t('name'),
          text: (resource) => [resource.name, resource.description].filter(Boolean).join(' — '),
          cell: (resource) => (
            <>
              {resource.name}
              <div class="muted">{resource.description}</div>
            </>
          ),
        },
        { header: t('users'), cell: (resource) => resource.userCount, width: '7rem' },
        {
          header: t('selfService'),
          clip: true,
          text: (resource) => (resource.selfService.enabled ? `/selfservice/${resource.selfService.alias}` : t('disabled')),
          cell: (resource) => (resource.selfService.enabled ? <code>/selfservice/{resource.selfService.alias}</code> : <span class="pill off">{t('disabled')}</span>),
        },
      ]}
    >
      <Dialog title={t('newResource')} open={creating} onClose={() => setCreating(false)}>
        <Form
          {...form}
          class="stack"
          onSubmit={async (event) => {
            event.preventDefault();
            let created: ResourceAnswer | null = null;
            if (await run(async () => void (created = await answer(adminApi.resources.$post({ json: { name, description } }))), t('saved'))) {
              setCreating(false);
              navigate(`/admin/resources/${created!.id}`);
            }
          }}
        >
          <TextField label={t('name')} name="name" value={name} onValue={setName} rules={{ maxLength: RESOURCE_NAME_MAX_LENGTH }} required autoFocus />
          <TextField label={t('description')} name="description" value={description} onValue={setDescription} rules={{ maxLength: RESOURCE_DESCRIPTION_MAX_LENGTH }} />
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

type ResourceTab = 'general' | 'users' | 'tokens' | 'self-service';

export function ResourceDetailPage({ id }: { id: string }) {
  const t = useTranslator(adminStrings);
  const { data: resource, error, reload } = useAnswer((init) => answer(adminApi.resources[':id'].$get({ param: { id } }, { init })), [id]);
  const [tab, setTab] = useState<ResourceTab>(() => (new URLSearchParams(location.search).get('tab') as ResourceTab) || 'general');
  const { busy, run } = useAction();
  if (error) return <p class="alert error">{error}</p>;
  if (!resource) return <div class="loading" aria-busy="true" />;
  return (
    <>
      <a href="/admin/resources" onClick={onLinkClick}>
        <ChevronLeftIcon /> {t('resources')}
      </a>
      <PageHeader title={resource.name}>
        <Button
          variant="danger"
          busy={busy}
          onClick={async () => {
            if ((await confirmAction(t('confirmDelete', { name: resource.name }), t('delete'))) && (await run(() => adminApi.resources[':id'].$delete({ param: { id } }), t('deleted')))) navigate('/admin/resources', { force: true });
          }}
        >
          {t('delete')}
        </Button>
      </PageHeader>
      <Tabs
        tabs={[
          { id: 'general', label: t('general') },
          { id: 'users', label: t('users') },
          { id: 'tokens', label: t('tokensWithUsers') },
          { id: 'self-service', label: t('selfService') },
        ]}
        active={tab}
        onSelect={(next) => {
          setTab(next);
          history.replaceState(null, '', `${location.pathname}?tab=${next}`);
        }}
      />
      {tab === 'general' ? <GeneralTab resource={resource} onChange={reload} /> : null}
      {tab === 'users' ? <AssignmentsTab key="users" kind="user" resource={resource} onChange={reload} /> : null}
      {tab === 'tokens' ? <AssignmentsTab key="tokens" kind="token_with_user" resource={resource} onChange={reload} /> : null}
      {tab === 'self-service' ? <SelfServiceTab resource={resource} onChange={reload} /> : null}
    </>
  );
}

function GeneralTab({ resource, onChange }: { resource: ResourceAnswer; onChange: () => void }) {
  const t = useTranslator(adminStrings);
  const [name, setName] = useState(resource.name);
  const [description, setDescription] = useState(resource.description);
  const { busy, run, form } = useAction();
  return (
    <Form
      {...form}
      class="panel stack"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await run(() => adminApi.resources[':id'].$patch({ param: { id: resource.id }, json: { name, description } }), t('saved'))) onChange();
      }}
    >
      <TextField label={t('name')} name="name" value={name} onValue={setName} rules={{ maxLength: RESOURCE_NAME_MAX_LENGTH }} required />
      <TextField label={t('description')} name="description" value={description} onValue={setDescription} rules={{ maxLength: RESOURCE_DESCRIPTION_MAX_LENGTH }} />
      <p class="muted">
        {t('created')}: {formatDateTime(resource.createdAt)}
      </p>
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('save')}
        </Button>
      </div>
    </Form>
  );
}

/**
 * "Users": users assigned to the resource without a token (they use their own tokens, or none where the resource
 * needs none). "Tokens with users": a user together with the one token that counts on this resource.
 */
function AssignmentsTab({ resource, kind, onChange }: { resource: ResourceAnswer; kind: AssignmentAnswer['kind']; onChange: () => void }) {
  const t = useTranslator(adminStrings);
  const assignments = adminApi.resources[':id'].assignments;
  const list = usePagedAnswer((query, init) => answer(assignments.$get({ param: { id: resource.id }, query: { ...query, kind } }, { init })), [resource.id, kind]);
  const [picked, setPicked] = useState<UserAnswer | null>(null);
  const { busy, run } = useAction();
  const reloadAll = () => {
    list.reload();
    onChange();
  };
  return (
    <>
      <section class="panel">
        <h2>{t('assignUser')}</h2>
        {kind === 'user' ? (
          // Nothing else to choose: picking the user assigns them, in one click.
          <UserPicker
            label={t('findUserToAssign')}
            pickLabel={t('assignUser')}
            onPick={(user) => run(() => assignments.$put({ param: { id: resource.id }, json: { userId: user.id, tokenId: null } }), t('saved')).then(reloadAll)}
          />
        ) : picked ? (
          <AssignForm resource={resource} user={picked} onDone={() => { setPicked(null); reloadAll(); }} />
        ) : (
          <UserPicker label={t('findUserToAssign')} onPick={setPicked} />
        )}
      </section>
      <div class="toolbar">
        <SearchBox value={list.search} onValue={list.setSearch} label={t('searchAssignments')} />
      </div>
      {list.data?.items.length === 0 ? <Empty>{t('noItems')}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <>
          <table class="data">
            <thead>
              <tr>
                <th>{t('login')}</th>
                <th>{t('assignmentKind')}</th>
                <th>{t('token')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((assignment) => (
                <tr key={assignment.id}>
                  <td class="long">
                    <a href={`/admin/users/${assignment.user.id}`} onClick={onLinkClick}>
                      {assignment.user.login}
                    </a>{' '}
                    <span class="muted">{`${assignment.user.firstName} ${assignment.user.lastName}`.trim()}</span>
                  </td>
                  <td>{assignment.kind === 'user' ? t('kindUser') : t('kindTokenWithUser')}</td>
                  <td class="long">
                    {assignment.token ? (
                      <a href={`/admin/tokens/${assignment.token.id}`} onClick={onLinkClick} class="mono">
                        {assignment.token.serial}
                      </a>
                    ) : (
                      '—'
                    )}
                    {assignment.token && !assignment.token.enabled ? <span class="pill off"> {t('disabled')}</span> : null}
                  </td>
                  <td class="actions">
                    <Button variant="secondary" busy={busy} onClick={() => run(() => assignments[':userId'].$delete({ param: { id: resource.id, userId: assignment.user.id } }), t('saved')).then(reloadAll)}>
                      {t('remove')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={list.page} pageSize={list.pageSize} total={list.data.total} onPage={list.setPage} />
        </>
      ) : null}
    </>
  );
}

/** A user with the one token that counts on the resource: the user's only token is chosen for them. */
function AssignForm({ resource, user, onDone }: { resource: ResourceAnswer; user: UserAnswer; onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const tokens = useAnswer((init) => answer(adminApi.tokens.$get({ query: { ownerUserId: user.id, pageSize: '100' } }, { init })), [user.id]);
  const [tokenId, setTokenId] = useState('');
  useEffect(() => {
    if (tokens.data?.items.length === 1) setTokenId(tokens.data.items[0]!.id);
  }, [tokens.data]);
  const { busy, run, form } = useAction();
  const options = [{ value: '', label: '—' }, ...(tokens.data?.items ?? []).map((token) => ({ value: token.id, label: `${token.serial} (${token.type})` }))];
  if (tokens.data && tokens.data.items.length === 0) {
    return (
      <div class="row">
        <strong>{user.login}</strong>
        <span class="muted">{t('noTokensOwned')}</span>
        <Button variant="secondary" onClick={onDone}>
          {t('cancel')}
        </Button>
      </div>
    );
  }
  return (
    <Form
      {...form}
      class="row"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await run(() => adminApi.resources[':id'].assignments.$put({ param: { id: resource.id }, json: { userId: user.id, tokenId: tokenId || null } }), t('saved'))) onDone();
      }}
    >
      <strong>{user.login}</strong>
      <SelectField label={t('token')} name="tokenId" value={tokenId} onValue={setTokenId} options={options} />
      <Button type="submit" busy={busy} disabled={!tokenId}>
        {t('assignUser')}
      </Button>
      <Button variant="secondary" onClick={onDone}>
        {t('cancel')}
      </Button>
    </Form>
  );
}
