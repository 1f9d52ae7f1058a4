/** Importing tokens from CSV or PSKC (RFC 6030): a preview first, then all or nothing. */
import { useState } from 'preact/hooks';
import { Alert, Button, TextField } from '../../components/form';
import { Tabs } from '../../components/layout';
import { showToast } from '../../components/toast';
import { ApiError } from '../../lib/api';
import { adminApi, answer as answerOf } from '../../lib/api-client';
import { describeError, useTranslator } from '../../lib/i18n';
import { adminStrings } from '../strings';
import type { ImportProblem } from '../../../../worker/tokens/import-csv';

export function ImportForm({ onDone }: { onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const [format, setFormat] = useState<'csv' | 'pskc'>('csv');
  const [text, setText] = useState('');
  const [psk, setPsk] = useState('');
  const [preview, setPreview] = useState<Array<{ serial: string; type: string }> | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  async function send(dryRun: boolean) {
    setBusy(true);
    setProblems([]);
    try {
      const answer = await answerOf(format === 'csv' ? adminApi.tokens.import.csv.$post({ json: { csv: text, dryRun } }) : adminApi.tokens.import.pskc.$post({ json: { xml: text, preSharedKeyHex: psk.trim() || undefined, dryRun } }));
      if (dryRun) setPreview(answer.tokens);
      else {
        showToast(t('imported', { count: answer.imported }));
        onDone();
      }
    } catch (failure) {
      const details = failure instanceof ApiError ? (failure.details as { problems?: ImportProblem[] } | undefined) : undefined;
      const list = details?.problems ?? [];
      setProblems([describeError(failure), ...list.map((p) => `${t('line')} ${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`)]);
      setPreview(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="stack">
      <Tabs tabs={[{ id: 'csv', label: 'CSV' }, { id: 'pskc', label: 'PSKC (RFC 6030)' }]} active={format} onSelect={(f) => { setFormat(f); setPreview(null); setProblems([]); }} />
      {format === 'csv' ? <p class="hint">{t('importHelp')}</p> : null}
      <div class="field">
        <label for="import-file">{format === 'csv' ? t('csvFile') : t('pskcFile')}</label>
        <input
          id="import-file"
          type="file"
          accept={format === 'csv' ? '.csv,text/csv' : '.xml,.pskc,application/xml'}
          onChange={async (event) => {
            const file = (event.currentTarget as HTMLInputElement).files?.[0];
            if (file) setText(await file.text());
          }}
        />
      </div>
      <textarea rows={8} aria-label={format === 'csv' ? t('csvFile') : t('pskcFile')} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} class="mono" />
      {format === 'pskc' ? <TextField label={t('preSharedKey')} name="psk" value={psk} onValue={setPsk} autocomplete="off" /> : null}
      {problems.length ? (
        <Alert>
          {problems[0]}
          {problems.length > 1 ? (
            <ul>
              {problems.slice(1).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      {preview ? (
        <Alert kind="info">
          {t('willImport', { count: preview.length })} {preview.slice(0, 10).map((p) => p.serial).join(', ')}
          {preview.length > 10 ? ' …' : ''}
        </Alert>
      ) : null}
      <div class="row end">
        <Button variant="secondary" busy={busy} disabled={!text} onClick={() => send(true)}>
          {t('preview')}
        </Button>
        <Button busy={busy} disabled={!text} onClick={() => send(false)}>
          {t('import')}
        </Button>
      </div>
    </div>
  );
}

