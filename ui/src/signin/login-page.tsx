/**
 * /login: login and password, then, when the account has a second factor, the OTP of the user's token, or the code
 * sent to their SMS/email token (the page says where, masked) or to their SMS 2FA number. The flow is a small
 * state machine mirroring the server's answers.
 */
import { useEffect, useState } from 'preact/hooks';
import { Alert, Button, TextField } from '../components/form';
import { Card } from '../components/layout';
import { api } from '../lib/api';
import { describeError, useTranslator } from '../lib/i18n';
import { navigate, onLinkClick, useLocation } from '../lib/router';
import { signInStrings } from './strings';
import { safeNextPath, type SignedIn } from './session';

type SecondFactor = { challenge: string; methods: Array<'otp' | 'code' | 'sms'>; delivery?: { channel: 'sms' | 'email'; to: string } };

type Step = { state: 'password' } | ({ state: 'second_factor' } & SecondFactor);

type LoginAnswer = { state: 'signed_in'; user: SignedIn['user']; csrfToken: string } | ({ state: 'second_factor' } & SecondFactor);

export function LoginPage() {
  const t = useTranslator(signInStrings);
  const { search } = useLocation();
  const [step, setStep] = useState<Step>({ state: 'password' });
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [samlAvailable, setSamlAvailable] = useState(false);

  useEffect(() => {
    api
      .get<{ available: boolean }>('/api/auth/saml-status')
      .then((status) => setSamlAvailable(Boolean(status?.available)))
      .catch(() => setSamlAvailable(false));
  }, []);

  function finish(answer: LoginAnswer) {
    if (answer.state === 'second_factor') {
      setStep({ state: 'second_factor', challenge: answer.challenge, methods: answer.methods, delivery: answer.delivery });
      setCode('');
      return;
    }
    const fallback = answer.user.isAdmin ? '/admin' : '/profile';
    navigate(safeNextPath(search.get('next')) ?? fallback, { replace: true });
  }

  async function submitPassword(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      finish(await api.post<LoginAnswer>('/api/auth/login', { login, password }));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function submitCode(event: Event) {
    event.preventDefault();
    if (step.state !== 'second_factor') return;
    setBusy(true);
    setError('');
    try {
      finish(await api.post<LoginAnswer>('/api/auth/login/second-factor', { challenge: step.challenge, otp: code.trim() }));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  if (step.state === 'second_factor') {
    return (
      <Card title={t('secondFactorTitle')}>
        <form onSubmit={submitCode} class="stack">
          <p>{secondFactorPrompt(step, t)}</p>
          <TextField label={t('code')} name="code" value={code} onValue={setCode} autocomplete="one-time-code" inputMode="numeric" required autoFocus />
          <Alert>{error}</Alert>
          <Button type="submit" busy={busy}>
            {t('confirm')}
          </Button>
          <Button variant="link" onClick={() => setStep({ state: 'password' })}>
            {t('back')}
          </Button>
        </form>
      </Card>
    );
  }

  return (
    <Card title={t('title')}>
      <form onSubmit={submitPassword} class="stack">
        <TextField label={t('login')} name="login" value={login} onValue={setLogin} autocomplete="username" required autoFocus />
        <TextField label={t('password')} name="password" type="password" value={password} onValue={setPassword} autocomplete="current-password" required />
        <Alert>{error}</Alert>
        <Button type="submit" busy={busy}>
          {t('submit')}
        </Button>
        <a href="/login/reset" onClick={onLinkClick} class="small-link">
          {t('forgot')}
        </a>
      </form>
      {samlAvailable ? (
        <div class="stack saml-choice">
          <p class="divider">{t('or')}</p>
          <a class="button secondary" href={`/saml/login${search.get('next') ? `?RelayState=${encodeURIComponent(safeNextPath(search.get('next')) ?? '/')}` : ''}`}>
            {t('samlButton')}
          </a>
        </div>
      ) : null}
    </Card>
  );
}

function secondFactorPrompt(step: SecondFactor, t: (key: string, values?: Record<string, string>) => string): string {
  if (step.delivery) return t(step.delivery.channel === 'sms' ? 'codeSentSMS' : 'codeSentEMAIL', { to: step.delivery.to });
  return step.methods[0] === 'sms' ? t('smsPrompt') : t('otpPrompt');
}
