/**
 * Token seeds and PINs at rest.
 * - Seeds: AES-GCM under SEED_ENCRYPTION_KEY, bound to the token id (a ciphertext copied to another row fails).
 * - PINs: HMAC-SHA256 under a key derived from SESSION_KEY, bound to the token id. Why not PBKDF2 like passwords:
 *   a 4-digit PIN has 10^4 values, so any unkeyed hash, however slow, falls to an offline search in seconds;
 *   a server-side key makes the stored value useless without the Worker's secrets (which also guard the seeds),
 *   and keeps OTP verification at HMAC cost instead of 100,000 PBKDF2 rounds per request.
 */
import { AppError } from '../errors';
import { decryptSecret, encryptSecret, hmacSha256Hex, timingSafeEqual } from '../lib/crypto';
import { base32ToBytes, hexToBytes, type Bytes } from '../lib/encoding';

export function sealSeed(seedKey: string, tokenId: string, seed: Bytes): Promise<string> {
  return encryptSecret(seedKey, seed, `token-seed:${tokenId}`);
}

export function openSeed(seedKey: string, tokenId: string, sealed: string): Promise<Bytes> {
  return decryptSecret(seedKey, sealed, `token-seed:${tokenId}`);
}

export function hashPin(sessionKey: string, tokenId: string, pin: string): Promise<string> {
  return hmacSha256Hex(sessionKey, `token-pin:${tokenId}:${pin}`);
}

export async function checkPin(sessionKey: string, tokenId: string, pin: string, stored: string): Promise<boolean> {
  return timingSafeEqual(await hashPin(sessionKey, tokenId, pin), stored);
}

/** Seeds arrive as base32 (authenticator apps, most vendors) or hex (RFC test keys, PSKC exports, CSV files). */
export function decodeSeed(text: string, encoding: 'base32' | 'hex' | 'auto' = 'auto'): Bytes {
  const clean = text.trim();
  const looksHex = /^(0x)?[0-9a-fA-F]+$/.test(clean) && clean.replace(/^0x/, '').length % 2 === 0;
  try {
    const bytes =
      encoding === 'hex' || (encoding === 'auto' && looksHex && clean.length >= 32)
        ? hexToBytes(clean.replace(/^0x/, ''))
        : base32ToBytes(clean);
    // RFC 4226 §4: at least 128 bits; we accept 80 (some hardware ships 10-byte seeds) and refuse shorter.
    if (bytes.length < 10 || bytes.length > 128) throw new Error('seed length');
    return bytes;
  } catch {
    throw new AppError('INVALID_SECRET', 'The seed must be base32 or hex, 10 to 128 bytes.');
  }
}
