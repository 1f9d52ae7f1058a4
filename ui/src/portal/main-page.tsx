/**
 * The portal's main page after sign-in: the user's data and token on this resource, and the actions the
 * administrator enabled, in the administrator's order. Each action opens as a small dialog.
 */
import type { ComponentType } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { EmailAddress } from '../components/email-address';
import { Alert, Button } from '../components/form';
import { Dialog, LanguageSwitch } from '../components/layout';
import type { PortalApi } from '../lib/api-client';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { ChangeEmail, ChangeLogin, ChangeName, ChangePassword, ChangePhone, CreatePassword } from './account-actions';
import type { ActionProps } from './action-kit';
import { ManageEnvironments } from './environment-action';
import { GenerateRecoveryCodes } from './recovery-codes-action';
import type { PortalOverview, SelfServiceAction } from './portal-api';
import { portalStrings, type PortalKey } from './strings';
import { ExistingToken, PinSetup, RegisterToken, RemovePin, SynchronizeToken, UnassignToken } from './token-actions';

const SCREENS: Record<SelfServiceAction, ComponentType<ActionProps>> = {
  registerNewToken: RegisterToken,
  registerExistingToken: ExistingToken,
  reassignToken: (props) => <RegisterToken {...props} reassign />,
  unassignToken: UnassignToken,
  synchronizeToken: SynchronizeToken,
  setupPin: PinSetup,
  removePin: RemovePin,
  createPassword: CreatePassword,
  changePassword: ChangePassword,
  changeEmail: ChangeEmail,
  changePhone: ChangePhone,
  changeLogin: ChangeLogin,
  changeName: ChangeName,
  manageEnvironment: ManageEnvironments,
  GenerateRecoveryCodes,
};

/** Why an enabled action cannot apply to this user right now (the server would refuse it with the same reason). */
function unavailableReason(action: SelfServiceAction, overview: PortalOverview): PortalKey | null {
  const token = overview.token;
  switch (action) {
    case 'reassignToken':
    case 'unassignToken':
    case 'synchronizeToken':
    case 'setupPin':
      return token ? null : 'needsToken';
    case 'removePin':
      return !token ? 'needsToken' : token.hasPin ? null : 'needsPin';
    case 'createPassword':
      return overview.user.hasPassword ? 'hasPassword' : null;
    case 'changePassword':
      return overview.user.hasPassword ? null : 'needsPassword';
    default:
      return null;
  }
}

export function MainPage(props: { client: PortalApi; overview: PortalOverview; onChanged: () => Promise<void>; onSignOut: () => void; onSessionEnded: () => void }) {
  const t = useTranslator(portalStrings);
  const { overview } = props;
  const [active, setActive] = useState<SelfServiceAction | null>(null);
  const [message, setMessage] = useState('');
  const changedWhileOpen = useRef(false);
  const Screen = active ? SCREENS[active] : null;

  async function done(text: string) {
    changedWhileOpen.current = false;
    setActive(null);
    // The message appears with the refreshed data, never next to the old state.
    await props.onChanged();
    setMessage(text);
  }

  function close() {
    setActive(null);
    if (changedWhileOpen.current) {
      changedWhileOpen.current = false;
      void props.onChanged();
    }
  }

  return (
    <main class="portal">
      <header>
        <div>
          <h1>{overview.resource.name}</h1>
          <p class="muted">{t('signedInAs', { login: overview.user.login })}</p>
        </div>
        <div class="row">
          <LanguageSwitch />
          <Button variant="secondary" onClick={props.onSignOut}>
            {t('signOut')}
          </Button>
        </div>
      </header>
      <Alert kind="success">{message}</Alert>

      <section class="panel">
        <h2>{t('yourData')}</h2>
        <dl class="facts">
          <dt>{t('name')}</dt>
          <dd>{`${overview.user.firstName} ${overview.user.lastName}`.trim() || t('none')}</dd>
          <dt>{t('login')}</dt>
          <dd>{overview.user.login}</dd>
          <dt>{t('email')}</dt>
          <dd>{overview.user.email ? <EmailAddress value={overview.user.email} /> : t('none')}</dd>
          <dt>{t('phone')}</dt>
          <dd>{overview.user.phone ?? t('none')}</dd>
          <dt>{t('token')}</dt>
          <dd data-testid="portal-token">
            <TokenSummary overview={overview} />
          </dd>
          {overview.recoveryCodes || overview.actions.includes('GenerateRecoveryCodes') ? (
            <>
              <dt>{t('recoveryCodes')}</dt>
              <dd data-testid="portal-recovery-codes">
                {overview.recoveryCodes ? `${t('recoveryRemaining', { remaining: overview.recoveryCodes.remaining, total: overview.recoveryCodes.total })} · ${formatDateTime(overview.recoveryCodes.createdAt)}` : t('none')}
              </dd>
            </>
          ) : null}
        </dl>
      </section>

      <h2>{t('actionsTitle')}</h2>
      {overview.actions.length === 0 ? <p class="muted">{t('noActions')}</p> : null}
      <div class="action-grid">
        {overview.actions.map((action) => {
          const reason = unavailableReason(action, overview);
          return (
            <button
              key={action}
              type="button"
              disabled={reason !== null}
              onClick={() => {
                setMessage('');
                setActive(action);
              }}
            >
              <strong>
                {t(action)}
                {action === 'manageEnvironment' ? <span class="experimental">{t('experimental')}</span> : null}
              </strong>
              <span class="muted">{t(reason ?? `${action}Text`)}</span>
            </button>
          );
        })}
      </div>

      <Dialog
        title={
          active ? (
            <>
              {t(active)}
              {active === 'manageEnvironment' ? <span class="experimental">{t('experimental')}</span> : null}
            </>
          ) : (
            ''
          )
        }
        open={active !== null}
        onClose={close}
      >
        {Screen ? (
          <Screen client={props.client} overview={overview} onDone={done} onCancel={close} onSessionEnded={props.onSessionEnded} markChanged={() => (changedWhileOpen.current = true)} />
        ) : null}
      </Dialog>
    </main>
  );
}

function TokenSummary({ overview }: { overview: PortalOverview }) {
  const t = useTranslator(portalStrings);
  const token = overview.token;
  if (!token) return <>{t('noToken')}</>;
  const notes = [
    !token.enabled ? t('tokenDisabled') : null,
    !token.activated ? t('tokenPending') : null,
    token.hasPin ? t('withPin', { position: t(token.pinPosition === 'after' ? 'after' : 'before') }) : null,
  ].filter(Boolean);
  return (
    <>
      <code>{token.serial}</code> · {token.type === 'PASSKEY' ? t('passkeyTypeShort') : token.type}
      {token.destination ? ` · ${token.destination}` : ''}
      {token.description ? ` · ${token.description}` : ''}
      {notes.length ? <span class={token.enabled ? 'muted' : 'pill off'}> {notes.join(', ')}</span> : null}
    </>
  );
}
