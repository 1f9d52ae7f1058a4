/**
 * Which tokens prove a user, said once for every path that asks.
 *
 * At a resource (/api/v1/verify, the resource's portal sign-in and its proof before change): with a "token with
 * user" assignment exactly that token; with a plain "user" assignment every activated OTP or message token the
 * user owns. Only enabled, activated ones prove anything; the verify API still looks at an assigned token in
 * another state to answer TOKEN_DISABLED / TOKEN_PENDING. The portal asks for one of these at sign-in whatever the
 * assignment kind, or the password alone would open a portal whose resource wants more.
 *
 * At /login (no resource): the user's own enabled, activated TOTP/HOTP, SMS/EMAIL, PASSKEY and RECOVERY_CODES
 * tokens. OCRA is not among them: /login shows no challenge to answer.
 *
 * A typed code goes to the tokens `tokensForTypedCode` picks: a recovery code to the recovery code set, anything
 * else to the OTP and message tokens. A passkey never takes a typed code (its proof is a WebAuthn ceremony).
 */
import type { TokenType } from '../db/schema';
import { readTokenRecordsWhere, type TokenRecord } from './repo';
import { parseRecoveryCode } from './recovery-code-format';

/** Every token type that can prove a user at a resource. */
const RESOURCE_TOKEN_TYPES = ['TOTP', 'HOTP', 'OCRA', 'SMS', 'EMAIL', 'PASSKEY', 'RECOVERY_CODES'] as const satisfies readonly TokenType[];
/** Every token type /login accepts as the second factor. */
const LOGIN_TOKEN_TYPES = ['TOTP', 'HOTP', 'SMS', 'EMAIL', 'PASSKEY', 'RECOVERY_CODES'] as const satisfies readonly TokenType[];
const sqlList = (types: readonly string[]) => types.map((type) => `'${type}'`).join(', ');

/**
 * The tokens a typed code is checked against: a code shaped like a recovery code goes to the user's recovery code
 * sets (when they have one), every other code to the OTP and message tokens. So an OTP is never counted as a
 * failed recovery code, nor a recovery code as a failed OTP on every app token.
 */
export function tokensForTypedCode<T extends { type: TokenType }>(tokens: T[], code: string): T[] {
  const recoverySets = tokens.filter((token) => token.type === 'RECOVERY_CODES');
  if (recoverySets.length > 0 && parseRecoveryCode(code) !== null) return recoverySets;
  return tokens.filter((token) => token.type !== 'RECOVERY_CODES' && token.type !== 'PASSKEY');
}

/** Only these prove anything; verification refuses the others by their state. */
const USABLE_TOKEN_SQL = 'activated = 1 AND enabled = 1';

/**
 * SQL condition on `tokens`: the tokens the resource's verification answers for. `resourceId` and `userId` are SQL
 * expressions (placeholders or subqueries), each used several times.
 */
export function tokensVerifiedAtSql(resourceId: string, userId: string): string {
  return `(id = (SELECT token_id FROM assignments WHERE kind = 'token_with_user' AND resource_id = ${resourceId} AND user_id = ${userId})
    OR (owner_user_id = ${userId} AND type IN (${sqlList(RESOURCE_TOKEN_TYPES)}) AND activated = 1
        AND EXISTS (SELECT 1 FROM assignments WHERE kind = 'user' AND resource_id = ${resourceId} AND user_id = ${userId})))`;
}

/** The tokens that prove the user at this resource, oldest first. */
export function tokensAcceptedAt(db: D1Database, resourceId: string, userId: string): Promise<TokenRecord[]> {
  return readTokenRecordsWhere(db, `${USABLE_TOKEN_SQL} AND ${tokensVerifiedAtSql('?1', '?2')}`, [resourceId, userId]);
}

/** The tokens /login asks the second factor of, oldest first. */
export function tokensAcceptedAtLogin(db: D1Database, userId: string): Promise<TokenRecord[]> {
  return readTokenRecordsWhere(db, `owner_user_id = ? AND type IN (${sqlList(LOGIN_TOKEN_TYPES)}) AND ${USABLE_TOKEN_SQL}`, [userId]);
}
