/**
 * Which tokens prove the user at this resource, as /api/v1/verify decides (worker/verify-api/service.ts): with a
 * "token with user" assignment exactly that token; with a plain "user" assignment every OTP or message token the
 * user owns. Only activated, enabled tokens count: verify refuses the others. The portal asks for one of these
 * at sign-in whatever the assignment kind, or the password alone would open a portal whose resource wants more.
 */
import { TOKEN_RECORD_COLUMNS, type TokenRecord } from '../otp/verify-service';

export async function tokensAcceptedAt(db: D1Database, resourceId: string, userId: string): Promise<TokenRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE activated = 1 AND enabled = 1 AND (
         id = (SELECT token_id FROM assignments WHERE kind = 'token_with_user' AND resource_id = ?1 AND user_id = ?2)
         OR (owner_user_id = ?2 AND type IN ('TOTP', 'HOTP', 'OCRA', 'SMS', 'EMAIL')
             AND EXISTS (SELECT 1 FROM assignments WHERE kind = 'user' AND resource_id = ?1 AND user_id = ?2)))
       ORDER BY created_at`,
    )
    .bind(resourceId, userId)
    .all<TokenRecord>();
  return results;
}
