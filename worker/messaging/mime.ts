/**
 * A minimal, standards-correct MIME builder for one plain-text UTF-8 message (what Cloudflare's Email Workers
 * `send` binding takes as raw RFC 5322 text).
 *
 * - CRLF line endings everywhere (RFC 5322 §2.1); the body in canonical form (CRLF) before base64 (RFC 2045 §6.8),
 *   base64 lines of 76 characters (RFC 2045 §6.8).
 * - Non-ASCII (or long) subjects and display names as RFC 2047 encoded-words `=?UTF-8?B?...?=`, each at most
 *   75 characters and never splitting a UTF-8 character between two words (RFC 2047 §5), folded with CRLF SP.
 * - Date (RFC 5322 §3.3) and a Message-ID (Cloudflare refuses messages without one), MIME-Version, and
 *   Auto-Submitted: auto-generated (RFC 3834) so autoresponders do not answer a code email.
 * - Header injection: addresses with CR/LF or angle brackets are refused; subjects never carry raw line breaks.
 */
import { randomToken } from '../lib/crypto';
import { bytesToBase64, utf8 } from '../lib/encoding';

export interface MimeInput {
  from: { address: string; name?: string };
  to: string;
  subject: string;
  text: string;
  nowMs: number;
  /** Defaults to a random id at the sender's domain. */
  messageId?: string;
}

export interface MimeMessage {
  raw: string;
  messageId: string;
}

// 39 bytes -> 52 base64 chars + 12 for "=?UTF-8?B?" and "?=" = 64: within the 75 of RFC 2047, and with the
// "Subject: " prefix still within the 78-character line of RFC 5322 §2.1.1.
const MAX_ENCODED_WORD_BYTES = 39;

export function buildMimeMessage(input: MimeInput): MimeMessage {
  const fromAddress = checkAddress(input.from.address);
  const toAddress = checkAddress(input.to);
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  const messageId = input.messageId ?? `<${randomToken(18)}@${domain}>`;
  const headers = [
    `From: ${formatMailbox(fromAddress, input.from.name)}`,
    `To: ${toAddress}`,
    `Subject: ${encodeHeaderText(oneLine(input.subject), 'Subject: '.length)}`,
    `Date: ${formatRfc5322Date(input.nowMs)}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    'Auto-Submitted: auto-generated',
  ];
  const canonical = input.text.replace(/\r\n|\r|\n/g, '\r\n');
  const body = bytesToBase64(utf8.encode(canonical)).replace(/.{1,76}/g, '$&\r\n');
  return { raw: `${headers.join('\r\n')}\r\n\r\n${body}`, messageId };
}

/** `"Name" <address>` with the name quoted or encoded as needed; the bare address when there is no name. */
export function formatMailbox(address: string, name?: string): string {
  const checked = checkAddress(address);
  const display = name ? oneLine(name).trim() : '';
  if (!display) return checked;
  if (isPrintableAscii(display)) return `"${display.replace(/(["\\])/g, '\\$1')}" <${checked}>`;
  return `${encodeWords(display).join(' ')} <${checked}>`;
}

/** Header text as-is when it is short printable ASCII, else as folded encoded-words. */
export function encodeHeaderText(text: string, prefixLength: number): string {
  if (isPrintableAscii(text) && prefixLength + text.length <= 78) return text;
  return encodeWords(text).join('\r\n ');
}

function encodeWords(text: string): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  for (const char of text) {
    const bytes = utf8.encode(char);
    if (chunk.length + bytes.length > MAX_ENCODED_WORD_BYTES) {
      words.push(encodedWord(chunk));
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length > 0 || words.length === 0) words.push(encodedWord(chunk));
  return words;
}

function encodedWord(bytes: number[]): string {
  return `=?UTF-8?B?${bytesToBase64(new Uint8Array(bytes))}?=`;
}

function checkAddress(address: string): string {
  const trimmed = address.trim();
  // A simple addr-spec: no spaces, no brackets, no line breaks (header injection), exactly one @ with text around it.
  if (!/^[^\s<>()",;:@\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/.test(trimmed)) throw new Error(`not a plain email address: ${JSON.stringify(address)}`);
  return trimmed;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC, e.g. "Mon, 02 Mar 2026 09:05:07 +0000". */
export function formatRfc5322Date(nowMs: number): string {
  const d = new Date(nowMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
