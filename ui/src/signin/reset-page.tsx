/**
 * /login/reset: ask for a recovery link, or (with ?token=) set a new password with it. A refusal is said at the
 * field it concerns (`Form`); a limit or a used-up link, which no field can fix, in the box.
 */
import { useState } from 'preact/hooks';
import { PASSWORD_MIN_LENGTH } from '../../../worker/contract/fields';
import { Alert, Button, Form, refusalsOf, TextField } from '../components/form';
import { Card } from '../components/layout';
import { answer, authApi } from '../lib/api-client';
import { describeError, useTranslator } from '../lib/i18n';
import { onLinkClick, useLocation } from '../lib/router';
import { signInStrings } from './strings';

export function ResetPage() {
  const t = useTranslator(signInStrings);
  const token = useLocation().search.get('token');
  return <Card title={t('resetTitle')}>{token ? <SetNewPassword token={token} /> : <RequestLink />}</Card>;
}

function RequestLink() {
  const t = useTranslator(signInStrings);
  const [login, setLogin] = useState('');
  const [sent, setSent] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await answer(authApi['password-reset'].$post({ json: { login } }));
      setSent(true);
    } catch (refused) {
      setFailure(refused);
    } finally {
      setBusy(false);
    }
  }
  if (sent)
    return (
      <div class="stack">
        <Alert kind="success">{t('resetSent')}</Alert>
        <a href="/login" onClick={onLinkClick}>
          {t('back')}
        </a>
      </div>
    );
  return (
    <Form failure={failure} class="stack" onSubmit={submit}>
      <p>{t('resetIntro')}</p>
      <TextField label={t('login')} name="login" value={login} onValue={setLogin} autocomplete="username" required autoFocus />
      <Alert>{boxed(failure)}</Alert>
      <Button type="submit" busy={busy}>
        {t('resetSend')}
      </Button>
      <a href="/login" onClick={onLinkClick} class="small-link">
        {t('back')}
      </a>
    </Form>
  );
}

/** A failure no field concerns, as a sentence for the box; '' when the form says it at its fields. */
const boxed = (failure: unknown) => (failure && refusalsOf(failure).length === 0 ? describeError(failure) : '');

function SetNewPassword({ token }: { token: string }) {
  const t = useTranslator(signInStrings);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  // Found before sending: the repetition differs (said at the repetition until it is edited).
  const [differs, setDiffers] = useState(false);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setFailure(null);
    if (password !== repeat) return setDiffers(true);
    setBusy(true);
    try {
      await answer(authApi['password-reset'].complete.$post({ json: { token, password } }));
      setDone(true);
    } catch (refused) {
      setFailure(refused);
    } finally {
      setBusy(false);
    }
  }
  if (done)
    return (
      <div class="stack">
        <Alert kind="success">{t('passwordSet')}</Alert>
        <a href="/login" onClick={onLinkClick} class="button primary">
          {t('submit')}
        </a>
      </div>
    );
  return (
    <Form failure={failure} class="stack" onSubmit={submit}>
      <TextField
        label={t('newPassword')}
        name="new-password"
        errorPath="password"
        type="password"
        value={password}
        onValue={setPassword}
        rules={{ minLength: PASSWORD_MIN_LENGTH }}
        autocomplete="new-password"
        required
        autoFocus
      />
      <TextField
        label={t('repeatPassword')}
        name="repeat-password"
        type="password"
        value={repeat}
        onValue={(value) => {
          setDiffers(false);
          setRepeat(value);
        }}
        error={differs ? t('passwordsDiffer') : undefined}
        autocomplete="new-password"
        required
      />
      <Alert>{boxed(failure)}</Alert>
      <Button type="submit" busy={busy}>
        {t('setPassword')}
      </Button>
    </Form>
  );
}
