/**
 * What each activity type means, in the page's language. The type names are the product's public names (exports,
 * API, scripts) and stay as they are; the label stands beside them. A record per language, so a type the server
 * gains without its labels fails the type-check.
 */
import type { UserActivityType } from '../../../../worker/db/schema';
import { currentLanguage, type Language } from '../../lib/i18n';

export const ACTIVITY_LABELS: Record<Language, Record<UserActivityType, string>> = {
  en: {
    UserLogin: 'Signed in',
    UserLoginAttempt: 'Sign-in refused',
    UserLogoff: 'Signed out',
    UserPasswortChangeRequest: 'Password change requested',
    UserPasswordChange: 'Password changed',
    UserEmailChangeRequest: 'Email change requested',
    UserEmailChange: 'Email changed',
    PasskeyRegistered: 'Passkey registered',
    PasskeyRemoved: 'Passkey removed',
    RecoveryCodesGenerated: 'Recovery codes generated',
    RecoveryCodeUsed: 'Recovery code used',
    RecoveryCodesVoided: 'Recovery codes voided',
  },
  de: {
    UserLogin: 'Angemeldet',
    UserLoginAttempt: 'Anmeldung abgelehnt',
    UserLogoff: 'Abgemeldet',
    UserPasswortChangeRequest: 'Passwortänderung angefordert',
    UserPasswordChange: 'Passwort geändert',
    UserEmailChangeRequest: 'E-Mail-Änderung angefordert',
    UserEmailChange: 'E-Mail geändert',
    PasskeyRegistered: 'Passkey registriert',
    PasskeyRemoved: 'Passkey entfernt',
    RecoveryCodesGenerated: 'Wiederherstellungscodes erzeugt',
    RecoveryCodeUsed: 'Wiederherstellungscode verwendet',
    RecoveryCodesVoided: 'Wiederherstellungscodes ungültig gemacht',
  },
};

/**
 * An activity by its meaning in the page's language, with its public name as it is (exports, filters and scripts
 * use it) small beneath: side by side, the two read as one busy line at 1024 px.
 */
export function ActivityName({ type }: { type: UserActivityType }) {
  return (
    <>
      <span class="activity-label">{ACTIVITY_LABELS[currentLanguage()][type]}</span> <small class="activity-type mono muted">{type}</small>
    </>
  );
}
