/**
 * The errors' texts per language. The codes are the server's catalogue (worker/contract/errors.ts, whose messages
 * are the English texts) plus the few the browser raises itself; each language is a `Record` over all of them, so a
 * code added without its German text fails the type-check.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../../worker/contract/errors';
import type { Language } from '../../../worker/contract/language';

/** Failures the browser reports before or instead of a server answer (ui/src/lib/api.ts, ui/src/lib/webauthn.ts). */
export type PasskeyRefusal =
  | 'PASSKEY_CANCELLED'
  | 'PASSKEY_ALREADY_REGISTERED'
  | 'PASSKEY_NOT_SUPPORTED'
  | 'PASSKEY_SUPERSEDED'
  | 'PASSKEY_SITE_MISMATCH'
  | 'PASSKEY_BROWSER_ERROR';
export type ClientErrorCode = 'NETWORK' | PasskeyRefusal;
export type ShownErrorCode = ErrorCode | ClientErrorCode;

const CLIENT_ERRORS_EN: Record<ClientErrorCode, string> = {
  NETWORK: 'The server cannot be reached.',
  PASSKEY_CANCELLED: 'The passkey request was cancelled or timed out. Nothing was changed; try again when you are ready.',
  PASSKEY_ALREADY_REGISTERED: 'This authenticator already holds a passkey for your account.',
  PASSKEY_NOT_SUPPORTED: 'This browser or device cannot use passkeys here.',
  PASSKEY_SUPERSEDED: 'Another passkey request took over.',
  PASSKEY_SITE_MISMATCH: 'Passkeys do not work at this address: open the site by the name it is configured for (PUBLIC_ORIGIN).',
  PASSKEY_BROWSER_ERROR: 'The browser could not complete the passkey request.',
};

const ERRORS_EN = {
  ...(Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.message])) as Record<ErrorCode, string>),
  ...CLIENT_ERRORS_EN,
} satisfies Record<ShownErrorCode, string>;

const ERRORS_DE: Record<ShownErrorCode, string> = {
  NETWORK: 'Der Server ist nicht erreichbar.',
  VALIDATION_FAILED: 'Die Eingaben sind nicht gültig.',
  MALFORMED_JSON: 'Die Anfrage ist ungültig.',
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
  NAME_TAKEN: 'Dieser Name ist bereits vergeben.',
  SERIAL_TAKEN: 'Ein Token mit dieser Seriennummer existiert bereits.',
  ALIAS_TAKEN: 'Dieser Alias wird bereits von einer anderen Ressource verwendet.',
  USER_NOT_FOUND: 'Der Benutzer wurde nicht gefunden.',
  TOKEN_NOT_FOUND: 'Das Token wurde nicht gefunden.',
  RESOURCE_NOT_FOUND: 'Die Ressource wurde nicht gefunden.',
  OFFICE_NOT_FOUND: 'Der Arbeitsbereich wurde nicht gefunden.',
  GROUP_NOT_FOUND: 'Die Gruppe wurde nicht gefunden.',
  API_KEY_NOT_FOUND: 'Der API-Schlüssel wurde nicht gefunden.',
  LAST_ADMIN: 'Der letzte aktive Administrator kann weder herabgestuft noch deaktiviert oder gelöscht werden.',
  INVALID_SECRET: 'Das Token-Geheimnis ist ungültig (erwartet: Base32 oder Hex).',
  UNSUPPORTED_OCRA_SUITE: 'Diese OCRA-Suite wird nicht unterstützt.',
  INVALID_IMPORT: 'Die Importdatei konnte nicht gelesen werden.',
  TOKEN_TYPE_MISMATCH: 'Das geht mit dieser Art von Token nicht.',
  RECOVERY_CODES_SPENT: 'Dieser Satz Wiederherstellungscodes hat keinen unbenutzten Code mehr. Der Benutzer erzeugt einen neuen Satz.',
  WEAK_PASSWORD: 'Das Passwort ist zu schwach.',
  OTP_INVALID: 'Das Einmalpasswort ist falsch.',
  TOKEN_LOCKED: 'Das Token ist nach zu vielen Fehlversuchen gesperrt.',
  TOKEN_DISABLED: 'Das Token ist deaktiviert.',
  NO_TOKEN: 'Es ist kein nutzbares Token zugewiesen.',
  FACTOR_NOT_SUPPORTED: 'Der zugewiesene Faktor (ein Passkey) kann hier nicht geprüft werden; er braucht einen Browser.',
  PASSKEY_INVALID: 'Dieser Passkey konnte nicht bestätigt werden.',
  PASSKEY_SUSPICIOUS: 'Dieser Passkey ist gesperrt: Er wurde möglicherweise kopiert. Melden Sie sich mit einem anderen Faktor an und entfernen Sie ihn.',
  CHALLENGE_EXPIRED: 'Die Passkey-Anfrage ist abgelaufen. Versuchen Sie es erneut.',
  PASSKEY_NOT_FOUND: 'Passkey nicht gefunden.',
  PASSKEY_ALREADY_REGISTERED: 'Dieser Authenticator hat bereits einen Passkey für Ihr Konto.',
  PASSKEY_LIMIT_REACHED: 'Sie haben die größte erlaubte Zahl an Passkeys. Entfernen Sie zuerst einen.',
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
  ISSUE_NOT_FOUND: 'Diese Anfrage wurde nicht gefunden oder ist bereits bearbeitet.',
  PUBLIC_ORIGIN_REQUIRED: 'Dieser Server kann noch keine Links versenden: Der Administrator muss PUBLIC_ORIGIN auf die Adresse setzen, die Benutzer öffnen (z. B. https://id.example.com).',
  SCRIPT_INVALID: 'Das Anmeldeskript enthält Fehler.',
  SAML_CONFIG_INVALID: 'Die SAML-Konfiguration enthält Fehler.',
  SAML_METADATA_INVALID: 'Die IdP-Metadaten konnten nicht gelesen werden.',
  SAML_UNAVAILABLE: 'Die Anmeldung mit SAML ist nicht aktiviert.',
  SAML_XML_TOO_DEEP: 'Das XML-Dokument verschachtelt Elemente tiefer als erlaubt.',
  SAML_RETURN_PATH_INVALID: 'Die Rücksprungadresse muss ein Pfad auf dieser Website sein.',
  INTERNAL: 'Auf unserer Seite ist ein Fehler aufgetreten.',
  PASSKEY_CANCELLED: 'Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen. Es wurde nichts geändert; versuchen Sie es erneut, wenn Sie bereit sind.',
  PASSKEY_NOT_SUPPORTED: 'Dieser Browser oder dieses Gerät kann hier keine Passkeys verwenden.',
  PASSKEY_SUPERSEDED: 'Eine andere Passkey-Anfrage hat übernommen.',
  PASSKEY_SITE_MISMATCH: 'Unter dieser Adresse funktionieren Passkeys nicht: Öffnen Sie die Website unter dem Namen, für den sie eingerichtet ist (PUBLIC_ORIGIN).',
  PASSKEY_BROWSER_ERROR: 'Der Browser konnte die Passkey-Anfrage nicht abschließen.',
};

export const ERROR_TEXTS: Record<Language, Record<ShownErrorCode, string>> = { de: ERRORS_DE, en: ERRORS_EN };

export function isShownErrorCode(code: string): code is ShownErrorCode {
  return Object.hasOwn(ERRORS_EN, code);
}
