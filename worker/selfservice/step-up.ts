/** The portal's side of proof before change (worker/auth/step-up.ts): which factor a portal session must prove. */
import { loginFactorsOf, type StepUpFactor } from '../auth/step-up';
import { tokensAcceptedAt } from '../tokens/accepted-tokens';
import type { Portal } from './portal';

/**
 * The tokens this resource's verification accepts for the user (the ones its portal sign-in asks for). When none
 * applies here, the user's /login factor: a token added here becomes one of those too, so it must not be added
 * with less.
 */
export async function portalFactorsOf(db: D1Database, portal: Portal, userId: string): Promise<StepUpFactor[]> {
  const tokens = await tokensAcceptedAt(db, portal.resourceId, userId);
  if (tokens.length > 0) return tokens.map((token) => ({ kind: 'token', token }));
  return loginFactorsOf(db, userId);
}
