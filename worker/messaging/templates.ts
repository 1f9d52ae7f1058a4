/**
 * Message templates with `{{name}}` placeholders (whitespace inside the braces allowed: `{{ code }}`).
 *
 * Rules, so that what an admin previews is what users get:
 * - only known placeholders are accepted; validation lists every unknown or unclosed one with its position;
 * - values are inserted literally (plain-text SMS and email: nothing to escape), through an optional encoder for
 *   contexts that need one (the generic gateway's URL and JSON/form bodies);
 * - a line that uses a placeholder with no value (e.g. `{{link}}` when a message carries only a code) is left
 *   out entirely, so optional parts do not leave "Open this link: " dangling.
 */
import type { Language } from '../contract/language';

export const MESSAGE_PLACEHOLDERS = ['code', 'name', 'link', 'validity'] as const;
export type MessagePlaceholder = (typeof MESSAGE_PLACEHOLDERS)[number];
/** The generic HTTP gateway's request templates. */
export const GATEWAY_PLACEHOLDERS = ['phone', 'text'] as const;

export interface TemplateProblem {
  kind: 'unknown_placeholder' | 'unclosed_placeholder' | 'missing_placeholder';
  /** The placeholder's name as written (trimmed), or the required one that is missing. */
  placeholder: string;
  /** 0-based offset in the template, and 1-based line/column (the editor's coordinates). -1/0/0 when missing. */
  index: number;
  line: number;
  column: number;
  message: string;
}

type Part = { kind: 'text'; text: string } | { kind: 'placeholder'; name: string };

const OPEN = '{{';
const CLOSE = '}}';

/** Splits a template into text and placeholders, reporting anything not in `allowed`. */
export function scanTemplate(template: string, allowed: readonly string[]): { parts: Part[]; problems: TemplateProblem[] } {
  const parts: Part[] = [];
  const problems: TemplateProblem[] = [];
  let position = 0;
  while (position < template.length) {
    const open = template.indexOf(OPEN, position);
    if (open === -1) {
      parts.push({ kind: 'text', text: template.slice(position) });
      break;
    }
    if (open > position) parts.push({ kind: 'text', text: template.slice(position, open) });
    const close = template.indexOf(CLOSE, open + OPEN.length);
    const nextOpen = template.indexOf(OPEN, open + OPEN.length);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      problems.push(problemAt(template, open, 'unclosed_placeholder', template.slice(open, open + 20), `"{{" at ${where(template, open)} is not closed with "}}"`));
      parts.push({ kind: 'text', text: OPEN });
      position = open + OPEN.length;
      continue;
    }
    const name = template.slice(open + OPEN.length, close).trim();
    if (!allowed.includes(name)) {
      problems.push(
        problemAt(
          template,
          open,
          'unknown_placeholder',
          name,
          `unknown placeholder "{{${name}}}" at ${where(template, open)}; allowed: ${allowed.map((p) => `{{${p}}}`).join(', ')}`,
        ),
      );
    }
    parts.push({ kind: 'placeholder', name });
    position = close + CLOSE.length;
  }
  return { parts, problems };
}

/** Problems of one template, including placeholders it must contain (`required`: at least one of them). */
export function validateTemplate(
  template: string,
  allowed: readonly string[],
  requiredAnyOf: readonly string[] = [],
): TemplateProblem[] {
  const { parts, problems } = scanTemplate(template, allowed);
  if (requiredAnyOf.length > 0 && !parts.some((part) => part.kind === 'placeholder' && requiredAnyOf.includes(part.name))) {
    const wanted = requiredAnyOf.map((p) => `{{${p}}}`).join(' or ');
    problems.push({ kind: 'missing_placeholder', placeholder: requiredAnyOf.join('|'), index: -1, line: 0, column: 0, message: `the template must contain ${wanted}` });
  }
  return problems;
}

export type TemplateValues = Partial<Record<string, string>>;

/**
 * Fills a template. Unknown placeholders are a programming error here (templates are validated when saved), so
 * they throw rather than leak `{{...}}` to a user.
 */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  options: { allowed?: readonly string[]; encode?: (value: string) => string } = {},
): string {
  const allowed = options.allowed ?? MESSAGE_PLACEHOLDERS;
  const encode = options.encode ?? ((value: string) => value);
  const { parts, problems } = scanTemplate(template, allowed);
  if (problems.length > 0) throw new Error(`template not valid: ${problems[0]!.message}`);

  // Render line by line so that a line whose placeholder has no value can be dropped as a whole.
  const lines: string[] = [];
  let current = '';
  let dropCurrent = false;
  const endLine = () => {
    if (!dropCurrent) lines.push(current);
    current = '';
    dropCurrent = false;
  };
  for (const part of parts) {
    if (part.kind === 'placeholder') {
      const value = values[part.name];
      if (value === undefined || value === '') dropCurrent = true;
      else current += encode(value);
      continue;
    }
    const pieces = part.text.split('\n');
    pieces.forEach((piece, i) => {
      if (i > 0) endLine();
      current += piece;
    });
  }
  endLine();
  return lines.join('\n');
}

/** "10 minutes" / "10 Minuten", for the {{validity}} placeholder. */
export function formatValidity(durationMs: number, language: Language): string {
  const minutes = Math.max(1, Math.round(durationMs / 60_000));
  if (minutes >= 120 && minutes % 60 === 0) {
    const hours = minutes / 60;
    return language === 'de' ? `${hours} Stunden` : `${hours} hours`;
  }
  if (language === 'de') return minutes === 1 ? '1 Minute' : `${minutes} Minuten`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

// ---- SMS length: what one message will cost

/** GSM 03.38 basic character set (each counts 1) and its extension table (each counts 2, escape + char). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

export interface SmsLength {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
}

/** How many SMS segments a text takes: 160/153 GSM-7 septets or 70/67 UCS-2 units (concatenated SMS headers). */
export function measureSms(text: string): SmsLength {
  let septets = 0;
  let gsm = true;
  for (const char of text) {
    if (GSM_BASIC.includes(char)) septets += 1;
    else if (GSM_EXTENDED.includes(char)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

function problemAt(template: string, index: number, kind: TemplateProblem['kind'], placeholder: string, message: string): TemplateProblem {
  const { line, column } = lineColumn(template, index);
  return { kind, placeholder, index, line, column, message };
}

function where(template: string, index: number): string {
  const { line, column } = lineColumn(template, index);
  return `line ${line}, column ${column}`;
}

function lineColumn(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

// ---- notices (fixed texts: they carry no code, so there is nothing for an administrator to shape)

export interface RecoveryCodeUsedValues {
  name: string;
  /** Codes of the set still unused after this one. */
  remaining: number;
}

/**
 * "A recovery code was used": tells the owner at once if it was not them (a code copied off their printout), and
 * how many are left, so they make a new set before the last one goes.
 */
export function renderRecoveryCodeUsedEmail(language: Language, values: RecoveryCodeUsedValues): { subject: string; text: string } {
  const { name, remaining } = values;
  if (language === 'de') {
    const left =
      remaining === 0
        ? 'Das war Ihr letzter Wiederherstellungscode. Erzeugen Sie jetzt neue Codes in Ihrem Profil, damit Sie sich auch ohne Ihr Gerät wieder anmelden können.'
        : `Sie haben noch ${remaining} ${remaining === 1 ? 'unbenutzten Code' : 'unbenutzte Codes'}.`;
    return {
      subject: 'Ein Wiederherstellungscode wurde benutzt',
      text:
        `Hallo ${name},\n\nmit einem Ihrer Wiederherstellungscodes wurde soeben eine Anmeldung bestätigt. ${left}\n\n` +
        'Waren Sie das nicht, erzeugen Sie sofort neue Codes (die alten werden damit ungültig), ändern Sie Ihr Passwort und wenden Sie sich an Ihren Administrator.\n',
    };
  }
  const left =
    remaining === 0
      ? 'That was your last recovery code. Make a new set in your profile now, so that you can still sign in without your device.'
      : `You have ${remaining} unused ${remaining === 1 ? 'code' : 'codes'} left.`;
  return {
    subject: 'A recovery code was used',
    text:
      `Hello ${name},\n\none of your recovery codes was just used to confirm a sign-in. ${left}\n\n` +
      'If this was not you, make a new set at once (that voids the old codes), change your password and contact your administrator.\n',
  };
}
