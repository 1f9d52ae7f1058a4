import { describe, expect, it } from 'vitest';
import { buildMimeMessage, formatMailbox, formatRfc5322Date } from '../../../../worker/messaging/mime';

/** A small independent reader: unfold headers, decode RFC 2047 B-words, decode the base64 body. */
function readMime(raw: string) {
  const [head, body] = [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)];
  const unfolded = head.replace(/\r\n[ \t]/g, ' ');
  const headers = new Map<string, string>();
  for (const line of unfolded.split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const decodeWords = (value: string) =>
    value
      .replace(/\?=\s+=\?/g, '?==?')
      .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/g, (_, b64: string) => `\u0000${b64}\u0000`)
      .split('\u0000')
      .map((part, i) => (i % 2 === 1 ? part : part))
      .reduce<{ out: string; bytes: number[] }>(
        (acc, part, i) => {
          if (i % 2 === 1) acc.bytes.push(...Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
          else {
            if (acc.bytes.length) acc.out += new TextDecoder().decode(new Uint8Array(acc.bytes));
            acc.bytes = [];
            acc.out += part;
          }
          return acc;
        },
        { out: '', bytes: [] },
      ).out;
  const text = new TextDecoder().decode(Uint8Array.from(atob(body.replace(/\r\n/g, '')), (c) => c.charCodeAt(0)));
  return { headers, decodeWords, text, head, body };
}

const base = { from: { address: 'security@id.example.com', name: 'Example ID' }, to: 'erika@example.org', nowMs: Date.UTC(2026, 2, 2, 9, 5, 7) };

describe('MIME message for the Email Workers binding', () => {
  it('writes the required headers with CRLF line ends and a base64 UTF-8 body', () => {
    const { raw, messageId } = buildMimeMessage({ ...base, subject: 'Your verification code', text: 'Hello Erika,\nyour code is 042917.\n' });
    expect(raw).not.toMatch(/[^\r]\n/);
    const mime = readMime(raw);
    expect(mime.headers.get('from')).toBe('"Example ID" <security@id.example.com>');
    expect(mime.headers.get('to')).toBe('erika@example.org');
    expect(mime.headers.get('subject')).toBe('Your verification code');
    expect(mime.headers.get('date')).toBe('Mon, 02 Mar 2026 09:05:07 +0000');
    expect(mime.headers.get('message-id')).toBe(messageId);
    expect(messageId).toMatch(/^<[A-Za-z0-9_-]+@id\.example\.com>$/);
    expect(mime.headers.get('mime-version')).toBe('1.0');
    expect(mime.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    expect(mime.headers.get('content-transfer-encoding')).toBe('base64');
    // Canonical form: the body's line breaks are CRLF before encoding (RFC 2045 §6.8).
    expect(mime.text).toBe('Hello Erika,\r\nyour code is 042917.\r\n');
    for (const line of mime.body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
  });

  it('encodes a German subject as RFC 2047 words of at most 75 characters without splitting characters', () => {
    const subject = 'Ihr Bestätigungscode für die Wiederherstellung Ihres Zugangs – gültig für 10 Minuten ✓';
    const { raw } = buildMimeMessage({ ...base, subject, text: 'x' });
    const mime = readMime(raw);
    const subjectLines = raw.split('\r\n\r\n')[0]!.split('\r\n').filter((line, i, all) => line.startsWith('Subject:') || (line.startsWith(' ') && all.slice(0, i).some((l) => l.startsWith('Subject:'))));
    for (const word of raw.match(/=\?UTF-8\?B\?[^?]*\?=/g)!) {
      expect(word.length).toBeLessThanOrEqual(75);
      // Each word decodes to valid UTF-8 on its own.
      const bytes = Uint8Array.from(atob(word.slice(10, -2)), (c) => c.charCodeAt(0));
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).not.toThrow();
    }
    for (const line of subjectLines) expect(line.length).toBeLessThanOrEqual(78);
    expect(mime.decodeWords(mime.headers.get('subject')!)).toBe(subject);
  });

  it('cannot be made to carry extra headers through the subject or the addresses', () => {
    const { raw } = buildMimeMessage({ ...base, subject: 'Hi\r\nBcc: attacker@evil.test', text: 'x' });
    const headerNames = raw.split('\r\n\r\n')[0]!.split('\r\n').filter((l) => !l.startsWith(' ')).map((l) => l.split(':')[0]!.toLowerCase());
    expect(headerNames).not.toContain('bcc');
    expect(() => buildMimeMessage({ ...base, to: 'a@b.test\r\nBcc: attacker@evil.test', subject: 's', text: 'x' })).toThrow(/not a plain email address/);
    expect(() => buildMimeMessage({ ...base, to: 'Victim <a@b.test>', subject: 's', text: 'x' })).toThrow();
  });

  it('quotes or encodes display names', () => {
    expect(formatMailbox('a@b.test', 'Acme, "Inc"')).toBe('"Acme, \\"Inc\\"" <a@b.test>');
    expect(formatMailbox('a@b.test', 'Müller IT')).toBe('=?UTF-8?B?TcO8bGxlciBJVA==?= <a@b.test>');
    expect(formatMailbox('a@b.test')).toBe('a@b.test');
  });

  it('formats dates as RFC 5322 in UTC', () => {
    expect(formatRfc5322Date(Date.UTC(2026, 11, 31, 23, 59, 59))).toBe('Thu, 31 Dec 2026 23:59:59 +0000');
  });
});
