/** Registering a hardware token (TOTP, HOTP or OCRA) with the seed from its vendor; usable at once. */
import { useState } from 'preact/hooks';
import { Button, Form, SelectField, TextField } from '../../components/form';
import { adminApi } from '../../lib/api-client';
import { useTranslator } from '../../lib/i18n';
import { adminStrings } from '../strings';
import { useAction } from '../use-data';
import { HASH_ALGORITHMS, SECRET_TOKEN_TYPES, type HashAlgorithm } from '../../../../worker/contract/tokens';

export function HardwareTokenForm({ onDone }: { onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const [type, setType] = useState<(typeof SECRET_TOKEN_TYPES)[number]>('TOTP');
  const [serial, setSerial] = useState('');
  const [seed, setSeed] = useState('');
  const [algorithm, setAlgorithm] = useState<HashAlgorithm>('SHA1');
  const [digits, setDigits] = useState('6');
  const [period, setPeriod] = useState('30');
  const [counter, setCounter] = useState('0');
  const [ocraSuite, setOcraSuite] = useState('OCRA-1:HOTP-SHA1-6:QN08');
  const { busy, run, form } = useAction();
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={async (event) => {
        event.preventDefault();
        const ok = await run(
          () =>
            adminApi.tokens.hardware.$post({
              json: {
                type,
                serial,
                seed,
                algorithm,
                digits: Number(digits),
                periodSeconds: Number(period),
                counter: Number(counter),
                ocraSuite: type === 'OCRA' ? ocraSuite : undefined,
              },
            }),
          t('saved'),
        );
        if (ok) onDone();
      }}
    >
      <div class="grid-2">
        <SelectField label={t('type')} name="type" value={type} onValue={setType} options={SECRET_TOKEN_TYPES.map((v) => ({ value: v, label: v }))} />
        <TextField label={t('serial')} name="serial" value={serial} onValue={setSerial} required />
      </div>
      <TextField label={t('seed')} name="seed" value={seed} onValue={setSeed} required autocomplete="off" />
      {type === 'OCRA' ? (
        <TextField label={t('ocraSuite')} name="ocraSuite" value={ocraSuite} onValue={setOcraSuite} required />
      ) : (
        <div class="grid-2">
          <SelectField label={t('algorithm')} name="algorithm" value={algorithm} onValue={setAlgorithm} options={HASH_ALGORITHMS.map((v) => ({ value: v, label: v }))} />
          <SelectField label={t('digits')} name="digits" value={digits} onValue={setDigits} options={['6', '8'].map((v) => ({ value: v, label: v }))} />
          {type === 'TOTP' ? (
            <SelectField label={t('period')} name="period" errorPath="periodSeconds" value={period} onValue={setPeriod} options={['30', '60'].map((v) => ({ value: v, label: v }))} />
          ) : (
            <TextField label={t('counter')} name="counter" type="number" value={counter} onValue={setCounter} />
          )}
        </div>
      )}
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('create')}
        </Button>
      </div>
    </Form>
  );
}

