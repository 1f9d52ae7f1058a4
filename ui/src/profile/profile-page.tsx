/**
 * /profile, for every signed-in user: their data, log off, their passkeys and recovery codes, and (when the
 * platform offers it) two-factor authentication by SMS. The two-factor section follows the server's rules and only mirrors them: a number is
 * confirmed with a code sent to it, then 2FA is activated; switching it off or changing the number needs a code
 * sent to the number on file. A workspace that disables 2FA turns the section into an explanation. When the server
 * asks for the current second factor first (STEP_UP_REQUIRED), the step-up dialog asks for it (a code, a passkey or
 * a recovery code, as the server offers) and the change is sent again; one dialog serves every section.
 */
import { PHONE_MAX_LENGTH, SENT_CODE_MAX_LENGTH } from '../../../worker/contract/fields';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Alert, Button, TextField } from '../components/form';
import { Card } from '../components/layout';
import { ApiError, apiFetch } from '../lib/api';
import { answer, profileApi, profileClient, type ProfileApi } from '../lib/api-client';
import { describeError, LANGUAGE_NAMES, useLanguage, useTranslator } from '../lib/i18n';
import { navigate, onLinkClick } from '../lib/router';
import { loadSession, signOut } from '../signin/session';
import type { ProfileAnswer } from '../../../worker/profile/answers';
import { useStepUp, withStepUpFetch } from '../portal/step-up';
import { PasskeysSection } from './passkeys';
import { RecoveryCodesSection } from './recovery-codes';
import { profileStrings } from './strings';

type Profile = ProfileAnswer;
type TwoFactor = Profile['twoFactor'];
type Translate = (key: string, values?: Record<string, string | number>) => string;

export default function ProfilePage() {
  const t = useTranslator(profileStrings);
  const language = useLanguage();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState('');
  const stepUp = useStepUp(profileApi['step-up']);
  // Every change goes through this: a STEP_UP_REQUIRED answer asks for the current factor, then retries.
  const guarded = useMemo(() => profileClient(withStepUpFetch(apiFetch, stepUp.prompt)), []);
  // Answers of the two-factor changes carry the profile as that service sees it; the other sections' parts stay.
  const updateProfile = (update: Partial<Profile>) => setProfile((current) => (current ? { ...current, ...update } : current));

  useEffect(() => {
    // The session load also primes the CSRF token the two-factor actions send.
    loadSession().then((session) => {
      if (!session) return navigate(`/login?next=${encodeURIComponent('/profile')}`, { replace: true });
      answer(profileApi.index.$get())
        .then(setProfile)
        .catch((failure) => setError(failure instanceof ApiError ? describeError(failure) : t('loadFailed')));
    });
  }, []);

  if (error)
    return (
      <Card title={t('title')}>
        <Alert>{error}</Alert>
      </Card>
    );
  if (!profile) return <div class="loading" aria-busy="true" />;
  const { user } = profile;
  const name = `${user.firstName} ${user.lastName}`.trim();

  return (
    <Card title={t('title')} wide>
      <div class="stack">
        <dl class="grid-2">
          <Item label={t('login')} value={user.login} testId="profile-login" />
          <Item label={t('name')} value={name || t('none')} />
          <Item label={t('email')} value={user.email ?? t('none')} />
          <Item label={t('phone')} value={user.phone ?? t('none')} />
          <Item label={t('language')} value={LANGUAGE_NAMES[language][user.language]} />
        </dl>
        <div class="row">
          {user.isAdmin ? (
            <a class="button secondary" href="/admin" onClick={onLinkClick}>
              {t('adminCenter')}
            </a>
          ) : null}
          <span class="spacer" />
          <Button variant="secondary" onClick={() => void signOut()}>
            {t('logOff')}
          </Button>
        </div>
        <PasskeysSection passkeys={profile.passkeys} client={guarded} onPasskeys={(passkeys) => updateProfile({ passkeys })} />
        <RecoveryCodesSection
          status={profile.recoveryCodes}
          account={user.login}
          generate={() => answer(guarded['recovery-codes'].$post({ json: {} }))}
          onGenerated={(recoveryCodes) => updateProfile({ recoveryCodes })}
        />
        {profile.twoFactor.available ? <TwoFactorSection twoFactor={profile.twoFactor} guarded={guarded} onProfile={updateProfile} /> : null}
        {stepUp.dialog}
      </div>
    </Card>
  );
}

function Item({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <dt class="muted">{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** Where the user is in a two-factor change; what is stored lives in `twoFactor`, this is only the dialogue. */
type Flow =
  | { step: 'idle' }
  | { step: 'enter-phone' }
  | { step: 'confirm-phone'; challengeId: string; phone: string }
  | { step: 'confirm-off'; challengeId: string; then: 'off' | 'change' };

function TwoFactorSection({ twoFactor, guarded, onProfile }: { twoFactor: TwoFactor; guarded: ProfileApi; onProfile: (profile: Partial<Profile>) => void }) {
  const t = useTranslator(profileStrings);
  const [flow, setFlow] = useState<Flow>({ step: 'idle' });
  const [phone, setPhone] = useState(twoFactor.phone ?? '');
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  async function act(action: () => Promise<void>, sendsPhone = false) {
    setBusy(true);
    setError('');
    setNotice('');
    try {
      await action();
    } catch (failure) {
      setError(sendsPhone ? phoneError(failure, t) : describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const requestPhoneCode = (number: string) =>
    act(async () => {
      const issued = await answer(guarded['two-factor'].phone.$post({ json: { phone: number } }));
      setCode('');
      if (flow.step === 'confirm-phone') setNotice(t('resent'));
      setFlow({ step: 'confirm-phone', challengeId: issued.challengeId, phone: number.trim() });
    }, true);

  const requestOffCode = (then: 'off' | 'change') =>
    act(async () => {
      const issued = await answer(guarded['two-factor'].deactivate.code.$post());
      setCode('');
      if (flow.step === 'confirm-off') setNotice(t('resent'));
      setFlow({ step: 'confirm-off', challengeId: issued.challengeId, then });
    });

  const confirmPhone = (challengeId: string) =>
    act(async () => {
      onProfile(await answer(guarded['two-factor'].phone.confirm.$post({ json: { challengeId, code: code.trim() } })));
      setFlow({ step: 'idle' });
      setNotice(t('phoneSaved'));
    });

  const confirmOff = (challengeId: string, then: 'off' | 'change') =>
    act(async () => {
      const updated = await answer(guarded['two-factor'].deactivate.$post({ json: { challengeId, code: code.trim() } }));
      onProfile(updated);
      setNotice(t('deactivated'));
      setPhone(updated.twoFactor.phone ?? '');
      setFlow(then === 'change' ? { step: 'enter-phone' } : { step: 'idle' });
    });

  const activate = () =>
    act(async () => {
      onProfile(await answer(guarded['two-factor'].activate.$post()));
      setNotice(t('activated'));
    });

  const header = (
    <div class="row">
      <h2>{t('twoFactorTitle')}</h2>
      <span class="spacer" />
      {twoFactor.active ? <span class="pill ok">{t('statusActive')}</span> : <span class="pill off">{t('statusInactive')}</span>}
    </div>
  );

  if (twoFactor.disabledByOffices.length > 0) {
    const offices = twoFactor.disabledByOffices.join(', ');
    return (
      <section class="stack" aria-label={t('twoFactorTitle')}>
        {header}
        <Alert kind="info">{t(twoFactor.disabledByOffices.length === 1 ? 'forbidden' : 'forbiddenMany', { offices })}</Alert>
      </section>
    );
  }

  const messages = (
    <>
      <Alert>{error}</Alert>
      {notice ? <Alert kind="success">{notice}</Alert> : null}
    </>
  );
  // In a form with one field, a refusal concerns that field: it is said there, and only a success stays below.
  const fieldMessages = notice && !error ? <Alert kind="success">{notice}</Alert> : null;
  const typed = (set: (value: string) => void) => (value: string) => {
    setError('');
    set(value);
  };

  const codeForm = (intro: string, onSubmit: () => void, onResend: () => void) => (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <p>{intro}</p>
      <TextField label={t('smsCode')} name="sms-code" value={code} onValue={typed(setCode)} error={error || undefined} autocomplete="one-time-code" inputMode="numeric" maxLength={SENT_CODE_MAX_LENGTH} required autoFocus />
      {fieldMessages}
      <div class="row">
        <Button type="submit" busy={busy}>
          {t('confirm')}
        </Button>
        <Button variant="secondary" disabled={busy} onClick={onResend}>
          {t('resend')}
        </Button>
        <Button
          variant="link"
          onClick={() => {
            setFlow({ step: 'idle' });
            setError('');
          }}
        >
          {t('cancel')}
        </Button>
      </div>
    </form>
  );

  let body;
  if (flow.step === 'confirm-phone') {
    const { challengeId, phone: number } = flow;
    body = codeForm(t('codeSentTo', { phone: number }), () => confirmPhone(challengeId), () => requestPhoneCode(number));
  } else if (flow.step === 'confirm-off') {
    const { challengeId, then } = flow;
    body = codeForm(t('offCodeSent', { phone: twoFactor.phone ?? '' }), () => confirmOff(challengeId, then), () => requestOffCode(then));
  } else if (twoFactor.active) {
    body = (
      <div class="stack">
        <p data-testid="two-factor-phone">{t('activeFor', { phone: twoFactor.phone ?? '' })}</p>
        <p class="hint">{t('changeNeedsCode')}</p>
        {messages}
        <div class="row">
          <Button variant="secondary" busy={busy} onClick={() => requestOffCode('change')}>
            {t('changeNumber')}
          </Button>
          <Button variant="danger" busy={busy} onClick={() => requestOffCode('off')}>
            {t('deactivate')}
          </Button>
        </div>
      </div>
    );
  } else if (twoFactor.phone && twoFactor.phoneVerified && flow.step !== 'enter-phone') {
    body = (
      <div class="stack">
        <p data-testid="two-factor-phone">{t('phoneConfirmed', { phone: twoFactor.phone })}</p>
        {messages}
        <div class="row">
          <Button busy={busy} onClick={activate}>
            {t('activate')}
          </Button>
          <Button variant="secondary" disabled={busy} onClick={() => setFlow({ step: 'enter-phone' })}>
            {t('changeNumber')}
          </Button>
        </div>
      </div>
    );
  } else {
    body = (
      <form
        class="stack"
        onSubmit={(event) => {
          event.preventDefault();
          void requestPhoneCode(phone);
        }}
      >
        <TextField label={t('mobileNumber')} name="mobile" type="tel" value={phone} onValue={typed(setPhone)} error={error || undefined} autocomplete="tel" hint={t('mobileHint')} maxLength={PHONE_MAX_LENGTH} required />
        {fieldMessages}
        <div class="row">
          <Button type="submit" busy={busy}>
            {t('sendCode')}
          </Button>
          {flow.step === 'enter-phone' && twoFactor.phoneVerified ? (
            <Button variant="link" onClick={() => setFlow({ step: 'idle' })}>
              {t('cancel')}
            </Button>
          ) : null}
        </div>
      </form>
    );
  }

  return (
    <section class="stack" aria-label={t('twoFactorTitle')}>
      {header}
      <p class="hint">{t('twoFactorIntro')}</p>
      {body}
    </section>
  );
}

/**
 * The number is the only input of that request, so any validation failure (too short for the schema, or refused by
 * the phone library) means the number: say so in the user's language rather than "invalid input".
 */
function phoneError(failure: unknown, t: Translate): string {
  if (failure instanceof ApiError && failure.code === 'VALIDATION_FAILED') return t('invalidPhone');
  return describeError(failure);
}
