/**
 * The shape of a recovery code, said once: what the generator makes, what a typed input is recognised as, and
 * how it is normalised before hashing.
 *
 * 12 characters from a 32-letter alphabet (60 bits; the issue asks for at least 50), shown as three groups of
 * four. The alphabet leaves out 0, 1, I and O, which people misread. Every generated code has at least one letter,
 * so a code is never all digits: an all-digit input is an OTP (with or without its PIN) and goes to the OTP
 * tokens. Removing the 8^12 all-digit codes leaves 2^60 - 2^36 codes, still 60 bits.
 */
export const RECOVERY_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const RECOVERY_CODE_LENGTH = 12;
export const RECOVERY_CODE_GROUP = 4;

const RECOVERY_CODE_PATTERN = new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`);

/**
 * The canonical form of a typed recovery code (upper case, without spaces and dashes), or null when the input is
 * not shaped like one.
 */
export function parseRecoveryCode(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '').toUpperCase();
  return RECOVERY_CODE_PATTERN.test(compact) && /[A-Z]/.test(compact) ? compact : null;
}

/** "K7QDM2XP9FTA" as it is shown: "K7QD-M2XP-9FTA". */
export function groupRecoveryCode(code: string): string {
  return code.match(new RegExp(`.{1,${RECOVERY_CODE_GROUP}}`, 'g'))!.join('-');
}
