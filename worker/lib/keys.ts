/**
 * One purpose, one key. Every key the Worker uses is derived with HKDF-SHA256 (RFC 5869) from one of its two
 * secrets, with the purpose as HKDF "info": a value made for one purpose (a CSRF token, a PIN hash, a sealed seed)
 * is worthless for every other, and a key that leaks through one use does not open the others.
 *
 * Values written before the keys were separated were made with the Worker secret itself: sealed values with the
 * version prefix "v1" (SEED_ENCRYPTION_KEY as the AES key), PIN hashes without a prefix (SESSION_KEY as the HMAC
 * key). They still open and verify through `legacyKey`, and are replaced as they are met: seeds and provider
 * secrets by the cron (maintenance/purge.ts), PIN hashes at the next successful use (a PIN is never stored in
 * clear, so only its owner's next sign-in can re-hash it).
 */
import type { Env } from '../env';
import { openBytes, sealBytes, sealedVersion } from './crypto';
import { base64ToBytes, utf8, type Bytes } from './encoding';

const AES_GCM = { name: 'AES-GCM', length: 256 } as const;
const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256', length: 256 } as const;

const PURPOSES = {
  /** Token seeds at rest (tokens/secrets.ts). */
  'seed-sealing': { root: 'SEED_ENCRYPTION_KEY', algorithm: AES_GCM },
  /** SMS/email provider credentials at rest (messaging/settings.ts). */
  'provider-secrets': { root: 'SEED_ENCRYPTION_KEY', algorithm: AES_GCM },
  /** Token PINs (tokens/secrets.ts). */
  'pin-hashing': { root: 'SESSION_KEY', algorithm: HMAC_SHA256 },
  /** CSRF tokens, a MAC of the session id (auth/sessions.ts). */
  csrf: { root: 'SESSION_KEY', algorithm: HMAC_SHA256 },
  /** Ids of the verify API's code challenges (tokens/message-tokens.ts). */
  'code-challenge': { root: 'SESSION_KEY', algorithm: HMAC_SHA256 },
  /** Recovery codes at rest, keyed hashes only (tokens/recovery-codes.ts). */
  'recovery-code-hashing': { root: 'SESSION_KEY', algorithm: HMAC_SHA256 },
} as const;

export type KeyPurpose = keyof typeof PURPOSES;
type RootSecret = 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY';
/** The Worker secret a purpose's key comes from: callers pass only that one (`{ SESSION_KEY }` is enough for csrf). */
export type RootSecretsFor<P extends KeyPurpose> = Pick<Env, (typeof PURPOSES)[P]['root']>;
export type SealingPurpose = { [P in KeyPurpose]: (typeof PURPOSES)[P]['algorithm'] extends typeof AES_GCM ? P : never }[KeyPurpose];

/** Sealed under the Worker secret itself (before key separation): read, never written. */
export const LEGACY_SEALED_VERSION = 'v1';
/** Sealed under the purpose's derived key. */
export const SEALED_VERSION = 'v2';

/** Fixed, public: HKDF's salt needs no secrecy, and the Worker secrets are already uniformly random. */
const HKDF_SALT = utf8.encode('eid/worker-keys');

// Per isolate: deriving costs a few WebCrypto calls, and every OTP check needs a key.
const cache = new Map<string, Promise<CryptoKey>>();

function rootBytes(root: RootSecret, value: string | undefined): Bytes {
  if (!value) throw new Error(`${root} is not set`);
  const bytes = base64ToBytes(value);
  if (root === 'SEED_ENCRYPTION_KEY' && bytes.length !== 32) throw new Error('SEED_ENCRYPTION_KEY must be 32 bytes, base64');
  return bytes;
}

export function deriveKey<P extends KeyPurpose>(secrets: RootSecretsFor<P>, purpose: P): Promise<CryptoKey> {
  const { root, algorithm } = PURPOSES[purpose];
  const value = (secrets as Partial<Record<RootSecret, string>>)[root];
  const cacheKey = `${purpose}\u0000${value}`;
  let key = cache.get(cacheKey);
  if (!key) {
    const usages: KeyUsage[] = algorithm.name === 'AES-GCM' ? ['encrypt', 'decrypt'] : ['sign'];
    key = crypto.subtle
      .importKey('raw', rootBytes(root, value), 'HKDF', false, ['deriveKey'])
      .then((material) =>
        crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: utf8.encode(`eid:${purpose}`) }, material, algorithm, false, usages),
      );
    key.catch(() => cache.delete(cacheKey));
    cache.set(cacheKey, key);
  }
  return key;
}

/** The Worker secret itself as a key, the way values were made before key separation. Only to read those. */
export function legacyKey(root: 'SEED_ENCRYPTION_KEY', value: string): Promise<CryptoKey>;
export function legacyKey(root: 'SESSION_KEY', value: string): Promise<CryptoKey>;
export function legacyKey(root: RootSecret, value: string): Promise<CryptoKey> {
  const cacheKey = `legacy:${root}\u0000${value}`;
  let key = cache.get(cacheKey);
  if (!key) {
    key =
      root === 'SEED_ENCRYPTION_KEY'
        ? crypto.subtle.importKey('raw', rootBytes(root, value), 'AES-GCM', false, ['encrypt', 'decrypt'])
        : crypto.subtle.importKey('raw', rootBytes(root, value), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    key.catch(() => cache.delete(cacheKey));
    cache.set(cacheKey, key);
  }
  return key;
}

/** Seals under the purpose's derived key ("v2.<iv>.<ciphertext>"), `context` bound as AES-GCM additional data. */
export async function sealFor<P extends SealingPurpose>(secrets: RootSecretsFor<P>, purpose: P, plaintext: Bytes, context: string): Promise<string> {
  return sealBytes(await deriveKey(secrets, purpose), SEALED_VERSION, plaintext, context);
}

/**
 * Opens a value sealed by `sealFor`, or a legacy "v1" one (then `legacyContext`, the additional data the old code
 * bound, is used). Throws when the value was sealed for another purpose, context or key.
 */
export async function openFor<P extends SealingPurpose>(
  secrets: RootSecretsFor<P>,
  purpose: P,
  sealed: string,
  context: string,
  legacyContext = context,
): Promise<Bytes> {
  const version = sealedVersion(sealed);
  if (version === SEALED_VERSION) return openBytes(await deriveKey(secrets, purpose), sealed, context);
  if (version === LEGACY_SEALED_VERSION) {
    const root = PURPOSES[purpose].root;
    return openBytes(await legacyKey(root, (secrets as Partial<Record<RootSecret, string>>)[root]!), sealed, legacyContext);
  }
  throw new Error('unknown sealed secret format');
}

export function isLegacySealed(sealed: string): boolean {
  return sealedVersion(sealed) === LEGACY_SEALED_VERSION;
}
