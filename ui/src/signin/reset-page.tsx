/** /login/reset: ask for a recovery link, or (with ?token=) set a new password with it. */
import { useState } from 'preact/hooks';
import { Alert, Button, TextField } from '../components/form';
import { Card } from '../components/layout';
import { api } from '../lib/api';
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
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api.post('/api/auth/password-reset', { login });
      setSent(true);
    } catch (failure) {
      setError(describeError(failure));
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
    <form class="stack" onSubmit={submit}>
      <p>{t('resetIntro')}</p>
      <TextField label={t('login')} name="login" value={login} onValue={setLogin} autocomplete="username" required autoFocus />
      <Alert>{error}</Alert>
      <Button type="submit" busy={busy}>
        {t('resetSend')}
      </Button>
      <a href="/login" onClick={onLinkClick} class="small-link">
        {t('back')}
      </a>
    </form>
  );
}

function SetNewPassword({ token }: { token: string }) {
  const t = useTranslator(signInStrings);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    if (password !== repeat) return setError(t('passwordsDiffer'));
    setBusy(true);
    setError('');
    try {
      await api.post('/api/auth/password-reset/complete', { token, password });
      setDone(true);
    } catch (failure) {
      setError(describeError(failure));
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
    <form class="stack" onSubmit={submit}>
      <TextField label={t('newPassword')} name="new-password" type="password" value={password} onValue={setPassword} autocomplete="new-password" required autoFocus />
      <TextField label={t('repeatPassword')} name="repeat-password" type="password" value={repeat} onValue={setRepeat} autocomplete="new-password" required />
      <Alert>{error}</Alert>
      <Button type="submit" busy={busy}>
        {t('setPassword')}
      </Button>
    </form>
  );
}
