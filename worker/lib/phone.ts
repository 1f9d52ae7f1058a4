/** Phone numbers are stored in E.164, validated with libphonenumber-js (metadata kept small: the "min" build). */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { FieldIssue } from '../contract/field-issues';
import { AppError } from '../errors';

/** `defaultCountry` applies to numbers typed without a +country prefix. */
export function normalizePhoneNumber(input: string, defaultCountry: 'DE' | 'US' | 'GB' | 'AT' | 'CH' = 'DE'): string {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultCountry);
  if (!parsed || !parsed.isValid()) {
    const message = `"${input}" is not a valid phone number.`;
    throw new AppError('VALIDATION_FAILED', message, { field: 'phone', code: 'INVALID_PHONE', issues: [{ path: 'phone', code: 'INVALID_PHONE', message }] satisfies FieldIssue[] });
  }
  return parsed.number;
}
