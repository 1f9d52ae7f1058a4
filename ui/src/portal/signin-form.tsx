/**
 * Portal sign-in: the login first, then the password, with the option "No password? Get a sign-in code by email"
 * (users without a password but with an email address get the code), then the token's OTP when the server asks.
 * At the OTP step a passkey (when one of the tokens the resource accepts is one) completes the step instead, and
 * the field takes a recovery code as well.
 * The form mirrors the server's state machine; the server gives the same answers for every login, so this form
 * never learns (or shows) whether an account exists or whether a code went out.
 */
import { LOGIN_MAX_LENGTH, SENT_CODE_MAX_LENGTH, TYPED_OTP_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { Alert, Button, Form, TextField } from '../components/form';
import { ApiError } from '../lib/api';
import { useTranslator } from '../lib/i18n';
import { usePasskey } from '../lib/webauthn';
import { useSubmit } from './action-kit';
import { answer, type PortalApi } from '../lib/api-client';
import { type CodeDelivery, type SignInAnswer, type SignInStep } from './portal-api';
import { portalStrings } from './strings';

type State = { step: 'login' } | { step: SignInStep; flow: string; emailCodeOption: boolean; delivery?: CodeDelivery; passkey: boolean };

/**
 * The field each step's refusal of what was typed concerns (named as the step's input); a lock, a limit or a
 * passkey's answer concerns the sign-in as a whole and is said in the box.
 */
const FIELD_REFUSALS: Record<State['step'], Readonly<Record<string, string>>> = {
  login: {},
  password: { INVALID_CREDENTIALS: 'password' },
  email_code: { CODE_INVALID: 'code' },
  otp: { OTP_INVALID: 'otp', CODE_INVALID: 'otp' },
};

/** `initialLogin`: what was typed in Restore access before coming back, so the user need not type it again. */
export function SignInForm(props: { client: PortalApi; notice?: string; onSignedIn: () => void; onRestore: (typedLogin: string) => void; initialLogin?: string }) {
  const t = useTranslator(portalStrings);
  const [state, setState] = useState<State>({ step: 'login' });
  const [login, setLogin] = useState(props.initialLogin ?? '');
  const [secret, setSecret] = useState('');
  /** The OTP step's field takes a recovery code: letters, so no number pad. */
  const [recoveryCode, setRecoveryCode] = useState(false);
  const [info, setInfo] = useState('');
  // The sign-in has no session to end: an UNAUTHENTICATED answer cannot come; were it to, the sign-in starts over.
  const { busy, error, refuse, field, form, submit: send } = useSubmit({ onSessionEnded: restart }, FIELD_REFUSALS[state.step]);
  /** The last refusal no longer applies (another way in was chosen): nothing is said. */
  const forgetRefusal = () => refuse('', () => '');

  function run(call: () => Promise<SignInAnswer>, infoAfter = '') {
    setInfo('');
    return send(async () => {
      let answer: SignInAnswer;
      try {
        answer = await call();
      } catch (failure) {
        // A used-up or expired flow cannot continue: start over at the login, saying why.
        if (!(failure instanceof ApiError && failure.code === 'CODE_EXPIRED' && state.step !== 'login')) throw failure;
        setState({ step: 'login' });
        setSecret('');
        return refuse('', () => t('signinExpired'));
      }
      if (answer.state === 'signed_in') return props.onSignedIn();
      setSecret('');
      if (answer.step !== state.step) setRecoveryCode(false);
      setState({ step: answer.step, flow: answer.flow, emailCodeOption: answer.emailCodeOption, delivery: answer.delivery, passkey: answer.passkey === true });
      setInfo(infoAfter);
    });
  }

  function submit(event: Event) {
    event.preventDefault();
    if (state.step === 'login') return run(() => answer(props.client.signin.$post({ json: { login: login.trim() } })));
    const { flow } = state;
    if (state.step === 'password') return run(() => answer(props.client.signin.password.$post({ json: { flow, password: secret } })));
    if (state.step === 'email_code') return run(() => answer(props.client.signin['email-code'].$post({ json: { flow, code: secret.trim() } })));
    return run(() => answer(props.client.signin.otp.$post({ json: { flow, otp: secret.trim() } })));
  }

  /** "No password? Get a sign-in code by email" and "Send a new code": the same answer whether one was sent. */
  function requestEmailCode(again: boolean) {
    if (state.step === 'login') return;
    const { flow } = state;
    return run(() => answer(props.client.signin['email-code'].request.$post({ json: { flow } })), again ? t('codeResent') : '');
  }

  /** SMS/EMAIL token: a new code to the token's phone number or address (the limits answer if it is too soon). */
  function requestTokenCode() {
    if (state.step !== 'otp') return;
    const { flow } = state;
    return run(() => answer(props.client.signin.otp.send.$post({ json: { flow } })), t('signinCodeResent'));
  }

  /** The passkey ceremony in place of the OTP: options bound to this flow, then the assertion completes the step. */
  function signInWithPasskey() {
    if (state.step !== 'otp') return;
    const { flow } = state;
    return run(async () => {
      const { options } = await answer(props.client.signin.passkey.options.$post({ json: { flow } }));
      return answer(props.client.signin.passkey.$post({ json: { flow, credential: await usePasskey(options) } }));
    });
  }

  function restart() {
    setState({ step: 'login' });
    setRecoveryCode(false);
    setSecret('');
    forgetRefusal();
    setInfo('');
  }

  return (
    <div class="stack">
      {/* Keyed by step: each step gets fresh inputs (Preact would otherwise reuse one and keep stale attributes). */}
      <Form {...form} key={state.step} onSubmit={submit} class="stack" data-step={state.step}>
        <Alert kind="info">{props.notice}</Alert>
        {state.step === 'login' ? (
          <TextField label={t('login')} {...field('login', setLogin)} value={login} autocomplete="username" required autoFocus maxLength={LOGIN_MAX_LENGTH} />
        ) : (
          <p class="muted">
            {t('login')}: <strong>{login.trim()}</strong>
          </p>
        )}
        {state.step === 'password' ? (
          <>
            <p>{t('passwordPrompt')}</p>
            <TextField label={t('password')} {...field('password', setSecret)} type="password" value={secret} autocomplete="current-password" required autoFocus />
            {state.emailCodeOption ? (
              <Button variant="link" onClick={() => requestEmailCode(false)} disabled={busy}>
                {t('emailCodeOption')}
              </Button>
            ) : null}
          </>
        ) : null}
        {state.step === 'email_code' ? (
          <>
            <p>{t('emailCodePrompt')}</p>
            <TextField label={t('emailCode')} {...field('code', setSecret)} value={secret} autocomplete="one-time-code" inputMode="numeric" required autoFocus maxLength={SENT_CODE_MAX_LENGTH} />
            <Button variant="link" onClick={() => requestEmailCode(true)} disabled={busy}>
              {t('resendCode')}
            </Button>
          </>
        ) : null}
        {state.step === 'otp' ? (
          <>
            {state.passkey ? (
              <>
                <p>{t('passkeyPrompt')}</p>
                <Button variant="secondary" onClick={signInWithPasskey} disabled={busy}>
                  {t('usePasskey')}
                </Button>
                <p class="divider">{t('orTypeCode')}</p>
              </>
            ) : null}
            {recoveryCode ? (
              <TextField
                key="recovery-code"
                label={t('recoveryCode')}
                {...field('otp', setSecret)}
                value={secret}
                hint={t('recoveryCodeHint')}
                autocomplete="off"
                autocapitalize="characters"
                spellcheck={false}
                required
                autoFocus
                maxLength={TYPED_OTP_MAX_LENGTH}
              />
            ) : (
              <>
                <p>{state.delivery ? t(state.delivery.channel === 'sms' ? 'signinCodeSentSMS' : 'signinCodeSentEMAIL', { to: state.delivery.to }) : t('otpPrompt')}</p>
                <TextField
                  key="otp"
                  label={state.delivery ? t('receivedCode') : t('otp')}
                  {...field('otp', setSecret)}
                  value={secret}
                  autocomplete="one-time-code"
                  inputMode="numeric"
                  required
                  autoFocus={!state.passkey}
                  maxLength={TYPED_OTP_MAX_LENGTH}
                />
              </>
            )}
            <Button
              variant="link"
              onClick={() => {
                setRecoveryCode(!recoveryCode);
                setSecret('');
                forgetRefusal();
              }}
            >
              {t(recoveryCode ? 'useOtpInstead' : 'useRecoveryCode')}
            </Button>
            {state.delivery && !recoveryCode ? (
              <Button variant="link" onClick={requestTokenCode} disabled={busy}>
                {t('resendCode')}
              </Button>
            ) : null}
          </>
        ) : null}
        <Alert kind="info">{info}</Alert>
        <Alert>{error}</Alert>
        <Button type="submit" busy={busy}>
          {state.step === 'login' ? t('next') : state.step === 'password' ? t('signIn') : t('confirm')}
        </Button>
        {state.step !== 'login' ? (
          <Button variant="link" onClick={restart}>
            {t('otherLogin')}
          </Button>
        ) : null}
      </Form>
      <p class="divider">{t('restoreHint')}</p>
      <Button variant="secondary" onClick={() => props.onRestore(login.trim())}>
        {t('restoreLink')}
      </Button>
    </div>
  );
}
