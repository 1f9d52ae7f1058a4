/**
 * Checks done before sending, so the common mistakes get a specific message in the user's language. The server
 * checks all of it again; the rules are the server's own (worker/contract/fields.ts).
 */
import {
  EMAIL_MAX_LENGTH,
  LOGIN_MAX_LENGTH,
  LOGIN_PATTERN,
  PASSWORD_MIN_LENGTH,
  PHONE_MIN_LENGTH,
  PHONE_SHAPE,
  PORTAL_PIN_PATTERN,
  TOKEN_PIN_DEFAULT_LENGTH,
} from '../../../worker/contract/fields';
import type { PortalKey } from './strings';

/** The numbers the rule texts name ({minimum} characters, {digits} digits): `t(problem, RULE_VALUES)`. */
export const RULE_VALUES = { minimum: PASSWORD_MIN_LENGTH, digits: TOKEN_PIN_DEFAULT_LENGTH } as const;

export type PasswordProblem = Extract<PortalKey, 'passwordTooShort' | 'passwordsDiffer'>;

export function checkNewPassword(password: string, repeated: string): PasswordProblem | null {
  if (password.length < PASSWORD_MIN_LENGTH) return 'passwordTooShort';
  if (password !== repeated) return 'passwordsDiffer';
  return null;
}

/** Only the shape (something@something.tld); the server's check is zod's email format. */
export function looksLikeEmail(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length <= EMAIL_MAX_LENGTH && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed);
}

export function isPin(value: string): boolean {
  return PORTAL_PIN_PATTERN.test(value);
}

/** The shape only; whether the number exists in its country is the server's check (its INVALID_PHONE is shown the same way). */
export function looksLikePhone(value: string): boolean {
  return PHONE_SHAPE.test(value) && (value.match(/\d/g)?.length ?? 0) >= PHONE_MIN_LENGTH;
}

export function isLogin(value: string): boolean {
  return value.length >= 1 && value.length <= LOGIN_MAX_LENGTH && LOGIN_PATTERN.test(value);
}
