/**
 * The account actions: Create Password, Change Password, Change Email Address and Change Contact Phone Number
 * (each confirmed by a code sent to the NEW address or number), Change Login and Change First/Last Name.
 */
import { useState } from 'preact/hooks';
import { Alert, TextField } from '../components/form';
import { ApiError } from '../lib/api';
import { useTranslator } from '../lib/i18n';
import { Actions, useSubmit, type ActionProps } from './action-kit';
import { portalStrings } from './strings';
import { RULE_VALUES, checkNewPassword, isLogin, looksLikeEmail, looksLikePhone } from './validation';

export function CreatePassword(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const { busy, error, setError, submit } = useSubmit(props);
  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        const problem = checkNewPassword(password, repeated);
        if (problem) return setError(t(problem, RULE_VALUES));
        return submit(async () => {
          await props.client.post('/password', { password });
          props.onDone(t('passwordCreated'));
        });
      }}
    >
      <TextField label={t('newPassword')} name="newPassword" type="password" value={password} onValue={setPassword} autocomplete="new-password" required autoFocus />
      <TextField label={t('repeatPassword')} name="repeatPassword" type="password" value={repeated} onValue={setRepeated} autocomplete="new-password" required />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </form>
  );
}

export function ChangePassword(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const { busy, error, setError, submit } = useSubmit(props);
  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        const problem = checkNewPassword(password, repeated);
        if (problem) return setError(t(problem, RULE_VALUES));
        return submit(async () => {
          await props.client.put('/password', { currentPassword: current, newPassword: password });
          props.onDone(t('passwordChanged'));
        });
      }}
    >
      <TextField label={t('currentPassword')} name="currentPassword" type="password" value={current} onValue={setCurrent} autocomplete="current-password" required autoFocus />
      <TextField label={t('newPassword')} name="newPassword" type="password" value={password} onValue={setPassword} autocomplete="new-password" required />
      <TextField label={t('repeatPassword')} name="repeatPassword" type="password" value={repeated} onValue={setRepeated} autocomplete="new-password" required />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </form>
  );
}

/**
 * New address or number first; the server sends a code to it; the code confirms it. Only a confirmed address is
 * stored, so a typo cannot lock the user out of their messages.
 */
function ConfirmByCode(props: ActionProps & { kind: 'email' | 'phone' }) {
  const t = useTranslator(portalStrings);
  const [target, setTarget] = useState('');
  const [challenge, setChallenge] = useState<{ id: string; target: string } | null>(null);
  const [code, setCode] = useState('');
  const { busy, error, setError, submit } = useSubmit(props);
  const isEmail = props.kind === 'email';

  if (challenge) {
    return (
      <form
        class="stack"
        key="code"
        onSubmit={(event) => {
          event.preventDefault();
          return submit(async () => {
            const result = await props.client.post<{ email?: string; phone?: string }>(`/${props.kind}/confirm`, { challengeId: challenge.id, code: code.trim() });
            props.onDone(isEmail ? t('emailChanged', { email: result.email ?? '' }) : t('phoneChanged', { phone: result.phone ?? '' }));
          });
        }}
      >
        <p>{t(isEmail ? 'codeSentEmail' : 'codeSentSms', { target: challenge.target })}</p>
        <TextField label={t('code')} name="code" value={code} onValue={setCode} inputMode="numeric" autocomplete="one-time-code" required autoFocus maxLength={16} />
        <Alert>{error}</Alert>
        <Actions busy={busy} label={t('confirm')} onCancel={props.onCancel} />
      </form>
    );
  }

  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        const value = target.trim();
        if (isEmail && !looksLikeEmail(value)) return setError(t('emailInvalid'));
        // Without this, "12" met the server's length rule first and came back as a bare "phone: String must…".
        if (!isEmail && !looksLikePhone(value)) return setError(t('phoneInvalid'));
        return submit(async () => {
          try {
            const issued = await props.client.post<{ challengeId: string }>(`/${props.kind}`, isEmail ? { email: value } : { phone: value });
            setChallenge({ id: issued.challengeId, target: value });
          } catch (failure) {
            // The server's "not a valid phone number" (libphonenumber), in the user's language.
            if (failure instanceof ApiError && (failure.details as { code?: unknown } | undefined)?.code === 'INVALID_PHONE') return setError(t('phoneInvalid'));
            throw failure;
          }
        });
      }}
    >
      {isEmail ? (
        <TextField label={t('newEmail')} name="email" type="email" value={target} onValue={setTarget} autocomplete="email" required autoFocus maxLength={254} />
      ) : (
        <TextField label={t('newPhone')} name="phone" type="tel" value={target} onValue={setTarget} autocomplete="tel" hint={t('phoneHint')} required autoFocus maxLength={32} />
      )}
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('sendCode')} onCancel={props.onCancel} />
    </form>
  );
}

export const ChangeEmail = (props: ActionProps) => <ConfirmByCode {...props} kind="email" />;
export const ChangePhone = (props: ActionProps) => <ConfirmByCode {...props} kind="phone" />;

export function ChangeLogin(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [login, setLogin] = useState(props.overview.user.login);
  const { busy, error, setError, submit } = useSubmit(props);
  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (!isLogin(login.trim())) return setError(t('loginInvalid'));
        return submit(async () => {
          await props.client.put('/login', { login: login.trim() });
          props.onDone(t('loginChanged', { login: login.trim() }));
        });
      }}
    >
      <Alert kind="warning">{t('loginWarning')}</Alert>
      <TextField label={t('newLogin')} name="login" value={login} onValue={setLogin} autocomplete="username" required autoFocus maxLength={128} />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </form>
  );
}

export function ChangeName(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [firstName, setFirstName] = useState(props.overview.user.firstName);
  const [lastName, setLastName] = useState(props.overview.user.lastName);
  const { busy, error, submit } = useSubmit(props);
  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          await props.client.put('/name', { firstName: firstName.trim(), lastName: lastName.trim() });
          props.onDone(t('nameChanged'));
        });
      }}
    >
      <TextField label={t('firstName')} name="firstName" value={firstName} onValue={setFirstName} autocomplete="given-name" required autoFocus maxLength={100} />
      <TextField label={t('lastName')} name="lastName" value={lastName} onValue={setLastName} autocomplete="family-name" required maxLength={100} />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </form>
  );
}
