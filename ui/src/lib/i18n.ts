/**
 * German and English. Each surface keeps its own dictionary next to its pages (so the sign-in page does not carry
 * the admin center's strings); this module holds the language choice, the shared words and the translated error
 * codes. Server errors carry a stable code: known codes are shown in the user's language, unknown ones with the
 * server's (English) message.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export type Language = 'de' | 'en';
export type Dictionary = Record<string, string>;
export type Dictionaries = Record<Language, Dictionary>;

const STORAGE_KEY = 'eid.language';
const listeners = new Set<() => void>();

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'de' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('de') ? 'de' : 'en';
}

let language: Language = initialLanguage();
document.documentElement.lang = language;

export function currentLanguage(): Language {
  return language;
}

export function setLanguage(next: Language, options: { remember?: boolean } = { remember: true }): void {
  if (options.remember) localStorage.setItem(STORAGE_KEY, next);
  if (next === language) return;
  language = next;
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener());
}

/** Re-renders the calling component when the language changes. */
export function useLanguage(): Language {
  const [value, setValue] = useState(language);
  useEffect(() => {
    const listener = () => setValue(language);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return value;
}

/** `t('key', { name: 'Ada' })` replaces `{name}`; a missing key shows itself, which tests and reviewers notice. */
export function translator(dictionaries: Dictionaries) {
  return (key: string, values?: Record<string, string | number>): string => {
    const text = dictionaries[language][key] ?? dictionaries.en[key] ?? key;
    return values ? text.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match)) : text;
  };
}

export function useTranslator(dictionaries: Dictionaries) {
  useLanguage();
  return translator(dictionaries);
}

const ERRORS_DE: Dictionary = {
  NETWORK: 'Der Server ist nicht erreichbar.',
  VALIDATION_FAILED: 'Die Eingaben sind nicht gültig.',
  PAYLOAD_TOO_LARGE: 'Die Daten sind zu groß.',
  UNAUTHENTICATED: 'Bitte melden Sie sich an.',
  FORBIDDEN: 'Dazu fehlt Ihnen die Berechtigung.',
  CSRF_REJECTED: 'Die Anfrage kam nicht von dieser Seite. Bitte laden Sie die Seite neu.',
  NOT_FOUND: 'Nicht gefunden.',
  CONFLICT: 'Das widerspricht vorhandenen Daten.',
  RATE_LIMITED: 'Zu viele Versuche. Bitte versuchen Sie es später erneut.',
  INVALID_CREDENTIALS: 'Anmeldename oder Passwort ist falsch.',
  ACCOUNT_LOCKED: 'Das Konto ist nach zu vielen Fehlversuchen vorübergehend gesperrt.',
  LOGIN_TAKEN: 'Dieser Anmeldename ist bereits vergeben.',
  EMAIL_TAKEN: 'Diese E-Mail-Adresse wird bereits von einem anderen Konto verwendet.',
  LAST_ADMIN: 'Der letzte aktive Administrator kann weder herabgestuft noch deaktiviert oder gelöscht werden.',
  NAME_TAKEN: 'Dieser Name ist bereits vergeben.',
  SERIAL_TAKEN: 'Ein Token mit dieser Seriennummer existiert bereits.',
  ALIAS_TAKEN: 'Dieser Alias wird bereits von einer anderen Ressource verwendet.',
  WEAK_PASSWORD: 'Das Passwort ist zu schwach.',
  OTP_INVALID: 'Das Einmalpasswort ist falsch.',
  TOKEN_LOCKED: 'Das Token ist nach zu vielen Fehlversuchen gesperrt.',
  TOKEN_DISABLED: 'Das Token ist deaktiviert.',
  RECOVERY_CODES_SPENT: 'Dieser Satz Wiederherstellungscodes hat keinen unbenutzten Code mehr. Der Benutzer erzeugt einen neuen Satz.',
  TOKEN_TYPE_MISMATCH: 'Das geht mit dieser Art von Token nicht.',
  NO_TOKEN: 'Es ist kein nutzbares Token zugewiesen.',
  FACTOR_NOT_SUPPORTED: 'Der zugewiesene Faktor (ein Passkey) kann hier nicht geprüft werden; er braucht einen Browser.',
  MESSAGE_NOT_SENT: 'Die Nachricht konnte nicht gesendet werden.',
  CODE_INVALID: 'Der Code ist falsch.',
  CODE_EXPIRED: 'Der Code ist abgelaufen. Fordern Sie einen neuen an.',
  TEMPLATE_INVALID: 'Die Nachrichtenvorlage ist ungültig.',
  TWO_FACTOR_UNAVAILABLE: 'Die Zwei-Faktor-Authentifizierung ist auf dieser Plattform nicht aktiviert.',
  TWO_FACTOR_FORBIDDEN_BY_OFFICE: 'Die Zwei-Faktor-Authentifizierung ist durch Ihren Arbeitsbereich deaktiviert.',
  PORTAL_NOT_FOUND: 'Unter dieser Adresse gibt es kein Self-Service-Portal.',
  ACTION_DISABLED: 'Diese Aktion ist für dieses Portal nicht freigegeben.',
  STEP_UP_REQUIRED: 'Bitte bestätigen Sie das zuerst mit Ihrem aktuellen Code.',
  SAME_PASSWORD: 'Das neue Passwort muss sich vom bisherigen unterscheiden.',
  PASSWORD_EXISTS: 'Sie haben bereits ein Passwort; ändern Sie es stattdessen.',
  NO_PASSWORD: 'Sie haben noch kein Passwort; legen Sie eines an.',
  PUBLIC_ORIGIN_REQUIRED: 'Dieser Server kann noch keine Links versenden: Der Administrator muss PUBLIC_ORIGIN auf die Adresse setzen, die Benutzer öffnen (z. B. https://id.example.com).',
  INTERNAL: 'Auf unserer Seite ist ein Fehler aufgetreten.',
  // The browser's passkey refusals (ui/src/lib/webauthn.ts; English texts there).
  PASSKEY_CANCELLED: 'Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen. Es wurde nichts geändert; versuchen Sie es erneut, wenn Sie bereit sind.',
  PASSKEY_ALREADY_REGISTERED: 'Dieser Authenticator hat bereits einen Passkey für Ihr Konto.',
  PASSKEY_NOT_SUPPORTED: 'Dieser Browser oder dieses Gerät kann hier keine Passkeys verwenden.',
  PASSKEY_SUPERSEDED: 'Eine andere Passkey-Anfrage hat übernommen.',
  PASSKEY_SITE_MISMATCH: 'Unter dieser Adresse funktionieren Passkeys nicht: Öffnen Sie die Website unter dem Namen, für den sie eingerichtet ist (PUBLIC_ORIGIN).',
  PASSKEY_BROWSER_ERROR: 'Der Browser konnte die Passkey-Anfrage nicht abschließen.',
  // The server's passkey refusals (worker/errors.ts).
  PASSKEY_INVALID: 'Dieser Passkey konnte nicht bestätigt werden.',
  PASSKEY_SUSPICIOUS: 'Dieser Passkey ist gesperrt: Er wurde möglicherweise kopiert. Melden Sie sich mit einem anderen Faktor an und entfernen Sie ihn.',
  CHALLENGE_EXPIRED: 'Die Passkey-Anfrage ist abgelaufen. Versuchen Sie es erneut.',
  PASSKEY_NOT_FOUND: 'Passkey nicht gefunden.',
  PASSKEY_LIMIT_REACHED: 'Sie haben die größte erlaubte Zahl an Passkeys. Entfernen Sie zuerst einen.',
};

/** The message to show for a failed call, in the current language. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (language === 'de' && ERRORS_DE[error.code]) return ERRORS_DE[error.code]!;
    return error.message;
  }
  return language === 'de' ? 'Unerwarteter Fehler.' : 'Unexpected error.';
}

export function formatDateTime(ms: number | null | undefined): string {
  if (!ms) return '';
  return new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' }).format(ms);
}
