/**
 * Which tokens prove a user, said once for every path that asks.
 *
 * At a resource (/api/v1/verify, the resource's portal sign-in and its proof before change): with a "token with
 * user" assignment exactly that token; with a plain "user" assignment every activated OTP or message token the
 * user owns. Only enabled, activated ones prove anything; the verify API still looks at an assigned token in
 * another state to answer TOKEN_DISABLED / TOKEN_PENDING. The portal asks for one of these at sign-in whatever the
 * assignment kind, or the password alone would open a portal whose resource wants more.
 *
 * At /login (no resource): the user's own enabled, activated TOTP/HOTP and SMS/EMAIL tokens. OCRA is not among
 * them: /login shows no challenge to answer.
 */
import { TOKEN_RECORD_COLUMNS, type TokenRecord } from '../otp/verify-service';

/** Only these prove anything; verification refuses the others by their state. */
const USABLE_TOKEN_SQL = 'activated = 1 AND enabled = 1';

/**
 * SQL condition on `tokens`: the tokens the resource's verification answers for. `resourceId` and `userId` are SQL
 * expressions (placeholders or subqueries), each used several times.
 */
export function tokensVerifiedAtSql(resourceId: string, userId: string): string {
  return `(id = (SELECT token_id FROM assignments WHERE kind = 'token_with_user' AND resource_id = ${resourceId} AND user_id = ${userId})
    OR (owner_user_id = ${userId} AND type IN ('TOTP', 'HOTP', 'OCRA', 'SMS', 'EMAIL') AND activated = 1
        AND EXISTS (SELECT 1 FROM assignments WHERE kind = 'user' AND resource_id = ${resourceId} AND user_id = ${userId})))`;
}

/** The tokens that prove the user at this resource, oldest first. */
export async function tokensAcceptedAt(db: D1Database, resourceId: string, userId: string): Promise<TokenRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE ${USABLE_TOKEN_SQL} AND ${tokensVerifiedAtSql('?1', '?2')} ORDER BY created_at`)
    .bind(resourceId, userId)
    .all<TokenRecord>();
  return results;
}

/** The tokens /login asks the second factor of, oldest first. */
export async function tokensAcceptedAtLogin(db: D1Database, userId: string): Promise<TokenRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE owner_user_id = ? AND type IN ('TOTP', 'HOTP', 'SMS', 'EMAIL') AND ${USABLE_TOKEN_SQL} ORDER BY created_at`)
    .bind(userId)
    .all<TokenRecord>();
  return results;
}
