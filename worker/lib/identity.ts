/**
 * How logins and email addresses are read and compared: the one place that says so.
 *
 * Reading an identity from outside (a SAML NameID or claim): only XML formatting whitespace (space, tab, CR, LF) is
 * trimmed from the ends. Any other whitespace, line/paragraph separator, format or control character anywhere in the
 * value (no-break space, ideographic space, BOM, U+2028, zero-width space, bidi marks, ...) refuses it. Those
 * characters are invisible to the person reading the value and some vanish under normalisation, so accepting them
 * would let " alice@example.com" (leading NBSP) be alice@example.com.
 *
 * Comparing: `identityKey` = NFKC, then full case folding (upper-case then lower-case maps ß to ss, ſ to s, the
 * Kelvin sign to k), then NFKC again (folding can produce a decomposed form). Two logins, or two emails, with the
 * same key are the same identity: lookups use the key, and a new login or email whose key is held by another
 * account is refused. For printable ASCII the key is SQLite's lower(), which migration 0007's triggers use to keep
 * the stored keys (`users.login_key`, `users.email_key`) current whatever code writes the row; for other values the
 * triggers store NULL and `fillMissingIdentityKeys` computes the key here before any lookup (SQLite has no NFKC).
 */
import { AppError } from '../errors';
import { countIdentityHolders, usersMissingIdentityKeys, writeIdentityKeys } from './repo';

/** XML's own whitespace (XML 1.0 §2.3 production S): what an IdP's pretty-printer may add around a value. */
const XML_FORMATTING_WHITESPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * Characters that make an identity look like another: control and format characters (BOM, ZWSP, bidi controls),
 * every whitespace and separator except the plain space, default-ignorable code points (Hangul fillers, variation
 * selectors), private-use, surrogate and unassigned code points.
 */
const INVISIBLE_OR_AMBIGUOUS = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|(?! )[\p{Zs}\p{White_Space}]/u;

export type IdentityReading = { ok: true; value: string } | { ok: false; reason: 'identity_invisible_character'; codePoint: string };

/** Trims XML formatting whitespace only; refuses values with any other invisible or whitespace-like character. */
export function readIdentity(raw: string): IdentityReading {
  const value = raw.replace(XML_FORMATTING_WHITESPACE, '');
  const found = INVISIBLE_OR_AMBIGUOUS.exec(value);
  if (found) return { ok: false, reason: 'identity_invisible_character', codePoint: `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` };
  return { ok: true, value };
}

/** The comparison key of a login or an email address (see the module comment). */
export function identityKey(value: string): string {
  return value.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * The key to look up a login (or email) someone typed: read as an identity (readIdentity), or null when it carries
 * an invisible or ambiguous character, which makes it nobody's. Where rows outside printable ASCII may still be
 * unkeyed, call fillMissingIdentityKeys before the lookup.
 */
export function lookupKeyOf(typed: string): string | null {
  const reading = readIdentity(typed);
  return reading.ok ? identityKey(reading.value) : null;
}

/**
 * The bucket a typed login counts in for attempt limits and rate limits. Unlike lookupKeyOf it trims every kind
 * of whitespace and never refuses: spellings of one login (case, full-width, a stray no-break space) must share
 * one budget, never get one each, whether or not the account exists.
 */
export function attemptKeyOf(typed: string): string {
  return identityKey(typed.trim());
}

/**
 * Fills the keys the triggers left NULL (values outside printable ASCII). A partial index holds exactly these rows,
 * so when there are none (the normal case) this is one indexed read. A key that another account already holds is
 * a collision that predates these rules: that row keeps NULL (the UNIQUE index refuses it) and is reported.
 */
export async function fillMissingIdentityKeys(db: D1Database): Promise<{ filled: number; collisions: string[] }> {
  const missing = await usersMissingIdentityKeys(db);
  if (missing.length === 0) return { filled: 0, collisions: [] };
  const keyed = await writeIdentityKeys(
    db,
    missing.map((row) => ({ ...row, loginKey: row.loginKey ?? identityKey(row.login), emailKey: row.email === null ? null : (row.emailKey ?? identityKey(row.email)) })),
  );
  const collisions = missing.filter((_, i) => !keyed[i]).map((row) => row.id);
  if (collisions.length > 0) console.warn('users whose login collides with another under the identity key (left unkeyed):', collisions.join(', '));
  return { filled: missing.length - collisions.length, collisions };
}

/** The key columns to write with a new or changed login / email, so a row is keyed the moment it is written. */
export function identityKeyColumns(input: { login?: string; email?: string | null }): { login_key?: string; email_key?: string | null } {
  const columns: { login_key?: string; email_key?: string | null } = {};
  if (input.login !== undefined) columns.login_key = identityKey(input.login);
  if (input.email !== undefined) columns.email_key = input.email === null ? null : identityKey(input.email);
  return columns;
}

/**
 * Which of a new login / email is already held by another account under the identity key, if any. Call it where
 * a login or email is created or changed; `exceptUserId` is the account being changed.
 */
export async function identityTaken(db: D1Database, input: { login?: string; email?: string | null; exceptUserId?: string | null }): Promise<'login' | 'email' | null> {
  await fillMissingIdentityKeys(db);
  const holders = await countIdentityHolders(
    db,
    { loginKey: input.login === undefined ? null : identityKey(input.login), emailKey: input.email == null ? null : identityKey(input.email) },
    input.exceptUserId ?? '',
  );
  if (holders.login > 0) return 'login';
  if (holders.email > 0) return 'email';
  return null;
}

/** `identityTaken` as a typed refusal: LOGIN_TAKEN or EMAIL_TAKEN (409). */
export async function assertIdentityFree(db: D1Database, input: { login?: string; email?: string | null; exceptUserId?: string | null }): Promise<void> {
  const taken = await identityTaken(db, input);
  if (taken === 'login') throw new AppError('LOGIN_TAKEN');
  if (taken === 'email') throw new AppError('EMAIL_TAKEN');
}
