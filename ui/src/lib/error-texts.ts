/**
 * The errors' texts per language. The codes are the server's catalogue (worker/contract/errors.ts, whose messages
 * are the English texts) plus the few the browser raises itself; each language is a `Record` over all of them, so a
 * code added without its German text fails the type-check.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../../worker/contract/errors';
import type { FieldIssue, FieldIssueCode, FieldIssueParams } from '../../../worker/contract/field-issues';
import { TOKEN_PIN_DEFAULT_LENGTH, TOKEN_PIN_MAX_LENGTH, TOKEN_PIN_MIN_LENGTH, type PatternName } from '../../../worker/contract/fields';
import type { Language } from '../../../worker/contract/language';
import { ALIAS_MAX_LENGTH, ALIAS_MIN_LENGTH } from '../../../worker/contract/selfservice';

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
  RECOVERY_PROOF_INVALID: 'Das stimmt nicht. Bitte prüfen Sie die Eingabe und versuchen Sie es erneut.',
  RECOVERY_ATTEMPTS_USED: 'Für diese Anfrage sind keine Versuche mehr übrig. Senden Sie sie mit dem, was Sie nachweisen konnten, oder beginnen Sie später neu.',
  RECOVERY_PROOF_REQUIRED: 'Weisen Sie mit etwas nach, das Sie noch haben, wer Sie sind, bevor die Anfrage gesendet wird.',
  RECOVERY_NOTHING_LEFT: 'Zum Wiederherstellen des Zugangs brauchen Sie etwas, das Sie noch haben (Passwort, E-Mail oder Token). Ohne das wenden Sie sich an Ihren Administrator.',
  STEP_UP_NO_FACTOR: 'Sie haben keinen zweiten Faktor, der zu bestätigen wäre.',
  STEP_UP_NO_PASSKEY: 'Sie haben keinen Passkey, mit dem Sie bestätigen könnten.',
  STEP_UP_PASSKEY_UNAVAILABLE: 'Bestätigen Sie hier mit einem Code.',
  STEP_UP_PASSKEY_EXPECTED: 'Bestätigen Sie mit Ihrem Passkey.',
  STEP_UP_CODE_NOT_SENT: 'Lassen Sie sich zuerst einen Code senden.',
  SIGNIN_WRONG_STEP: 'Diese Anmeldung ist bei einem anderen Schritt. Beginnen Sie neu.',
  SIGNIN_NO_PASSKEY: 'Diese Anmeldung verwendet keinen Passkey.',
  SIGNIN_NO_SENT_CODE: 'Diese Anmeldung verwendet keine Codes per SMS oder E-Mail.',
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

// ---------------------------------------------------------------- one refused field, and the rules hints state

type IssueText = (params: FieldIssueParams) => string;

const list = (values: string[] | undefined) => (values ?? []).join(', ');

const PATTERN_RULES: Record<Language, Record<PatternName, string>> = {
  en: {
    login: 'Letters, digits and . _ @ + - only.',
    alias: `${ALIAS_MIN_LENGTH} to ${ALIAS_MAX_LENGTH} lower-case letters, digits or single hyphens, no hyphen first or last.`,
    phone: 'Digits, with + ( ) . / - and spaces if you like.',
    tokenPin: `${TOKEN_PIN_MIN_LENGTH} to ${TOKEN_PIN_MAX_LENGTH} digits.`,
    portalPin: `Exactly ${TOKEN_PIN_DEFAULT_LENGTH} digits.`,
    twilioAccountSid: 'AC followed by 32 hexadecimal digits (0-9, a-f), as the Twilio console shows it.',
  },
  de: {
    login: 'Nur Buchstaben, Ziffern und . _ @ + -.',
    alias: `${ALIAS_MIN_LENGTH} bis ${ALIAS_MAX_LENGTH} Kleinbuchstaben, Ziffern oder einzelne Bindestriche, kein Bindestrich am Anfang oder Ende.`,
    phone: 'Ziffern, gern mit + ( ) . / - und Leerzeichen.',
    tokenPin: `${TOKEN_PIN_MIN_LENGTH} bis ${TOKEN_PIN_MAX_LENGTH} Ziffern.`,
    portalPin: `Genau ${TOKEN_PIN_DEFAULT_LENGTH} Ziffern.`,
    twilioAccountSid: 'AC und 32 Hexadezimalziffern (0-9, a-f), wie die Twilio-Konsole sie zeigt.',
  },
};

const FIELD_ISSUES_EN: Record<FieldIssueCode, IssueText> = {
  too_small: (p) =>
    p.origin === 'number' ? `At least ${p.minimum}.` : p.origin === 'array' || p.origin === 'set' ? `Choose at least ${p.minimum}.` : p.minimum === 1 ? 'Required.' : `At least ${p.minimum} characters.`,
  too_big: (p) => (p.origin === 'number' ? `At most ${p.maximum}.` : p.origin === 'array' || p.origin === 'set' ? `At most ${p.maximum} entries.` : `At most ${p.maximum} characters.`),
  invalid_format: (p) =>
    p.pattern ? PATTERN_RULES.en[p.pattern as PatternName] : p.format === 'email' ? 'Not a valid email address.' : p.format === 'url' ? 'Not a valid web address.' : 'Not in the expected form.',
  invalid_type: (p) => (p.expected === 'int' ? 'Enter a whole number.' : p.expected === 'number' ? 'Enter a number.' : p.expected === 'boolean' ? 'Must be true or false.' : 'Not the expected kind of value.'),
  invalid_value: (p) => `Choose one of: ${list(p.values)}.`,
  unrecognized_keys: (p) => `Unknown field: ${list(p.keys)}.`,
  not_multiple_of: () => 'Not an allowed step.',
  custom: () => 'Not valid.',
  REQUIRED: (p) => (p.key ? `"${p.key}" is required.` : 'Required.'),
  INVALID_PHONE: () => 'Not a valid phone number.',
  ALIAS_RESERVED: () => "This alias is reserved for the product's own pages.",
  NOT_IN_FUTURE: () => 'Must be a date in the future.',
  DUPLICATE_ENTRY: () => 'Each entry may appear only once.',
  PROVIDER_URL_INVALID: () => 'Not a valid web address.',
  PROVIDER_URL_NOT_HTTPS: () => 'The address must start with https://.',
  PROVIDER_URL_CREDENTIALS: () => 'Credentials do not belong in the address; use the credential fields.',
  PROVIDER_URL_FORBIDDEN: () => 'Provider addresses must name a public host.',
  PROVIDER_URL_HOST_TEMPLATED: () => 'Placeholders may appear in the path and query only, not in the host.',
  PROVIDER_SECRET_REQUIRED: () => 'Required.',
  PROVIDER_SECRET_URL_CHANGED: () => 'The address changed: enter the secret again (a stored secret goes only to the address it was entered for).',
  UNKNOWN_KEY: (p) => `Unknown key "${p.key}".`,
  NOT_A_MAPPING: (p) => (p.key ? `"${p.key}" must be a mapping of keys.` : 'The document must be a mapping of keys.'),
  YAML_SYNTAX: () => 'The YAML is not well-formed here.',
  YAML_DUPLICATE_KEY: () => 'This key appears twice.',
  YAML_UNCLOSED: () => 'A quote or bracket opened here is not closed.',
  YAML_BAD_INDENT: () => 'The indentation is wrong here.',
  SAML_CONFIG_TOO_LARGE: (p) => `The configuration is larger than ${p.maxBytes} bytes.`,
  SAML_VERSION: () => 'version must be "1.0".',
  SAML_URL_NOT_HTTPS: () => 'Must be an https URL (http only for localhost / 127.0.0.1).',
  SAML_CERTIFICATE_INVALID: () => 'Not an X.509 certificate (Base64 of its DER encoding).',
  SAML_SHA1_ALLOWED: () => 'SHA-1 signatures and digests are accepted. SHA-1 collisions can be computed: switch this off as soon as your IdP signs with SHA-256.',
  SAML_RESPONSE_ONLY_SIGNATURES: () => 'Responses whose assertion is not signed itself are accepted (only the Response is). The SP metadata then says WantAssertionsSigned="false".',
  NOT_OFFERED: () => 'Choose one of the ways offered.',
  DECLARED_LOST: () => 'You said you lost this: prove who you are with something else.',
  NOT_NUMERIC: () => 'Digits only.',
  NOT_HEX: () => 'Hexadecimal digits only (0-9, A-F).',
  EXACT_LENGTH: (p) => `Exactly ${p.minimum} characters.`,
  OTPAUTH_URI_INVALID: () => 'Not a valid otpauth:// address.',
};

const FIELD_ISSUES_DE: Record<FieldIssueCode, IssueText> = {
  too_small: (p) =>
    p.origin === 'number' ? `Mindestens ${p.minimum}.` : p.origin === 'array' || p.origin === 'set' ? `Wählen Sie mindestens ${p.minimum}.` : p.minimum === 1 ? 'Pflichtfeld.' : `Mindestens ${p.minimum} Zeichen.`,
  too_big: (p) => (p.origin === 'number' ? `Höchstens ${p.maximum}.` : p.origin === 'array' || p.origin === 'set' ? `Höchstens ${p.maximum} Einträge.` : `Höchstens ${p.maximum} Zeichen.`),
  invalid_format: (p) =>
    p.pattern ? PATTERN_RULES.de[p.pattern as PatternName] : p.format === 'email' ? 'Keine gültige E-Mail-Adresse.' : p.format === 'url' ? 'Keine gültige Webadresse.' : 'Nicht in der erwarteten Form.',
  invalid_type: (p) => (p.expected === 'int' ? 'Geben Sie eine ganze Zahl ein.' : p.expected === 'number' ? 'Geben Sie eine Zahl ein.' : p.expected === 'boolean' ? 'Muss true oder false sein.' : 'Nicht die erwartete Art von Wert.'),
  invalid_value: (p) => `Wählen Sie eines von: ${list(p.values)}.`,
  unrecognized_keys: (p) => `Unbekanntes Feld: ${list(p.keys)}.`,
  not_multiple_of: () => 'Kein erlaubter Schritt.',
  custom: () => 'Nicht gültig.',
  REQUIRED: (p) => (p.key ? `„${p.key}“ fehlt.` : 'Pflichtfeld.'),
  INVALID_PHONE: () => 'Keine gültige Telefonnummer.',
  ALIAS_RESERVED: () => 'Dieser Alias ist für die eigenen Seiten des Produkts reserviert.',
  NOT_IN_FUTURE: () => 'Muss ein Datum in der Zukunft sein.',
  DUPLICATE_ENTRY: () => 'Jeder Eintrag darf nur einmal vorkommen.',
  PROVIDER_URL_INVALID: () => 'Das ist keine gültige URL.',
  PROVIDER_URL_NOT_HTTPS: () => 'Die URL muss mit https:// beginnen.',
  PROVIDER_URL_CREDENTIALS: () => 'Zugangsdaten gehören nicht in die URL; verwenden Sie die Felder für die Zugangsdaten.',
  PROVIDER_URL_FORBIDDEN: () => 'Dieser Host ist nicht öffentlich (Loopback, privates Netz, Link-local, Carrier-Grade-NAT, Cloud-Metadaten oder reserviert): Anbieter-URLs müssen einen öffentlichen Host nennen.',
  PROVIDER_URL_HOST_TEMPLATED: () => 'Platzhalter dürfen nur im Pfad und in der Query stehen, nicht im Host.',
  PROVIDER_SECRET_REQUIRED: () => 'Erforderlich.',
  PROVIDER_SECRET_URL_CHANGED: () => 'Die URL wurde geändert: Geben Sie das Geheimnis erneut ein. Ein gespeichertes Geheimnis geht nur an die URL, für die es eingegeben wurde.',
  UNKNOWN_KEY: (p) => `Unbekannter Schlüssel „${p.key}“.`,
  NOT_A_MAPPING: (p) => (p.key ? `„${p.key}“ muss eine Zuordnung von Schlüsseln sein.` : 'Das Dokument muss eine Zuordnung von Schlüsseln sein.'),
  YAML_SYNTAX: () => 'Das YAML ist hier nicht wohlgeformt.',
  YAML_DUPLICATE_KEY: () => 'Dieser Schlüssel kommt doppelt vor.',
  YAML_UNCLOSED: () => 'Ein hier geöffnetes Anführungszeichen oder eine Klammer wird nicht geschlossen.',
  YAML_BAD_INDENT: () => 'Die Einrückung stimmt hier nicht.',
  SAML_CONFIG_TOO_LARGE: (p) => `Die Konfiguration ist größer als ${p.maxBytes} Bytes.`,
  SAML_VERSION: () => 'version muss "1.0" sein.',
  SAML_URL_NOT_HTTPS: () => 'Muss eine https-URL sein (http nur für localhost / 127.0.0.1).',
  SAML_CERTIFICATE_INVALID: () => 'Kein X.509-Zertifikat (Base64 seiner DER-Kodierung).',
  SAML_SHA1_ALLOWED: () => 'SHA-1-Signaturen und -Digests werden akzeptiert. SHA-1-Kollisionen lassen sich berechnen: Schalten Sie das ab, sobald Ihr IdP mit SHA-256 signiert.',
  SAML_RESPONSE_ONLY_SIGNATURES: () => 'Antworten, deren Assertion nicht selbst signiert ist, werden akzeptiert (nur die Response ist es). Die SP-Metadaten sagen dann WantAssertionsSigned="false".',
  NOT_OFFERED: () => 'Wählen Sie einen der angebotenen Wege.',
  DECLARED_LOST: () => 'Sie haben angegeben, dass Sie das verloren haben: Weisen Sie sich mit etwas anderem aus.',
  NOT_NUMERIC: () => 'Nur Ziffern.',
  NOT_HEX: () => 'Nur Hexadezimalziffern (0-9, A-F).',
  EXACT_LENGTH: (p) => `Genau ${p.minimum} Zeichen.`,
  OTPAUTH_URI_INVALID: () => 'Keine gültige otpauth://-Adresse.',
};

const FIELD_ISSUE_TEXTS: Record<Language, Record<FieldIssueCode, IssueText>> = { de: FIELD_ISSUES_DE, en: FIELD_ISSUES_EN };

/** A refused field in words: its code's text, or (a code this UI does not know) the server's English message. */
export function describeFieldIssue(issue: FieldIssue, language: Language): string {
  const text = issue.code ? FIELD_ISSUE_TEXTS[language][issue.code] : undefined;
  return text ? text(issue.params ?? {}) : language === 'de' ? FIELD_ISSUES_DE.custom({}) : issue.message;
}

/** The rules a field states before anyone types ("At least 10 characters."), in the same words as its refusals. */
export interface FieldRules {
  minLength?: number;
  maxLength?: number;
  pattern?: PatternName;
}

export function describeRules(rules: FieldRules, language: Language): string {
  const texts = FIELD_ISSUE_TEXTS[language];
  const parts: string[] = [];
  if (rules.pattern) parts.push(PATTERN_RULES[language][rules.pattern]);
  if (rules.minLength && rules.minLength > 1) parts.push(texts.too_small({ minimum: rules.minLength, origin: 'string' }));
  if (rules.maxLength) parts.push(texts.too_big({ maximum: rules.maxLength, origin: 'string' }));
  return parts.join(' ');
}
