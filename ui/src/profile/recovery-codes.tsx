/**
 * Recovery codes, as /profile and the portal's "Generate Recovery Codes" show them: how many of the current set
 * remain, a new set on request (a warning first when it voids an existing set), and the new codes shown this once
 * with Copy, Download (.txt) and Print until the user says they saved them. The server keeps only hashes, so what
 * is shown cannot be shown again: the codes stay in the page (not in a dialog that Escape would close) until the
 * user confirms with "I have saved them".
 */
import { useState } from 'preact/hooks';
import { Alert, Button } from '../components/form';
import { describeError, formatDateTime, useTranslator, type Dictionaries } from '../lib/i18n';

export interface RecoveryCodeStatus {
  remaining: number;
  total: number;
  createdAt: number;
}

export interface GeneratedRecoveryCodes {
  codes: string[];
  createdAt: number;
}

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
    recoveryShownOnce: 'Save these codes now. They are shown only this once; we keep no readable copy.',
    recoveryCopy: 'Copy',
    recoveryCopied: 'Copied.',
    recoveryCopyFailed: 'The browser did not allow copying. Select the codes and copy them, or download them.',
    recoveryDownload: 'Download (.txt)',
    recoveryPrint: 'Print',
    recoverySaved: 'I have saved them',
    recoveryFileIntro: 'Recovery codes for {account} at {site}, created {createdAt}. Each code works once.',
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
    recoveryShownOnce: 'Speichern Sie diese Codes jetzt. Sie werden nur dieses eine Mal angezeigt; wir bewahren keine lesbare Kopie auf.',
    recoveryCopy: 'Kopieren',
    recoveryCopied: 'Kopiert.',
    recoveryCopyFailed: 'Der Browser hat das Kopieren nicht erlaubt. Markieren und kopieren Sie die Codes oder laden Sie sie herunter.',
    recoveryDownload: 'Herunterladen (.txt)',
    recoveryPrint: 'Drucken',
    recoverySaved: 'Ich habe sie gespeichert',
    recoveryFileIntro: 'Wiederherstellungscodes für {account} bei {site}, erstellt {createdAt}. Jeder Code gilt einmal.',
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
        <CodesSheet generated={shown} account={props.account} onSaved={putAway} />
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

function CodesSheet({ generated, account, onSaved }: { generated: GeneratedRecoveryCodes; account: string; onSaved: () => void }) {
  const t = useTranslator(strings);
  const [copyNotice, setCopyNotice] = useState<{ kind: 'success' | 'warning'; text: string } | null>(null);
  const fileText = () =>
    [t('recoveryFileIntro', { account, site: location.host, createdAt: formatDateTime(generated.createdAt) }), '', ...generated.codes, ''].join('\n');

  async function copy() {
    try {
      await navigator.clipboard.writeText(generated.codes.join('\n'));
      setCopyNotice({ kind: 'success', text: t('recoveryCopied') });
    } catch {
      setCopyNotice({ kind: 'warning', text: t('recoveryCopyFailed') });
    }
  }

  function download() {
    const url = URL.createObjectURL(new Blob([fileText()], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `recovery-codes-${location.hostname}.txt`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // Revoked a moment later: some browsers read the blob only after click() has returned.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // A window holding only the codes, so the page around them (and its other data) is not printed.
  function print() {
    const sheet = window.open('', '_blank', 'popup,width=480,height=640');
    if (!sheet) return;
    const body = sheet.document.body;
    sheet.document.title = t('recoveryTitle');
    const pre = sheet.document.createElement('pre');
    pre.style.font = '16px/1.8 ui-monospace, monospace';
    pre.textContent = fileText();
    body.appendChild(pre);
    sheet.focus();
    sheet.print();
  }

  return (
    <div class="stack">
      <Alert kind="warning">{t('recoveryShownOnce')}</Alert>
      <ol class="recovery-codes" data-testid="recovery-codes" style={{ fontFamily: 'ui-monospace, monospace', fontSize: '1.05rem', lineHeight: 1.8, columns: 2 }}>
        {generated.codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      {copyNotice ? <Alert kind={copyNotice.kind}>{copyNotice.text}</Alert> : null}
      <div class="row">
        <Button variant="secondary" onClick={() => void copy()}>
          {t('recoveryCopy')}
        </Button>
        <Button variant="secondary" onClick={download}>
          {t('recoveryDownload')}
        </Button>
        <Button variant="secondary" onClick={print}>
          {t('recoveryPrint')}
        </Button>
        <span class="spacer" />
        <Button onClick={onSaved}>{t('recoverySaved')}</Button>
      </div>
    </div>
  );
}
