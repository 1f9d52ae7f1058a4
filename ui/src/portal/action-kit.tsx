/** What every action screen gets, and the one way they submit (busy state, errors, an ended session). */
import { useState } from 'preact/hooks';
import { Button } from '../components/form';
import { useTranslator } from '../lib/i18n';
import { isSessionEnded, portalError, type PortalClient, type PortalOverview } from './portal-api';
import { portalStrings } from './strings';

export interface ActionProps {
  client: PortalClient;
  overview: PortalOverview;
  /** The action succeeded: close the screen and show this message. */
  onDone: (message: string) => void;
  onCancel: () => void;
  onSessionEnded: () => void;
  /** Something changed while the screen stays open (new recovery codes on screen): refresh when it closes. */
  markChanged: () => void;
}

export function useSubmit(props: Pick<ActionProps, 'onSessionEnded'>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(work: () => Promise<void>) {
    setBusy(true);
    setError('');
    try {
      await work();
    } catch (failure) {
      if (isSessionEnded(failure)) props.onSessionEnded();
      else setError(portalError(failure));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, submit };
}

/** The buttons at the bottom of an action screen. */
export function Actions(props: { busy: boolean; label: string; onCancel: () => void; variant?: 'primary' | 'danger' }) {
  const t = useTranslator(portalStrings);
  return (
    <div class="row end">
      <Button variant="secondary" onClick={props.onCancel}>
        {t('cancel')}
      </Button>
      <Button type="submit" busy={props.busy} variant={props.variant ?? 'primary'}>
        {props.label}
      </Button>
    </div>
  );
}
