/** The portal's side of proof before change (worker/auth/step-up.ts): which factor a portal session must prove. */
import { includesLeadingFactor, loginFactorsOf, type StepUpFactor } from '../auth/step-up';
import { tokensAcceptedAt } from '../tokens/accepted-tokens';
import { isMessageToken } from '../tokens/message-tokens';
import type { Portal } from './portal';

/**
 * The tokens this resource's verification accepts for the user (the ones its portal sign-in asks for). A token
 * added here becomes the user's own, and so one of the tokens /login asks for: it must not be added with less than
 * /login asks. So when /login asks a leading factor (a passkey or an app's OTP), a code sent to an SMS/EMAIL
 * token is not enough here either: the resource's other tokens, or without any, /login's. When none
 * applies here, the user's /login factor.
 */
export async function portalFactorsOf(db: D1Database, portal: Portal, userId: string): Promise<StepUpFactor[]> {
  const [tokens, loginFactors] = await Promise.all([tokensAcceptedAt(db, portal.resourceId, userId), loginFactorsOf(db, userId)]);
  const loginAsksLeadingFactor = includesLeadingFactor(loginFactors.flatMap((factor) => (factor.kind === 'token' ? [factor.token] : [])));
  const enough = loginAsksLeadingFactor ? tokens.filter((token) => !isMessageToken(token.type)) : tokens;
  if (enough.length > 0) return enough.map((token) => ({ kind: 'token', token }));
  return loginFactors;
}

/**
 * Whether a portal sign-in's method (signin-service.ts: "password+sms", "password+email") proved a code sent to an
 * SMS/EMAIL token: such a sign-in stands for the proof only while such a token is among the factors asked.
 */
export function signedInWithSentCode(method: string): boolean {
  return /\+(?:sms|email)$/.test(method);
}
