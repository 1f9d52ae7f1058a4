/**
 * Recovery codes, as /profile and the portal's "Generate Recovery Codes" show them: how many of the current set
 * remain, a new set on request (a warning first when it voids an existing set), and the new codes on the one
 * recovery codes sheet (ui/src/components/recovery-codes-sheet.tsx). What is shown cannot be shown again, so here
 * the sheet stays in the page (not in a dialog that Escape would close) until the user says they saved the codes.
 */
import { useState } from 'preact/hooks';
import { Alert, Button } from '../components/form';
import { RecoveryCodesSheet } from '../components/recovery-codes-sheet';
import type { InferResponseType } from 'hono/client';
import type { ProfileApi } from '../lib/api-client';
import { describeError, formatDateTime, useTranslator, type Dictionaries } from '../lib/i18n';
import type { ProfileAnswer } from '../../../worker/profile/answers';

/** The set's state as GET /api/profile declares it; a new set as POST /api/profile/recovery-codes answers it. */
export type RecoveryCodeStatus = NonNullable<ProfileAnswer['recoveryCodes']>;
export type GeneratedRecoveryCodes = InferResponseType<ProfileApi['recovery-codes']['$post']>;

const strings: Dictionaries = {
  en: {
    recoveryTitle: 'Recovery codes',
    recoveryIntro: 'If you cannot use your token or passkey, a recovery code signs you in instead. Each code works once. Keep them somewhere safe, away from your devices.',
    recoveryNone: 'You have no recovery codes yet.',
    recoveryRemaining: '{remaining} of {total} codes left (created {createdAt}).',
    recoverySpent: 'All codes of your set are used. Generate a new set.',
    recoveryGenerate: 'Generate recovery codes',
    recoveryReplaceWarning: 'A new set replaces your current codes: the codes you saved before stop working at once.',
    recoveryReplaceConfirm: 'Replace my codes',
    recoveryCancel: 'Cancel',
    recoveryFileTitle: 'Recovery codes for {account} at {site}, created {createdAt}',
  },
  de: {
    recoveryTitle: 'Wiederherstellungscodes',
    recoveryIntro: 'Wenn Sie Ihr Token oder Ihren Passkey nicht nutzen können, meldet Sie ein Wiederherstellungscode stattdessen an. Jeder Code gilt einmal. Bewahren Sie sie sicher auf, getrennt von Ihren Geräten.',
    recoveryNone: 'Sie haben noch keine Wiederherstellungscodes.',
    recoveryRemaining: 'Noch {remaining} von {total} Codes übrig (erstellt {createdAt}).',
    recoverySpent: 'Alle Codes Ihres Satzes sind verbraucht. Erzeugen Sie einen neuen Satz.',
    recoveryGenerate: 'Wiederherstellungscodes erzeugen',
    recoveryReplaceWarning: 'Ein neuer Satz ersetzt Ihre bisherigen Codes: Die zuvor gespeicherten Codes gelten sofort nicht mehr.',
    recoveryReplaceConfirm: 'Meine Codes ersetzen',
    recoveryCancel: 'Abbrechen',
    recoveryFileTitle: 'Wiederherstellungscodes für {account} bei {site}, erstellt {createdAt}',
  },
};

/**
 * `generate` makes the new set on the server (the caller's client, wrapped for step-up); `onGenerated` hands the
 * new status back so the page can show the remaining count once the codes are put away.
 */
export function RecoveryCodesSection(props: {
  status: RecoveryCodeStatus | null;
  account: string;
  generate: () => Promise<GeneratedRecoveryCodes>;
  onGenerated: (status: RecoveryCodeStatus) => void;
}) {
  const t = useTranslator(strings);
  const [confirmingReplace, setConfirmingReplace] = useState(false);
  const [shown, setShown] = useState<GeneratedRecoveryCodes | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const { status } = props;

  async function generate() {
    setBusy(true);
    setError('');
    try {
      const generated = await props.generate();
      setConfirmingReplace(false);
      setShown(generated);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  function putAway() {
    if (shown) props.onGenerated({ remaining: shown.codes.length, total: shown.codes.length, createdAt: shown.createdAt });
    setShown(null);
  }

  return (
    <section class="stack" aria-label={t('recoveryTitle')}>
      <h2>{t('recoveryTitle')}</h2>
      <p class="hint">{t('recoveryIntro')}</p>
      {/* While the new codes are on screen the old status is no longer true; the count returns when they are put away. */}
      <p data-testid="recovery-codes-status" hidden={shown !== null}>
        {!status
          ? t('recoveryNone')
          : status.remaining === 0
            ? t('recoverySpent')
            : t('recoveryRemaining', { remaining: status.remaining, total: status.total, createdAt: formatDateTime(status.createdAt) })}
      </p>
      {shown ? (
        <RecoveryCodesSheet
          codes={shown.codes}
          title={t('recoveryFileTitle', { account: props.account, site: location.host, createdAt: formatDateTime(shown.createdAt) })}
          fileName={`recovery-codes-${location.hostname}.txt`}
          onSaved={putAway}
        />
      ) : confirmingReplace ? (
        <div class="stack">
          <Alert kind="warning">{t('recoveryReplaceWarning')}</Alert>
          <div class="row">
            <Button variant="danger" busy={busy} onClick={() => void generate()}>
              {t('recoveryReplaceConfirm')}
            </Button>
            <Button variant="link" disabled={busy} onClick={() => setConfirmingReplace(false)}>
              {t('recoveryCancel')}
            </Button>
          </div>
        </div>
      ) : (
        <div class="row">
          <Button variant="secondary" busy={busy} onClick={() => (status && status.remaining > 0 ? setConfirmingReplace(true) : void generate())}>
            {t('recoveryGenerate')}
          </Button>
        </div>
      )}
      <Alert>{error}</Alert>
    </section>
  );
}
