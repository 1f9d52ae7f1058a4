/**
 * /login: login and password, then, when the account has a second factor, what the server offers for it: the
 * user's passkey, the OTP of their token, a recovery code, or the code sent to their SMS/email token (the page says
 * where, masked) or to their SMS 2FA number. Or, without a password, a passkey alone ("Sign in with a passkey", or
 * picked from the login field's autofill list), which proves both factors. The flow is a small state machine
 * mirroring the server's answers.
 */
import { TYPED_OTP_MAX_LENGTH } from '../../../worker/contract/fields';
import type { InferResponseType } from 'hono/client';
import { useEffect, useState } from 'preact/hooks';
import { Alert, Button, Form, refusalsOf, TextField } from '../components/form';
import { Card } from '../components/layout';
import { ApiError } from '../lib/api';
import { answer, authApi } from '../lib/api-client';
import { describeError, useTranslator } from '../lib/i18n';
import { navigate, onLinkClick, useLocation } from '../lib/router';
import {
  autofillSupported,
  cancelPasskeyCeremony,
  isCancelledCeremony,
  isSupersededCeremony,
  passkeysSupported,
  usePasskey,
  type AuthenticationResponseJSON,
} from '../lib/webauthn';
import { signInStrings } from './strings';
import { safeNextPath } from './session';

/** Every step of the sign-in answers this: signed in, or the second factor asked (worker/auth/api-schemas.ts). */
type LoginAnswer = InferResponseType<typeof authApi.login.$post, 200>;

type SecondFactor = Extract<LoginAnswer, { state: 'second_factor' }>;

type Method = SecondFactor['methods'][number];

/** `recovery`: the field takes a recovery code instead of the OTP or sent code. */
type Step = { state: 'password' } | (SecondFactor & { recovery: boolean });

type Notice = { kind: 'error' | 'info'; text: string } | null;

type Translate = (key: string, values?: Record<string, string>) => string;

/** The methods answered by typing what the token shows or what was sent. */
const TYPED_METHODS = new Set<Method>(['otp', 'code', 'sms']);
/** Refusals of what was typed, said at its field; a lock or a limit concerns the sign-in as a whole (the notice). */
const FIELD_REFUSALS = {
  code: new Set<string>(['OTP_INVALID', 'CODE_INVALID', 'CODE_EXPIRED', 'VALIDATION_FAILED']),
  password: new Set<string>(['INVALID_CREDENTIALS']),
} as const;
type RefusedField = keyof typeof FIELD_REFUSALS;

export function LoginPage() {
  const t = useTranslator(signInStrings);
  const { search } = useLocation();
  const [step, setStep] = useState<Step>({ state: 'password' });
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [notice, setNotice] = useState<Notice>(null);
  // A refused code or password is said at its field, while a lock, a limit or a passkey's answer stays a notice.
  const [fieldError, setFieldError] = useState<{ field: RefusedField; text: string } | null>(null);
  // A refusal with field issues (VALIDATION_FAILED), said at those fields by the Form.
  const [failure, setFailure] = useState<unknown>(null);
  const errorAt = (field: RefusedField) => (fieldError?.field === field ? fieldError.text : undefined);
  const typeCode = (value: string) => {
    setFieldError(null);
    setCode(value);
  };
  const typePassword = (value: string) => {
    if (fieldError?.field === 'password') setFieldError(null);
    setPassword(value);
  };
  const [busy, setBusy] = useState(false);
  const [samlAvailable, setSamlAvailable] = useState(false);
  const [autofill, setAutofill] = useState(false);
  // Counts the autofill requests: a new one starts after a passkey prompt the user opened has ended.
  const [autofillRound, setAutofillRound] = useState(0);

  useEffect(() => {
    answer(authApi['saml-status'].$get())
      .then((status) => setSamlAvailable(status.available))
      .catch(() => setSamlAvailable(false));
    void autofillSupported().then(setAutofill);
    return () => void cancelPasskeyCeremony();
  }, []);

  // The autofill request waits in the background while the password step is on screen; it ends with the step.
  useEffect(() => {
    if (!autofill || step.state !== 'password') return;
    void signInWithAutofill();
    return () => void cancelPasskeyCeremony();
  }, [autofill, step.state, autofillRound]);

  function finish(outcome: LoginAnswer) {
    if (outcome.state === 'second_factor') {
      const { methods } = outcome;
      // A recovery code as the only way this browser can answer: the field asks for it straight away.
      const onlyRecovery = methods.includes('recovery_code') && !methods.some((method) => TYPED_METHODS.has(method) || (method === 'passkey' && passkeysSupported()));
      setStep({ ...outcome, recovery: onlyRecovery });
      setCode('');
      return;
    }
    const fallback = outcome.user.isAdmin ? '/admin' : '/profile';
    navigate(safeNextPath(search.get('next')) ?? fallback, { replace: true });
  }

  /** Runs one call of the flow; a closed passkey prompt is reported calmly, a replaced one not at all. */
  async function run(work: () => Promise<void>, describe: (failure: unknown) => string = describeError, field?: RefusedField) {
    setBusy(true);
    setNotice(null);
    setFieldError(null);
    setFailure(null);
    try {
      await work();
    } catch (refused) {
      if (isSupersededCeremony(refused)) return;
      if (field && refused instanceof ApiError && FIELD_REFUSALS[field].has(refused.code) && refusalsOf(refused).length === 0) setFieldError({ field, text: describe(refused) });
      else if (refusalsOf(refused).length > 0) setFailure(refused);
      else setNotice({ kind: isCancelledCeremony(refused) ? 'info' : 'error', text: describe(refused) });
    } finally {
      setBusy(false);
    }
  }

  const submitPassword = (event: Event) => {
    event.preventDefault();
    void run(async () => finish(await answer(authApi.login.$post({ json: { login, password } }))), describeError, 'password');
  };

  const submitCode = (event: Event) => {
    event.preventDefault();
    if (step.state !== 'second_factor') return;
    void run(
      async () => finish(await answer(authApi.login['second-factor'].$post({ json: { challenge: step.challenge, otp: code.trim() } }))),
      // The server says "wrong one-time password" for any refused typed code; a recovery code is named as such.
      (failure) => (step.recovery && failure instanceof ApiError && failure.code === 'OTP_INVALID' ? t('recoveryCodeWrong') : describeError(failure)),
      'code',
    );
  };

  /** Passwordless: a discoverable passkey with user verification; the server learns the user from it. */
  const passwordlessOptions = () => answer(authApi.passkey.options.$post({ json: {} }));
  const finishPasswordless = async (flow: string, credential: AuthenticationResponseJSON) => finish(await answer(authApi.passkey.$post({ json: { flow, credential } })));

  const signInWithPasskey = async () => {
    await run(async () => {
      const { flow, options } = await passwordlessOptions();
      await finishPasswordless(flow, await usePasskey(options));
    });
    setAutofillRound((round) => round + 1);
  };

  // Until the user picks a passkey in the autofill list, nothing happened from their point of view: a failure to
  // set the request up or its end says nothing; what follows their choice is reported like any sign-in.
  async function signInWithAutofill() {
    let started: { flow: string; credential: AuthenticationResponseJSON };
    try {
      const { flow, options } = await passwordlessOptions();
      started = { flow, credential: await usePasskey(options, { autofill: true }) };
    } catch {
      return;
    }
    await run(() => finishPasswordless(started.flow, started.credential));
  }

  const confirmWithPasskey = (challenge: string) =>
    run(async () => {
      const { options } = await answer(authApi.login.passkey.options.$post({ json: { challenge } }));
      finish(await answer(authApi.login.passkey.$post({ json: { challenge, credential: await usePasskey(options) } })));
    });

  if (step.state === 'second_factor') {
    const passkey = step.methods.includes('passkey') && passkeysSupported();
    const typed = step.methods.some((method) => TYPED_METHODS.has(method));
    const recovery = step.methods.includes('recovery_code');
    const switchTo = (nextRecovery: boolean) => {
      setStep({ ...step, recovery: nextRecovery });
      setCode('');
      setNotice(null);
      setFieldError(null);
    };
    return (
      <Card title={t('secondFactorTitle')}>
        <Form failure={failure} onSubmit={submitCode} class="stack">
          {step.recovery ? (
            <>
              <p>{t('recoveryPrompt')}</p>
              <TextField
                key="recovery-code"
                label={t('recoveryCode')}
                name="recovery-code"
                errorPath="otp"
                value={code}
                onValue={typeCode}
                error={errorAt('code')}
                hint={t('recoveryHint')}
                placeholder="XXXX-XXXX-XXXX"
                autocomplete="off"
                autocapitalize="characters"
                spellcheck={false}
                maxLength={TYPED_OTP_MAX_LENGTH}
                required
                autoFocus
              />
            </>
          ) : (
            <>
              <p>{secondFactorPrompt(step, passkey, typed, t)}</p>
              {passkey ? (
                <Button variant={typed ? 'secondary' : 'primary'} busy={busy} onClick={() => void confirmWithPasskey(step.challenge)} autoFocus={!typed}>
                  {t('usePasskey')}
                </Button>
              ) : null}
              {typed ? (
                <TextField
                  key="code"
                  label={t('code')}
                  name="code"
                  errorPath="otp"
                  value={code}
                  onValue={typeCode}
                  error={errorAt('code')}
                  autocomplete="one-time-code"
                  inputMode="numeric"
                  required
                  autoFocus
                />
              ) : null}
            </>
          )}
          {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
          {step.recovery || typed ? (
            <Button type="submit" busy={busy}>
              {t('confirm')}
            </Button>
          ) : null}
          {recovery && (passkey || typed || !step.recovery) ? (
            <Button variant="link" onClick={() => switchTo(!step.recovery)}>
              {t(!step.recovery ? 'useRecoveryCode' : passkey && typed ? 'useCodeInstead' : passkey ? 'usePasskeyInstead' : 'useOtpInstead')}
            </Button>
          ) : null}
          <Button variant="link" onClick={() => setStep({ state: 'password' })}>
            {t('back')}
          </Button>
        </Form>
      </Card>
    );
  }

  return (
    <Card title={t('title')}>
      <Form failure={failure} onSubmit={submitPassword} class="stack">
        {/* "webauthn" lets the browser list the user's passkeys in this field's autofill (conditional mediation). */}
        <TextField label={t('login')} name="login" value={login} onValue={setLogin} autocomplete="username webauthn" required autoFocus />
        <TextField label={t('password')} name="password" type="password" value={password} onValue={typePassword} error={errorAt('password')} autocomplete="current-password" required />
        {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
        <Button type="submit" busy={busy}>
          {t('submit')}
        </Button>
        <a href="/login/reset" onClick={onLinkClick} class="small-link">
          {t('forgot')}
        </a>
      </Form>
      {passkeysSupported() || samlAvailable ? (
        <div class="stack saml-choice">
          <p class="divider">{t('or')}</p>
          {passkeysSupported() ? (
            <Button variant="secondary" disabled={busy} onClick={() => void signInWithPasskey()}>
              {t('passkeyButton')}
            </Button>
          ) : null}
          {samlAvailable ? (
            <a class="button secondary" href={`/saml/login${search.get('next') ? `?RelayState=${encodeURIComponent(safeNextPath(search.get('next')) ?? '/')}` : ''}`}>
              {t('samlButton')}
            </a>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}

function secondFactorPrompt(step: SecondFactor, passkey: boolean, typed: boolean, t: Translate): string {
  if (step.delivery) return t(step.delivery.channel === 'sms' ? 'codeSentSMS' : 'codeSentEMAIL', { to: step.delivery.to });
  if (passkey) return t(typed ? 'passkeyOrOtpPrompt' : 'passkeyPrompt');
  if (!typed) return t(step.methods.includes('recovery_code') ? 'recoveryPrompt' : 'passkeyUnsupported');
  return step.methods.includes('sms') && !step.methods.includes('otp') ? t('smsPrompt') : t('otpPrompt');
}
