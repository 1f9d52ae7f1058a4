/**
 * "User Issues" (account menu): open access recovery requests. Each row shows what the user lost and how each
 * authenticator fared when they asked (red: lost or failed, gray: the user has none, green: verified), always in
 * words as well as colour. "Verify Identity" approves, the trash button deletes; both tell the account menu's
 * badge to refresh.
 */
import { useState } from 'preact/hooks';
import type { Authenticator, AuthenticatorStatus } from '../../../../worker/selfservice/recovery-service';
import { Button } from '../../components/form';
import { CheckIcon, CrossIcon, DashIcon, TrashIcon } from '../../components/icons';
import { showToast } from '../../components/toast';
import type { InferResponseType } from 'hono/client';
import { adminApi, answer } from '../../lib/api-client';
import { describeError, formatDateTime, useTranslator } from '../../lib/i18n';
import { onLinkClick } from '../../lib/router';
import { useAction, useAnswer } from '../use-data';
import { Empty, PageHeader, confirmAction } from '../widgets';
import { userIssueStrings } from './strings';

const AUTHENTICATORS: Authenticator[] = ['password', 'email', 'token'];
const MARKER_CLASS: Record<AuthenticatorStatus, string> = { lost: 'bad', failed: 'bad', none: 'off', verified: 'ok' };
const MARKER_ICON: Record<AuthenticatorStatus, typeof CheckIcon> = { lost: CrossIcon, failed: CrossIcon, none: DashIcon, verified: CheckIcon };

const issuesApi = adminApi['user-issues'];
type UserIssue = InferResponseType<typeof issuesApi.$get, 200>['items'][number];

function announceChange() {
  window.dispatchEvent(new Event('eid:user-issues-changed'));
}

export default function UserIssuesPage() {
  const t = useTranslator(userIssueStrings);
  const { data, error, reload } = useAnswer((init) => answer(issuesApi.$get({}, { init })), []);
  const { busy, run } = useAction();

  const approve = async (issue: UserIssue) => {
    const effects = [
      issue.lost.includes('token') ? t('effectToken') : '',
      issue.lost.includes('password') && issue.newPasswordGiven ? t('effectPassword') : '',
      issue.lost.includes('email') && issue.newEmail ? t('effectEmail', { email: issue.newEmail }) : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (!(await confirmAction(t('confirmApprove', { login: issue.user.login, effects }), t('approve')))) return;
    await run(() => issuesApi[':id'].approve.$post({ param: { id: issue.id } }), t('approved'));
    // Reload after a failure too: "not found" means another admin handled it meanwhile.
    reload();
    announceChange();
  };

  const remove = async (issue: UserIssue) => {
    if (!(await confirmAction(t('confirmDelete', { login: issue.user.login }), t('delete')))) return;
    await run(() => issuesApi[':id'].$delete({ param: { id: issue.id } }), t('deleted'));
    reload();
    announceChange();
  };

  return (
    <>
      <PageHeader title={t('title')} />
      <p class="muted">{t('intro')}</p>
      <NotificationSwitch />
      {error ? <p class="alert error">{error}</p> : null}
      {!data && !error ? <div class="loading" aria-busy="true" /> : null}
      {data?.items.length === 0 ? <Empty>{t('none')}</Empty> : null}
      {data && data.items.length > 0 ? (
        <>
          <p class="muted">{t('legend')}</p>
          {/* The table scrolls sideways on a phone rather than squeezing the markers. */}
          <div style={{ overflowX: 'auto' }}>
            <table class="data">
              <thead>
                <tr>
                  <th>{t('login')}</th>
                  <th>{t('lost')}</th>
                  <th>{t('authenticators')}</th>
                  <th>{t('filed')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.items.map((issue) => (
                  <tr key={issue.id} data-issue={issue.id}>
                    <td class="long">
                      <a href={`/admin/users/${issue.user.id}`} onClick={onLinkClick}>
                        {issue.user.login}
                      </a>
                      <div class="muted">{`${issue.user.firstName ?? ''} ${issue.user.lastName ?? ''}`.trim()}</div>
                      {issue.resource ? (
                        <div class="muted">
                          {t('resource')}:{' '}
                          <a href={`/admin/resources/${issue.resource.id}`} onClick={onLinkClick}>
                            {issue.resource.name}
                          </a>
                        </div>
                      ) : null}
                    </td>
                    {/* What the user lost, and under it what they gave instead: a column of its own for the new data
                        was empty for most requests and pushed the actions off screen at 1024 px. */}
                    <td class="long">
                      {issue.lost.map((what) => t(what)).join(', ')}
                      {issue.newPasswordGiven || issue.newEmail ? (
                        <div class="hint" data-testid="issue-new-data">
                          {[issue.newPasswordGiven ? t('newPassword') : '', issue.newEmail ? t('newEmail', { email: issue.newEmail }) : ''].filter(Boolean).join('; ')}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <ul class="row" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label={t('authenticators')}>
                        {AUTHENTICATORS.map((authenticator) => {
                          const status = issue.authenticators[authenticator] ?? 'none';
                          const text = t('marker', { authenticator: t(authenticator), status: t(`status_${status}`) });
                          const Marker = MARKER_ICON[status];
                          return (
                            <li key={authenticator} class={`pill ${MARKER_CLASS[status]}`} title={text} data-authenticator={authenticator} data-status={status}>
                              <Marker size={12} />{' '}
                              {text}
                            </li>
                          );
                        })}
                      </ul>
                    </td>
                    <td>{formatDateTime(issue.createdAt)}</td>
                    {/* The delete icon may go under the button when room is short. */}
                    <td class="actions wrap">
                      <Button busy={busy} onClick={() => void approve(issue)}>
                        {t('verifyIdentity')}
                      </Button>{' '}
                      <button
                        type="button"
                        class="icon-button"
                        disabled={busy}
                        onClick={() => void remove(issue)}
                        aria-label={t('deleteRequest', { login: issue.user.login })}
                        title={t('deleteRequest', { login: issue.user.login })}
                      >
                        <TrashIcon />
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  );
}

/** Email to administrators about new requests; the in-app badge is always on. */
function NotificationSwitch() {
  const t = useTranslator(userIssueStrings);
  const { data, setData } = useAnswer((init) => answer(issuesApi.settings.$get({}, { init })), []);
  const [busy, setBusy] = useState(false);
  if (!data) return null;
  return (
    <section class="panel">
      <label class="checkbox">
        <input
          type="checkbox"
          role="switch"
          name="notify-by-email"
          checked={data.notifyByEmail}
          disabled={busy}
          onChange={async (event) => {
            const notifyByEmail = (event.currentTarget as HTMLInputElement).checked;
            // Shown at once; put back if the server refuses.
            setData({ notifyByEmail });
            setBusy(true);
            try {
              setData(await answer(issuesApi.settings.$put({ json: { notifyByEmail } })));
              showToast(notifyByEmail ? t('notifyOn') : t('notifyOff'));
            } catch (failure) {
              showToast(describeError(failure), 'error');
              setData({ ...data });
            } finally {
              setBusy(false);
            }
          }}
        />
        <span>{t('notifySwitch')}</span>
        <span class={`pill ${data.notifyByEmail ? 'ok' : 'off'}`} aria-hidden="true">
          {data.notifyByEmail ? t('on') : t('off')}
        </span>
      </label>
      <small class="hint">{t('notifyHint')}</small>
    </section>
  );
}
