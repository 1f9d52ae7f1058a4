/**
 * The self-service portal at /selfservice/<alias>: finds the portal, then shows the sign-in (with "Restore
 * access"), or the main page for a signed-in user. An unknown or disabled portal shows "portal not found".
 * Kept free of the admin center's modules so the portal's chunk stays small.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Alert, Button } from '../components/form';
import { Card } from '../components/layout';
import { ApiError } from '../lib/api';
import { answer } from '../lib/api-client';
import { useTranslator } from '../lib/i18n';
import { navigate, useLocation } from '../lib/router';
import { MainPage } from './main-page';
import { isSessionEnded, portalClient, portalError, type PortalOverview } from './portal-api';
import { RestoreAccess } from './restore-access';
import { SignInForm } from './signin-form';
import { useStepUp } from './step-up';
import { portalStrings } from './strings';

/** Whether this page load pushed the ?restore entry (then "Back" in the form is the browser's Back). */
let enteredRestoreHere = false;
/** The login last typed at the sign-in or in Restore access: going from one to the other keeps it. */
let typedLogin = '';

type View =
  | { kind: 'loading' }
  | { kind: 'not_found' }
  | { kind: 'failed'; message: string }
  | { kind: 'signed_out'; resource: string; notice?: string }
  | { kind: 'signed_in'; overview: PortalOverview };

export default function PortalApp({ alias }: { alias: string }) {
  const t = useTranslator(portalStrings);
  const client = useMemo(() => portalClient(alias), [alias]);
  // The actions' client: a STEP_UP_REQUIRED answer asks for the current factor, then the action is sent again.
  const stepUp = useStepUp(client['step-up']);
  const actionsClient = useMemo(() => portalClient(alias, stepUp.prompt), [alias]);
  const [view, setView] = useState<View>({ kind: 'loading' });
  // Restore access is a page of its own in the history (?restore), so Back from it returns to the sign-in.
  const restoring = useLocation().search.has('restore');

  async function load(notice?: string) {
    // The portal's name for the sign-in page, and whether there is a session: only then is the overview asked for
    // (probing /me without one is a 401 that every browser logs as an error).
    let info;
    try {
      info = await answer(client.index.$get());
    } catch (failure) {
      if (failure instanceof ApiError && (failure.code === 'PORTAL_NOT_FOUND' || failure.status === 404)) setView({ kind: 'not_found' });
      else setView({ kind: 'failed', message: portalError(failure) });
      return;
    }
    if (!info.signedIn) return setView({ kind: 'signed_out', resource: info.resource, notice });
    try {
      setView({ kind: 'signed_in', overview: await answer(client.me.$get()) });
    } catch (failure) {
      // The session ended between the two answers.
      if (isSessionEnded(failure)) setView({ kind: 'signed_out', resource: info.resource, notice });
      else setView({ kind: 'failed', message: portalError(failure) });
    }
  }

  useEffect(() => {
    setView({ kind: 'loading' });
    void load();
  }, [alias]);

  const resourceName = view.kind === 'signed_in' ? view.overview.resource.name : view.kind === 'signed_out' ? view.resource : '';
  useEffect(() => {
    document.title = resourceName ? `${resourceName} · ${t('portalTitle')}` : t('portalTitle');
  }, [resourceName]);

  const signedOut = (notice?: string) => setView({ kind: 'signed_out', resource: resourceName, notice });
  const rememberLogin = (login: string) => void (typedLogin = login);
  const enterRestore = (login: string) => {
    rememberLogin(login);
    enteredRestoreHere = true;
    navigate(`${location.pathname}?restore`);
  };
  // Back to the sign-in the user came from (one entry back); opened at ?restore directly, replace it instead.
  const leaveRestore = () => {
    if (enteredRestoreHere) history.back();
    else navigate(location.pathname, { replace: true });
    enteredRestoreHere = false;
  };

  switch (view.kind) {
    case 'loading':
      return <div class="loading" aria-busy="true" />;
    case 'not_found':
      return (
        <Card title={t('notFoundTitle')}>
          <p>{t('notFoundText')}</p>
        </Card>
      );
    case 'failed':
      return (
        <Card title={t('portalTitle')}>
          <div class="stack">
            <Alert>{t('loadFailed')} {view.message}</Alert>
            <Button onClick={() => load()}>{t('retry')}</Button>
          </div>
        </Card>
      );
    case 'signed_out':
      if (restoring) {
        return (
          <Card title={t('restoreTitle')}>
            <RestoreAccess client={client} onBack={leaveRestore} initialLogin={typedLogin} onLogin={rememberLogin} />
          </Card>
        );
      }
      return (
        <Card title={t('signInTitle')}>
          <p class="muted">{t('portalFor', { resource: view.resource })}</p>
          <SignInForm client={client} notice={view.notice} onSignedIn={() => load()} onRestore={enterRestore} initialLogin={typedLogin} />
        </Card>
      );
    case 'signed_in':
      return (
        <>
          <MainPage
            client={actionsClient}
            overview={view.overview}
            onChanged={() => load(t('sessionEnded'))}
            onSessionEnded={() => signedOut(t('sessionEnded'))}
            onSignOut={async () => {
              try {
                await answer(client.signout.$post());
              } catch {
                // Signed out either way: an ended session is what the user asked for.
              }
              signedOut(t('signedOut'));
            }}
          />
          {stepUp.dialog}
        </>
      );
  }
}
