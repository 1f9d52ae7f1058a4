/** Phone numbers are stored in E.164, validated with libphonenumber-js (metadata kept small: the "min" build). */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { AppError } from '../errors';

/** `defaultCountry` applies to numbers typed without a +country prefix. */
export function normalizePhoneNumber(input: string, defaultCountry: 'DE' | 'US' | 'GB' | 'AT' | 'CH' = 'DE'): string {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultCountry);
  if (!parsed || !parsed.isValid()) throw new AppError('VALIDATION_FAILED', `"${input}" is not a valid phone number.`, { field: 'phone', code: 'INVALID_PHONE' });
  return parsed.number;
}
