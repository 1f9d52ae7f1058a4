/**
 * The user page: one place per user. Their details and password, the tokens they own (type, serial, state, last
 * use) with the actions an admin takes from here (assign a token, reset a fail counter, open the token), their
 * resource assignments, workspaces and groups, recent activities and open user issues; enable/disable, unlock and
 * delete in the header. One request (GET /api/admin/users/:id/overview) fills it.
 */
import { useState } from 'preact/hooks';
import { Button, Form, SelectField, TextField } from '../../components/form';
import { adminApi, answer } from '../../lib/api-client';
import { formatDateTime, useTranslator } from '../../lib/i18n';
import { navigate, onLinkClick } from '../../lib/router';
import { PASSWORD_MIN_LENGTH } from '../../../../worker/contract/fields';
import type { UserOverviewAnswer } from '../../../../worker/users/answers';
import { ActivityName } from '../activities/activity-labels';
import { activityStrings } from '../activities/strings';
import { adminStrings } from '../strings';
import { useAction, useAnswer } from '../use-data';
import { UserForm } from '../users-page';
import { Empty, PageHeader, confirmAction } from '../widgets';
import { userPageStrings } from './strings';
import { TokenStatus } from '../tokens/token-status';
import { ChevronLeftIcon } from '../../components/icons';

export function UserPage({ id }: { id: string }) {
  const t = useTranslator(adminStrings);
  const u = useTranslator(userPageStrings);
  const { data, error, reload } = useAnswer((init) => answer(adminApi.users[':id'].overview.$get({ param: { id } }, { init })), [id]);
  const { busy, run } = useAction();

  if (error) return <p class="alert error">{error}</p>;
  if (!data) return <div class="loading" aria-busy="true" />;
  const { user } = data;
  const setEnabled = (enabled: boolean) => run(() => adminApi.users[':id'].$patch({ param: { id }, json: { enabled } }), enabled ? u('userEnabled') : u('userDisabled')).then(reload);

  return (
    <>
      <a href="/admin/users" onClick={onLinkClick}>
        <ChevronLeftIcon /> {t('users')}
      </a>
      <PageHeader
        title={
          <>
            {user.login} {user.enabled ? <span class="pill ok">{t('enabled')}</span> : <span class="pill off">{t('disabled')}</span>}
            {user.isAdmin ? <span class="pill">{t('administrator')}</span> : null}
          </>
        }
      >
        <Button variant="secondary" busy={busy} onClick={() => setEnabled(!user.enabled)} data-testid="user-toggle-enabled">
          {user.enabled ? u('disable') : u('enable')}
        </Button>
        <Button variant="secondary" busy={busy} onClick={() => run(() => adminApi.users[':id'].unlock.$post({ param: { id } }), t('unlocked'))}>
          {t('unlock')}
        </Button>
        <Button
          variant="danger"
          busy={busy}
          onClick={async () => {
            if ((await confirmAction(t('confirmDelete', { name: user.login }), t('delete'))) && (await run(() => adminApi.users[':id'].$delete({ param: { id } }), t('deleted')))) navigate('/admin/users', { force: true });
          }}
        >
          {t('delete')}
        </Button>
      </PageHeader>
      <TokensPanel overview={data} onChange={reload} />
      <section class="panel">
        <h2>{u('resourceAssignments')}</h2>
        {data.assignments.length === 0 ? (
          <Empty>{u('noAssignments')}</Empty>
        ) : (
          <table class="data" data-testid="user-assignments">
            <thead>
              <tr>
                <th>{u('resource')}</th>
                <th>{t('assignmentKind')}</th>
                <th>{t('token')}</th>
              </tr>
            </thead>
            <tbody>
              {data.assignments.map((assignment) => (
                <tr key={assignment.resource.id}>
                  <td class="long">
                    <a href={`/admin/resources/${assignment.resource.id}`} onClick={onLinkClick}>
                      {assignment.resource.name}
                    </a>
                  </td>
                  <td>{assignment.kind === 'user' ? t('kindUser') : t('kindTokenWithUser')}</td>
                  <td class="mono long">
                    {assignment.token ? (
                      <a href={`/admin/tokens/${assignment.token.id}`} onClick={onLinkClick}>
                        {assignment.token.serial}
                      </a>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" data-testid="user-memberships">
        <h2>{u('workspacesAndGroups')}</h2>
        {data.offices.length + data.groups.length === 0 ? <Empty>{u('noMemberships')}</Empty> : null}
        {data.offices.length > 0 ? <MembershipList title={t('offices')} base="/admin/offices" items={data.offices} /> : null}
        {data.groups.length > 0 ? <MembershipList title={t('groups')} base="/admin/groups" items={data.groups} /> : null}
      </section>
      <RecentActivities overview={data} />
      <section class="panel" data-testid="user-open-issues">
        <h2>{u('openIssues')}</h2>
        {data.openIssues.length === 0 ? (
          <Empty>{u('noIssues')}</Empty>
        ) : (
          <ul>
            {data.openIssues.map((issue) => (
              <li key={issue.id}>
                {u('lost', { what: issue.lost.map((what) => u(`lost_${what}`)).join(', ') })} · {issue.resource ?? ''} · {formatDateTime(issue.createdAt)}{' '}
                <a href="/admin/user-issues" onClick={onLinkClick}>
                  {u('showIssues')}
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="panel">
        <h2>{t('userDetails')}</h2>
        {/* A new form for each version of the user record, chosen in the same render as the record: a form keyed
            after the render (in an effect) showed the new record with the old form's values for one render, which
            counted as unsaved edits and made the next link ask before leaving. Reloads that leave the user as it
            was (a token's fail counter reset, an assignment) keep what the admin has typed. */}
        <UserForm key={user.updatedAt} user={user} onDone={() => reload()} />
      </section>
      <PasswordPanel id={id} hasPassword={user.hasPassword} onChange={reload} />
      <p class="muted">
        {t('created')}: {formatDateTime(user.createdAt)} ·{' '}
        <a href={`/admin/admin-activity?object=${encodeURIComponent(id)}`} onClick={onLinkClick}>
          {u('adminActivity')}
        </a>
      </p>
    </>
  );
}

function TokensPanel({ overview, onChange }: { overview: UserOverviewAnswer; onChange: () => void }) {
  const t = useTranslator(adminStrings);
  const u = useTranslator(userPageStrings);
  const { busy, run } = useAction();
  return (
    <section class="panel">
      <h2>{u('tokens')}</h2>
      {overview.tokens.length === 0 ? (
        <Empty>{u('noTokens')}</Empty>
      ) : (
        <table class="data" data-testid="user-tokens">
          <thead>
            <tr>
              <th>{t('type')}</th>
              <th>{t('serial')}</th>
              <th>{t('status')}</th>
              <th>{u('failCount')}</th>
              <th>{t('lastUsed')}</th>
            </tr>
          </thead>
          <tbody>
            {overview.tokens.map((token) => (
              <tr key={token.id} data-serial={token.serial}>
                <td>{token.type}</td>
                <td class="mono long">
                  <a href={`/admin/tokens/${token.id}`} onClick={onLinkClick} title={u('openToken', { serial: token.serial })}>
                    {token.serial}
                  </a>
                </td>
                <td>
                  <TokenStatus token={token} />
                </td>
                {/* The reset sits with the count it resets: a column of its own was empty for most tokens. */}
                <td>
                  <span class="row">
                    {token.failCount}
                    {token.failCount > 0 || token.lockedUntil ? (
                      <Button variant="secondary" busy={busy} onClick={() => run(() => adminApi.tokens[':id']['reset-fail-counter'].$post({ param: { id: token.id } }), u('failCounterReset')).then(onChange)}>
                        {t('resetFailCounter')}
                      </Button>
                    ) : null}
                  </span>
                </td>
                <td>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : u('never')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AssignToken userId={overview.user.id} onAssigned={onChange} />
    </section>
  );
}

/** Gives the user a token nobody owns yet (PATCH ownerUserId): the hardware token lying in the drawer. */
function AssignToken({ userId, onAssigned }: { userId: string; onAssigned: () => void }) {
  const u = useTranslator(userPageStrings);
  const { data } = useAnswer((init) => answer(adminApi.tokens.$get({ query: { unassigned: 'true', pageSize: '200' } }, { init })), []);
  const [tokenId, setTokenId] = useState('');
  const { busy, run } = useAction();
  if (!data) return null;
  if (data.items.length === 0) return <p class="muted">{u('noFreeTokens')}</p>;
  return (
    <form
      class="row"
      onSubmit={async (event) => {
        event.preventDefault();
        if (!tokenId) return;
        if (await run(() => adminApi.tokens[':id'].$patch({ param: { id: tokenId }, json: { ownerUserId: userId } }), u('tokenAssigned'))) {
          setTokenId('');
          onAssigned();
        }
      }}
    >
      <SelectField
        label={u('assignToken')}
        name="assign-token"
        hint={u('assignTokenHint')}
        value={tokenId}
        onValue={setTokenId}
        options={[{ value: '', label: u('chooseToken') }, ...data.items.map((token) => ({ value: token.id, label: `${token.serial} (${token.type})` }))]}
      />
      <Button type="submit" busy={busy} disabled={!tokenId}>
        {u('assign')}
      </Button>
    </form>
  );
}

function MembershipList({ title, base, items }: { title: string; base: string; items: Array<{ id: string; name: string }> }) {
  return (
    <p>
      <strong>{title}:</strong>{' '}
      {items.map((item, index) => (
        <>
          {index > 0 ? ', ' : null}
          <a key={item.id} href={`${base}/${item.id}`} onClick={onLinkClick}>
            {item.name}
          </a>
        </>
      ))}
    </p>
  );
}

function RecentActivities({ overview }: { overview: UserOverviewAnswer }) {
  const a = useTranslator(activityStrings);
  const u = useTranslator(userPageStrings);
  return (
    <section class="panel">
      <h2>{u('recentActivities')}</h2>
      {overview.recentActivities.length === 0 ? (
        <Empty>{u('noActivities')}</Empty>
      ) : (
        <table class="data" data-testid="user-activities">
          <thead>
            <tr>
              <th>{a('activity')}</th>
              <th>{a('timestamp')}</th>
              <th>{a('channel')}</th>
              <th>{a('ip')}</th>
            </tr>
          </thead>
          <tbody>
            {overview.recentActivities.map((activity) => (
              <tr key={activity.id}>
                <td>
                  <ActivityName type={activity.type} />
                </td>
                <td>{formatDateTime(activity.at)}</td>
                <td>{a(`channel_${activity.channel}`)}</td>
                <td class="mono long">{activity.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <a href="/admin/activities" onClick={onLinkClick}>
        {u('allActivities')}
      </a>
    </section>
  );
}

function PasswordPanel({ id, hasPassword, onChange }: { id: string; hasPassword: boolean; onChange: () => void }) {
  const t = useTranslator(adminStrings);
  const u = useTranslator(userPageStrings);
  const [password, setPassword] = useState('');
  const { busy, run, form } = useAction();
  return (
    <section class="panel">
      <h2>{t('password')}</h2>
      <p class="muted">
        {u('hasPassword')}: {hasPassword ? t('yes') : t('no')}
      </p>
      <Form
        {...form}
        class="row"
        onSubmit={async (event) => {
          event.preventDefault();
          if (await run(() => adminApi.users[':id'].password.$put({ param: { id }, json: { password } }), t('saved'))) {
            setPassword('');
            onChange();
          }
        }}
      >
        <TextField
          label={t('setPassword')}
          name="password"
          type="password"
          value={password}
          onValue={setPassword}
          autocomplete="new-password"
          rules={{ minLength: PASSWORD_MIN_LENGTH }}
          required
        />
        <Button type="submit" busy={busy}>
          {t('setPassword')}
        </Button>
        {hasPassword ? (
          <Button variant="secondary" busy={busy} onClick={() => run(() => adminApi.users[':id'].password.$put({ param: { id }, json: { password: null } }), t('saved')).then(onChange)}>
            {t('removePassword')}
          </Button>
        ) : null}
      </Form>
    </section>
  );
}
