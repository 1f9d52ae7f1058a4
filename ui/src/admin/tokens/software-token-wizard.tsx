/**
 * A new software token: choose its parameters and owner, then the QR code and secret (shown once, with Copy
 * buttons) and the first OTP, which activates it. Closing the dialog on that step asks first: the code is not shown
 * again, and an enrolment never activated expires.
 */
import { useState } from 'preact/hooks';
import { CopyButton } from '../../components/copy-button';
import { confirmDialog, useAskBeforeClosing } from '../../components/dialog';
import { Button, Form, SelectField, TextField } from '../../components/form';
import { showToast } from '../../components/toast';
import { adminApi, answer as answerOf } from '../../lib/api-client';
import { describeError, useTranslator } from '../../lib/i18n';
import { adminStrings } from '../strings';
import { useAction } from '../use-data';
import { UserPicker } from '../users-page';
import { tokenPageStrings } from './strings';
import { QrCode } from './token-status';
import { TOKEN_DESCRIPTION_MAX_LENGTH } from '../../../../worker/contract/fields';
import type { EnrolmentAnswer } from '../../../../worker/tokens/answers';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../../../../worker/contract/tokens';

export function SoftwareTokenWizard({ onDone }: { onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const p = useTranslator(tokenPageStrings);
  const [type, setType] = useState<'TOTP' | 'HOTP'>('TOTP');
  const [algorithm, setAlgorithm] = useState<HashAlgorithm>('SHA1');
  const [digits, setDigits] = useState<'6' | '8'>('6');
  const [period, setPeriod] = useState<'30' | '60'>('30');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState<{ id: string; login: string } | null>(null);
  const [created, setCreated] = useState<EnrolmentAnswer | null>(null);
  const [otp, setOtp] = useState('');
  const [error, setError] = useState('');
  const { busy, run, form } = useAction();
  // Asked in the language shown when the user closes; Cancel keeps this step, QR code and all.
  useAskBeforeClosing(
    created
      ? () => confirmDialog({ title: p('closePendingTitle'), text: p('closePendingText'), confirmLabel: p('closePending'), danger: true })
      : null,
  );

  if (created) {
    return (
      <form
        class="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setError('');
          try {
            const answer = await answerOf(adminApi.tokens[':id'].check.$post({ param: { id: created.token.id }, json: { otp: otp.trim() } }));
            if (answer.valid) {
              showToast(t('activated'));
              onDone();
            } else setError(t('otpInvalid'));
          } catch (failure) {
            setError(describeError(failure));
          }
        }}
      >
        <p>{t('scanQr')}</p>
        <QrCode svg={created.enrolment.qrSvg} label={created.enrolment.keyUri} />
        <p class="copy-row">
          {t('secret')}: <code class="secret" data-testid="token-secret">{created.enrolment.secretBase32}</code>
          <CopyButton value={created.enrolment.secretBase32} label={p('copySecret')} />
        </p>
        <p class="copy-row">
          {p('keyUri')}: <CopyButton value={created.enrolment.keyUri} label={p('copyKeyUri')} />
        </p>
        <p class="muted">
          {t('serial')}: <code>{created.token.serial}</code>
        </p>
        {/* A wrong code, a lock or any refusal of the check concerns this one field: said there, not in a toast. */}
        <TextField
          label={t('confirmFirstOtp')}
          name="otp"
          value={otp}
          onValue={(value) => {
            setError('');
            setOtp(value);
          }}
          error={error}
          inputMode="numeric"
          autocomplete="one-time-code"
          required
          autoFocus
        />
        <div class="row end">
          <Button type="submit">{t('confirmFirstOtp')}</Button>
        </div>
      </form>
    );
  }

  return (
    <Form
      {...form}
      class="stack"
      onSubmit={async (event) => {
        event.preventDefault();
        await run(async () => {
          setCreated(
            await answerOf(
              adminApi.tokens.software.$post({
                json: {
                  type,
                  algorithm,
                  // The route takes these two as the numbers it offers, not any number.
                  digits: digits === '8' ? 8 : 6,
                  periodSeconds: period === '60' ? 60 : 30,
                  description: description || undefined,
                  ownerUserId: owner?.id ?? null,
                },
              }),
            ),
          );
        });
      }}
    >
      <div class="grid-2">
        <SelectField label={t('type')} name="type" value={type} onValue={setType} options={[{ value: 'TOTP', label: 'TOTP' }, { value: 'HOTP', label: 'HOTP' }]} />
        <SelectField label={t('algorithm')} name="algorithm" value={algorithm} onValue={setAlgorithm} options={HASH_ALGORITHMS.map((v) => ({ value: v, label: v }))} />
        <SelectField label={t('digits')} name="digits" value={digits} onValue={setDigits} options={(['6', '8'] as const).map((v) => ({ value: v, label: v }))} />
        {type === 'TOTP' ? <SelectField label={t('period')} name="period" value={period} onValue={setPeriod} options={(['30', '60'] as const).map((v) => ({ value: v, label: v }))} /> : null}
      </div>
      <TextField label={t('description')} name="description" value={description} onValue={setDescription} rules={{ maxLength: TOKEN_DESCRIPTION_MAX_LENGTH }} />
      {owner ? (
        <p>
          {t('owner')}: <strong>{owner.login}</strong>{' '}
          <Button variant="link" onClick={() => setOwner(null)}>
            {t('remove')}
          </Button>
        </p>
      ) : (
        <UserPicker label={t('findOwner')} onPick={setOwner} />
      )}
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('create')}
        </Button>
      </div>
    </Form>
  );
}

