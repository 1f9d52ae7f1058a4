/**
 * A new set of recovery codes, shown this once (the server keeps only their hashes) with Copy, Download (.txt) and
 * Print, until the user says they saved them: the one sheet /profile and the portal's "Generate Recovery Codes"
 * show. While the codes are on screen a print sheet waits at the end of the page, so printing (the button or the
 * browser's own menu) puts only the codes on paper, without the page around them and without a pop-up a browser
 * may block.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Dictionaries, useTranslator } from '../lib/i18n';
import { Alert, Button } from './form';

export const recoveryCodesSheetStrings: Dictionaries = {
  en: {
    recoveryShownOnce: 'Save these codes now: they are shown only this once. Each code works once.',
    recoveryCodesLabel: 'Your recovery codes',
    recoveryFileNote: 'Each code works once. Generating new codes voids these.',
    recoveryCopy: 'Copy',
    recoveryCopied: 'Copied',
    recoveryCopyFailed: 'The browser did not allow copying. Select the codes and copy them, or download them.',
    recoveryDownload: 'Download (.txt)',
    recoveryPrint: 'Print',
    recoverySaved: 'I have saved them',
  },
  de: {
    recoveryShownOnce: 'Speichern Sie diese Codes jetzt: Sie werden nur dieses eine Mal angezeigt. Jeder Code funktioniert einmal.',
    recoveryCodesLabel: 'Ihre Wiederherstellungscodes',
    recoveryFileNote: 'Jeder Code funktioniert einmal. Neu erzeugte Codes machen diese ungültig.',
    recoveryCopy: 'Kopieren',
    recoveryCopied: 'Kopiert',
    recoveryCopyFailed: 'Der Browser hat das Kopieren nicht erlaubt. Markieren und kopieren Sie die Codes oder laden Sie sie herunter.',
    recoveryDownload: 'Herunterladen (.txt)',
    recoveryPrint: 'Drucken',
    recoverySaved: 'Ich habe sie gespeichert',
  },
};
/**
 * On paper only the print sheet, a sibling of the app: hiding the app's root takes an open dialog (in the top
 * layer, but inside the root) with it.
 */
const PRINT_RULES = `
.recovery-print { display: none; }
@media print {
  body > :not(.recovery-print) { display: none !important; }
  .recovery-print { display: block; color: #000; background: #fff; }
  .recovery-print ol { font-family: ui-monospace, monospace; font-size: 14pt; line-height: 1.8; }
}`;

function PrintSheet(props: { title: string; codes: string[]; note: string }) {
  return (
    <>
      <style>{PRINT_RULES}</style>
      <h1>{props.title}</h1>
      <ol>
        {props.codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      <p>{props.note}</p>
    </>
  );
}

/** Keeps the print sheet at the end of <body> while the codes are shown, and takes it away with them. */
function usePrintSheet(sheet: { title: string; codes: string[]; note: string }) {
  useEffect(() => {
    const host = document.createElement('div');
    host.className = 'recovery-print';
    host.setAttribute('data-testid', 'recovery-print');
    document.body.appendChild(host);
    render(<PrintSheet {...sheet} />, host);
    return () => {
      render(null, host);
      host.remove();
    };
  }, [sheet.title, sheet.note, sheet.codes]);
}

/** `title` heads the file, the copy and the paper (whose codes, for which account, when); `fileName` ends in .txt. */
export function RecoveryCodesSheet(props: { codes: string[]; title: string; fileName: string; onSaved: () => void }) {
  const t = useTranslator(recoveryCodesSheetStrings);
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const { codes, title } = props;
  const note = t('recoveryFileNote');
  const asText = [title, '', ...codes.map((code, index) => `${String(index + 1).padStart(2, ' ')}. ${code}`), '', note, ''].join('\n');
  usePrintSheet({ title, codes, note });

  function download() {
    const url = URL.createObjectURL(new Blob([asText], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = props.fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // Revoked a moment later: some browsers read the blob only after click() has returned.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  return (
    <div class="stack">
      <Alert kind="warning">{t('recoveryShownOnce')}</Alert>
      <ol
        aria-label={t('recoveryCodesLabel')}
        data-testid="recovery-codes"
        style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(11rem, 1fr))', gap: '0.35rem 1.5rem', margin: 0, paddingLeft: '2rem' }}
      >
        {codes.map((code) => (
          <li key={code}>
            <code style={{ fontSize: '1.05rem', letterSpacing: '0.05em' }}>{code}</code>
          </li>
        ))}
      </ol>
      {copy === 'failed' ? <Alert kind="warning">{t('recoveryCopyFailed')}</Alert> : null}
      <div class="row">
        {/* The clipboard API exists only in secure contexts (https or localhost). */}
        {navigator.clipboard ? (
          <Button variant="secondary" onClick={() => navigator.clipboard.writeText(asText).then(() => setCopy('copied'), () => setCopy('failed'))}>
            {copy === 'copied' ? t('recoveryCopied') : t('recoveryCopy')}
          </Button>
        ) : null}
        <Button variant="secondary" onClick={download}>
          {t('recoveryDownload')}
        </Button>
        <Button variant="secondary" onClick={() => window.print()}>
          {t('recoveryPrint')}
        </Button>
      </div>
      <div class="row end">
        <Button onClick={props.onSaved}>{t('recoverySaved')}</Button>
      </div>
    </div>
  );
}
