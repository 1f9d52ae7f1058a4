/**
 * "Restore access": login and what was lost, then proof with what remains (password, email code, OTP or the code
 * sent to an SMS/email token) plus the new data for what was lost, then a confirmation that an administrator reviews
 * the request. Until a proof succeeds the server answers the same for every login, so the second step shows the
 * same fields (and the same "if your token gets codes by SMS or email" hint) for the same choice. Each filled field
 * is checked on its own before the request is sent: a wrong one keeps what was typed and says how many tries are
 * left; once one is confirmed, only the authenticators the account has stay asked for.
 */
import { LOGIN_MAX_LENGTH, SENT_CODE_MAX_LENGTH, TYPED_OTP_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { Alert, Button, Checkbox, FieldFrame, Form, TextField } from '../components/form';
import { ApiError } from '../lib/api';
import { answer, type PortalApi } from '../lib/api-client';
import { useTranslator } from '../lib/i18n';
import { useSubmit } from './action-kit';
import { type Authenticator, type RecoveryStart } from './portal-api';
import { portalStrings } from './strings';
import { RULE_VALUES, checkNewPassword, looksLikeEmail, type PasswordProblem } from './validation';

type State = { step: 'start' } | { step: 'verify'; start: RecoveryStart } | { step: 'done'; lostToken: boolean };
type ProofField = 'password' | 'emailCode' | 'otp';
const PROOF_FIELDS: Record<Authenticator, ProofField> = { password: 'password', email: 'emailCode', token: 'otp' };
/** One proof on its own, `{flow, <field>: value}`: the request body of /recovery/proof (one of its three forms). */
function proofOf(flow: string, field: ProofField, value: string) {
  switch (field) {
    case 'password':
      return { flow, password: value };
    case 'emailCode':
      return { flow, emailCode: value };
    case 'otp':
      return { flow, otp: value };
  }
}
/** The field a problem of the new password concerns: its length the first field, a mismatch the repetition. */
const PASSWORD_PROBLEM_FIELD: Record<PasswordProblem, string> = { passwordTooShort: 'newPassword', passwordsDiffer: 'repeatPassword' };
/** The checkboxes of what was lost, as one field: the server's path for them. */
const LOST_FIELD = 'lost';

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

/** `initialLogin`: what was typed at the sign-in, so the user need not type it again; `onLogin` hears it change. */
export function RestoreAccess(props: { client: PortalApi; onBack: () => void; initialLogin?: string; onLogin?: (login: string) => void }) {
  const t = useTranslator(portalStrings);
  const [state, setState] = useState<State>({ step: 'start' });
  const [login, setTypedLogin] = useState(props.initialLogin ?? '');
  const setLogin = (value: string) => {
    setTypedLogin(value);
    props.onLogin?.(value.trim());
  };
  const [lost, setLost] = useState<Record<Authenticator, boolean>>({ password: false, email: false, token: false });
  const [evidence, setEvidence] = useState({ password: '', emailCode: '', otp: '', newPassword: '', repeatPassword: '', newEmail: '' });
  const [proofs, setProofs] = useState<Proofs>({ asked: [], verified: [], errors: {}, used: false, tried: false });
  const firstOpenProof = proofs.asked.find((factor) => !proofs.verified.includes(factor));
  // Each refusal at the field it concerns: what was lost (nothing left to prove with), the first proof still open
  // (a request without any), or the server's field issues; a limit or an expired request in the box.
  const { busy, error, refuse, field: refusalAt, form, submit: send } = useSubmit(
    // No session here: an UNAUTHENTICATED answer cannot come; were it to, the sign-in is where to go.
    { onSessionEnded: props.onBack },
    { RECOVERY_NOTHING_LEFT: LOST_FIELD, ...(firstOpenProof ? { RECOVERY_PROOF_REQUIRED: PROOF_FIELDS[firstOpenProof] } : {}) },
  );
  const field = (name: keyof typeof evidence) => ({ value: evidence[name], ...refusalAt(name, (value: string) => setEvidence((current) => ({ ...current, [name]: value }))) });

  function start(event: Event) {
    event.preventDefault();
    const chosen = (Object.keys(lost) as Authenticator[]).filter((key) => lost[key]);
    if (chosen.length === 0) return refuse(LOST_FIELD, () => t('chooseLost'));
    return send(async () => {
      const started = await answer(props.client.recovery.$post({ json: { login: login.trim(), lost: chosen } }));
      setProofs({ asked: started.verify, verified: [], errors: {}, used: false, tried: false });
      setState({ step: 'verify', start: started });
    });
  }

  const valueOf = (factor: Authenticator) => (factor === 'password' ? evidence.password : evidence[PROOF_FIELDS[factor]].trim());

  /** Checks each filled, unconfirmed proof on its own; the proofs as they stand afterwards. */
  async function checkProofs(flow: string): Promise<Proofs> {
    let next: Proofs = { ...proofs, errors: {} };
    for (const factor of proofs.asked) {
      if (next.used || next.verified.includes(factor) || valueOf(factor) === '' || !next.asked.includes(factor)) continue;
      try {
        const checked = await answer(props.client.recovery.proof.$post({ json: proofOf(flow, PROOF_FIELDS[factor], valueOf(factor)) }));
        next = { ...next, tried: true, verified: checked.verified, asked: [...checked.verified, ...checked.verify] };
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

  function submit(event: Event) {
    event.preventDefault();
    if (state.step !== 'verify') return;
    const { needs, flow } = state.start;
    const filled = proofs.asked.some((factor) => !proofs.verified.includes(factor) && valueOf(factor) !== '');
    // Something is asked for, so something must be given: a request with no proof at all only costs the admin time.
    if (firstOpenProof && !filled && !proofs.tried) return refuse(PROOF_FIELDS[firstOpenProof], () => t('proofRequired'));
    if (needs.newPassword) {
      const problem = checkNewPassword(evidence.newPassword, evidence.repeatPassword);
      if (problem) return refuse(PASSWORD_PROBLEM_FIELD[problem], () => t(problem, RULE_VALUES));
    }
    if (needs.newEmail && !looksLikeEmail(evidence.newEmail)) return refuse('newEmail', () => t('emailInvalid'));
    return send(async () => {
      const checked = await checkProofs(flow);
      setProofs(checked);
      // A refusal to act on first: the request is sent once the typed proofs are right, or no tries are left.
      if (Object.keys(checked.errors).length > 0 && !checked.used) return;
      // No tries left and nothing proven: said once (no field can fix it), then the request goes as it is.
      if (checked.used && checked.verified.length === 0 && !proofs.used) return refuse('', () => t('proofsUsed'));
      const newData = { ...(needs.newPassword ? { newPassword: evidence.newPassword } : {}), ...(needs.newEmail ? { newEmail: evidence.newEmail.trim() } : {}) };
      await answer(props.client.recovery.submit.$post({ json: { flow, ...newData } }));
      setState({ step: 'done', lostToken: lost.token });
    });
  }

  // The boxes keep their state in `lost`; ticking one answers a refusal said beneath them.
  const lostBoxes = refusalAt(LOST_FIELD, () => {});

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
      <Form {...form} class="stack" key="verify" onSubmit={submit}>
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
            <ProofInput key={factor} factor={factor} field={field(PROOF_FIELDS[factor])} checkError={proofs.errors[factor]} t={t} />
          ),
        )}
        {needs.newPassword || needs.newEmail ? <h2>{t('newDataTitle')}</h2> : null}
        {needs.newPassword ? (
          <>
            <TextField label={t('newPassword')} type="password" autocomplete="new-password" rules={{ minLength: RULE_VALUES.minimum }} required {...field('newPassword')} />
            <TextField label={t('repeatPassword')} type="password" autocomplete="new-password" required {...field('repeatPassword')} />
          </>
        ) : null}
        {needs.newEmail ? <TextField label={t('newEmail')} type="email" autocomplete="email" required {...field('newEmail')} /> : null}
        <Alert>{error}</Alert>
        <Button type="submit" busy={busy}>
          {t('sendRequest')}
        </Button>
        <Button variant="link" onClick={props.onBack}>
          {t('backToSignIn')}
        </Button>
      </Form>
    );
  }

  return (
    <Form {...form} class="stack" key="start" onSubmit={start}>
      <p class="muted">{t('restoreIntro')}</p>
      <TextField label={t('login')} {...refusalAt('login', setLogin)} value={login} autocomplete="username" required autoFocus maxLength={LOGIN_MAX_LENGTH} />
      {/* The three checkboxes are one field to the server (`lost`): its refusal is said beneath the group. */}
      <FieldFrame
        label={t('whatLost')}
        name={lostBoxes.name}
        error={lostBoxes.error}
        control={(ids) => (
          <div class="stack" role="group" id={ids.id} aria-label={t('whatLost')} aria-describedby={ids.describedBy} aria-invalid={ids.invalid ? 'true' : undefined}>
            {(['password', 'email', 'token'] as const).map((key) => (
              <Checkbox
                key={key}
                name={`lost-${key}`}
                label={t(key === 'password' ? 'lostPassword' : key === 'email' ? 'lostEmail' : 'lostToken')}
                checked={lost[key]}
                onChecked={(checked) => {
                  ids.dismiss();
                  lostBoxes.onValue('');
                  setLost((current) => ({ ...current, [key]: checked }));
                }}
              />
            ))}
          </div>
        )}
      />
      <Alert>{error}</Alert>
      <Button type="submit" busy={busy}>
        {t('next')}
      </Button>
      <Button variant="link" onClick={props.onBack}>
        {t('backToSignIn')}
      </Button>
    </Form>
  );
}

type FieldBinding = { name: string; value: string; error: string | undefined; onValue: (value: string) => void };

/** `checkError`: this proof's own check refused it (with the tries left); otherwise the form's refusal at it. */
function ProofInput(props: { factor: Authenticator; field: FieldBinding; checkError: string | undefined; t: ReturnType<typeof useTranslator> }) {
  const { t } = props;
  const field = { ...props.field, error: props.checkError ?? props.field.error };
  if (props.factor === 'password') return <TextField label={t('password')} type="password" autocomplete="current-password" {...field} />;
  if (props.factor === 'email') {
    return <TextField label={t('emailCode')} inputMode="numeric" autocomplete="one-time-code" maxLength={SENT_CODE_MAX_LENGTH} hint={t('verifyEmailHint')} {...field} />;
  }
  // A recovery code has letters: no number pad here.
  return (
    <TextField label={t('otpOrRecoveryCode')} autocomplete="one-time-code" autocapitalize="characters" spellcheck={false} maxLength={TYPED_OTP_MAX_LENGTH} hint={t('verifyTokenHint')} {...field} />
  );
}
