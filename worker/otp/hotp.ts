/**
 * HOTP (RFC 4226) on WebCrypto HMAC. Runs in workerd, Node and browsers alike.
 * Vectors: test/fixtures/otp/rfc-vectors.json (RFC 4226 Appendix D), checked in test/unit/worker/otp/otp-vectors.test.ts.
 */
import type { HashAlgorithm } from '../contract/tokens';

export { HASH_ALGORITHMS, type HashAlgorithm } from '../contract/tokens';

const WEBCRYPTO_HASH: Record<HashAlgorithm, string> = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' };

/** Import once, reuse for many counters (verification windows compute many codes). */
export function importHmacKey(secret: Uint8Array, algorithm: HashAlgorithm): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: WEBCRYPTO_HASH[algorithm] }, false, ['sign']);
}

/**
 * The largest counter `counterBytes` takes: the 8-byte counter is built from a JS number, exact up to 2^53 - 1.
 * Token counters stay far enough below it for every window a check searches (TOKEN_COUNTER_MAX in constants.ts).
 */
export const MAX_HOTP_COUNTER = Number.MAX_SAFE_INTEGER;

/** The 8-byte big-endian counter of RFC 4226 §5.2 (counters up to MAX_HOTP_COUNTER). */
export function counterBytes(counter: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_HOTP_COUNTER) throw new RangeError('counter must be a non-negative safe integer');
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(counter));
  return bytes;
}

/** RFC 4226 §5.3 dynamic truncation to `digits` decimal digits, leading zeros kept. */
export function truncate(hmac: Uint8Array, digits: number): string {
  const offset = hmac[hmac.length - 1]! & 0x0f;
  const binary =
    ((hmac[offset]! & 0x7f) << 24) | (hmac[offset + 1]! << 16) | (hmac[offset + 2]! << 8) | hmac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export async function generateHotp(key: CryptoKey, counter: number, digits: number): Promise<string> {
  const hmac = new Uint8Array(await crypto.subtle.sign('HMAC', key, counterBytes(counter)));
  return truncate(hmac, digits);
}
