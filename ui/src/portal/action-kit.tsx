/** What every action screen gets, and the one way they submit (busy state, refusals at their fields, an ended session). */
import { useState } from 'preact/hooks';
import { Button, refusalsOf } from '../components/form';
import { ApiError } from '../lib/api';
import type { PortalApi } from '../lib/api-client';
import { useTranslator } from '../lib/i18n';
import { isSessionEnded, portalError, type PortalOverview } from './portal-api';
import { portalStrings } from './strings';

export interface ActionProps {
  client: PortalApi;
  overview: PortalOverview;
  /** The action succeeded: close the screen and show this message. */
  onDone: (message: string) => void;
  onCancel: () => void;
  onSessionEnded: () => void;
  /** Something changed while the screen stays open (new recovery codes on screen): refresh when it closes. */
  markChanged: () => void;
}

/** A refusal said at one field of the screen: found before sending, or a server answer that concerns that field here. */
interface FieldRefusal {
  path: string;
  /** Worded at render, so a switch of the page language rewords it. */
  describe: () => string;
}

/**
 * The one way action screens submit. `codeFields` names the field a refused code concerns on this screen
 * (OTP_INVALID: 'otp'): that refusal is said at the field, like the server's own field issues, which go to the
 * screen's `<Form {...form}>`; only a failure that concerns no field (a lock, a limit) is the screen's `error`.
 */
export function useSubmit(props: Pick<ActionProps, 'onSessionEnded'>, codeFields: Readonly<Record<string, string>> = {}) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [refusal, setRefusal] = useState<FieldRefusal | null>(null);
  /** Says `describe()` at the field `path` ('' for the screen as a whole), and nothing else. */
  function refuse(path: string, describe: () => string) {
    setFailure(null);
    setRefusal({ path, describe });
  }
  async function submit(work: () => Promise<void>) {
    setBusy(true);
    setFailure(null);
    setRefusal(null);
    try {
      await work();
    } catch (failure) {
      if (isSessionEnded(failure)) props.onSessionEnded();
      else if (failure instanceof ApiError && Object.hasOwn(codeFields, failure.code)) refuse(codeFields[failure.code]!, () => portalError(failure));
      else setFailure(failure);
    } finally {
      setBusy(false);
    }
  }
  /** A TextField's name, its refusal, and typing that answers it: `<TextField {...field('otp', setOtp)} />`. */
  function field(name: string, onValue: (value: string) => void) {
    const mine = refusal?.path === name;
    return {
      name,
      error: mine ? refusal.describe() : undefined,
      onValue: (value: string) => {
        if (mine) setRefusal(null);
        onValue(value);
      },
    };
  }
  // Path '': a refusal of the screen's choice as a whole (no field to say it at), said where a failure is.
  const error = refusal?.path === '' ? refusal.describe() : failure && refusalsOf(failure).length === 0 ? portalError(failure) : '';
  return { busy, error, refuse, field, submit, form: { failure } };
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
