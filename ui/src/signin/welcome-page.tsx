/**
 * /welcome: the registration step after a first SAML sign-in. The account was just created from the IdP's claims;
 * this page shows what was entered into the account settings, in the language the claims named (`?lang=`).
 */
import { useEffect, useState } from 'preact/hooks';
import { Alert, Button } from '../components/form';
import { Card } from '../components/layout';
import { LANGUAGE_NAMES, setLanguage, translator, useLanguage, type Dictionaries } from '../lib/i18n';
import { navigate, useLocation } from '../lib/router';
import { loadSession, safeNextPath, type SignedIn } from './session';

const strings: Dictionaries = {
  en: {
    title: 'Welcome, {name}',
    intro: 'Your account was created from your company sign-in. These details came from your identity provider:',
    firstName: 'First name',
    lastName: 'Last name',
    email: 'Email',
    language: 'Language',
    later: 'Your administrator or your identity provider keeps these details up to date.',
    continue: 'Continue',
    notSignedIn: 'You are not signed in.',
  },
  de: {
    title: 'Willkommen, {name}',
    intro: 'Ihr Konto wurde bei der Anmeldung über Ihr Unternehmen angelegt. Diese Angaben stammen von Ihrem Identity Provider:',
    firstName: 'Vorname',
    lastName: 'Nachname',
    email: 'E-Mail',
    language: 'Sprache',
    later: 'Ihre Administration oder Ihr Identity Provider hält diese Angaben aktuell.',
    continue: 'Weiter',
    notSignedIn: 'Sie sind nicht angemeldet.',
  },
};

export default function WelcomePage() {
  const { search } = useLocation();
  const language = useLanguage();
  const [session, setSession] = useState<SignedIn | null | undefined>(undefined);
  useEffect(() => {
    const claimed = search.get('lang');
    // The claimed language wins for this page without overriding a choice the user made on this device.
    if (claimed === 'de' || claimed === 'en') setLanguage(claimed, { remember: false });
    loadSession().then((loaded) => {
      if (loaded && claimed !== 'de' && claimed !== 'en') setLanguage(loaded.user.language, { remember: false });
      setSession(loaded);
    });
  }, []);
  const t = translator(strings);
  if (session === undefined) return <div class="loading" aria-busy="true" />;
  if (session === null)
    return (
      <Card title="">
        <Alert>{t('notSignedIn')}</Alert>
      </Card>
    );
  const { user } = session;
  const next = safeNextPath(search.get('next')) ?? (user.isAdmin ? '/admin' : '/profile');
  return (
    <Card title={t('title', { name: user.firstName || user.login })}>
      <div class="stack">
        <p>{t('intro')}</p>
        <dl class="grid-2">
          <div>
            <dt class="muted">{t('firstName')}</dt>
            <dd data-testid="welcome-first-name">{user.firstName}</dd>
          </div>
          <div>
            <dt class="muted">{t('lastName')}</dt>
            <dd data-testid="welcome-last-name">{user.lastName}</dd>
          </div>
          <div>
            <dt class="muted">{t('email')}</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt class="muted">{t('language')}</dt>
            <dd data-testid="welcome-language">{LANGUAGE_NAMES[language][user.language]}</dd>
          </div>
        </dl>
        <p class="hint">{t('later')}</p>
        <Button onClick={() => navigate(next, { replace: true })}>{t('continue')}</Button>
      </div>
    </Card>
  );
}
