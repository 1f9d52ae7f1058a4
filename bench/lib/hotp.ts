/**
 * HOTP/TOTP on node:crypto, independent of worker/otp/: the codes the benchmark sends are computed by other code
 * than the code that checks them, so a bench run that reports "accepted" also cross-checks the two.
 */
import { createHmac } from 'node:crypto';

/** RFC 4226 §5.3: HMAC-SHA1 over the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export function generateHotpCode(seed: Uint8Array, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', seed).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238: HOTP over the number of whole periods since the epoch. */
export function generateTotpCode(seed: Uint8Array, nowMs: number, periodInSeconds = 30, digits = 6): string {
  return generateHotpCode(seed, Math.floor(nowMs / 1000 / periodInSeconds), digits);
}
