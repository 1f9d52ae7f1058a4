/**
 * OCRA (RFC 6287): challenge-response OTPs. Parses any suite string of the RFC's grammar and computes every
 * suite of its Appendix C; the vectors are checked in test/unit/worker/otp/otp-vectors.test.ts.
 *
 *   OCRASuite = "OCRA-1:" CryptoFunction ":" DataInput
 *   CryptoFunction = "HOTP-" ("SHA1" | "SHA256" | "SHA512") "-" (0 | 4..10)
 *   DataInput = ["C-"] "Q" ("A" | "N" | "H") 04..64 ["-P" hash] ["-S" nnn] ["-T" step]
 */
import { AppError } from '../errors';
import { hexToBytes, utf8 } from '../lib/encoding';
import { fieldRefusal } from '../lib/validate';
import { counterBytes, importHmacKey, truncate, type HashAlgorithm } from './hotp';

export interface OcraSuite {
  raw: string;
  algorithm: HashAlgorithm;
  /** 0 = no truncation (the full HMAC as hex). */
  digits: number;
  counter: boolean;
  challenge: { format: 'A' | 'N' | 'H'; maxLength: number };
  pin?: HashAlgorithm;
  sessionLength?: number;
  timeStepSeconds?: number;
}

export interface OcraInput {
  counter?: number;
  challenge: string;
  /** Cleartext PIN, hashed as the suite says; or give `pinHashHex`. */
  pin?: string;
  pinHashHex?: string;
  /** Session information as hex, `sessionLength` bytes. */
  session?: string;
  nowMs?: number;
}

const HASHES: Record<string, HashAlgorithm> = { SHA1: 'SHA1', SHA256: 'SHA256', SHA512: 'SHA512' };
const HASH_BYTES: Record<HashAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };
const WEBCRYPTO_HASH: Record<HashAlgorithm, string> = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' };
const TIME_UNITS: Record<string, { seconds: number; max: number }> = { S: { seconds: 1, max: 59 }, M: { seconds: 60, max: 59 }, H: { seconds: 3600, max: 48 } };

function unsupported(suite: string, why: string): never {
  throw new AppError('UNSUPPORTED_OCRA_SUITE', `OCRA suite "${suite}" is not supported: ${why}.`);
}

export function parseOcraSuite(suite: string): OcraSuite {
  const raw = suite.trim();
  const parts = raw.split(':');
  if (parts.length !== 3) unsupported(raw, 'expected three parts, e.g. OCRA-1:HOTP-SHA1-6:QN08');
  const [version, cryptoFunction, dataInput] = parts as [string, string, string];
  if (version !== 'OCRA-1') unsupported(raw, `unknown version "${version}" (only OCRA-1)`);

  const fn = /^HOTP-(SHA1|SHA256|SHA512)-(\d+)$/.exec(cryptoFunction);
  if (!fn) unsupported(raw, `the crypto function "${cryptoFunction}" must be HOTP-SHA1|SHA256|SHA512-<digits>`);
  const digits = Number(fn[2]);
  if (digits !== 0 && (digits < 4 || digits > 10)) unsupported(raw, 'the truncation length must be 0 or 4 to 10 digits');

  const result: OcraSuite = { raw, algorithm: HASHES[fn[1]!]!, digits, counter: false, challenge: { format: 'N', maxLength: 8 } };
  let sawChallenge = false;
  const inputs = dataInput.split('-');
  for (const [index, input] of inputs.entries()) {
    if (input === 'C') {
      if (index !== 0) unsupported(raw, 'the counter C must come first in the data input');
      result.counter = true;
    } else if (/^Q[ANH]\d\d$/.test(input)) {
      const maxLength = Number(input.slice(2));
      if (maxLength < 4 || maxLength > 64) unsupported(raw, 'the challenge length must be 04 to 64');
      result.challenge = { format: input[1] as 'A' | 'N' | 'H', maxLength };
      sawChallenge = true;
    } else if (/^P(SHA1|SHA256|SHA512)$/.test(input)) {
      result.pin = HASHES[input.slice(1)]!;
    } else if (/^S\d{3}$/.test(input)) {
      result.sessionLength = Number(input.slice(1));
      if (result.sessionLength === 0 || result.sessionLength > 512) unsupported(raw, 'the session length must be 001 to 512');
    } else if (/^T\d{1,2}[SMH]$/.test(input)) {
      const unit = TIME_UNITS[input.at(-1)!]!;
      const count = Number(input.slice(1, -1));
      if (count < (input.endsWith('H') ? 0 : 1) || count > unit.max || count === 0) unsupported(raw, `the time step "${input}" is out of range`);
      result.timeStepSeconds = count * unit.seconds;
    } else {
      unsupported(raw, `unknown data input "${input}"`);
    }
  }
  if (!sawChallenge) unsupported(raw, 'the data input needs a challenge (QA, QN or QH with a length)');
  return result;
}

/**
 * The 128-byte challenge field: numeric challenges go through hex, left-aligned and right-padded with zeros.
 * Different spellings can give the same field ("0012" and "12"; "12" and "192", whose hex "C" and "C0" pad alike):
 * whatever remembers used challenges must compare fields, not the strings typed.
 */
export function ocraChallengeField(suite: OcraSuite, challenge: string): Uint8Array {
  const { format, maxLength } = suite.challenge;
  // In mutual challenge-response (RFC 6287 §7.3) the question is the client's and the server's challenges
  // concatenated, each of at most `maxLength` characters: up to twice the suite's length in all.
  const limit = Math.min(2 * maxLength, 128);
  if (challenge.length < 4 || challenge.length > limit) {
    throw fieldRefusal('challenge', challenge.length < 4 ? 'too_small' : 'too_big', `must have 4 to ${limit} characters`, { minimum: 4, maximum: limit, origin: 'string' });
  }
  let hex: string;
  if (format === 'N') {
    if (!/^\d+$/.test(challenge)) throw fieldRefusal('challenge', 'NOT_NUMERIC', 'must be numeric for this suite');
    hex = BigInt(challenge).toString(16).toUpperCase();
  } else if (format === 'H') {
    if (!/^[0-9a-fA-F]+$/.test(challenge)) throw fieldRefusal('challenge', 'NOT_HEX', 'must be hexadecimal for this suite');
    hex = challenge;
  } else {
    const bytes = utf8.encode(challenge);
    const out = new Uint8Array(128);
    out.set(bytes.slice(0, 128));
    return out;
  }
  return hexToBytes(hex.padEnd(256, '0').slice(0, 256));
}

async function pinHash(suite: OcraSuite, input: OcraInput): Promise<Uint8Array> {
  const algorithm = suite.pin!;
  if (input.pinHashHex) return hexToBytes(input.pinHashHex);
  if (input.pin === undefined) throw fieldRefusal('pin', 'REQUIRED', 'this OCRA suite needs the PIN');
  return new Uint8Array(await crypto.subtle.digest(WEBCRYPTO_HASH[algorithm], utf8.encode(input.pin)));
}

export async function generateOcra(suite: OcraSuite, secret: Uint8Array, input: OcraInput): Promise<string> {
  const fields: Uint8Array[] = [utf8.encode(suite.raw), new Uint8Array([0])];
  if (suite.counter) fields.push(counterBytes(input.counter ?? 0));
  fields.push(ocraChallengeField(suite, input.challenge));
  if (suite.pin) {
    const hash = await pinHash(suite, input);
    const hexLength = 2 * HASH_BYTES[suite.pin];
    if (hash.length !== HASH_BYTES[suite.pin]) {
      throw fieldRefusal('pinHashHex', 'EXACT_LENGTH', `must have ${hexLength} hex characters for this suite`, { minimum: hexLength, maximum: hexLength, origin: 'string' });
    }
    fields.push(hash);
  }
  if (suite.sessionLength) {
    const session = hexToBytes((input.session ?? '').padStart(suite.sessionLength * 2, '0'));
    const hexLength = 2 * suite.sessionLength;
    if (session.length !== suite.sessionLength) throw fieldRefusal('session', 'too_big', `at most ${hexLength} hex characters for this suite`, { maximum: hexLength, origin: 'string' });
    fields.push(session);
  }
  if (suite.timeStepSeconds) {
    if (input.nowMs === undefined) throw fieldRefusal('nowMs', 'REQUIRED', 'this OCRA suite needs the time');
    fields.push(counterBytes(Math.floor(input.nowMs / 1000 / suite.timeStepSeconds)));
  }
  const message = new Uint8Array(fields.reduce((sum, field) => sum + field.length, 0));
  let offset = 0;
  for (const field of fields) {
    message.set(field, offset);
    offset += field.length;
  }
  const key = await importHmacKey(secret, suite.algorithm);
  const hmac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  if (suite.digits === 0) return Array.from(hmac, (b) => b.toString(16).padStart(2, '0')).join('');
  return truncate(hmac, suite.digits);
}
