/**
 * "Restore access": login and what was lost, then proof with what remains (password, email code, OTP or the code
 * sent to an SMS/email token) plus the new data for what was lost, then a confirmation that an administrator reviews
 * the request. Until a proof succeeds the server answers the same for every login, so the second step shows the
 * same fields (and the same "if your token gets codes by SMS or email" hint) for the same choice. Each filled field
 * is checked on its own before the request is sent: a wrong one keeps what was typed and says how many tries are
 * left; once one is confirmed, only the authenticators the account has stay asked for.
 */
import { useState } from 'preact/hooks';
import { Alert, Button, Checkbox, TextField } from '../components/form';
import { useTranslator } from '../lib/i18n';
import { ApiError } from '../lib/api';
import type { proveRecovery, startRecovery } from '../../../worker/selfservice/recovery-service';
import { portalError, type Authenticator, type PortalClient } from './portal-api';
import { portalStrings } from './strings';
import { RULE_VALUES, checkNewPassword, looksLikeEmail } from './validation';

type RecoveryStart = Awaited<ReturnType<typeof startRecovery>>;
type ProofAnswer = Awaited<ReturnType<typeof proveRecovery>>;
type State = { step: 'start' } | { step: 'verify'; start: RecoveryStart } | { step: 'done'; lostToken: boolean };
type ProofField = 'password' | 'emailCode' | 'otp';
const PROOF_FIELDS: Record<Authenticator, ProofField> = { password: 'password', email: 'emailCode', token: 'otp' };

/** The checks of the proof step so far: what is still asked, what was confirmed, the refusals at their fields. */
interface Proofs {
  asked: Authenticator[];
  verified: Authenticator[];
  errors: Partial<Record<Authenticator, string>>;
  /** The flow checked every proof it takes: the request goes as it is. */
  used: boolean;
  /** Some proof was checked (right or wrong): the server files the request. */
  tried: boolean;
}

/** `initialLogin`: what was typed at the sign-in, so the user need not type it again. */
export function RestoreAccess(props: { client: PortalClient; onBack: () => void; initialLogin?: string }) {
  const t = useTranslator(portalStrings);
  const [state, setState] = useState<State>({ step: 'start' });
  const [login, setLogin] = useState(props.initialLogin ?? '');
  const [lost, setLost] = useState<Record<Authenticator, boolean>>({ password: false, email: false, token: false });
  const [evidence, setEvidence] = useState({ password: '', emailCode: '', otp: '', newPassword: '', repeatPassword: '', newEmail: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [proofs, setProofs] = useState<Proofs>({ asked: [], verified: [], errors: {}, used: false, tried: false });
  const field = (name: keyof typeof evidence) => ({ value: evidence[name], onValue: (value: string) => setEvidence((current) => ({ ...current, [name]: value })) });

  async function start(event: Event) {
    event.preventDefault();
    const chosen = (Object.keys(lost) as Authenticator[]).filter((key) => lost[key]);
    if (chosen.length === 0) return setError(t('chooseLost'));
    setBusy(true);
    setError('');
    try {
      const answer = await props.client.post<RecoveryStart>('/recovery', { login: login.trim(), lost: chosen });
      setProofs({ asked: answer.verify, verified: [], errors: {}, used: false, tried: false });
      setState({ step: 'verify', start: answer });
    } catch (failure) {
      setError(portalError(failure));
    } finally {
      setBusy(false);
    }
  }

  const valueOf = (factor: Authenticator) => (factor === 'password' ? evidence.password : evidence[PROOF_FIELDS[factor]].trim());

  /** Checks each filled, unconfirmed proof on its own; the proofs as they stand afterwards. */
  async function checkProofs(flow: string): Promise<Proofs> {
    let next: Proofs = { ...proofs, errors: {} };
    for (const factor of proofs.asked) {
      if (next.used || next.verified.includes(factor) || valueOf(factor) === '' || !next.asked.includes(factor)) continue;
      try {
        const answer = await props.client.post<ProofAnswer>('/recovery/proof', { flow, [PROOF_FIELDS[factor]]: valueOf(factor) });
        next = { ...next, tried: true, verified: answer.verified, asked: [...answer.verified, ...answer.verify] };
      } catch (failure) {
        if (!(failure instanceof ApiError)) throw failure;
        if (failure.code === 'RECOVERY_PROOF_INVALID') {
          const left = (failure.details as { attemptsLeft?: number } | undefined)?.attemptsLeft ?? 0;
          const text = left === 0 ? t('proofWrongLast') : left === 1 ? t('proofWrongOne') : t('proofWrong', { left });
          next = { ...next, tried: true, used: left === 0, errors: { ...next.errors, [factor]: text } };
        } else if (failure.code === 'RECOVERY_ATTEMPTS_USED') {
          next = { ...next, used: true };
        } else throw failure;
      }
    }
    // A refusal at a field the account turned out not to have is no longer asked for.
    next.errors = Object.fromEntries(Object.entries(next.errors).filter(([factor]) => next.asked.includes(factor as Authenticator)));
    return next;
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (state.step !== 'verify') return;
    const { needs, flow } = state.start;
    const filled = proofs.asked.some((factor) => !proofs.verified.includes(factor) && valueOf(factor) !== '');
    // Something is asked for, so something must be given: a request with no proof at all only costs the admin time.
    if (proofs.asked.length > 0 && !filled && !proofs.tried) return setError(t('proofRequired'));
    if (needs.newPassword) {
      const problem = checkNewPassword(evidence.newPassword, evidence.repeatPassword);
      if (problem) return setError(t(problem, RULE_VALUES));
    }
    if (needs.newEmail && !looksLikeEmail(evidence.newEmail)) return setError(t('emailInvalid'));
    setBusy(true);
    setError('');
    try {
      const checked = await checkProofs(flow);
      setProofs(checked);
      // A refusal to act on first: the request is sent once the typed proofs are right, or no tries are left.
      if (Object.keys(checked.errors).length > 0 && !checked.used) return;
      if (checked.used && checked.verified.length === 0 && !proofs.used) return setError(t('proofsUsed'));
      const body: Record<string, string> = { flow };
      if (needs.newPassword) body.newPassword = evidence.newPassword;
      if (needs.newEmail) body.newEmail = evidence.newEmail.trim();
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
    const { needs } = state.start;
    return (
      <form class="stack" key="verify" onSubmit={submit}>
        <h2>{t('verifyTitle')}</h2>
        <p class="muted">{t('verifyIntro')}</p>
        {state.start.emailCooldownMs ? (
          <p class="hint" data-testid="email-cooldown">
            {t('emailCooldown', { seconds: Math.ceil(state.start.emailCooldownMs / 1000) })}
          </p>
        ) : null}
        {proofs.asked.map((factor) =>
          proofs.verified.includes(factor) ? (
            <p key={factor} class="hint" data-testid={`proof-confirmed-${factor}`}>
              {t(factor === 'password' ? 'password' : factor === 'email' ? 'emailCode' : 'otpOrRecoveryCode')}: {t('proofConfirmed')}
            </p>
          ) : (
            <ProofInput key={factor} factor={factor} field={field(PROOF_FIELDS[factor])} error={proofs.errors[factor]} t={t} />
          ),
        )}
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

type FieldBinding = { value: string; onValue: (value: string) => void };

function ProofInput(props: { factor: Authenticator; field: FieldBinding; error: string | undefined; t: ReturnType<typeof useTranslator> }) {
  const { t, field, error } = props;
  if (props.factor === 'password') return <TextField label={t('password')} name="password" type="password" autocomplete="current-password" error={error} {...field} />;
  if (props.factor === 'email') {
    return <TextField label={t('emailCode')} name="emailCode" inputMode="numeric" autocomplete="one-time-code" maxLength={16} hint={t('verifyEmailHint')} error={error} {...field} />;
  }
  // A recovery code has letters: no number pad here.
  return (
    <TextField
      label={t('otpOrRecoveryCode')}
      name="otp"
      autocomplete="one-time-code"
      autocapitalize="characters"
      spellcheck={false}
      maxLength={64}
      hint={t('verifyTokenHint')}
      error={error}
      {...field}
    />
  );
}
