/**
 * Checks done before sending, so the common mistakes get a specific message in the user's language. The server
 * checks all of it again; these only mirror its rules (worker/constants.ts, worker/users/schema.ts).
 */
import type { PortalKey } from './strings';

/** PASSWORD_MIN_LENGTH on the server. */
const PASSWORD_MIN_LENGTH = 10;

export function checkNewPassword(password: string, repeated: string): PortalKey | null {
  if (password.length < PASSWORD_MIN_LENGTH) return 'passwordTooShort';
  if (password !== repeated) return 'passwordsDiffer';
  return null;
}

export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

export function isPin(value: string): boolean {
  return /^\d{4}$/.test(value);
}

/**
 * Only the shape: digits with the usual separators, at least 3 digits (the server's minimum length). Whether the
 * number exists in its country is the server's check (libphonenumber); its INVALID_PHONE is shown the same way.
 */
export function looksLikePhone(value: string): boolean {
  return /^\+?[\d\s()./-]+$/.test(value) && (value.match(/\d/g)?.length ?? 0) >= 3;
}

/** fields.login on the server: the German generic "invalid input" said nothing about what was wrong. */
export function isLogin(value: string): boolean {
  return value.length >= 1 && value.length <= 128 && /^[\p{L}\p{N}._@+-]+$/u.test(value);
}
