/**
 * The account actions: Create Password, Change Password, Change Email Address and Change Phone Number
 * (each confirmed by a code sent to the NEW address or number), Change Login and Change Name.
 */
import { EMAIL_MAX_LENGTH, LOGIN_MAX_LENGTH, PERSON_NAME_MAX_LENGTH, PHONE_MAX_LENGTH, SENT_CODE_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { Alert, Form, TextField } from '../components/form';
import { ApiError } from '../lib/api';
import { answer } from '../lib/api-client';
import { useTranslator } from '../lib/i18n';
import { Actions, useSubmit, type ActionProps } from './action-kit';
import { portalStrings } from './strings';
import { RULE_VALUES, checkNewPassword, isLogin, looksLikeEmail, looksLikePhone, type PasswordProblem } from './validation';

/** The field a problem of the new password concerns: its length the first field, a mismatch the repetition. */
const PASSWORD_PROBLEM_FIELD: Record<PasswordProblem, string> = { passwordTooShort: 'newPassword', passwordsDiffer: 'repeatPassword' };

export function CreatePassword(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const { busy, error, refuse, field, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        const problem = checkNewPassword(password, repeated);
        if (problem) return refuse(PASSWORD_PROBLEM_FIELD[problem], () => t(problem, RULE_VALUES));
        return submit(async () => {
          await answer(props.client.password.$post({ json: { password } }));
          props.onDone(t('passwordCreated'));
        });
      }}
    >
      <TextField label={t('newPassword')} {...field('newPassword', setPassword)} errorPath="password" type="password" value={password} autocomplete="new-password" required autoFocus />
      <TextField label={t('repeatPassword')} {...field('repeatPassword', setRepeated)} type="password" value={repeated} autocomplete="new-password" required />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </Form>
  );
}

export function ChangePassword(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const { busy, error, refuse, field, form, submit } = useSubmit(props, { INVALID_CREDENTIALS: 'currentPassword' });
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        const problem = checkNewPassword(password, repeated);
        if (problem) return refuse(PASSWORD_PROBLEM_FIELD[problem], () => t(problem, RULE_VALUES));
        return submit(async () => {
          await answer(props.client.password.$put({ json: { currentPassword: current, newPassword: password } }));
          props.onDone(t('passwordChanged'));
        });
      }}
    >
      <TextField label={t('currentPassword')} {...field('currentPassword', setCurrent)} type="password" value={current} autocomplete="current-password" required autoFocus />
      <TextField label={t('newPassword')} {...field('newPassword', setPassword)} type="password" value={password} autocomplete="new-password" required />
      <TextField label={t('repeatPassword')} {...field('repeatPassword', setRepeated)} type="password" value={repeated} autocomplete="new-password" required />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </Form>
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
  const { busy, error, refuse, field, form, submit } = useSubmit(props, { CODE_INVALID: 'code', CODE_EXPIRED: 'code' });
  const isEmail = props.kind === 'email';

  if (challenge) {
    return (
      <Form
        {...form}
        class="stack"
        key="code"
        onSubmit={(event) => {
          event.preventDefault();
          return submit(async () => {
            const json = { challengeId: challenge.id, code: code.trim() };
            if (isEmail) props.onDone(t('emailChanged', { email: (await answer(props.client.email.confirm.$post({ json }))).email }));
            else props.onDone(t('phoneChanged', { phone: (await answer(props.client.phone.confirm.$post({ json }))).phone }));
          });
        }}
      >
        <p>{t(isEmail ? 'codeSentEmail' : 'codeSentSms', { target: challenge.target })}</p>
        <TextField label={t('code')} {...field('code', setCode)} value={code} inputMode="numeric" autocomplete="one-time-code" required autoFocus maxLength={SENT_CODE_MAX_LENGTH} />
        <Alert>{error}</Alert>
        <Actions busy={busy} label={t('confirm')} onCancel={props.onCancel} />
      </Form>
    );
  }

  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        const value = target.trim();
        if (isEmail && !looksLikeEmail(value)) return refuse('email', () => t('emailInvalid'));
        // Without this, "12" met the server's length rule first and came back as a bare "phone: String must…".
        if (!isEmail && !looksLikePhone(value)) return refuse('phone', () => t('phoneInvalid'));
        return submit(async () => {
          try {
            const issued = await answer(isEmail ? props.client.email.$post({ json: { email: value } }) : props.client.phone.$post({ json: { phone: value } }));
            setChallenge({ id: issued.challengeId, target: value });
          } catch (failure) {
            // The server's "not a valid phone number" (libphonenumber), in the user's language.
            if (failure instanceof ApiError && (failure.details as { code?: unknown } | undefined)?.code === 'INVALID_PHONE') return refuse('phone', () => t('phoneInvalid'));
            throw failure;
          }
        });
      }}
    >
      {isEmail ? (
        <TextField label={t('newEmail')} {...field('email', setTarget)} type="email" value={target} autocomplete="email" required autoFocus maxLength={EMAIL_MAX_LENGTH} />
      ) : (
        <TextField label={t('newPhone')} {...field('phone', setTarget)} type="tel" value={target} autocomplete="tel" hint={t('phoneHint')} required autoFocus maxLength={PHONE_MAX_LENGTH} />
      )}
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('sendCode')} onCancel={props.onCancel} />
    </Form>
  );
}

export const ChangeEmail = (props: ActionProps) => <ConfirmByCode {...props} kind="email" />;
export const ChangePhone = (props: ActionProps) => <ConfirmByCode {...props} kind="phone" />;

export function ChangeLogin(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [login, setLogin] = useState(props.overview.user.login);
  const { busy, error, refuse, field, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (!isLogin(login.trim())) return refuse('login', () => t('loginInvalid'));
        return submit(async () => {
          await answer(props.client.login.$put({ json: { login: login.trim() } }));
          props.onDone(t('loginChanged', { login: login.trim() }));
        });
      }}
    >
      <Alert kind="warning">{t('loginWarning')}</Alert>
      <TextField label={t('newLogin')} {...field('login', setLogin)} value={login} autocomplete="username" required autoFocus maxLength={LOGIN_MAX_LENGTH} />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </Form>
  );
}

export function ChangeName(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [firstName, setFirstName] = useState(props.overview.user.firstName);
  const [lastName, setLastName] = useState(props.overview.user.lastName);
  const { busy, error, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          await answer(props.client.name.$put({ json: { firstName: firstName.trim(), lastName: lastName.trim() } }));
          props.onDone(t('nameChanged'));
        });
      }}
    >
      <TextField label={t('firstName')} name="firstName" value={firstName} onValue={setFirstName} autocomplete="given-name" required autoFocus rules={{ maxLength: PERSON_NAME_MAX_LENGTH }} />
      <TextField label={t('lastName')} name="lastName" value={lastName} onValue={setLastName} autocomplete="family-name" required rules={{ maxLength: PERSON_NAME_MAX_LENGTH }} />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('save')} onCancel={props.onCancel} />
    </Form>
  );
}
