/**
 * Secrets at rest and in transit, on WebCrypto only (workerd, Node 20+ and browsers).
 * - token seeds and provider secrets: AES-GCM under a key per purpose (lib/keys.ts derives them)
 * - passwords: PBKDF2-SHA256 with a per-hash salt; PINs: HMAC under their own key (tokens/secrets.ts)
 * - session tokens, API keys, one-time codes: SHA-256 (they are high-entropy or short-lived and rate limited)
 */
import { PBKDF2_ITERATIONS } from '../constants';
import { bytesToBase64Url, base64UrlToBytes, bytesToHex, utf8, type Bytes } from './encoding';

export function randomBytes(length: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** An unguessable token for cookies, links and API keys (base64url). */
export function randomToken(bytes = 32): string {
  return bytesToBase64Url(randomBytes(bytes));
}

/** A numeric code of `digits` digits without modulo bias. */
export function randomNumericCode(digits: number): string {
  const limit = 10 ** digits;
  const ceiling = Math.floor(0x1_0000_0000 / limit) * limit;
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0]! < ceiling) return String(buffer[0]! % limit).padStart(digits, '0');
  }
}

export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text))));
}

/** Constant-time comparison of two strings (length is not secret here: hashes have fixed lengths). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = utf8.encode(a);
  const right = utf8.encode(b);
  let diff = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

export async function hmacSha256Hex(key: CryptoKey, message: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(message))));
}

// ---- password / PIN hashing: "pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>"

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await pbkdf2(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${bytesToBase64Url(salt)}$${bytesToBase64Url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterationsText, saltText, hashText] = stored.split('$');
  if (scheme !== 'pbkdf2-sha256' || !iterationsText || !saltText || !hashText) return false;
  const hash = await pbkdf2(password, base64UrlToBytes(saltText), Number(iterationsText));
  return timingSafeEqual(bytesToBase64Url(hash), hashText);
}

/**
 * A hash that no password matches, verified against when the user is unknown or has no password,
 * so that unknown and known logins take the same time (no user enumeration by timing).
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomToken());
  return dummyHash;
}

async function pbkdf2(password: string, salt: Bytes, iterations: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey('raw', utf8.encode(password.normalize('NFKC')), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

// ---- sealing: "<version>.<iv b64url>.<ciphertext b64url>"; which key a version means is lib/keys.ts's business

/** `context` (e.g. the token id) is bound as additional data: a ciphertext moved to another row won't decrypt. */
export async function sealBytes(key: CryptoKey, version: string, plaintext: Bytes, context: string): Promise<string> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(context) }, key, plaintext);
  return `${version}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ciphertext))}`;
}

/** The version prefix of a sealed value ('' when it is not one). */
export function sealedVersion(sealed: string): string {
  const [version, ivText, ciphertextText, extra] = sealed.split('.');
  return version && ivText && ciphertextText && extra === undefined ? version : '';
}

/** Throws when the key, the context or a single bit of the value is wrong (AES-GCM authenticates all three). */
export async function openBytes(key: CryptoKey, sealed: string, context: string): Promise<Bytes> {
  const [, ivText, ciphertextText] = sealed.split('.');
  if (!sealedVersion(sealed)) throw new Error('unknown sealed secret format');
  const plaintext = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: base64UrlToBytes(ivText!), additionalData: utf8.encode(context) },
    key,
    base64UrlToBytes(ciphertextText!),
  );
  return new Uint8Array(plaintext);
}
