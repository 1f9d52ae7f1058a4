/**
 * Token seeds and PINs at rest, each under its own key derived from a Worker secret (lib/keys.ts).
 * - Seeds: AES-GCM under the 'seed-sealing' key (from SEED_ENCRYPTION_KEY), bound to the token id (a ciphertext
 *   copied to another row fails).
 * - PINs: HMAC-SHA256 under the 'pin-hashing' key (from SESSION_KEY), bound to the token id. Why not PBKDF2 like
 *   passwords: a 4-digit PIN has 10^4 values, so any unkeyed hash, however slow, falls to an offline search in
 *   seconds; a server-side key makes the stored value useless without the Worker's secrets (which also guard the
 *   seeds), and keeps OTP verification at HMAC cost instead of 100,000 PBKDF2 rounds per request.
 *
 * The functions take the Worker secret's value (env.SEED_ENCRYPTION_KEY, env.SESSION_KEY) and derive the key here.
 * Values from before key separation still open and verify; `upgradeLegacySeeds` (cron) and `upgradeLegacyPinHash`
 * (after a successful verification) replace them.
 */
import { AppError } from '../errors';
import { hmacSha256Hex, timingSafeEqual } from '../lib/crypto';
import { base32ToBytes, hexToBytes, type Bytes } from '../lib/encoding';
import { deriveKey, isLegacySealed, legacyKey, openFor, sealFor } from '../lib/keys';
import { readLegacySealedSeeds, replaceLegacyPinHash, replaceSealedSeeds } from './repo';

const seedContext = (tokenId: string) => `token-seed:${tokenId}`;
const pinMessage = (tokenId: string, pin: string) => `token-pin:${tokenId}:${pin}`;
/** PIN hashes under the derived key carry this prefix; a bare 64-hex hash is one made with SESSION_KEY itself. */
const PIN_HASH_PREFIX = 'v2.';

export function sealSeed(seedEncryptionKey: string, tokenId: string, seed: Bytes): Promise<string> {
  return sealFor({ SEED_ENCRYPTION_KEY: seedEncryptionKey }, 'seed-sealing', seed, seedContext(tokenId));
}

export function openSeed(seedEncryptionKey: string, tokenId: string, sealed: string): Promise<Bytes> {
  return openFor({ SEED_ENCRYPTION_KEY: seedEncryptionKey }, 'seed-sealing', sealed, seedContext(tokenId));
}

export async function hashPin(sessionKey: string, tokenId: string, pin: string): Promise<string> {
  return PIN_HASH_PREFIX + (await hmacSha256Hex(await deriveKey({ SESSION_KEY: sessionKey }, 'pin-hashing'), pinMessage(tokenId, pin)));
}

export async function checkPin(sessionKey: string, tokenId: string, pin: string, stored: string): Promise<boolean> {
  if (stored.startsWith(PIN_HASH_PREFIX)) return timingSafeEqual(await hashPin(sessionKey, tokenId, pin), stored);
  return timingSafeEqual(await hmacSha256Hex(await legacyKey('SESSION_KEY', sessionKey), pinMessage(tokenId, pin)), stored);
}

/**
 * After a verification that `pin` passed as a whole (PIN and code): a legacy hash is replaced by one under the
 * derived key. Only then, so that the extra write cannot tell an attacker that a PIN was right while the code was
 * wrong. Conditional on the stored hash, so a PIN changed meanwhile is not overwritten.
 */
export async function upgradeLegacyPinHash(db: D1Database, sessionKey: string, tokenId: string, pin: string, stored: string | null): Promise<void> {
  if (stored === null || stored.startsWith(PIN_HASH_PREFIX)) return;
  await replaceLegacyPinHash(db, tokenId, await hashPin(sessionKey, tokenId, pin), stored);
}

/**
 * The cron's one-time upgrade: re-seals up to `limit` legacy seeds under the derived key, in one batch, each
 * conditional on the old value (a token re-enrolled meanwhile keeps its new seed). Returns how many it re-sealed.
 */
export async function upgradeLegacySeeds(env: { DB: D1Database; SEED_ENCRYPTION_KEY: string }, limit = 200): Promise<number> {
  const resealed: { id: string; sealed: string; previous: string }[] = [];
  for (const row of await readLegacySealedSeeds(env.DB, limit)) {
    if (!isLegacySealed(row.sealed)) continue;
    let seed: Bytes;
    try {
      seed = await openSeed(env.SEED_ENCRYPTION_KEY, row.id, row.sealed);
    } catch {
      // Left as it is: verification fails for it the same way, and one bad row must not stop the others.
      console.warn(`token ${row.id}: its legacy seed does not open under SEED_ENCRYPTION_KEY`);
      continue;
    }
    resealed.push({ id: row.id, sealed: await sealSeed(env.SEED_ENCRYPTION_KEY, row.id, seed), previous: row.sealed });
  }
  await replaceSealedSeeds(env.DB, resealed);
  return resealed.length;
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
