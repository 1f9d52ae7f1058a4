/** The page a browser sees when a SAML sign-in is refused: what happened, in German or English, and a way back. */
import type { Language, SamlSignInReason } from './sign-in-service';

type Kind = 'stale' | 'unavailable' | 'disabled' | 'denied' | 'account' | 'busy' | 'invalid' | 'return_path';

const KIND_OF: Partial<Record<SamlSignInReason | 'return_path_invalid' | 'too_large', Kind>> = {
  expired: 'stale',
  not_yet_valid: 'stale',
  replayed: 'stale',
  in_response_to_unknown: 'stale',
  request_not_from_this_browser: 'stale',
  unsolicited: 'stale',
  saml_unavailable: 'unavailable',
  user_disabled: 'disabled',
  sign_in_hook_denied: 'denied',
  email_claim_missing: 'account',
  email_claim_invalid: 'account',
  email_ambiguous: 'account',
  login_taken: 'account',
  rate_limited: 'busy',
  return_path_invalid: 'return_path',
};

const TEXT: Record<Language, { title: string; back: string; reason: string } & Record<Kind, string>> = {
  en: {
    title: 'Sign-in with SAML failed',
    back: 'Back to sign-in',
    reason: 'Reason',
    stale: 'This sign-in response is no longer valid: it has expired, was used already, or was not started in this browser. Please start the sign-in again.',
    unavailable: 'Sign-in with SAML is not enabled on this platform.',
    disabled: 'Your account is disabled. Please contact your administrator.',
    denied: 'Your sign-in was refused by the sign-in rules of this platform. Please contact your administrator.',
    account: 'Your identity provider did not send an email address that matches exactly one account. Please contact your administrator.',
    busy: 'Too many sign-in attempts. Please wait a few minutes and try again.',
    invalid: 'The response of your identity provider could not be accepted.',
    return_path: 'The return address must be a page on this site.',
  },
  de: {
    title: 'Die Anmeldung mit SAML ist fehlgeschlagen',
    back: 'Zurück zur Anmeldung',
    reason: 'Grund',
    stale: 'Diese Anmeldeantwort ist nicht mehr gültig: Sie ist abgelaufen, wurde bereits verwendet oder wurde nicht in diesem Browser begonnen. Bitte starten Sie die Anmeldung erneut.',
    unavailable: 'Die Anmeldung mit SAML ist auf dieser Plattform nicht aktiviert.',
    disabled: 'Ihr Konto ist deaktiviert. Bitte wenden Sie sich an Ihre Administration.',
    denied: 'Ihre Anmeldung wurde von den Anmelderegeln dieser Plattform abgelehnt. Bitte wenden Sie sich an Ihre Administration.',
    account: 'Ihr Identity Provider hat keine E-Mail-Adresse gesendet, die genau einem Konto zugeordnet werden kann. Bitte wenden Sie sich an Ihre Administration.',
    busy: 'Zu viele Anmeldeversuche. Bitte warten Sie einige Minuten und versuchen Sie es erneut.',
    invalid: 'Die Antwort Ihres Identity Providers konnte nicht akzeptiert werden.',
    return_path: 'Die Rücksprungadresse muss eine Seite dieser Website sein.',
  },
};

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderSamlErrorPage(reason: SamlSignInReason | 'return_path_invalid' | 'too_large', language: Language): string {
  const text = TEXT[language];
  const message = text[KIND_OF[reason] ?? 'invalid'];
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(text.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem}p.reason{color:#616e7c;font-size:.9rem}a{color:#0b5cad}</style>
</head>
<body>
<main>
<h1>${escapeHtml(text.title)}</h1>
<p data-testid="saml-error-message">${escapeHtml(message)}</p>
<p class="reason">${escapeHtml(text.reason)}: <code data-testid="saml-error-reason">${escapeHtml(reason)}</code></p>
<p><a href="/login">${escapeHtml(text.back)}</a></p>
</main>
</body>
</html>
`;
}
