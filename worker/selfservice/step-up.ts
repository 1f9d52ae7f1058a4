/** The portal's side of proof before change (worker/auth/step-up.ts): which factor a portal session must prove. */
import { loginFactorsOf, type StepUpFactor } from '../auth/step-up';
import { TOKEN_RECORD_COLUMNS, type TokenRecord } from '../otp/verify-service';
import type { Portal } from './portal';

/**
 * The tokens this resource's verification accepts for the user, as /api/v1/verify decides: with a "token with
 * user" assignment that token; with a plain "user" assignment every token the user owns. Only activated, enabled
 * ones prove anything. When none applies here, the user's /login factor: a token added here becomes one of those
 * too, so it must not be added with less.
 */
export async function portalFactorsOf(db: D1Database, portal: Portal, userId: string): Promise<StepUpFactor[]> {
  const { results: tokens } = await db
    .prepare(
      `SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE activated = 1 AND enabled = 1 AND (
         id = (SELECT token_id FROM assignments WHERE kind = 'token_with_user' AND resource_id = ?1 AND user_id = ?2)
         OR (owner_user_id = ?2 AND type IN ('TOTP', 'HOTP', 'OCRA', 'SMS', 'EMAIL')
             AND EXISTS (SELECT 1 FROM assignments WHERE kind = 'user' AND resource_id = ?1 AND user_id = ?2)))
       ORDER BY created_at`,
    )
    .bind(portal.resourceId, userId)
    .all<TokenRecord>();
  if (tokens.length > 0) return tokens.map((token) => ({ kind: 'token', token }));
  return loginFactorsOf(db, userId);
}
