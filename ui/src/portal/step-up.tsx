/**
 * "Confirm with your current code": the server refuses a change of factors or contact data with STEP_UP_REQUIRED
 * when the session has not proven the current second factor lately (worker/auth/step-up.ts). `withStepUpFetch`
 * wraps a client's fetch so that such a refusal opens this dialog and, once the code is confirmed, sends the same
 * request again. Used by the portal and by /profile; each passes its own step-up routes. Besides the OTP and a code
 * sent to an SMS/email factor, the dialog offers the user's passkey and a recovery code when the server names them.
 */
import { TYPED_OTP_MAX_LENGTH } from '../../../worker/contract/fields';
import type { InferResponseType } from 'hono/client';
import { useRef, useState } from 'preact/hooks';
import type { StepUpOptions } from '../../../worker/auth/step-up';
import { Alert, Button, Form, TextField } from '../components/form';
import { Dialog } from '../components/layout';
import { ApiError, type apiFetch } from '../lib/api';
import { answer, type ProfileApi } from '../lib/api-client';
import { useTranslator, type Dictionaries } from '../lib/i18n';
import { usePasskey } from '../lib/webauthn';
import { useSubmit } from './action-kit';

const strings: Dictionaries = {
  en: {
    stepUpTitle: 'Confirm with your current code',
    stepUpIntro: 'This change needs your current second factor. Confirm that it is you, then the change is made.',
    stepUpOtp: 'Current one-time password (with your PIN, if your token has one)',
    stepUpCode: 'Code',
    stepUpSend: 'Send a code to {to}',
    stepUpSentSms: 'We sent a code by SMS to {to}.',
    stepUpSentEmail: 'We sent a code by email to {to}.',
    stepUpConfirm: 'Confirm',
    stepUpCancel: 'Cancel',
    stepUpNone: 'Your token cannot confirm this here. If you have lost it, use "Restore access".',
    stepUpPasskey: 'Use your passkey',
    stepUpRecoveryCode: 'Recovery code',
    stepUpRecoveryHint: 'One of the codes you saved, like XXXX-XXXX-XXXX. Each code works once.',
    stepUpUseRecoveryCode: 'Use a recovery code instead',
    stepUpUseOtp: 'Use the one-time password instead',
  },
  de: {
    stepUpTitle: 'Mit Ihrem aktuellen Code bestätigen',
    stepUpIntro: 'Diese Änderung erfordert Ihren aktuellen zweiten Faktor. Bestätigen Sie, dass Sie es sind; dann wird die Änderung ausgeführt.',
    stepUpOtp: 'Aktuelles Einmalpasswort (mit PIN, falls Ihr Token eine hat)',
    stepUpCode: 'Code',
    stepUpSend: 'Code an {to} senden',
    stepUpSentSms: 'Wir haben einen Code per SMS an {to} gesendet.',
    stepUpSentEmail: 'Wir haben einen Code per E-Mail an {to} gesendet.',
    stepUpConfirm: 'Bestätigen',
    stepUpCancel: 'Abbrechen',
    stepUpNone: 'Ihr Token kann dies hier nicht bestätigen. Wenn Sie es verloren haben, nutzen Sie „Zugang wiederherstellen“.',
    stepUpPasskey: 'Passkey verwenden',
    stepUpRecoveryCode: 'Wiederherstellungscode',
    stepUpRecoveryHint: 'Einer der Codes, die Sie gespeichert haben, etwa XXXX-XXXX-XXXX. Jeder Code funktioniert einmal.',
    stepUpUseRecoveryCode: 'Stattdessen einen Wiederherstellungscode verwenden',
    stepUpUseOtp: 'Stattdessen das Einmalpasswort verwenden',
  },
};

export type { StepUpOptions };

/**
 * The step-up routes of a typed client (portal: /api/portal/<alias>/step-up; profile: /api/profile/step-up): the
 * proof (a typed OTP or recovery code, a sent code with its challenge, or a passkey assertion), "send me a code"
 * (/code), and the passkey ceremony's options (/passkey/options). Both doors declare them once
 * (worker/auth/api-schemas.ts), so the portal's client has the profile's type here.
 */
export type StepUpEndpoints = ProfileApi['step-up'];

/** Asks the user to confirm; resolves true once the server accepted the proof, false when they cancel. */
export type StepUpPrompt = (options: StepUpOptions) => Promise<boolean>;

/** Where "send me a code" sent it, as the step-up's /code route answers. */
type SentCode = InferResponseType<StepUpEndpoints['code']['$post'], 200>;

const isStepUpRequired = (error: unknown): error is ApiError => error instanceof ApiError && error.code === 'STEP_UP_REQUIRED';

/**
 * A typed client's fetch (ui/src/lib/api-client.ts) that asks for the proof: a STEP_UP_REQUIRED answer prompts, and
 * once the prompt is confirmed the same request is sent again.
 */
export function withStepUpFetch(fetch: typeof apiFetch, prompt: StepUpPrompt): typeof apiFetch {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      if (!isStepUpRequired(error) || !(await prompt(error.details as StepUpOptions))) throw error;
      return fetch(input, init);
    }
  };
}

/** The prompt and the dialog that answers it; render `dialog` once, next to whatever uses the wrapped client. */
export function useStepUp(endpoints: StepUpEndpoints) {
  const [options, setOptions] = useState<StepUpOptions | null>(null);
  const settle = useRef<((proven: boolean) => void) | null>(null);
  const prompt: StepUpPrompt = (next) =>
    new Promise<boolean>((resolve) => {
      settle.current?.(false);
      settle.current = resolve;
      setOptions(next);
    });
  const finish = (proven: boolean) => {
    settle.current?.(proven);
    settle.current = null;
    setOptions(null);
  };
  const dialog = <StepUpDialog options={options} endpoints={endpoints} onProven={() => finish(true)} onCancel={() => finish(false)} />;
  return { prompt, dialog };
}

function StepUpDialog(props: { options: StepUpOptions | null; endpoints: StepUpEndpoints; onProven: () => void; onCancel: () => void }) {
  const t = useTranslator(strings);
  return (
    <Dialog title={t('stepUpTitle')} open={props.options !== null} onClose={props.onCancel}>
      {props.options ? <StepUpForm {...props} options={props.options} /> : null}
    </Dialog>
  );
}

function StepUpForm(props: { options: StepUpOptions; endpoints: StepUpEndpoints; onProven: () => void; onCancel: () => void }) {
  const t = useTranslator(strings);
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<(SentCode & { factorId: string }) | null>(null);
  const [recoveryMode, setRecoveryMode] = useState(false);
  const { otp, codeTargets, recoveryCode, passkey } = props.options;
  // A refused code is said at the code field on screen; a lock, a limit or a passkey's answer in the box.
  const codeField = recoveryMode ? 'step-up-recovery-code' : 'step-up-code';
  // An ended session: the dialog lets the call go again, and its UNAUTHENTICATED answer ends the session where
  // the page that made the call handles that (the portal's sign-in, /login).
  const { busy, error, refuse, field, form, submit: run } = useSubmit(
    { onSessionEnded: props.onProven },
    { OTP_INVALID: codeField, CODE_INVALID: codeField, CODE_EXPIRED: codeField },
  );

  const send = (factorId: string) =>
    run(async () => {
      const issued = await answer(props.endpoints.code.$post({ json: { factorId } }));
      setSent({ ...issued, factorId });
      setRecoveryMode(false);
      setCode('');
    });

  const provePasskey = () =>
    run(async () => {
      const { options } = await answer(props.endpoints.passkey.options.$post({ json: {} }));
      await answer(props.endpoints.$post({ json: { passkey: await usePasskey(options) } }));
      props.onProven();
    });

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await answer(props.endpoints.$post({ json: sent && !recoveryMode ? { otp: code, challengeId: sent.challengeId, factorId: sent.factorId } : { otp: code.trim() } }));
      props.onProven();
    });
  };

  const typing = recoveryMode || otp || sent !== null;
  if (!otp && codeTargets.length === 0 && !passkey && !recoveryCode) {
    return (
      <div class="stack">
        <Alert kind="warning">{t('stepUpNone')}</Alert>
        <div class="row end">
          <Button variant="secondary" onClick={props.onCancel}>
            {t('stepUpCancel')}
          </Button>
        </div>
      </div>
    );
  }
  return (
    <Form {...form} class="stack" onSubmit={confirm} data-testid="step-up">
      <p>{t('stepUpIntro')}</p>
      {passkey ? (
        <Button variant="secondary" busy={busy} onClick={() => void provePasskey()}>
          {t('stepUpPasskey')}
        </Button>
      ) : null}
      {codeTargets.map((target) => (
        <Button key={target.factorId} variant="link" disabled={busy} onClick={() => void send(target.factorId)}>
          {t('stepUpSend', { to: target.to })}
        </Button>
      ))}
      {sent ? <Alert kind="info">{t(sent.channel === 'sms' ? 'stepUpSentSms' : 'stepUpSentEmail', { to: sent.to })}</Alert> : null}
      {recoveryMode ? (
        <TextField
          key="recovery"
          label={t('stepUpRecoveryCode')}
          {...field('step-up-recovery-code', setCode)}
          errorPath="otp"
          value={code}
          hint={t('stepUpRecoveryHint')}
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          maxLength={TYPED_OTP_MAX_LENGTH}
          required
          autoFocus
        />
      ) : otp || sent ? (
        <TextField
          key="code"
          label={t(sent ? 'stepUpCode' : 'stepUpOtp')}
          {...field('step-up-code', setCode)}
          errorPath="otp"
          value={code}
          autocomplete="one-time-code"
          inputMode="numeric"
          maxLength={TYPED_OTP_MAX_LENGTH}
          required
          autoFocus
        />
      ) : null}
      {recoveryCode && (otp || !recoveryMode) ? (
        <Button
          variant="link"
          onClick={() => {
            setRecoveryMode(!recoveryMode);
            setSent(null);
            setCode('');
            // The other field is asked for now: the last refusal no longer applies.
            refuse('', () => '');
          }}
        >
          {t(recoveryMode ? 'stepUpUseOtp' : 'stepUpUseRecoveryCode')}
        </Button>
      ) : null}
      <Alert>{error}</Alert>
      <div class="row end">
        <Button variant="secondary" onClick={props.onCancel}>
          {t('stepUpCancel')}
        </Button>
        {typing ? (
          <Button type="submit" busy={busy}>
            {t('stepUpConfirm')}
          </Button>
        ) : null}
      </div>
    </Form>
  );
}
