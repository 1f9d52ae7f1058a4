/**
 * "Restore access": login and what was lost, then proof with what remains (password, email code, OTP or the code
 * sent to an SMS/email token) plus the new data for what was lost, then a confirmation that an administrator reviews
 * the request. The server answers the same for every login, so the second step always shows the same fields (and
 * the same "if your token gets codes by SMS or email" hint) for the same choice.
 */
import { useState } from 'preact/hooks';
import { Alert, Button, Checkbox, TextField } from '../components/form';
import { useTranslator } from '../lib/i18n';
import type { startRecovery } from '../../../worker/selfservice/recovery-service';
import { portalError, type Authenticator, type PortalClient } from './portal-api';
import { portalStrings } from './strings';
import { RULE_VALUES, checkNewPassword, looksLikeEmail } from './validation';

type RecoveryStart = Awaited<ReturnType<typeof startRecovery>>;
type State = { step: 'start' } | { step: 'verify'; start: RecoveryStart } | { step: 'done'; lostToken: boolean };

/** `initialLogin`: what was typed at the sign-in, so the user need not type it again. */
export function RestoreAccess(props: { client: PortalClient; onBack: () => void; initialLogin?: string }) {
  const t = useTranslator(portalStrings);
  const [state, setState] = useState<State>({ step: 'start' });
  const [login, setLogin] = useState(props.initialLogin ?? '');
  const [lost, setLost] = useState<Record<Authenticator, boolean>>({ password: false, email: false, token: false });
  const [evidence, setEvidence] = useState({ password: '', emailCode: '', otp: '', newPassword: '', repeatPassword: '', newEmail: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const field = (name: keyof typeof evidence) => ({ value: evidence[name], onValue: (value: string) => setEvidence((current) => ({ ...current, [name]: value })) });

  async function start(event: Event) {
    event.preventDefault();
    const chosen = (Object.keys(lost) as Authenticator[]).filter((key) => lost[key]);
    if (chosen.length === 0) return setError(t('chooseLost'));
    setBusy(true);
    setError('');
    try {
      setState({ step: 'verify', start: await props.client.post<RecoveryStart>('/recovery', { login: login.trim(), lost: chosen }) });
    } catch (failure) {
      setError(portalError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (state.step !== 'verify') return;
    const { needs, flow, verify } = state.start;
    const proofGiven = (verify.includes('password') && evidence.password !== '') || (verify.includes('email') && evidence.emailCode.trim() !== '') || (verify.includes('token') && evidence.otp.trim() !== '');
    // Something is asked for, so something must be given: a request with no proof at all only costs the admin time.
    if (verify.length > 0 && !proofGiven) return setError(t('proofRequired'));
    if (needs.newPassword) {
      const problem = checkNewPassword(evidence.newPassword, evidence.repeatPassword);
      if (problem) return setError(t(problem, RULE_VALUES));
    }
    if (needs.newEmail && !looksLikeEmail(evidence.newEmail)) return setError(t('emailInvalid'));
    // Only what was given: an empty field means "I do not have this".
    const body: Record<string, string> = { flow };
    if (evidence.password) body.password = evidence.password;
    if (evidence.emailCode.trim()) body.emailCode = evidence.emailCode.trim();
    if (evidence.otp.trim()) body.otp = evidence.otp.trim();
    if (needs.newPassword) body.newPassword = evidence.newPassword;
    if (needs.newEmail) body.newEmail = evidence.newEmail.trim();
    setBusy(true);
    setError('');
    try {
      await props.client.post('/recovery/submit', body);
      setState({ step: 'done', lostToken: lost.token });
    } catch (failure) {
      setError(portalError(failure));
    } finally {
      setBusy(false);
    }
  }

  if (state.step === 'done') {
    return (
      <div class="stack" key="done" data-testid="restore-done">
        <h2>{t('restoreDoneTitle')}</h2>
        <Alert kind="success">{t('restoreDone')}</Alert>
        {state.lostToken ? <p>{t('restoreDoneToken')}</p> : null}
        <Button onClick={props.onBack}>{t('backToSignIn')}</Button>
      </div>
    );
  }

  if (state.step === 'verify') {
    const { verify, needs } = state.start;
    return (
      <form class="stack" key="verify" onSubmit={submit}>
        <h2>{t('verifyTitle')}</h2>
        <p class="muted">{t('verifyIntro')}</p>
        {state.start.emailCooldownMs ? (
          <p class="hint" data-testid="email-cooldown">
            {t('emailCooldown', { seconds: Math.ceil(state.start.emailCooldownMs / 1000) })}
          </p>
        ) : null}
        {verify.includes('password') ? <TextField label={t('password')} name="password" type="password" autocomplete="current-password" {...field('password')} /> : null}
        {verify.includes('email') ? <TextField label={t('emailCode')} name="emailCode" inputMode="numeric" autocomplete="one-time-code" maxLength={16} hint={t('verifyEmailHint')} {...field('emailCode')} /> : null}
        {/* A recovery code has letters: no number pad here. */}
        {verify.includes('token') ? (
          <TextField label={t('otpOrRecoveryCode')} name="otp" autocomplete="one-time-code" autocapitalize="characters" spellcheck={false} maxLength={64} hint={t('verifyTokenHint')} {...field('otp')} />
        ) : null}
        {needs.newPassword || needs.newEmail ? <h2>{t('newDataTitle')}</h2> : null}
        {needs.newPassword ? (
          <>
            <TextField label={t('newPassword')} name="newPassword" type="password" autocomplete="new-password" required {...field('newPassword')} />
            <TextField label={t('repeatPassword')} name="repeatPassword" type="password" autocomplete="new-password" required {...field('repeatPassword')} />
          </>
        ) : null}
        {needs.newEmail ? <TextField label={t('newEmail')} name="newEmail" type="email" autocomplete="email" required {...field('newEmail')} /> : null}
        <Alert>{error}</Alert>
        <Button type="submit" busy={busy}>
          {t('sendRequest')}
        </Button>
        <Button variant="link" onClick={props.onBack}>
          {t('backToSignIn')}
        </Button>
      </form>
    );
  }

  return (
    <form class="stack" key="start" onSubmit={start}>
      <p class="muted">{t('restoreIntro')}</p>
      <TextField label={t('login')} name="login" value={login} onValue={setLogin} autocomplete="username" required autoFocus maxLength={128} />
      <fieldset class="stack plain">
        <legend>{t('whatLost')}</legend>
        {(['password', 'email', 'token'] as const).map((key) => (
          <Checkbox
            key={key}
            name={`lost-${key}`}
            label={t(key === 'password' ? 'lostPassword' : key === 'email' ? 'lostEmail' : 'lostToken')}
            checked={lost[key]}
            onChecked={(checked) => setLost((current) => ({ ...current, [key]: checked }))}
          />
        ))}
      </fieldset>
      <Alert>{error}</Alert>
      <Button type="submit" busy={busy}>
        {t('next')}
      </Button>
      <Button variant="link" onClick={props.onBack}>
        {t('backToSignIn')}
      </Button>
    </form>
  );
}
