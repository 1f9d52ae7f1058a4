/**
 * The page a browser sees when a SAML sign-in is refused. A refused response always gets the same generic page and
 * status, with a reference: whoever crafts responses learns nothing about which check failed (an oracle), and the
 * exact reason is in the activity log under that reference (UserLoginAttempt, detail {reason, reference}) for the
 * administrator the user shows it to. Only what is public anyway is said: sign-in is off, too many attempts, or
 * (at /saml/login) a return address that is not on this site.
 */
import type { Language } from './sign-in-service';

export type SamlErrorKind = 'failed' | 'unavailable' | 'busy' | 'return_path';

const TEXT: Record<Language, { title: string; back: string; reference: string } & Record<SamlErrorKind, string>> = {
  en: {
    title: 'Sign-in with SAML failed',
    back: 'Back to sign-in',
    reference: 'Reference',
    failed: 'The sign-in response of your identity provider could not be accepted. Please start the sign-in again. If it fails again, give your administrator the reference below.',
    unavailable: 'Sign-in with SAML is not enabled on this platform.',
    busy: 'Too many sign-in attempts. Please wait a few minutes and try again.',
    return_path: 'The return address must be a page on this site.',
  },
  de: {
    title: 'Die Anmeldung mit SAML ist fehlgeschlagen',
    back: 'Zurück zur Anmeldung',
    reference: 'Referenz',
    failed: 'Die Anmeldeantwort Ihres Identity Providers konnte nicht akzeptiert werden. Bitte starten Sie die Anmeldung erneut. Schlägt sie wieder fehl, nennen Sie Ihrer Administration die Referenz unten.',
    unavailable: 'Die Anmeldung mit SAML ist auf dieser Plattform nicht aktiviert.',
    busy: 'Zu viele Anmeldeversuche. Bitte warten Sie einige Minuten und versuchen Sie es erneut.',
    return_path: 'Die Rücksprungadresse muss eine Seite dieser Website sein.',
  },
};

/** A reference for one refusal: short enough to read out on the phone, random so it says nothing itself. */
export function newErrorReference(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const chars = Array.from(crypto.getRandomValues(new Uint8Array(10)), (byte) => alphabet[byte & 31]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderSamlErrorPage(input: { kind: SamlErrorKind; language: Language; reference?: string }): string {
  const text = TEXT[input.language];
  return `<!doctype html>
<html lang="${input.language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(text.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem}p.reference{color:#616e7c;font-size:.9rem}a{color:#0b5cad}</style>
</head>
<body>
<main data-testid="saml-error" data-kind="${input.kind}">
<h1>${escapeHtml(text.title)}</h1>
<p data-testid="saml-error-message">${escapeHtml(text[input.kind])}</p>
${input.reference ? `<p class="reference">${escapeHtml(text.reference)}: <code data-testid="saml-error-reference">${escapeHtml(input.reference)}</code></p>\n` : ''}<p><a href="/login">${escapeHtml(text.back)}</a></p>
</main>
</body>
</html>
`;
}
