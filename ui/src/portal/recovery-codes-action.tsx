/**
 * Generate Recovery Codes: a warning that the current set stops working, then the new codes, shown this once (the
 * server keeps only their hashes) with Copy, Download (.txt) and Print. While the codes are on screen, a print
 * sheet waits at the end of the page: printing (the button or the browser's own menu) shows it alone.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Alert, Button } from '../components/form';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { Actions, useSubmit, type ActionProps } from './action-kit';
import type { RecoveryCodesIssued } from './portal-api';
import { portalStrings } from './strings';

export function GenerateRecoveryCodes(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [issued, setIssued] = useState<RecoveryCodesIssued | null>(null);
  const { busy, error, submit } = useSubmit(props);
  const current = props.overview.recoveryCodes;

  if (issued) {
    return (
      <RecoveryCodesSheet
        issued={issued}
        resource={props.overview.resource}
        login={props.overview.user.login}
        onSaved={() => props.onDone(t('recoveryCodesDone', { count: issued.codes.length }))}
      />
    );
  }
  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          const answer = await props.client.post<RecoveryCodesIssued>('/recovery-codes');
          // The old set is void from here on, whether or not the user saves the new one: the page must refresh.
          props.markChanged();
          setIssued(answer);
        });
      }}
    >
      <p>{t('recoveryIntro')}</p>
      {current && current.remaining > 0 ? <Alert kind="warning">{t('recoveryVoidsCurrent', { remaining: current.remaining, total: current.total })}</Alert> : null}
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('generateCodes')} onCancel={props.onCancel} />
    </form>
  );
}

/**
 * On paper only the print sheet, a sibling of the app: hiding the app's root takes the open dialog (in the top
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

function RecoveryCodesSheet(props: { issued: RecoveryCodesIssued; resource: { name: string; alias: string }; login: string; onSaved: () => void }) {
  const t = useTranslator(portalStrings);
  const [copied, setCopied] = useState(false);
  const { codes, createdAt } = props.issued;
  const title = t('recoveryFileTitle', { resource: props.resource.name, login: props.login, date: formatDateTime(createdAt) });
  const asText = [title, '', ...codes.map((code, index) => `${String(index + 1).padStart(2, ' ')}. ${code}`), '', t('recoveryFileNote'), ''].join('\n');
  usePrintSheet({ title, codes, note: t('recoveryFileNote') });

  function download() {
    const url = URL.createObjectURL(new Blob([asText], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `recovery-codes-${props.resource.alias}-${new Date(createdAt).toISOString().slice(0, 10)}.txt`;
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
      <div class="row">
        {/* The clipboard API exists only in secure contexts (https or localhost). */}
        {navigator.clipboard ? (
          <Button variant="secondary" onClick={() => navigator.clipboard.writeText(asText).then(() => setCopied(true), () => setCopied(false))}>
            {copied ? t('copied') : t('copy')}
          </Button>
        ) : null}
        <Button variant="secondary" onClick={download}>
          {t('download')}
        </Button>
        <Button variant="secondary" onClick={() => window.print()}>
          {t('print')}
        </Button>
      </div>
      <div class="row end">
        <Button onClick={props.onSaved}>{t('savedThem')}</Button>
      </div>
    </div>
  );
}
